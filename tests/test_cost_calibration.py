"""grader/cost.py's calibration of this machine: measured once, then read from its cache.

Measures for real (about half a second of one core), hence not in tests/unit.
"""
from grader import cost


def test_calibration_on_this_machine(tmp_path, monkeypatch):
    monkeypatch.setattr(cost, "CACHE_FOLDERS", (str(tmp_path),))
    monkeypatch.setattr(cost.os, "geteuid", lambda: 0)  # root's cache, in a folder of the test's
    cost.calibrate.cache_clear()
    calibration = cost.calibrate()
    print(f"\ncalibration: {calibration}")
    assert cost.calibrate() is calibration  # cached for the process
    cost.calibrate.cache_clear()
    again = cost.calibrate()  # from the file: the same figures, no measuring
    assert (again.step, again.forward) == (calibration.step, calibration.forward) and again.seconds == 0.0
    cost.calibrate.cache_clear()
    # About 0.5 s of one core idle, 3-4 s of wall time on this shared machine at load 7.
    assert calibration.seconds < 20
    assert all(s > 0 for s in calibration.step + calibration.forward)
    # A step at 1280 does 10 times the products of one at 128: timed, 7.5-8.5 times the time.
    assert 3 < calibration.step[-1] / calibration.step[1] < 20

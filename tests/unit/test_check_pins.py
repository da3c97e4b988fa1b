"""scripts/check_pins.py: setup.sh's check that the interpreter satisfies the pins.

Ubuntu 22.04's python3.11 package is 3.11.0rc1, which pip lets through for
Requires-Python ">=3.11" (it compares 3.11.0 only); this check must not.
"""
import importlib.metadata
import os
from types import SimpleNamespace

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from scripts import check_pins


def info(major, minor, micro, level="final", serial=0):
    return SimpleNamespace(major=major, minor=minor, micro=micro, releaselevel=level, serial=serial)


def fake_metadata(table):
    """A stand-in for importlib.metadata.metadata over {name: (version, requires_python)}."""
    def metadata(name):
        if name not in table:
            raise importlib.metadata.PackageNotFoundError(name)
        version, requires = table[name]
        return {"Version": version, "Requires-Python": requires}
    return metadata


def test_versions_are_spelled_as_pep_440():
    assert check_pins.pep440_version(info(3, 11, 0, "candidate", 1)) == "3.11.0rc1"
    assert check_pins.pep440_version(info(3, 12, 0, "beta", 4)) == "3.12.0b4"
    assert check_pins.pep440_version(info(3, 12, 3)) == "3.12.3"


def test_a_release_candidate_does_not_satisfy_its_own_minor_version():
    assert not check_pins.python_fits("3.11.0rc1", ">=3.11")
    assert check_pins.python_fits("3.11.0", ">=3.11")
    assert check_pins.python_fits("3.12.3", ">=3.11")
    assert check_pins.python_fits("3.11.0rc1", ">=3.10")
    assert check_pins.python_fits("3.9.18", None)


def test_problems_name_each_pin_that_does_not_fit():
    metadata = fake_metadata({"numpy": ("2.4.6", ">=3.11"), "nbformat": ("5.11.1", ">=3.10"),
                              "jsonschema": ("4.25.0", ">=3.10")})
    pins = [("numpy", "2.4.6"), ("nbformat", "5.11.1"), ("jsonschema", "4.26.0"), ("absent", "1.0")]
    found = check_pins.problems(pins, "3.11.0rc1", metadata)
    assert found == ["numpy==2.4.6 requires Python >=3.11; this is Python 3.11.0rc1",
                     "jsonschema: 4.25.0 is installed, not the pinned 4.26.0",
                     "absent==1.0 is not installed"]
    assert check_pins.problems(pins[:2], "3.12.3", metadata) == []


def test_pins_are_read_from_requirements_text():
    text = "# Generated\nnumpy==2.4.6\n\npytest == 9.2.0  # test runner\nloose>=1\n"
    assert check_pins.pins(text) == [("numpy", "2.4.6"), ("pytest", "9.2.0")]


def test_this_environment_satisfies_the_projects_pins(tmp_path):
    from gradescope.requirements import requirements_txt

    path = tmp_path / "requirements.txt"
    path.write_text(requirements_txt())
    assert check_pins.main([str(path)]) == 0

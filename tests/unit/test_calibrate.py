"""scripts/calibrate.py: the share of seeds over each threshold, on accuracies made here."""
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from scripts import calibrate

# {seed: (train, validation, test)} around the thresholds (validation 0.40, test 0.35);
# a value equal to a threshold is not over it, as in the grader's checks.
SWEEP = {0: (0.53, 0.412, 0.412), 1: (0.55, 0.40, 0.44), 2: (0.49, 0.348, 0.35),
         3: (0.52, 0.448, 0.354)}


def test_thresholds_are_the_graders():
    from grader import config

    assert calibrate.THRESHOLDS == (("validation", config.VAL_ACCURACY_THRESHOLD),
                                    ("test", config.TEST_ACCURACY_THRESHOLD))


def test_margins_count_seeds_strictly_over_each_threshold():
    (val_name, _, val_over, val_min, val_mean, val_max), (test_name, _, test_over, *_) = \
        calibrate.margins(SWEEP)
    assert (val_name, val_over, test_name, test_over) == ("validation", 2, "test", 3)
    assert (val_min, val_max) == (0.348, 0.448)
    assert abs(val_mean - (0.412 + 0.40 + 0.348 + 0.448) / 4) < 1e-12


def test_report_has_a_row_per_seed_and_the_shares():
    lines = calibrate.report(SWEEP)
    assert lines[2] == "| 0 | 0.530 | 0.412 | 0.412 |" and len([ln for ln in lines if ln.startswith("| ")]) == 5
    assert "validation > 0.40: 2/4 seeds (50%); min 0.348 (-0.052)" in lines[-3]
    assert lines[-2].startswith("test > 0.35: 3/4 seeds (75%); min 0.350 (+0.000)")
    assert lines[-1] == "both: 2/4 seeds (50%)"

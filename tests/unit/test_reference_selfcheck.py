"""scripts/reference_selfcheck.py: the verdict and the lines setup.sh prints, on results made here.

The grading itself is exercised by tests/test_gradescope.py, which runs
setup.sh in a simulated /autograder.
"""
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from scripts import reference_selfcheck as selfcheck

NOTEBOOK_IDS = {"notebook_runs", "validation_accuracy", "test_accuracy"}


def check_result(check, number, points, score=None, output=""):
    return {"name": check.replace("_", " "), "number": number, "max_score": points,
            "score": points if score is None else score, "output": output,
            "extra_data": {"check": check}}



def results(*tests, accuracy=None, error=None):
    extra = {"notebook": {"accuracy": accuracy or {}}}
    if error:
        extra["error"] = error
    return {"score": sum(t["score"] for t in tests), "tests": list(tests), "extra_data": extra}


FULL = results(check_result("linear_forward", "1.1", 5), check_result("validation_accuracy", "6.3", 10),
               check_result("test_accuracy", "6.4", 10),
               accuracy={"train": 0.53, "validation": 0.412, "test": 0.404})
SHORT = results(check_result("linear_forward", "1.1", 5),
                check_result("validation_accuracy", "6.3", 10, 0,
                             "best_net's validation accuracy is 0.396, ..."),
                check_result("test_accuracy", "6.4", 10), accuracy={"validation": 0.396, "test": 0.38})
LAYER_LOST = results(check_result("linear_forward", "1.1", 5, 0, "differs"),
                     check_result("test_accuracy", "6.4", 10))


def test_the_notebook_checks_are_read_from_the_graders_checks_file():
    ids = selfcheck.notebook_checks()
    assert {"notebook_runs", "validation_accuracy", "test_accuracy", "reproducible"} <= ids
    assert "linear_forward" not in ids


def test_verdicts():
    assert selfcheck.verdict(FULL, NOTEBOOK_IDS) == selfcheck.FULL
    assert selfcheck.verdict(SHORT, NOTEBOOK_IDS) == selfcheck.NOTEBOOK_SHORT
    assert selfcheck.verdict(LAYER_LOST, NOTEBOOK_IDS) == selfcheck.BROKEN
    assert selfcheck.verdict(None, NOTEBOOK_IDS) == selfcheck.BROKEN
    assert selfcheck.verdict(results(error="boom"), NOTEBOOK_IDS) == selfcheck.BROKEN


def test_summary_shows_accuracies_against_thresholds_and_the_score():
    lines = selfcheck.summary(FULL, 83.4, skip_notebook=False)
    assert lines[0] == ("self-check: best_net's validation accuracy 0.412 (over 0.40), "
                        "test accuracy 0.404 (over 0.35)")
    assert lines[1] == "self-check: score 25/25 in 83 s"
    short = selfcheck.summary(SHORT, 90, skip_notebook=False)
    assert "validation accuracy 0.396 (NOT over 0.40)" in short[0]
    assert short[2].startswith("self-check:   lost 10 on 6.3 validation accuracy: best_net's")


def test_summary_says_when_the_notebook_was_skipped():
    lines = selfcheck.summary(results(check_result("linear_forward", "1.1", 5)), 2, skip_notebook=True)
    assert "layer checks only" in lines[0] and "accuracy" not in lines[1]
    assert lines[1] == "self-check: score 5/5 in 2 s"


def test_only_a_short_or_broken_reference_gets_a_banner():
    assert selfcheck.conclusion(selfcheck.FULL) == ["self-check: passed: the reference scores full marks"]
    for kind, words in ((selfcheck.NOTEBOOK_SHORT, "LOST POINTS IN THE NOTEBOOK"),
                        (selfcheck.BROKEN, "GRADING IS BROKEN")):
        lines = selfcheck.conclusion(kind)
        assert lines[0] == lines[-1] == "self-check: " + selfcheck.BANNER
        assert words in lines[1]

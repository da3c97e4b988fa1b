"""Checks 4.1 and 4.2 against loss formulations students really write, in process.

A fake student answers the "loss" and "softmax_loss" probes with a given loss
function (probabilities (N, C), labels (N,) -> scalar); the reference is the
real one. Correct formulations the course allows must lose nothing: plain
-log(p) (inf when p is exactly 0), a one-hot sum, clipping, a small epsilon.
"""
import numpy as np
import pytest

from grader.checks.test_softmax_loss import test_loss_forward as loss_forward_check
from grader.checks.test_softmax_loss import test_loss_numerics as loss_numerics_check
from grader.report import Report
from grader.runners import ReferenceRunner


def true_class(probs, y):
    return probs[np.arange(len(y)), y]


VARIANTS = {
    "plain -log(p)": lambda p, y: -np.mean(np.log(true_class(p, y))),
    "one-hot sum": lambda p, y: -np.sum(np.eye(p.shape[1])[y] * np.log(p)) / len(y),
    "clip to tiny": lambda p, y: -np.mean(np.log(np.maximum(true_class(p, y), np.finfo(float).tiny))),
    "epsilon 1e-12": lambda p, y: -np.mean(np.log(true_class(p, y) + 1e-12)),
    "epsilon 1e-7": lambda p, y: -np.mean(np.log(true_class(p, y) + 1e-7)),
    "epsilon 1e-6": lambda p, y: -np.mean(np.log(true_class(p, y) + 1e-6)),
    "epsilon 1e-3": lambda p, y: -np.mean(np.log(true_class(p, y) + 1e-3)),
    # Wrong: rows whose true class is 0 left out of the mean.
    "zero rows dropped": lambda p, y: -np.mean(np.log(true_class(p, y)[true_class(p, y) > 0])),
    "nan at zero": lambda p, y: (np.nan if (true_class(p, y) == 0).any()
                                 else -np.mean(np.log(true_class(p, y)))),
}


class FakeStudent:
    """Answers the loss probes with VARIANTS[name] and the course's gradient."""

    def __init__(self, name):
        self.loss = VARIANTS[name]

    def run(self, probe, args=None, timeout=None, **arrays):
        if probe == "softmax_loss":
            logits = arrays["logits"]
            exp = np.exp(logits - logits.max(axis=1, keepdims=True))
            probs = exp / exp.sum(axis=1, keepdims=True)
        else:
            assert probe == "loss", probe
            probs = arrays["probs"]
        y = arrays["y"]
        with np.errstate(divide="ignore", invalid="ignore"):
            loss = self.loss(probs, y)
        dlogits = (probs - np.eye(probs.shape[1])[y]) / len(y)
        return {"loss": np.float64(loss), "probs": probs, "dlogits": dlogits}


def parts(check, name):
    """{part name: credit} and the notes of `check` against variant `name`."""
    report = Report()
    check(FakeStudent(name), ReferenceRunner(), report)
    return {part: credit for part, credit, _, _ in report.parts}, report.notes


ZERO = "CrossEntropyLoss.forward when the true class has probability exactly 0"
TINY = "CrossEntropyLoss.forward when the true class has probability 1e-06"


@pytest.mark.parametrize("name", ["plain -log(p)", "one-hot sum", "clip to tiny", "epsilon 1e-12"])
def test_correct_formulations_lose_nothing(name):
    for check in (loss_forward_check, loss_numerics_check):
        credits, _ = parts(check, name)
        assert credits and all(credit == 1 for credit in credits.values()), (name, credits)


def test_inf_for_a_zero_probability_gets_a_note_not_a_deduction():
    credits, notes = parts(loss_numerics_check, "plain -log(p)")
    assert credits[ZERO] == 1
    assert any("exact value" in note for note in notes)


def test_an_epsilon_of_1e7_common_in_real_notebooks_costs_nothing():
    assert set(parts(loss_forward_check, "epsilon 1e-7")[0].values()) == {1.0}
    credits, _ = parts(loss_numerics_check, "epsilon 1e-7")
    assert set(credits.values()) == {1.0}


def test_an_epsilon_as_large_as_the_probability_fails_the_tiny_part():
    credits, _ = parts(loss_numerics_check, "epsilon 1e-6")
    assert credits[TINY] == 0 and credits[ZERO] == 1


def test_a_large_epsilon_fails_the_loss_values():
    assert 0 in parts(loss_forward_check, "epsilon 1e-3")[0].values()
    assert parts(loss_numerics_check, "epsilon 1e-3")[0][TINY] == 0


@pytest.mark.parametrize("name", ["zero rows dropped", "nan at zero"])
def test_a_zero_probability_must_still_cost_a_large_loss(name):
    credits, _ = parts(loss_numerics_check, name)
    assert credits[ZERO] == 0

"""Whether the student's own layers can train best_net's network, as the grader runs them.

When a training check (5.1, 5.2) fails, the notebook's best_net was trained with
those layers, and a best_net left untrained may be all they give: a transposed
`dw` breaks SGD's update at every shape, so the notebook's training cell raises and
best_net keeps its initial weights. Whether that is the layer bug or a notebook that
never tried is decided by a training the grader runs itself: a few SGD steps of
Linear(D, H)-ReLU-Linear(H, C)-Softmax with the student's layers in the worker, H
best_net's hidden size, from weights and a batch the grader chooses (the course's
initialisation, every class in the batch). Never the notebook's printed text.

    outcome = attempt(student, reference, hyperparams)
    outcome.error     # "" they ran; the error they raise; None unknown
    outcome.alike     # they train as the reference layers do, step for step

The same steps run with the reference layers say whether the student's layers
train best_net's network as correct ones do (the updates alike): then the
notebook's best_net must agree with the grader's own both ways, whatever any
layer check found at its own shapes (a bug shown only at a check's shape does not
excuse an untrained best_net).
"""
from dataclasses import dataclass
from typing import Optional

import numpy as np

from .. import config
from ..compare import relative_error
from ..runners import StudentError, WorkerFailure
from utils.budget import BATCH, C, D

STEPS = 3
SEED = 20_240_917


def case(hidden, seed=SEED):
    """(arrays) of the probe: the course's initialisation (uniform in [0, 1e-4)) for a
    Linear(D, hidden)-ReLU-Linear(hidden, C) network, and a batch of BATCH rows holding
    every class."""
    rng = np.random.default_rng(seed)
    return {"x": rng.normal(size=(BATCH, D)), "y": np.arange(BATCH) % C,
            "w1": rng.random((D, hidden)) * 1e-4, "b1": rng.random(hidden) * 1e-4,
            "w2": rng.random((hidden, C)) * 1e-4, "b2": rng.random(C) * 1e-4}


@dataclass
class Outcome:
    """What the grader's own steps of best_net's network with the student's layers gave.

    error: "" they ran, the error (our sentence) when they raise, None when it could
    not be told. alike: whether every parameter's update and the losses match the
    reference layers' on the same steps (within ALIKE_RTOL), None when unknown;
    mismatch says how they differ."""
    error: Optional[str] = None
    alike: Optional[bool] = None
    mismatch: str = ""


# Losses and updates alike to this relative error, each, train alike. Measured on
# the corpus (tests/test_student_training.py, at hidden 80, lr 0.1): its correct
# variants differ by at most 3e-12; every bug that changes training by at least
# 2.2e-3 in some quantity (the least: an epsilon of 1e-3 in the loss, a leaky ReLU,
# a Linear caching only its first input); float32 arithmetic differs by about 1e-6.
ALIKE_RTOL = 1e-4


def attempt(student, reference, hyperparams):
    """The Outcome of STEPS steps of best_net's network, with best_net_hyperparams' hidden
    size, learning rate and weight decay, run with the student's layers and with the
    reference's from the same weights and batch (unknown when best_net_hyperparams are
    unusable, the worker crashed or ran out of time)."""
    if not hyperparams:
        return Outcome()
    lr, weight_decay, _, hidden = hyperparams
    hidden = min(int(hidden), 4096)  # the probe's arrays stay under 100 MB; any non-square shape tells
    args = {"lr": float(lr), "weight_decay": float(weight_decay), "steps": STEPS, "batch_size": BATCH}
    arrays = case(hidden)
    try:
        got = student.run("train", args, timeout=config.TRAIN_TIMEOUT, **arrays)
    except StudentError as exc:
        return Outcome(error=str(exc), alike=False)
    except (WorkerFailure, ValueError, OverflowError, MemoryError):
        return Outcome()
    want = reference.run("train", args, **arrays)
    mismatch = _mismatch(got, want, arrays)
    return Outcome(error="", alike=not mismatch, mismatch=mismatch)


def _mismatch(got, want, start):
    """How the student's steps differ from the reference's ("" alike): the losses, then
    each parameter's update (its value after the steps less its start: the course's
    initial weights are tiny, so the values alone would hide a wrong gradient)."""
    errors = errors_of(got, want, start)
    name, error = max(errors.items(), key=lambda item: item[1])
    if error is None or error <= ALIKE_RTOL:
        return ""
    what = "the losses" if name == "losses" else f"the update of {name}"
    if error == float("inf"):
        return f"{what} is missing or of another shape"
    return f"{what} has relative error {error:.2g} (allowed {ALIKE_RTOL:g})"


def errors_of(got, want, start):
    """{quantity: relative error of the student's against the reference's} (inf: missing,
    another shape, or not finite): the losses and each parameter's update."""
    errors = {}
    for name in ("losses", "w1", "b1", "w2", "b2"):
        value, expected = _array(got.get(name)), want[name]
        if name != "losses":
            value = None if value is None or value.shape != start[name].shape else value - start[name]
            expected = expected - start[name]
        if value is None or value.shape != expected.shape or not np.isfinite(value).all():
            errors[name] = float("inf")
        else:
            errors[name] = relative_error(value, expected)
    return errors


def _array(value):
    try:
        return None if value is None else np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None

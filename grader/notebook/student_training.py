"""Whether the student's own layers can train best_net's network, as the grader runs them.

When a training check (5.1, 5.2) fails, the notebook's best_net was trained with
those layers, and a best_net left untrained may be all they give: a transposed
`dw` breaks SGD's update at every shape, so the notebook's training cell raises and
best_net keeps its initial weights. Whether that is the layer bug or a notebook that
never tried is decided by a training the grader runs itself: a few SGD steps of
Linear(D, H)-ReLU-Linear(H, C)-Softmax with the student's layers in the worker, H
best_net's hidden size, from weights and a batch the grader chooses (the course's
initialisation, every class in the batch). Never the notebook's printed text.

    error = attempt(student, hyperparams)   # "" they train; the error they raise; None unknown
"""
import numpy as np

from .. import config
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


def attempt(student, hyperparams):
    """"" when STEPS steps of best_net's network train with the student's layers, the
    error (our sentence for it) when they raise, None when it could not be told (the
    worker crashed or ran out of time, or best_net_hyperparams are unusable)."""
    if not hyperparams:
        return None
    lr, weight_decay, _, hidden = hyperparams
    hidden = min(int(hidden), 4096)  # the probe's arrays stay under 100 MB; any non-square shape tells
    args = {"lr": float(lr), "weight_decay": float(weight_decay), "steps": STEPS, "batch_size": BATCH}
    try:
        student.run("train", args, timeout=config.TRAIN_TIMEOUT, **case(int(hidden)))
    except StudentError as exc:
        return str(exc)
    except (WorkerFailure, ValueError, OverflowError, MemoryError):
        return None
    return ""

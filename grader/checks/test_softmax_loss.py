import numpy as np
from gradescope_utils.autograder_utils.decorators import number, visibility, weight

from grader import config, gradient
from grader.checks.cases import ACTIVATION_SHAPES, logits_case
from grader.checks.helpers import run_student, same_as_reference
from grader.compare import describe_mismatch
from grader.runners import StudentError, WorkerFailure

# Logits this large overflow exp() unless each row's max is subtracted first
# (the course asks for that). Softmax's own check may give exact zeros
# (exp(-2000) underflows); the loss's must not: a one-hot loss,
# -sum(onehot * log p) / N, is the mean negative log-likelihood too, and gives
# NaN from 0 * log(0) in a class that is not the label, a rule (0 log 0 = 0) the
# course never states. So in LOSS_LARGE_LOGITS every probability is at least
# about 4e-5. A label repeats, so dividing by the sums along the wrong axis
# cannot cancel out. The last row is ordinary but 1000 below the batch's
# largest logit: subtracting the batch's max rather than the row's turns all of
# it into exp(-1000) = 0, and 0 / 0.
LARGE_LOGITS = np.array([[1000.0, 0.0, -1000.0], [800.0, 801.0, 799.0], [-5.0, 710.0, 3.0],
                         [0.0, 1.0, -1.0]])
LOSS_LARGE_LOGITS = np.array([[1000.0, 999.0, 990.0], [800.0, 801.0, 799.0], [705.0, 710.0, 703.0],
                              [1.0, 0.0, -1.0]])
LARGE_LABELS = np.array([0, 1, 1, 2])

# A batch whose labels lack a class, the last one (cases.labels puts it in every
# other batch): the one-hot must take its width from the probabilities, not from
# y.max() + 1. Judged here once; the course's training batches hold every class.
MISSING_CLASS_LABELS = np.array([0, 2, 1, 0, 2])
MISSING_CLASS_SHAPE = (5, 4)

# A true class with probability exactly 0. The mean negative log-likelihood of
# these rows is (-log 0 - log 0.5) / 2 = +inf: a plain -log(p), as the course
# states the loss, returns exactly that, and clipping or an epsilon returns a
# large finite value instead; the course asks for neither, so both are right.
# What is wrong is a loss below the one these rows have when the probability is
# ZERO_FLOOR_PROB instead of 0 (-log is decreasing, so p = 0 costs at least as
# much as any positive p): NaN, the row dropped (0.35), a sign lost. The floor
# is at 0.01, not lower, so that an epsilon too large for the loss is counted
# once, by the LOSS_TINY_PROB part below.
ZERO_PROBS = np.array([[0.7, 0.3, 0.0], [0.2, 0.5, 0.3]])
ZERO_LABELS = np.array([2, 1])
ZERO_FLOOR_PROB = 0.01


def typical_probs(seed, n, c):
    """Softmax rows (n, c) of N(0, 1) logits, and labels (n,).

    Every true class has probability above 0.005 (0.0053 at least in
    ACTIVATION_SHAPES' cases). There an epsilon of up to 1e-7 inside the log,
    common in student code, moves the loss by at most 6.4e-7 relative, far
    inside LOSS_RTOL, while an epsilon of 1e-3 moves it by 1.8e-3 or more and
    a wrong formula by far more. How small an epsilon must be is judged once,
    in 4.2, not again here (logits of scale 3 put true classes at 2.5e-6, where
    1e-7 already costs 4.9e-4 relative).
    """
    case = logits_case(seed, n, c, scale=1.0)
    exp = np.exp(case["logits"] - case["logits"].max(axis=1, keepdims=True))
    return {"probs": exp / exp.sum(axis=1, keepdims=True), "y": case["y"]}


def _zero_probability_floor():
    """The loss of ZERO_PROBS with the zero raised to ZERO_FLOOR_PROB: (4.61 + 0.69) / 2 = 2.65."""
    rows = np.arange(len(ZERO_LABELS))
    true_class = ZERO_PROBS[rows, ZERO_LABELS].copy()
    true_class[true_class == 0] = ZERO_FLOOR_PROB
    return float(-np.mean(np.log(true_class)))


@weight(4)
@number("3.1")
@visibility("visible")
def test_softmax_forward(student, reference, report):
    """Softmax.forward"""
    for seed, (n, c) in enumerate(ACTIVATION_SHAPES):
        same_as_reference(report, f"Softmax.forward on logits {n}x{c}", student, reference,
                          "layer", {"layer": "Softmax"}, "out", config.FORWARD_RTOL,
                          x=logits_case(seed, n, c)["logits"])
    same_as_reference(report, "Softmax.forward on large logits (up to 1000; one row 1000 below the largest)", student, reference,
                      "layer", {"layer": "Softmax"}, "out", config.FORWARD_RTOL, x=LARGE_LOGITS,
                      hint=lambda out: "" if out is None or np.isfinite(out).all() else
                      "exp overflows; subtract each row's max before exp")


@weight(4)
@number("4.1")
@visibility("visible")
def test_loss_forward(student, reference, report):
    """CrossEntropyLoss.forward"""
    ran = [same_as_reference(report, f"CrossEntropyLoss.forward on {n} rows of {c} classes",
                             student, reference, "loss", None, "loss", config.LOSS_RTOL,
                             **typical_probs(seed, n, c)) is not None
           for seed, (n, c) in enumerate(ACTIVATION_SHAPES)]
    n, c = MISSING_CLASS_SHAPE
    probs = typical_probs(len(ACTIVATION_SHAPES), n, c)["probs"]
    # Said whether the loss is wrong or raises here (a broadcast error names no cause), but
    # only when it ran on every batch that holds all classes: else its error is another's.
    hint = (lambda _: f"a batch need not hold every class: take the one-hot's width from the "
                      f"probabilities (input_x.shape[1], here {c}), not from target_y.max() + 1"
            ) if all(ran) else None
    same_as_reference(report, f"CrossEntropyLoss.forward on {n} rows of {c} classes whose labels "
                      f"never name class {c - 1}", student, reference, "loss", None, "loss",
                      config.LOSS_RTOL, probs=probs, y=MISSING_CLASS_LABELS, hint=hint)


@weight(4)
@number("4.2")
@visibility("visible")
def test_loss_numerics(student, reference, report):
    """CrossEntropyLoss on numerically hard inputs"""
    same_as_reference(report, "Softmax + CrossEntropyLoss on large logits", student, reference,
                      "softmax_loss", {"forward_only": True}, "loss", config.LOSS_RTOL, logits=LOSS_LARGE_LOGITS,
                      y=LARGE_LABELS)

    label = "CrossEntropyLoss.forward when the true class has probability exactly 0"
    got = run_student(report, label, student, "loss", probs=ZERO_PROBS, y=ZERO_LABELS)
    if got is not None:
        loss, floor = float(got["loss"]), _zero_probability_floor()
        # `>=` is False for NaN; inf passes.
        report.part(label, loss >= floor, "" if loss >= floor else
                    f"{label} gives {loss}: -log(0) is +inf, so the loss must be +inf, or at "
                    f"least {floor:.3g} (its value when that probability is {ZERO_FLOOR_PROB:g})")
        if np.isinf(loss) and loss > 0:
            report.note(f"{label} gives inf: that is the exact value and costs nothing. In "
                        "training, clipping the probability (np.maximum(p, np.finfo(p.dtype).tiny)) "
                        "keeps the printed loss finite if a softmax output ever underflows to 0.")

    tiny = config.LOSS_TINY_PROB
    same_as_reference(report, f"CrossEntropyLoss.forward when the true class has probability {tiny:g}",
                      student, reference, "loss", None, "loss", config.LOSS_TINY_RTOL,
                      probs=np.array([[1 - 2 * tiny, tiny, tiny], [0.2, 0.5, 0.3]]), y=np.array([1, 2]),
                      hint=lambda out: "" if out is None else ("an epsilon added inside the log must be "
                                                               "far smaller than this probability"))


@weight(10)
@number("4.3")
@visibility("visible")
def test_softmax_loss_backward(student, reference, report):
    """Softmax + CrossEntropyLoss backward (gradient w.r.t. the logits)"""
    problem = None
    for seed, (n, c) in enumerate(ACTIVATION_SHAPES):
        case = logits_case(seed, n, c)
        description = f"logits {n}x{c}"
        want = reference.run("softmax_loss", **case)["dlogits"]
        got = run_student(report, f"backward on {description}", student, "softmax_loss", **case)
        if got is None:
            return
        problem = problem or describe_mismatch(
            f"Softmax.backward(CrossEntropyLoss.backward()) on {description}",
            got["dlogits"], want, config.BACKWARD_RTOL)
    if problem:
        problem += (". By the course's convention CrossEntropyLoss.backward() returns "
                    "(probs - onehot(y)) / N, the gradient w.r.t. the logits, and "
                    "Softmax.backward passes it through unchanged.")
    report.part("dlogits", problem is None, problem or "")
    if problem:  # feedback only (see helpers.numeric_note): the student's own gradient check
        case = logits_case(99, 3, 4)
        try:
            got = student.run("softmax_loss", **case)["dlogits"]
            numeric = gradient.softmax_loss_gradient(student, **case)
        except (StudentError, WorkerFailure, ValueError, KeyError):
            return
        mismatch = describe_mismatch("your gradient", got, numeric, config.NUMERIC_RTOL)
        if mismatch:
            report.note(f"Numerical gradient check of your own Softmax + loss: {mismatch}.")

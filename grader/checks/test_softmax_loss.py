import numpy as np
from gradescope_utils.autograder_utils.decorators import number, visibility, weight

from grader import config, gradient
from grader.checks.cases import ACTIVATION_SHAPES, logits_case, probs_case
from grader.checks.helpers import run_student, same_as_reference
from grader.compare import describe_mismatch

# Logits this large overflow exp() unless each row's max is subtracted first.
# Every true class keeps a representable probability: the loss of an underflowed
# one depends on how it is clipped, which is part 2's business, not this one's.
# A label repeats, so dividing by the sums along the wrong axis cannot cancel out.
LARGE_LOGITS = np.array([[1000.0, 0.0, -1000.0], [800.0, 801.0, 799.0], [-5.0, 710.0, 3.0]])
LARGE_LABELS = np.array([0, 1, 1])


@weight(4)
@number("3.1")
@visibility("visible")
def test_softmax_forward(student, reference, report):
    """Softmax.forward"""
    for seed, (n, c) in enumerate(ACTIVATION_SHAPES):
        same_as_reference(report, f"Softmax.forward on logits {n}x{c}", student, reference,
                          "layer", {"layer": "Softmax"}, "out", config.FORWARD_RTOL,
                          x=logits_case(seed, n, c)["logits"])
    same_as_reference(report, "Softmax.forward on large logits (up to 1000)", student, reference,
                      "layer", {"layer": "Softmax"}, "out", config.FORWARD_RTOL, x=LARGE_LOGITS,
                      hint=lambda out: "" if out is None or np.isfinite(out).all() else
                      "exp overflows; subtract each row's max before exp")


@weight(4)
@number("4.1")
@visibility("visible")
def test_loss_forward(student, reference, report):
    """CrossEntropyLoss.forward"""
    for seed, (n, c) in enumerate(ACTIVATION_SHAPES):
        same_as_reference(report, f"CrossEntropyLoss.forward on {n} rows of {c} classes",
                          student, reference, "loss", None, "loss", config.LOSS_RTOL,
                          **probs_case(seed, n, c))


@weight(4)
@number("4.2")
@visibility("visible")
def test_loss_numerics(student, reference, report):
    """CrossEntropyLoss on numerically hard inputs"""
    same_as_reference(report, "Softmax + CrossEntropyLoss on large logits", student, reference,
                      "softmax_loss", None, "loss", config.LOSS_RTOL, logits=LARGE_LOGITS,
                      y=LARGE_LABELS)

    probs = np.array([[0.7, 0.3, 0.0], [0.2, 0.5, 0.3]])
    label = "CrossEntropyLoss.forward when the true class has probability exactly 0"
    got = run_student(report, label, student, "loss", probs=probs, y=np.array([2, 1]))
    if got is not None:
        finite = np.isfinite(got["loss"]).all() and got["loss"] > 0
        report.part(label, finite, "" if finite else
                    f"{label} gives {got['loss']}: log(0) needs guarding (clip the probability)")

    tiny = config.LOSS_TINY_PROB
    same_as_reference(report, f"CrossEntropyLoss.forward when the true class has probability {tiny:g}",
                      student, reference, "loss", None, "loss", config.LOSS_TINY_RTOL,
                      probs=np.array([[1 - tiny, tiny, 0.0], [0.2, 0.5, 0.3]]), y=np.array([1, 1]),
                      hint=lambda _: "an epsilon added inside the log must be far smaller than "
                                     "this probability")


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
    if problem:
        case = logits_case(99, 3, 4)
        numeric_ref = gradient.softmax_loss_gradient(reference, **case)
        assert describe_mismatch("ref", reference.run("softmax_loss", **case)["dlogits"],
                                 numeric_ref, config.NUMERIC_RTOL) is None, \
            "grader self-check: the reference fails its own gradient check"
        try:
            got = student.run("softmax_loss", **case)["dlogits"]
            numeric = gradient.softmax_loss_gradient(student, **case)
        except Exception:
            return
        mismatch = describe_mismatch("your gradient", got, numeric, config.NUMERIC_RTOL)
        if mismatch:
            report.note(f"Numerical gradient check of your own Softmax + loss: {mismatch}.")

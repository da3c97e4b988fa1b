from gradescope_utils.autograder_utils.decorators import number, visibility, weight

from grader import config
from grader.checks.cases import GRADCHECK_LINEAR, LINEAR_SHAPES, linear_case
from grader.checks.helpers import gradient_parts, numeric_note, same_as_reference

HINTS = {
    "dx": "dx has the input's shape (N, input_dims) and uses w.",
    "dw": "Check the order of the matrix product.",
    "db": "db adds up dout over the batch.",
}


def _cases(with_dout):
    keys = ("x", "w", "b", "dout") if with_dout else ("x", "w", "b")
    for seed, (n, d, m) in enumerate(LINEAR_SHAPES):
        case = linear_case(seed, n, d, m)
        yield f"x {n}x{d} with w {d}x{m}", {k: case[k] for k in keys}


@weight(5)
@number("1.1")
@visibility("visible")
def test_linear_forward(student, reference, report):
    """Linear.forward"""
    for description, inputs in _cases(with_dout=False):
        same_as_reference(report, f"Linear.forward on {description}", student, reference,
                          "layer", {"layer": "Linear"}, "out", config.FORWARD_RTOL, **inputs)


@weight(10)
@number("1.2")
@visibility("visible")
def test_linear_backward(student, reference, report):
    """Linear.backward (dx, dw, db)"""
    gradient_parts(report, "Linear", ("dx", "dw", "db"), list(_cases(with_dout=True)),
                   student, reference, HINTS)
    if report.fraction() != 1:
        numeric_note(report, "Linear", student, linear_case(99, *GRADCHECK_LINEAR))

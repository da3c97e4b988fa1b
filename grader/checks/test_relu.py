import numpy as np
from gradescope_utils.autograder_utils.decorators import number, visibility, weight

from grader import config
from grader.checks.cases import ACTIVATION_SHAPES, GRADCHECK_ACTIVATION, activation_case
from grader.checks.helpers import gradient_parts, numeric_note, same_as_reference


def _cases():
    for seed, (n, c) in enumerate(ACTIVATION_SHAPES):
        yield f"input {n}x{c}", activation_case(seed, n, c)


@weight(3)
@number("2.1")
@visibility("visible")
def test_relu_forward(student, reference, report):
    """ReLU.forward"""
    for description, case in _cases():
        same_as_reference(report, f"ReLU.forward on {description}", student, reference,
                          "layer", {"layer": "ReLU"}, "out", config.FORWARD_RTOL, x=case["x"])


@weight(5)
@number("2.2")
@visibility("visible")
def test_relu_backward(student, reference, report):
    """ReLU.backward"""
    cases = list(_cases())
    gradient_parts(report, "ReLU", ("dx",), cases, student, reference,
                   {"dx": "dx is dout where the input was positive and 0 elsewhere."})
    if report.fraction() != 1:
        description, case = cases[1]
        got = student.run("layer", {"layer": "ReLU"}, **case)
        if np.allclose(got["dx"], case["dout"] * (case["x"] < 0)):
            report.note("Your dx passes the gradient where the input was negative: "
                        "the mask is on the wrong side.")
        numeric_note(report, "ReLU", student, activation_case(99, *GRADCHECK_ACTIVATION))

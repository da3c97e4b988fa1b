"""grader/gradient.py: numerical gradients from forward values a runner returns, checked
against the analytic gradients of the reference layers (run in this process)."""
import numpy as np
import pytest

from grader import gradient
from grader.runners import ReferenceRunner

RTOL = 1e-6


def close(got, want):
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=1e-8)


class Counting:
    """A ReferenceRunner that records each call's probe and array names."""

    def __init__(self):
        self.calls = []
        self.inner = ReferenceRunner()

    def run(self, probe, args=None, timeout=None, **arrays):
        self.calls.append((probe, dict(args or {}), sorted(arrays)))
        return self.inner.run(probe, args, **arrays)


def linear_inputs(rng, n=3, d=4, m=2):
    return (rng.standard_normal((n, d)), rng.standard_normal((d, m)), rng.standard_normal(m),
            rng.standard_normal((n, m)))


def test_linear_gradients_equal_the_analytic_ones_in_one_runner_call():
    x, w, b, dout = linear_inputs(np.random.default_rng(0))
    runner = Counting()
    grads = gradient.layer_gradients(runner, "Linear", dout, x=x, w=w, b=b)
    assert set(grads) == {"dx", "dw", "db"}
    close(grads["dx"], dout @ w.T)
    close(grads["dw"], x.T @ dout)
    close(grads["db"], dout.sum(axis=0))
    assert runner.calls == [("forward_many", {"layer": "Linear"}, ["bs", "ws", "xs"])]


def test_linear_gradient_leaves_the_inputs_unchanged():
    x, w, b, dout = linear_inputs(np.random.default_rng(1))
    copies = [a.copy() for a in (x, w, b, dout)]
    gradient.layer_gradients(ReferenceRunner(), "Linear", dout, x=x, w=w, b=b)
    for original, copy in zip((x, w, b, dout), copies):
        np.testing.assert_array_equal(original, copy)


def test_relu_gradient_is_dout_where_the_input_is_positive():
    rng = np.random.default_rng(2)
    x = rng.uniform(0.1, 1.0, (3, 5)) * rng.choice([-1.0, 1.0], (3, 5))  # far from the kink
    dout = rng.standard_normal((3, 5))
    runner = Counting()
    grads = gradient.layer_gradients(runner, "ReLU", dout, x=x)
    assert set(grads) == {"dx"}
    close(grads["dx"], dout * (x > 0))
    assert runner.calls == [("forward_many", {"layer": "ReLU"}, ["xs"])]


def test_softmax_layer_gradient_is_the_jacobian_product():
    rng = np.random.default_rng(3)
    x, dout = rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    s = np.exp(x - x.max(axis=1, keepdims=True))
    s /= s.sum(axis=1, keepdims=True)
    want = s * (dout - (dout * s).sum(axis=1, keepdims=True))
    close(gradient.layer_gradients(ReferenceRunner(), "Softmax", dout, x=x)["dx"], want)


def test_softmax_loss_gradient_is_probabilities_minus_one_hot_over_n():
    rng = np.random.default_rng(4)
    logits, y = rng.standard_normal((4, 3)), np.array([0, 2, 1, 2])
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    want = (probs - np.eye(3)[y]) / len(y)
    runner = Counting()
    close(gradient.softmax_loss_gradient(runner, logits, y), want)
    assert runner.calls == [("softmax_loss", {}, ["logits", "logits_many", "y"])]


class WrongShape:
    """A runner whose forward drops the last column, as a buggy student forward might."""

    def run(self, probe, args=None, timeout=None, **arrays):
        outs = ReferenceRunner().run(probe, args, **arrays)["outs"]
        return {"outs": outs[..., :-1]}


def test_a_forward_of_the_wrong_shape_raises_value_error_naming_both_shapes():
    x, w, b, dout = linear_inputs(np.random.default_rng(5))
    with pytest.raises(ValueError, match=r"Linear.forward gave outputs of shape \(3, 1\), expected \(3, 2\)"):
        gradient.layer_gradients(WrongShape(), "Linear", dout, x=x, w=w, b=b)


def test_a_forward_returning_too_few_variants_raises_value_error():
    class TooFew:
        def run(self, probe, args=None, timeout=None, **arrays):
            return {"outs": ReferenceRunner().run(probe, args, **arrays)["outs"][:1]}

    x = np.array([[0.5, -0.5]])
    with pytest.raises(ValueError, match="ReLU.forward gave outputs"):
        gradient.layer_gradients(TooFew(), "ReLU", np.ones((1, 2)), x=x)


def test_the_reference_passes_the_numerical_checks_on_the_cases_the_checks_use():
    """What the checks once asserted at every grading: on the very inputs of their
    feedback-only gradient checks, the reference's backward matches its forward."""
    from grader import config
    from grader.checks.cases import (GRADCHECK_ACTIVATION, GRADCHECK_LINEAR, activation_case,
                                     linear_case, logits_case)
    from grader.compare import describe_mismatch
    reference = ReferenceRunner()
    for layer, inputs in (("Linear", linear_case(99, *GRADCHECK_LINEAR)),
                          ("ReLU", activation_case(99, *GRADCHECK_ACTIVATION))):
        got = reference.run("layer", {"layer": layer}, **inputs)
        numeric = gradient.layer_gradients(reference, layer, inputs["dout"],
                                           **{k: v for k, v in inputs.items() if k != "dout"})
        for name, value in numeric.items():
            assert describe_mismatch(name, got[name], value, config.NUMERIC_RTOL) is None, (layer, name)
    case = logits_case(99, 3, 4)
    assert describe_mismatch("dlogits", reference.run("softmax_loss", **case)["dlogits"],
                             gradient.softmax_loss_gradient(reference, **case), config.NUMERIC_RTOL) is None

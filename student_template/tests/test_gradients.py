"""Every backward against centred differences of its forward, in float64.

For a layer with output y and an arbitrary upstream gradient dout, the numeric
gradient of sum(y * dout) is what backward(dout) must return (or store).
"""
import numpy as np

from check_helpers import check_close, numeric_gradient
from layers.linear import Linear
from layers.loss_func import CrossEntropyLoss
from layers.relu import ReLU
from layers.softmax import Softmax

N, D, H, C = 3, 4, 5, 6  # batch, input features, output features, classes


def _linear_case():
    """A Linear layer with parameters of ordinary size (not the tiny initial ones)."""
    rng = np.random.default_rng(10)
    layer = Linear(D, H)
    layer.w = rng.standard_normal((D, H))
    layer.b = rng.standard_normal(H)
    return layer, rng.standard_normal((N, D)), rng.standard_normal((N, H))


def test_linear_dx():
    layer, x, dout = _linear_case()
    layer.forward(x)
    dx = layer.backward(dout)
    expected = numeric_gradient(lambda: np.sum(layer.forward(x) * dout), x)
    check_close("Linear.backward: the returned dx", dx, expected, "numeric gradient")


def test_linear_dw():
    layer, x, dout = _linear_case()
    layer.forward(x)
    layer.backward(dout)
    dw = layer.dw
    expected = numeric_gradient(lambda: np.sum(layer.forward(x) * dout), layer.w)
    check_close("Linear.backward: self.dw", dw, expected, "numeric gradient")


def test_linear_db():
    layer, x, dout = _linear_case()
    layer.forward(x)
    layer.backward(dout)
    db = layer.db
    expected = numeric_gradient(lambda: np.sum(layer.forward(x) * dout), layer.b)
    check_close("Linear.backward: self.db", db, expected, "numeric gradient")


def test_relu_dx():
    rng = np.random.default_rng(11)
    # At least 0.1 away from the kink at 0, where a step of 1e-6 cannot cross it.
    x = rng.uniform(0.1, 1.0, (N, D)) * rng.choice([-1.0, 1.0], (N, D))
    dout = rng.standard_normal((N, D))
    layer = ReLU()
    layer.forward(x)
    dx = layer.backward(dout)
    expected = numeric_gradient(lambda: np.sum(layer.forward(x) * dout), x)
    check_close("ReLU.backward: the returned dx", dx, expected, "numeric gradient")


def test_softmax_cross_entropy_dlogits():
    # By the course's convention the loss's backward gives the gradient with respect
    # to the logits and Softmax passes it through, so the two are checked as one unit.
    rng = np.random.default_rng(12)
    logits = rng.standard_normal((N, C))
    labels = rng.integers(0, C, N)
    softmax, loss = Softmax(), CrossEntropyLoss()
    loss.forward(softmax.forward(logits), labels)
    dlogits = softmax.backward(loss.backward())
    expected = numeric_gradient(lambda: loss.forward(softmax.forward(logits), labels), logits)
    check_close("Softmax.backward(CrossEntropyLoss.backward()): the gradient of the loss "
                "with respect to the logits", dlogits, expected,
                "numeric gradient of CrossEntropyLoss.forward(Softmax.forward(logits))")

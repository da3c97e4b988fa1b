"""Every backward against a gradient worked out by the check itself, in float64.

For Linear and ReLU, with output y and an arbitrary upstream gradient dout, the
numeric gradient (centred differences) of sum(y * dout) is what backward(dout)
must return (or store). Softmax and the loss are checked together against the
closed form (softmax(logits) - onehot(labels)) / N, which this file computes
with its own softmax: a wrong forward cannot make the backward look wrong.
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


def _softmax_rows(logits):
    """Softmax of each row of logits (N, C), computed here rather than by Softmax.forward."""
    exps = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exps / exps.sum(axis=1, keepdims=True)


def test_softmax_cross_entropy_dlogits():
    # By the course's convention the loss's backward gives the gradient with respect
    # to the logits and Softmax passes it through, so the two are checked as one unit.
    rng = np.random.default_rng(12)
    logits = rng.standard_normal((N, C))
    labels = rng.integers(0, C, N)
    probs = _softmax_rows(logits)
    softmax, loss = Softmax(), CrossEntropyLoss()
    softmax.forward(logits)
    # The loss gets this file's probabilities, so its backward is checked on the
    # right input even when Softmax.forward is wrong (a check of its own says so).
    loss.forward(probs, labels)
    dlogits = softmax.backward(loss.backward())
    expected = (probs - np.eye(C)[labels]) / N
    check_close(f"Softmax.backward(CrossEntropyLoss.backward()) on {N} rows of logits",
                dlogits, expected, "the gradient of the loss with respect to the logits, "
                "(softmax(logits) - onehot(labels)) / N",
                hint="CrossEntropyLoss.backward returns (probs - onehot(labels)) / N for the "
                     "probabilities and labels its forward received, and Softmax.backward "
                     "passes that through unchanged.")

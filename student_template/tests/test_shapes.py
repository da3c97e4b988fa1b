"""Each layer returns and stores arrays of the shapes the course fixes."""
import numpy as np

from check_helpers import check_shape
from layers.linear import Linear
from layers.loss_func import CrossEntropyLoss
from layers.relu import ReLU
from layers.softmax import Softmax

N, D, H, C = 4, 5, 3, 6  # batch, input features, output features, classes


def test_linear_shapes():
    rng = np.random.default_rng(0)
    layer = Linear(D, H)
    out = layer.forward(rng.standard_normal((N, D)))
    check_shape(f"Linear.forward: the output for x of shape {(N, D)}", out, (N, H))
    dx = layer.backward(rng.standard_normal((N, H)))
    check_shape("Linear.backward: the returned dx", dx, (N, D))
    check_shape("Linear.backward: self.dw", layer.dw, (D, H))
    check_shape("Linear.backward: self.db", layer.db, (H,))


def test_relu_shapes():
    rng = np.random.default_rng(1)
    layer = ReLU()
    check_shape("ReLU.forward: the output", layer.forward(rng.standard_normal((N, D))), (N, D))
    dx = layer.backward(rng.standard_normal((N, D)))
    check_shape("ReLU.backward: the returned dx", dx, (N, D))


def test_softmax_shapes():
    rng = np.random.default_rng(2)
    layer = Softmax()
    check_shape("Softmax.forward: the output", layer.forward(rng.standard_normal((N, C))), (N, C))
    dlogits = layer.backward(rng.standard_normal((N, C)))
    check_shape("Softmax.backward: the returned gradient", dlogits, (N, C))


def test_cross_entropy_shapes():
    rng = np.random.default_rng(3)
    probs = rng.dirichlet(np.ones(C), size=N)
    loss = CrossEntropyLoss()
    value = loss.forward(probs, rng.integers(0, C, N))
    check_shape("CrossEntropyLoss.forward: the loss (a scalar)", value, ())
    check_shape("CrossEntropyLoss.backward: the returned gradient", loss.backward(), (N, C))

"""Forward passes against values worked out independently of this code."""
import math

import numpy as np

from check_helpers import check_close
from layers.linear import Linear
from layers.loss_func import CrossEntropyLoss
from layers.relu import ReLU
from layers.sequential import Sequential
from layers.softmax import Softmax

# Loss of the network below on X, LABELS. Computed once with plain Python floats
# and the math module (loops for the products, max(v, 0), exp / sum, -log, mean),
# sharing no code with the layers.
TINY_NETWORK_LOSS = 3.416571964923008

X = np.array([[0.5, -1.0, 2.0, 0.0], [-0.5, 1.5, 0.25, -2.0]])
LABELS = np.array([1, 0])


def _tiny_network():
    """Linear(4, 3), ReLU, Linear(3, 2), Softmax with fixed weights; each sample has a
    negative hidden pre-activation, so a wrong ReLU changes the loss."""
    first, second = Linear(4, 3), Linear(3, 2)
    first.w = np.array([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6], [-0.7, 0.8, 0.9], [1.0, -1.1, 1.2]])
    first.b = np.array([0.1, 0.2, -0.3])
    second.w = np.array([[0.5, -0.5], [-1.0, 1.0], [0.25, 0.75]])
    second.b = np.array([0.05, -0.05])
    return Sequential([first, ReLU(), second, Softmax()])


def test_tiny_network_loss():
    loss = CrossEntropyLoss().forward(_tiny_network().forward(X), LABELS)
    check_close("The loss of a tiny fixed network (Linear, ReLU, Linear, Softmax, then "
                "CrossEntropyLoss)", loss, TINY_NETWORK_LOSS, "worked out by hand",
                tolerance=1e-9)


def test_softmax_large_logits():
    # exp(1000) overflows: only a softmax that subtracts each row's max survives this.
    logits = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1000.0, -1000.0]])
    exps = [math.exp(-2.0), math.exp(-1.0), 1.0]
    expected = np.array([[e / sum(exps) for e in exps], [1 / 3, 1 / 3, 1 / 3]])
    check_close("Softmax.forward on logits around +-1000", Softmax().forward(logits), expected,
                "softmax after subtracting each row's max", tolerance=1e-9)

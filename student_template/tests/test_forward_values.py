"""Forward passes against values worked out independently of this code."""
import math

import numpy as np

from check_helpers import check_close
from layers.linear import Linear
from layers.loss_func import CrossEntropyLoss
from layers.relu import ReLU
from layers.sequential import Sequential
from layers.softmax import Softmax

X = [[0.5, -1.0, 2.0, 0.0], [-0.5, 1.5, 0.25, -2.0]]
FIRST_W = [[0.1, -0.2, 0.3], [0.4, 0.5, -0.6], [-0.7, 0.8, 0.9], [1.0, -1.1, 1.2]]
FIRST_B = [0.1, 0.2, -0.3]
SECOND_W = [[0.5, -0.5], [-1.0, 1.0], [0.25, 0.75]]
SECOND_B = [0.05, -0.05]


def _tiny_network():
    """Linear(4, 3), ReLU, Linear(3, 2), Softmax with the fixed weights above; each
    sample has a negative hidden pre-activation, so a wrong ReLU changes the output."""
    first, second = Linear(4, 3), Linear(3, 2)
    first.w, first.b = np.array(FIRST_W), np.array(FIRST_B)
    second.w, second.b = np.array(SECOND_W), np.array(SECOND_B)
    return Sequential([first, ReLU(), second, Softmax()])


def _tiny_network_by_hand():
    """The same network's probabilities with plain Python floats and loops, sharing
    no code with the layers: a list of rows of 2 probabilities."""
    rows = []
    for x in X:
        hidden = [max(0.0, sum(x[i] * FIRST_W[i][j] for i in range(4)) + FIRST_B[j])
                  for j in range(3)]
        scores = [sum(hidden[j] * SECOND_W[j][k] for j in range(3)) + SECOND_B[k]
                  for k in range(2)]
        exps = [math.exp(score - max(scores)) for score in scores]
        rows.append([e / sum(exps) for e in exps])
    return rows


def test_tiny_network_output():
    check_close("The output of a tiny fixed network (Linear, ReLU, Linear, Softmax), that is "
                "Linear.forward, ReLU.forward and Softmax.forward in a row",
                _tiny_network().forward(np.array(X)), np.array(_tiny_network_by_hand()),
                "worked out with plain Python loops", tolerance=1e-9)


def test_cross_entropy_forward():
    # Probabilities picked by hand, with labels 0, 2, 1: only the three
    # probabilities of the true classes (0.5, 0.7 and 0.3) enter the loss.
    probs = np.array([[0.5, 0.25, 0.25], [0.1, 0.2, 0.7], [0.6, 0.3, 0.1]])
    labels = np.array([0, 2, 1])
    expected = -(math.log(0.5) + math.log(0.7) + math.log(0.3)) / 3
    # 1e-6 leaves room for a small epsilon inside the log (1e-7 or less).
    check_close("CrossEntropyLoss.forward on probabilities [[0.5, 0.25, 0.25], [0.1, 0.2, 0.7], "
                "[0.6, 0.3, 0.1]] with labels [0, 2, 1]",
                CrossEntropyLoss().forward(probs, labels), expected,
                "-(log 0.5 + log 0.7 + log 0.3) / 3", tolerance=1e-6,
                hint="the loss is the mean over the N rows of -log(probability of the row's "
                     "true class, target_y); the other classes' probabilities do not enter it.")


def test_softmax_large_logits():
    # exp(1000) overflows: only a softmax that subtracts each row's max survives this.
    logits = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1000.0, -1000.0]])
    exps = [math.exp(-2.0), math.exp(-1.0), 1.0]
    expected = np.array([[e / sum(exps) for e in exps], [1 / 3, 1 / 3, 1 / 3]])
    check_close("Softmax.forward on logits around +-1000", Softmax().forward(logits), expected,
                "softmax after subtracting each row's max", tolerance=1e-9)

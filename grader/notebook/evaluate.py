"""The grader's own accuracy of a network given as plain weight arrays."""
import functools

import numpy as np
from layers.linear import Linear
from layers.relu import ReLU
from layers.sequential import Sequential
from layers.softmax import Softmax
from utils.data_processing import get_cifar10_data
from utils.evaluation import get_classification_accuracy

from ..surface import SUBSETS  # the notebook's subsets: what the assignment's targets refer to


class ArchitectureError(ValueError):
    """best_net is not a Linear/ReLU stack ending in Softmax that maps 3072 inputs to 10 classes."""


def weights_of(layers, arrays):
    """[(w, b), ...] of the Linear layers, after checking the architecture.

    layers: class names of best_net._modules in order; arrays: w{i}, b{i} for
    each module i that had weights.
    """
    expected = ["Linear"] + ["ReLU", "Linear"] * ((len(layers) - 2) // 2) + ["Softmax"]
    if len(layers) < 2 or layers != expected:
        raise ArchitectureError(
            f"best_net's layers are {layers or 'missing'}; the grader accepts Linear layers "
            "with a ReLU between each two, ending in Softmax")
    pairs = []
    for i, name in enumerate(layers):
        if name == "Linear":
            w, b = arrays.get(f"w{i}"), arrays.get(f"b{i}")
            if w is None or b is None or w.ndim != 2 or b.shape != (w.shape[1],):
                raise ArchitectureError(f"best_net's layer {i} (Linear) has no usable w and b")
            pairs.append((w, b))
    dims = [pairs[0][0].shape[0]] + [w.shape[1] for w, _ in pairs]
    if dims[0] != 3072 or dims[-1] != 10 or any(w.shape[0] != d for (w, _), d in zip(pairs, dims)):
        raise ArchitectureError(f"best_net's layer sizes {dims} do not chain from 3072 inputs to 10 classes")
    return pairs


def network(pairs):
    """A reference Sequential holding the given weights."""
    modules = []
    for i, (w, b) in enumerate(pairs):
        layer = Linear(*w.shape)
        layer.w, layer.b = w.copy(), b.copy()
        modules += [layer, ReLU()] if i < len(pairs) - 1 else [layer, Softmax()]
    return Sequential(modules)


@functools.lru_cache(maxsize=2)
def dataset(data_dir):
    """The notebook's subsets with their true labels, from the real CIFAR-10 folder
    `data_dir` (read here, never in the sandbox); loaded once per process."""
    return get_cifar10_data(data_dir, **SUBSETS)


# Activations held at once while predicting: best_net's widths are the student's
# (a layer 30,000 wide drove the root grader to 2.7 GB on 5,000 rows at once).
PREDICT_BYTES = 64 * 2 ** 20


def predict(net, pairs, x):
    """net.predict(x) a slice of rows at a time, so memory is bounded by PREDICT_BYTES
    whatever the widths (x: N x 3072; returns what predict returns, N rows)."""
    widest = max([x.shape[1]] + [w.shape[1] for w, _ in pairs])
    rows = max(1, PREDICT_BYTES // (8 * 3 * widest))  # a layer's input, output and a copy
    return np.concatenate([net.predict(x[i:i + rows]) for i in range(0, len(x), rows)])


def accuracies(pairs, data_dir):
    """{'train', 'validation', 'test'}: accuracy of the network on the notebook's subsets."""
    data, net = dataset(data_dir), network(pairs)
    return {name: get_classification_accuracy(predict(net, pairs, data[f"x_{split}"]), data[f"y_{split}"])
            for name, split in (("train", "train"), ("validation", "val"), ("test", "test"))}


# The course's Linear.__init__: every weight and bias uniform in [0, 1) times 1e-4.
INIT_SCALE = 1e-4


def moved(pairs):
    """True when some weight or bias left the course's initial range [0, INIT_SCALE):
    the network took training steps (one step of any usable learning rate moves some
    entry below 0). An untrained init_model(...) stays inside it."""
    return any((w < 0).any() or (w >= INIT_SCALE).any() or (b < 0).any() or (b >= INIT_SCALE).any()
               for w, b in pairs)


def finite(pairs):
    return all(np.isfinite(w).all() and np.isfinite(b).all() for w, b in pairs)

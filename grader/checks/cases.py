"""Seeded inputs the checks feed to both the submission and the reference."""
import numpy as np

# (batch, input_dims, output_dims). Batches of one, square, wide, CIFAR-10's 3072 inputs, and more rows than a
# minibatch: a size fixed in the code, or a loop over part of the batch, shows.
LINEAR_SHAPES = [(1, 7, 3), (4, 5, 5), (6, 20, 10), (3, 3072, 16), (600, 8, 4)]
ACTIVATION_SHAPES = [(1, 10), (5, 7), (16, 10)]
# Small enough for a numerical gradient of every entry.
GRADCHECK_LINEAR = (3, 4, 5)
GRADCHECK_ACTIVATION = (4, 6)


def rng(seed):
    return np.random.default_rng(seed)


def linear_case(seed, n, d, m):
    r = rng(seed)
    return {"x": r.normal(size=(n, d)), "w": r.normal(size=(d, m)) * 0.5,
            "b": r.normal(size=m), "dout": r.normal(size=(n, m))}


def activation_case(seed, n, c):
    """Inputs kept at least 0.05 from 0, so ReLU's kink never sits inside a numerical step."""
    r = rng(seed)
    x = r.normal(size=(n, c))
    x += np.where(x >= 0, 0.05, -0.05)
    return {"x": x, "dout": r.normal(size=(n, c))}


def labels(r, n, c):
    """n labels in [0, c), the last class among them.

    Every batch of the course's training holds all c classes, so a one-hot sized
    y.max() + 1 works there; with the last class in every batch it is the right
    size here too, and a batch that lacks a class is judged once, by its own part
    of 4.1 (MISSING_CLASS_LABELS), not by every loss and training check."""
    y = r.integers(0, c, size=n)
    y[r.integers(0, n)] = c - 1
    return y


def logits_case(seed, n, c, scale=3.0):
    r = rng(seed)
    return {"logits": r.normal(size=(n, c)) * scale, "y": labels(r, n, c)}


def probs_case(seed, n, c):
    """Valid probability rows (from a softmax) and labels."""
    case = logits_case(seed, n, c)
    exp = np.exp(case["logits"] - case["logits"].max(axis=1, keepdims=True))
    return {"probs": exp / exp.sum(axis=1, keepdims=True), "y": case["y"]}

"""What training best_net costs: FLOPs from best_net_hyperparams, and seconds on this machine.

The notebook trains best_net = Linear(D, H) - ReLU - Linear(H, C) - Softmax
(D = 3072 pixels, C = 10 classes, H = hidden_size) with the course's Trainer:
`epoch` passes over TRAIN images in minibatches of BATCH, validating on VAL
images every VALIDATE_INTERVAL-th epoch (epoch 0 included), then predicts on
the training, validation and test images once.

FLOPs. A matrix product (n, k) @ (k, m) is n*k*m multiply-adds: 2nkm FLOPs.
A training step on b rows does six: the forward x @ W1 (2bDH) and h @ W2
(2bHC); the backward dW2 = h.T @ g, dh = g @ W2.T (2bHC each), dW1 = x.T @ dh
and the first layer's dx = dh @ W1.T (2bDH each; nobody uses that dx, but the
course's Linear.backward returns it and Sequential calls it), in all
6bH(D + C). Every other operation is one FLOP per element it produces:
bias adds, ReLU and its mask, softmax (max, subtract, exp, sum, divide), the
loss, the bias gradients, and SGD's p -= lr * (grad + weight_decay * p), four
passes over each of the P = DH + H + HC + C parameters. At H = 50 the
products are 92 MFLOP a step and SGD 0.6 MFLOP, but SGD reads and writes
memory the products do not: timed, it is 1-10 % of a step (more when W1 no
longer fits in the cache), which is why seconds are not FLOPs / one rate.

Seconds. calibrate() times a replica of one training step (the same numpy
operations on the same shapes as the reference's layers, Trainer and SGD) and
of one forward pass, on one BLAS thread (the kernel and the worker run student
code on one), at hidden sizes CALIBRATION_HIDDEN, and interpolates linearly in
H between them: a step's time is close to affine in H except where W1 leaves
the cache. Times are CPU seconds of the calling thread, so a busy machine
slows the measurement less than it would a wall clock; on a grading machine's
own core they are wall seconds. docs/cost_model.md compares the predictions
with measured training (scripts/cost_model_check.py).
"""
import ctypes
import functools
import math
import time
from dataclasses import dataclass

import numpy as np

from . import config

D, C = 3072, 10
TRAIN, VAL, TEST = 5000, 250, 500
BATCH = 200
VALIDATE_INTERVAL = 3
# Hidden sizes calibrated (students use 50 to 2000; a step at 1280 takes about
# 0.12 s of one core). Each is timed until its two least times agree within
# CALIBRATION_AGREE, at most CALIBRATION_REPEATS times: on an idle core two
# calls each, about 0.5 s in all; on a machine shared with other work, where a
# single call measured up to 2.5 times its idle time, more.
CALIBRATION_HIDDEN = (16, 128, 512, 1280)
CALIBRATION_REPEATS = 8
CALIBRATION_AGREE = 0.1


# ---- FLOPs ------------------------------------------------------------------

@dataclass(frozen=True)
class Flops:
    """FLOPs of some work, by kind: matrix products and element-wise operations."""
    matmul: float = 0.0
    elementwise: float = 0.0

    @property
    def total(self):
        return self.matmul + self.elementwise

    def __add__(self, other):
        return Flops(self.matmul + other.matmul, self.elementwise + other.elementwise)

    def __mul__(self, times):
        return Flops(self.matmul * times, self.elementwise * times)


def parameters(h, d=D, c=C):
    """Number of parameters of Linear(d, h) and Linear(h, c): weights and biases."""
    return d * h + h + h * c + c


def step_flops(b, h, d=D, c=C):
    """One training step on b rows: forward, loss, backward (with dx), SGD.

    Element-wise: bias adds bH + bC, ReLU bH, softmax 5bC, loss 2b (log, mean);
    dlogits 2bC + b (copy, divide; subtract 1 at the labels), db2 bC, ReLU's
    mask and product 2bH, db1 bH; SGD 4P.
    """
    matmul = 6 * b * h * (d + c)
    elementwise = 5 * b * h + 9 * b * c + 3 * b + 4 * parameters(h, d, c)
    return Flops(matmul, elementwise)


def forward_flops(n, h, d=D, c=C):
    """predict() on n rows: the two products, bias adds, ReLU, softmax (5 per entry), argmax."""
    return Flops(2 * n * h * (d + c), 2 * n * h + 7 * n * c)


def validations(epochs):
    """How many times the Trainer validates: epochs 0, 3, 6, ... below `epochs`."""
    return math.ceil(epochs / VALIDATE_INTERVAL)


def batches(n=TRAIN, batch=BATCH):
    """Sizes of one epoch's minibatches (the last may be short)."""
    return [batch] * (n // batch) + ([n % batch] if n % batch else [])


def predicted_rows(epochs):
    """Rows run forward only: validation during training, then predict on train, val and test."""
    return validations(epochs) * VAL + TRAIN + VAL + TEST


def training_flops(epochs, hidden, batch=BATCH):
    """FLOPs of training best_net for `epochs` epochs at `hidden` units, as the notebook does."""
    epoch = Flops()
    for b in batches(TRAIN, batch):
        epoch = epoch + step_flops(b, hidden)
    return epoch * epochs + forward_flops(predicted_rows(epochs), hidden)


# ---- calibration ------------------------------------------------------------

@dataclass(frozen=True)
class Calibration:
    """Seconds of one training step and one forward pass (BATCH rows) at each hidden size.

    one_thread: whether the BLAS could be held to one thread while timing.
    """
    hidden: tuple
    step: tuple
    forward: tuple
    one_thread: bool
    seconds: float

    def per_step(self, hidden):
        return _interpolate(self.hidden, self.step, hidden)

    def per_forward(self, hidden):
        return _interpolate(self.hidden, self.forward, hidden)


def _interpolate(xs, ys, x):
    """ys at x, piecewise linear through (xs, ys), extended past the ends along the end segments.

    ys is made non-decreasing first (a noisy timing must not make a larger
    network look cheaper); below xs[0] the result is proportional to x.
    """
    ys = np.maximum.accumulate(np.asarray(ys, dtype=float))
    if x <= xs[0]:
        return float(ys[0] * max(x, 1) / xs[0])
    k = min(int(np.searchsorted(xs, x)), len(xs) - 1)
    x0, x1, y0, y1 = xs[k - 1], xs[k], ys[k - 1], ys[k]
    return float(y0 + (y1 - y0) * (x - x0) / (x1 - x0))


def _openblas_threads(n):
    """Set OpenBLAS's thread count through its C API; returns the previous count, or None."""
    with open("/proc/self/maps") as maps:
        paths = sorted({line.split()[-1] for line in maps if "openblas" in line.lower() and "/" in line})
    for path in paths:
        lib = ctypes.CDLL(path)
        # numpy's wheels export the API as scipy_openblas_*64_; others without prefix/suffix.
        names = [f"{p}openblas_{{}}{s}" for p in ("scipy_", "") for s in ("64_", "")]
        for name in names:
            get = getattr(lib, name.format("get_num_threads"), None)
            put = getattr(lib, name.format("set_num_threads"), None)
            if get is not None and put is not None:
                previous = get()
                put(ctypes.c_int(n))
                return previous
    return None


def _replica(hidden, rng, pool_rows=400):
    """(step, forward): one training step and one predict() on BATCH rows, as the course's code does them."""
    pool = rng.random((pool_rows, D))
    y = rng.integers(0, C, BATCH)
    w1, b1 = np.full((D, hidden), 1e-4), np.full(hidden, 1e-4)
    w2, b2 = np.full((hidden, C), 1e-4), np.full(C, 1e-4)
    rows, tiny = np.arange(BATCH), np.finfo(float).tiny

    def forward(x):
        pre = x @ w1 + b1
        h = np.maximum(pre, 0)
        z = h @ w2 + b2
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return pre, h, e / e.sum(axis=-1, keepdims=True)

    def step():
        x = pool[rng.permutation(pool_rows)[:BATCH]]           # DataLoader's shuffled minibatch
        pre, h, p = forward(x)
        -np.mean(np.log(np.maximum(p[rows, y], tiny)))         # the loss
        g = p.copy()                                           # the loss's backward
        g[rows, y] -= 1
        g /= BATCH
        dw2, db2 = h.T @ g, g.sum(axis=0)
        dh = (g @ w2.T) * (pre > 0)
        dw1, db1 = x.T @ dh, dh.sum(axis=0)
        dh @ w1.T                                              # the first layer's dx
        for param, grad in ((w1, dw1), (b1, db1), (w2, dw2), (b2, db2)):
            param -= 0.1 * (grad + 1e-3 * param)               # SGD, three temporaries

    return step, lambda: forward(pool[:BATCH])[2].argmax(axis=-1)


def _cpu_seconds(functions):
    """Least CPU time of this thread of each function, each called until its two least times agree.

    The functions are called in turns, so that a burst of interference (work
    on the core's sibling, page faults of a first call) slows calls of
    different ones, not two calls of the same one in a row. Interference only
    adds time, so the least is the estimate.
    """
    times = [[] for _ in functions]
    for _ in range(CALIBRATION_REPEATS):
        for function, taken in zip(functions, times):
            if len(taken) >= 2 and taken[1] <= taken[0] * (1 + CALIBRATION_AGREE):
                continue
            start = time.thread_time()
            function()
            taken.append(time.thread_time() - start)
            taken.sort()
    return [taken[0] for taken in times]


@functools.lru_cache(maxsize=1)
def calibrate():
    """Time the replica step and forward pass at CALIBRATION_HIDDEN (cached for the process)."""
    start = time.perf_counter()
    previous = _openblas_threads(1)
    try:
        rng = np.random.default_rng(0)
        replicas = [_replica(hidden, rng) for hidden in CALIBRATION_HIDDEN]
        steps = _cpu_seconds([step for step, _ in replicas])
        forwards = _cpu_seconds([forward for _, forward in replicas])
    finally:
        if previous is not None:
            _openblas_threads(previous)
    return Calibration(CALIBRATION_HIDDEN, tuple(steps), tuple(forwards),
                       previous is not None, time.perf_counter() - start)


# ---- predictions and advice -------------------------------------------------

def training_seconds(epochs, hidden, calibration=None, batch=BATCH):
    """Predicted seconds of training best_net (and its final predicts) on one core here."""
    cal = calibration or calibrate()
    epoch = sum(cal.per_step(hidden) * b / BATCH for b in batches(TRAIN, batch))
    return epochs * epoch + predicted_rows(epochs) / BATCH * cal.per_forward(hidden)


@dataclass(frozen=True)
class Advice:
    """Whether best_net's training fits `budget` seconds, and if not, what would.

    max_epochs: the most epochs that fit at this hidden size; max_hidden: the
    largest hidden size that fits at these epochs (0: none does).
    """
    epochs: int
    hidden: int
    seconds: float
    budget: float
    max_epochs: int
    max_hidden: int

    @property
    def fits(self):
        return self.seconds <= self.budget

    def message(self):
        said = (f"Training best_net ({self.epochs} epochs, hidden size {self.hidden}) takes about "
                f"{self.seconds:.0f} s on the grading machine")
        if self.fits:
            return f"{said}, within the {self.budget:.0f} s allowed."
        options = []
        if self.max_epochs:
            options.append(f"at most {self.max_epochs} epochs at hidden size {self.hidden}")
        if self.max_hidden:
            options.append(f"hidden size at most {self.max_hidden} at {self.epochs} epochs")
        advice = " or ".join(options) or "fewer epochs and a smaller hidden size"
        return f"{said}, over the {self.budget:.0f} s allowed: use {advice}."


def _largest(fits, low, high):
    """The largest n in [low, high] with fits(n), for fits true up to some n and false after; low - 1 if none."""
    if not fits(low):
        return low - 1
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if fits(middle) else (low, middle - 1)
    return low


def advise(hyperparams, budget=None, calibration=None):
    """Advice for best_net_hyperparams = [lr, weight_decay, epoch, hidden_size] against `budget` seconds.

    budget: config.BEST_NET_BUDGET unless given.
    """
    cal = calibration or calibrate()
    budget = config.BEST_NET_BUDGET if budget is None else budget
    epochs, hidden = int(hyperparams[2]), int(hyperparams[3])
    top_epochs = int(config.HYPERPARAM_RANGES["epoch"][1])
    top_hidden = int(config.HYPERPARAM_RANGES["hidden_size"][1])
    return Advice(
        epochs, hidden, training_seconds(epochs, hidden, cal), budget,
        max_epochs=_largest(lambda e: training_seconds(e, hidden, cal) <= budget, 1, max(top_epochs, epochs)),
        max_hidden=_largest(lambda h: training_seconds(epochs, h, cal) <= budget, 1, max(top_hidden, hidden)))

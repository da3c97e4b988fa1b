"""What training best_net costs: its FLOPs, and its seconds on the grading machine.

    from utils.budget import check
    check(best_net_hyperparams)   # prints the time, or raises OverBudget saying what to reduce

The grader re-runs your notebook with a time budget for training best_net
(BUDGET_SECONDS on the grading machine). This module predicts that time from
best_net_hyperparams = [lr, weight_decay, epoch, hidden_size] alone, the same
way the grader does, so you know before you submit.

best_net = Linear(D, H) - ReLU - Linear(H, C) - Softmax (D = 3072 pixels,
C = 10 classes, H = hidden_size), trained with the course's Trainer: `epoch`
passes over TRAIN images in minibatches of BATCH, validating on VAL images
every VALIDATE_INTERVAL-th epoch (epoch 0 included), then predicting on the
training, validation and test images once.

FLOPs. A matrix product (n, k) @ (k, m) is n*k*m multiply-adds: 2nkm FLOPs.
A training step on b rows does six: the forward x @ W1 (2bDH) and h @ W2
(2bHC); the backward dW2 = h.T @ g, dh = g @ W2.T (2bHC each), dW1 = x.T @ dh
and the first layer's dx = dh @ W1.T (2bDH each; nobody uses that dx, but
Linear.backward returns it and Sequential calls it), in all 6bH(D + C). Every
other operation is one FLOP per element it produces: bias adds, ReLU and its
mask, softmax (max, subtract, exp, sum, divide), the loss, the bias
gradients, and SGD's p -= lr * (grad + weight_decay * p), four passes over
each of the P = DH + H + HC + C parameters.

Seconds. FLOPs divided by one rate would not do: SGD's passes over memory and
Python's calls cost more than their FLOPs, differently at each H. So a
Calibration holds the measured seconds of one training step and one forward
pass of BATCH rows at a few hidden sizes, interpolated linearly in H between
them. GRADING_MACHINE is the grading machine's (one core of it; the grader
measures its own at start-up, grader/cost.py, and allows for a slower one).
"""
import ast
import ctypes
import math
import time
from dataclasses import dataclass

import numpy as np

D, C = 3072, 10
TRAIN, VAL, TEST = 5000, 250, 500
BATCH = 200
VALIDATE_INTERVAL = 3
# The grader's budget for training best_net, in seconds on the grading machine
# (grader/config.py's BEST_NET_BUDGET; `make template` writes it here).
BUDGET_SECONDS = 150
# The grader's other limits, in seconds on the grading machine (grader/config.py's
# NOTEBOOK_CELL_TIMEOUT, NOTEBOOK_OTHER_CELLS_TIMEOUT, NOTEBOOK_CELL_MIN_TIMEOUT,
# BEST_NET_MARGIN and BEST_NET_CELL_EXTRA; a test checks they agree): each cell other
# than best_net's, all of those together, what a cell still gets once they are spent,
# and best_net's cell beyond the budget.
CELL_SECONDS = 90
OTHER_CELLS_SECONDS = 120
MIN_CELL_SECONDS = 20
BEST_NET_MARGIN, BEST_NET_CELL_EXTRA = 1.3, 15
# best_net's cell stopped at its limit is judged as the cell left it, unless the
# grader's own training of best_net_hyperparams took at least the limit divided by
# this (grader/config.py's STOP_EXCUSED_SLOWDOWN): then the stop is the grader's.
STOP_EXCUSED_SLOWDOWN = 2.0
# Sane upper ends for the advice's search (not limits: the budget is the limit).
MOST_EPOCHS, MOST_HIDDEN = 100_000, 100_000


class OverBudget(Exception):
    """best_net_hyperparams would train longer than the grader allows; the message says what fits."""


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


@dataclass(frozen=True)
class Calibration:
    """Seconds of one training step and one forward pass (BATCH rows) at each hidden size.

    one_thread: whether the BLAS could be held to one thread while timing;
    seconds: how long measuring took.
    """
    hidden: tuple
    step: tuple
    forward: tuple
    one_thread: bool = True
    seconds: float = 0.0

    def per_step(self, hidden):
        return _interpolate(self.hidden, self.step, hidden)

    def per_forward(self, hidden):
        return _interpolate(self.hidden, self.forward, hidden)


def _interpolate(xs, ys, x):
    """ys at x, piecewise linear through (xs, ys), extended past the ends along the end segments.

    ys is made non-decreasing first (a noisy timing must not make a larger
    network look cheaper); below xs[0] the result is ys[0], a floor: a step's fixed
    costs (the batch's rows, Python's calls) do not shrink with H, and a figure
    proportional to H was several times too optimistic there, admitting settings
    the grader could not train in time.
    """
    ys = np.maximum.accumulate(np.asarray(ys, dtype=float))
    if x <= xs[0]:
        return float(ys[0])
    k = min(int(np.searchsorted(xs, x)), len(xs) - 1)
    x0, x1, y0, y1 = xs[k - 1], xs[k], ys[k - 1], ys[k]
    return float(y0 + (y1 - y0) * (x - x0) / (x1 - x0))




# One core of the grading machine (2 vCPUs of an AMD EPYC, Zen 4; one BLAS
# thread), measured with grader/cost.py's calibrate(): seconds per training
# step and per forward pass of 200 rows. docs/cost_model.md compares
# predictions from it with measured training.
GRADING_MACHINE = Calibration(hidden=(16, 128, 512, 1280),
                              step=(4.23e-3, 14.53e-3, 53.83e-3, 124.99e-3),
                              forward=(1.15e-3, 4.35e-3, 14.73e-3, 33.58e-3))


def training_seconds(epochs, hidden, calibration=None, batch=BATCH):
    """Predicted seconds of training best_net (and its final predicts) on one core of the
    machine `calibration` describes (GRADING_MACHINE)."""
    cal = calibration or GRADING_MACHINE
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
                f"{_duration(self.seconds)} on the grading machine")
        if self.fits:
            return f"{said}, within the {_duration(self.budget)} allowed."
        options = []
        if self.max_epochs:
            options.append(f"at most {self.max_epochs} epochs at hidden size {self.hidden}")
        if self.max_hidden:
            options.append(f"hidden size at most {self.max_hidden} at {self.epochs} epochs")
        advice = " or ".join(options) or "fewer epochs and a smaller hidden size"
        return f"{said}, over the {_duration(self.budget)} allowed: use {advice}."


def _largest(fits, low, high):
    """The largest n in [low, high] with fits(n), for fits true up to some n and false after; low - 1 if none."""
    if not fits(low):
        return low - 1
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if fits(middle) else (low, middle - 1)
    return low


def _duration(seconds):
    """'45 s', '2.5 min', '1 h 5 min': how long, in words a student reads at a glance."""
    if seconds < 100:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{round(seconds / 30) / 2:g} min"  # to the half minute
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60} min"


def advise(hyperparams, budget=None, calibration=None):
    """Advice for best_net_hyperparams = [lr, weight_decay, epoch, hidden_size] against `budget`
    seconds (BUDGET_SECONDS) on the machine `calibration` describes (GRADING_MACHINE)."""
    cal = calibration or GRADING_MACHINE
    budget = BUDGET_SECONDS if budget is None else budget
    epochs, hidden = int(hyperparams[2]), int(hyperparams[3])
    return Advice(
        epochs, hidden, training_seconds(epochs, hidden, cal), budget,
        max_epochs=_largest(lambda e: training_seconds(e, hidden, cal) <= budget, 1, max(MOST_EPOCHS, epochs)),
        max_hidden=_largest(lambda h: training_seconds(epochs, h, cal) <= budget, 1, max(MOST_HIDDEN, hidden)))


def check(hyperparams, budget=None):
    """Print how long training best_net takes on the grading machine; raise OverBudget past the budget."""
    advice = advise(hyperparams, budget)
    if not advice.fits:
        raise OverBudget(advice.message())
    print(advice.message())
    return advice


def notebook_hyperparams(notebook):
    """The last `best_net_hyperparams = [...]` written as numbers in a notebook's code cells
    (the notebook as a dict, json.load of the file), without running it.

    None if there is none; "computed" if it is assigned from variables, which only
    running the notebook can tell.
    """
    found = None
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        # IPython's %magics and !commands are not Python: blank them out.
        lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
        try:
            tree = ast.parse("\n".join(lines))
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "best_net_hyperparams" for t in node.targets):
                try:
                    found = ast.literal_eval(node.value)
                except (ValueError, SyntaxError, TypeError):
                    found = "computed"
    return found


# ---- Measuring a machine: the same replica of best_net's training, timed on one core ----
# The grader measures its own machine with it (grader/cost.py), and
# utils/check_notebook.py yours, so that a cell's seconds on your machine can be
# told in the grading machine's.
# Hidden sizes calibrated (students use 50 to 2000; a step at 1280 takes about
# 0.12 s of one core). Each is timed until its two least times agree within
# CALIBRATION_AGREE, at most CALIBRATION_REPEATS times: on an idle core two
# calls each, about 0.5 s in all; on a machine shared with other work, where a
# single call measured up to 2.5 times its idle time, more.
CALIBRATION_HIDDEN = GRADING_MACHINE.hidden
CALIBRATION_REPEATS = 8
CALIBRATION_AGREE = 0.1
# The setting slowness() compares two machines on: the reference's best_net.
REFERENCE_SETTING = (120, 80)


def _openblas_threads(n):
    """Set OpenBLAS's thread count through its C API; returns the previous count, or None."""
    try:  # Linux names the loaded libraries there; elsewhere the count is left as it is
        with open("/proc/self/maps") as maps:
            paths = sorted({line.split()[-1] for line in maps if "openblas" in line.lower() and "/" in line})
    except OSError:
        return None
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


def measure():
    """Time the replica step and forward pass at CALIBRATION_HIDDEN."""
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


def slowness(calibration):
    """How many times longer training takes on the machine `calibration` describes than on
    GRADING_MACHINE (1.0: as fast), compared on REFERENCE_SETTING's training."""
    epochs, hidden = REFERENCE_SETTING
    return training_seconds(epochs, hidden, calibration) / training_seconds(epochs, hidden, GRADING_MACHINE)

"""How fast this machine trains best_net, against the grading machine utils/budget.py assumes.

The model of what training costs lives in the reference's utils/budget.py
(shipped to students, who check their best_net_hyperparams with it before
they submit); its GRADING_MACHINE is one core of the machine the budget was
set on. Here the grader measures its own machine the same way (calibrate()
times a replica of one training step and one forward pass at a few hidden
sizes, on one BLAS thread, in CPU seconds of the calling thread), so that its
time limits follow its own speed (speed()): whether a setting is within the
budget is decided on the grading machine's figures, the same for everyone;
how long the grader waits for it depends on how fast this machine is.
"""
import ctypes
import functools
import json
import os
import time

import numpy as np
from utils.budget import (BATCH, C, D, GRADING_MACHINE, Advice, Calibration,  # noqa: F401 (the model)
                          Flops, advise, batches, forward_flops, parameters, predicted_rows,
                          step_flops, training_flops, training_seconds, validations)

# Hidden sizes calibrated (students use 50 to 2000; a step at 1280 takes about
# 0.12 s of one core). Each is timed until its two least times agree within
# CALIBRATION_AGREE, at most CALIBRATION_REPEATS times: on an idle core two
# calls each, about 0.5 s in all; on a machine shared with other work, where a
# single call measured up to 2.5 times its idle time, more.
CALIBRATION_HIDDEN = GRADING_MACHINE.hidden
CALIBRATION_REPEATS = 8
CALIBRATION_AGREE = 0.1
# The setting speed() compares the two machines on: the reference's best_net.
REFERENCE_SETTING = (120, 80)


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
def calibrate(fresh=False):
    """The calibration of this machine: from the cache file when it is this machine's and
    fresh (CACHE_SECONDS), else (or when `fresh`) measured (about half a second of one
    core) and cached."""
    cached = None if fresh else _read_cache()
    if cached is not None:
        return cached
    measured = measure()
    _write_cache(measured)
    return measured


# Measured again after a day, or when the machine, Python or numpy differ: CPU time of
# the same operations on the same core changes mostly with those (a busy sibling
# hyperthread slows it too: a batch measures afresh before it starts its gradings).
CACHE_SECONDS = 24 * 3600
CACHE_FOLDERS = ("/run/grader-sandbox-slots",)   # root's own (grader/sandbox); none for others


def _cache_key():
    import platform
    return {"machine": platform.machine(), "processor": _cpu_model(), "python": platform.python_version(),
            "numpy": np.__version__}


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            return next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        return ""


def _cache_path():
    if os.geteuid() != 0:
        return None
    folder = next((f for f in CACHE_FOLDERS if os.path.isdir(f) and os.lstat(f).st_uid == 0
                   and not os.path.islink(f)), None)
    return os.path.join(folder, "calibration.json") if folder else None


def _read_cache():
    path = _cache_path()
    if path is None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd) as f:
            data = json.loads(f.read(65536))
        if data["key"] != _cache_key() or time.time() - data["when"] > CACHE_SECONDS:
            return None
        return Calibration(tuple(data["hidden"]), tuple(data["step"]), tuple(data["forward"]),
                           data["one_thread"], 0.0)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_cache(calibration):
    path = _cache_path()
    if path is None:
        return
    data = {"key": _cache_key(), "when": time.time(), "hidden": calibration.hidden,
            "step": calibration.step, "forward": calibration.forward, "one_thread": calibration.one_thread}
    tmp = f"{path}.{os.getpid()}"
    try:
        with open(tmp, "w") as f:
            json.dump(data, f)
        os.replace(tmp, path)
    except OSError:
        pass


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


def speed(calibration=None, quota=None):
    """How many times longer training takes here than on the grading machine (1.0: as fast).

    The calibration counts CPU seconds, which a CPU quota does not stretch: under half
    a core (Gradescope's default tier) a CPU second takes two seconds of the wall clock
    the limits are in, so a quota below one core multiplies the figure. `quota`: CPUs
    (default: this process's, grader/machine.py)."""
    from . import machine
    cal = calibration or calibrate()
    epochs, hidden = REFERENCE_SETTING
    quota = machine.cpu_quota() if quota is None else quota
    stretch = 1 / quota if quota and quota < 1 else 1.0
    return stretch * training_seconds(epochs, hidden, cal) / training_seconds(epochs, hidden, GRADING_MACHINE)

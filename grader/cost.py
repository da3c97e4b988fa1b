"""How fast this machine trains best_net, against the grading machine utils/budget.py assumes.

The model of what training costs lives in the reference's utils/budget.py
(shipped to students, who check their best_net_hyperparams with it before
they submit); its GRADING_MACHINE is one core of the machine the budget was
set on. Here the grader measures its own machine the same way (calibrate()
runs utils/budget.py's measure(): it times a replica of one training step and one forward pass at a few hidden
sizes, on one BLAS thread, in CPU seconds of the calling thread), so that its
time limits follow its own speed (speed()): whether a setting is within the
budget is decided on the grading machine's figures, the same for everyone;
how long the grader waits for it depends on how fast this machine is.
"""
import functools
import json
import os
import time

import numpy as np

from utils.budget import (BATCH, C, D, GRADING_MACHINE, REFERENCE_SETTING, Advice,  # noqa: F401
                          Calibration, Flops, advise, batches, forward_flops, measure, parameters,
                          predicted_rows, slowness, step_flops, training_flops, training_seconds,
                          validations)


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


def speed(calibration=None, quota=None):
    """How many times longer training takes here than on the grading machine (1.0: as fast).

    The calibration counts CPU seconds, which a CPU quota does not stretch: under half
    a core (Gradescope's default tier) a CPU second takes two seconds of the wall clock
    the limits are in, so a quota below one core multiplies the figure. `quota`: CPUs
    (default: this process's, grader/machine.py)."""
    from . import machine
    cal = calibration or calibrate()
    quota = machine.cpu_quota() if quota is None else quota
    stretch = 1 / quota if quota and quota < 1 else 1.0
    return stretch * slowness(cal)

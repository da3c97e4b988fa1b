"""The batch's time estimate, read from each student's notebook in a child process.

Reading a notebook is parsing untrusted JSON and Python: a 12 MB notebook took the
batch process to 3.5 GB, and the 64 MB one the grader accepts would need about 18 GB,
so the OOM killer ended the batch before anyone was graded, and again on every resume.
Here the reading runs in a child under an address-space, CPU-time and wall-clock
bound (PREDICT_MEMORY, PREDICT_SECONDS): a child that fails costs only estimates,
never the batch. One child reads every notebook; if it fails, one child per
notebook, so a hostile notebook loses its own estimate and no one else's.

    python -m grader.predict ALONGSIDE < paths.json > seconds.json
"""
import json
import os
import resource
import subprocess
import sys

from .submission import ROOT

PREDICT_MEMORY = 1 << 30   # address space of a reading child: the grader's own notebook cap, parsed, fits
PREDICT_SECONDS = 60       # CPU and wall seconds of one child


def _limit():
    resource.setrlimit(resource.RLIMIT_AS, (PREDICT_MEMORY, PREDICT_MEMORY))
    resource.setrlimit(resource.RLIMIT_CPU, (PREDICT_SECONDS, PREDICT_SECONDS))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _child(paths, alongside):
    """The training seconds of `paths` from one bounded child, or None if it failed."""
    try:
        # One BLAS thread: OpenBLAS reserves address space per thread, which on a many-core
        # machine alone would exceed PREDICT_MEMORY.
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        proc = subprocess.run([sys.executable, "-m", "grader.predict", "1" if alongside else "0"],
                              input=json.dumps(paths), capture_output=True, text=True, cwd=ROOT, env=env,
                              timeout=PREDICT_SECONDS, preexec_fn=_limit, check=False)
        seconds = json.loads(proc.stdout) if proc.returncode == 0 else None
    except (OSError, ValueError, subprocess.SubprocessError):
        return None
    if not (isinstance(seconds, list) and len(seconds) == len(paths)
            and all(isinstance(s, (int, float)) and s >= 0 for s in seconds)):
        return None
    return [float(s) for s in seconds]


def training_seconds(paths, alongside):
    """[seconds best_net's training adds to each grading] for submission `paths`; 0 for
    one whose notebook could not be read within the bounds."""
    if not paths:
        return []
    together = _child(list(paths), alongside)
    if together is not None:
        return together
    return [(_child([path], alongside) or [0.0])[0] for path in paths]


def main():
    from .batch import _training_seconds
    alongside = sys.argv[1:] == ["1"]
    paths = json.load(sys.stdin)
    json.dump([_training_seconds(os.fspath(p), alongside) for p in paths], sys.stdout)


if __name__ == "__main__":
    main()

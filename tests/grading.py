"""Helpers for tests that grade a submission the way a user does: `python -m grader`."""
import json
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REFERENCE = os.path.join(ROOT, "reference")


def copy_reference(dest):
    """A submission folder at `dest` that is a copy of the reference's layers/ and utils/."""
    for folder in ("layers", "utils"):
        shutil.copytree(os.path.join(REFERENCE, folder), os.path.join(dest, folder),
                        ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def run_grader(submission, results_path, *options, timeout=900, env=None, prefix=()):
    """Run `python -m grader` as a user does; returns (completed process, results.json or None).

    env: extra environment variables (e.g. GRADER_NOTEBOOK_CELL_TIMEOUT); prefix: a command
    the grader runs under (e.g. one that first joins a control group).
    """
    proc = subprocess.run([*prefix, sys.executable, "-m", "grader", str(submission),
                           "--results", str(results_path), *options],
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})
    try:
        with open(results_path) as f:
            return proc, json.load(f)
    except (OSError, ValueError):
        return proc, None


def scores(results):
    """{check id: (score, max_score)} of a results dict."""
    return {t["extra_data"]["check"]: (t["score"], t["max_score"]) for t in results["tests"]}

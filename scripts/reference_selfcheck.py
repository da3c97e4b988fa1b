"""Grade the reference submission as Gradescope grades an upload, and say how it did.

    python scripts/reference_selfcheck.py [--skip-notebook] [--python PY]

The reference submission is what a perfect student would upload: the
reference's layers/ and utils/ with the master notebook
(notebooks/classification_nn.ipynb). It goes through `python -m
gradescope.autograde`, the entry point run_autograder calls, on the CIFAR-10
in $CIFAR10_DIR. Prints the grader's table, then lines starting with
"self-check:": best_net's validation and test accuracy as the grader measured
them (results.json's extra_data.notebook.accuracy), the score, and a verdict.

setup.sh runs this at the end of the image build; `make calibrate` runs it
locally before its seed sweep. GRADER_SKIP_NOTEBOOK=1 (or --skip-notebook)
grades the layer checks only, which takes seconds instead of minutes.

Exit status:
  0  full marks, or points lost in notebook checks only (a banner says which):
     these depend on the machine's floating point and on timing, so grading
     itself works and students can still be graded;
  1  grading is broken: no results, a grader error, or a layer check lost
     points (those are exact comparisons the reference passes on any machine).
"""
import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOK = os.path.join(ROOT, "notebooks", "classification_nn.ipynb")
# The grader leaves this file out for --skip-notebook: its checks are the notebook's.
NOTEBOOK_CHECKS_FILE = os.path.join(ROOT, "grader", "checks", "test_notebook.py")
PREFIX = "self-check:"
BANNER = "!" * 78

sys.path.insert(0, ROOT)
from grader import config  # noqa: E402  (thresholds only; imports nothing heavy)

FULL, NOTEBOOK_SHORT, BROKEN = "full marks", "notebook points lost", "grading broken"


def notebook_checks(path=NOTEBOOK_CHECKS_FILE):
    """Check ids of the notebook checks: the test functions of grader/checks/test_notebook.py."""
    with open(path) as f:
        tree = ast.parse(f.read())
    return {node.name.removeprefix("test_") for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def reference_submission(dest):
    """A submission folder at `dest`: the reference's layers/ and utils/ and the master notebook."""
    for folder in ("layers", "utils"):
        shutil.copytree(os.path.join(ROOT, "reference", folder), os.path.join(dest, folder),
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(NOTEBOOK, dest)
    return dest


def grade_reference(python=sys.executable, skip_notebook=False):
    """(results dict or None, seconds): the reference submission graded by gradescope.autograde."""
    with tempfile.TemporaryDirectory(prefix="selfcheck-") as tmp:
        submission = reference_submission(os.path.join(tmp, "submission"))
        path = os.path.join(tmp, "results.json")
        command = [python, "-m", "gradescope.autograde", submission, "--results", path]
        if skip_notebook:
            command.append("--skip-notebook")
        start = time.monotonic()
        subprocess.run(command, cwd=ROOT, check=False, stdin=subprocess.DEVNULL)
        seconds = time.monotonic() - start
        try:
            with open(path) as f:
                return json.load(f), seconds
        except (OSError, ValueError):
            return None, seconds


def lost(results):
    """The tests of `results` that scored below their maximum."""
    return [t for t in results.get("tests", []) if t["score"] < t["max_score"]]


def verdict(results, notebook_ids=None):
    """FULL, NOTEBOOK_SHORT or BROKEN for the reference's results (None: no results at all)."""
    if not results or not results.get("tests") or (results.get("extra_data") or {}).get("error"):
        return BROKEN
    notebook_ids = notebook_checks() if notebook_ids is None else notebook_ids
    missed = lost(results)
    if not missed:
        return FULL
    layer_misses = [t for t in missed if (t.get("extra_data") or {}).get("check") not in notebook_ids]
    return BROKEN if layer_misses else NOTEBOOK_SHORT


def _accuracy(value, threshold):
    if value is None:
        return "not measured"
    mark = "over" if value > threshold else "NOT over"
    return f"{value:.3f} ({mark} {threshold:.2f})"


def summary(results, seconds, skip_notebook):
    """The 'self-check:' lines for the results: accuracies, score, lost checks."""
    if not results:
        return [f"{PREFIX} the grader wrote no results.json ({seconds:.0f} s): see its output above"]
    lines = []
    if skip_notebook:
        lines.append(f"{PREFIX} layer checks only (GRADER_SKIP_NOTEBOOK=1 or --skip-notebook): "
                     "the notebook was not run, so there are no accuracies to show")
    else:
        accuracy = ((results.get("extra_data") or {}).get("notebook") or {}).get("accuracy") or {}
        lines.append(f"{PREFIX} best_net's validation accuracy "
                     f"{_accuracy(accuracy.get('validation'), config.VAL_ACCURACY_THRESHOLD)}, "
                     f"test accuracy {_accuracy(accuracy.get('test'), config.TEST_ACCURACY_THRESHOLD)}")
    total = sum(t["max_score"] for t in results.get("tests", []))
    ran = f"/{total:g}" if total else " (no check ran)"
    lines.append(f"{PREFIX} score {results['score']:g}{ran} in {seconds:.0f} s")
    for test in lost(results):
        first = (test.get("output") or "").strip().splitlines()[:1]
        lines.append(f"{PREFIX}   lost {test['max_score'] - test['score']:g} on "
                     f"{test.get('number', '')} {test['name']}" + (f": {first[0]}" if first else ""))
    error = (results.get("extra_data") or {}).get("error")
    if error:  # its traceback is in the grader's output above: the first line says enough here
        lines.append(f"{PREFIX} grader error: {error.strip().splitlines()[0][:300]}")
    return lines


def conclusion(kind):
    """The closing lines for a verdict: one line when all is well, a banner otherwise."""
    if kind == FULL:
        return [f"{PREFIX} passed: the reference scores full marks"]
    if kind == NOTEBOOK_SHORT:
        body = ["THE REFERENCE SOLUTION LOST POINTS IN THE NOTEBOOK CHECKS (listed above).",
                "Grading works, so the image is kept, but on this machine a perfect",
                "submission does not get full marks: students will lose the same points.",
                "Check the accuracies against the thresholds (make calibrate shows their",
                "margin over seeds) and the notebook time limits (GRADER_NOTEBOOK_TIMEOUT)."]
    else:
        body = ["GRADING IS BROKEN: the reference solution could not be graded, or it",
                "lost points in a layer check, which it passes on any working setup.",
                "Every student would be graded wrongly, so the build stops here.",
                "Read the grader's output above."]
    return [PREFIX + " " + BANNER] + [f"{PREFIX} !! {line}" for line in body] + [PREFIX + " " + BANNER]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-notebook", action="store_true",
                        default=os.environ.get("GRADER_SKIP_NOTEBOOK") == "1",
                        help="layer checks only (default when GRADER_SKIP_NOTEBOOK=1)")
    parser.add_argument("--python", default=sys.executable, help="the interpreter that grades")
    args = parser.parse_args(argv)
    print(f"{PREFIX} grading the reference submission (layers/, utils/ and the master notebook) "
          "as an upload", flush=True)
    results, seconds = grade_reference(args.python, args.skip_notebook)
    kind = verdict(results)
    for line in summary(results, seconds, args.skip_notebook) + conclusion(kind):
        print(line)
    return 1 if kind == BROKEN else 0


if __name__ == "__main__":
    sys.exit(main())

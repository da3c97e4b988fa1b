"""python -m gradescope.autograde UPLOAD --results FILE [--skip-notebook] [--log FILE]

Grades what a student uploaded, the way Gradescope does: run_autograder calls
it with /autograder/submission, and `python -m grader batch` with each
student's folder or zip. intake finds the submission in UPLOAD (zips opened,
subfolders searched); `python -m grader` grades it in a subprocess.

An upload of the notebook alone is graded twice. First the layer checks on
what was submitted, that is nothing, so each scores 0; then everything with
the reference's layers in place of the missing files (GRADER_MISSING_LAYERS=
reference), so that the notebook can run. The results keep the first run's
layer checks and the second run's notebook checks: the notebook is graded,
and no point is given for layer code the student did not write.

Whatever happens, FILE receives a valid results.json.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from grader import results as results_mod

from . import intake

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAYERS_ONLY = ["--skip-notebook"]
NO_LAYERS_NOTE = ("You uploaded the notebook without layers/, so the layer checks score 0: "
                  "upload layers/ together with the notebook to have them graded.")
REFERENCE_NOTE = "Your notebook ran on the course's reference layers in place of yours."


class GraderFailed(Exception):
    """`python -m grader` ended without writing results (a broken installation)."""


def run_grader(folder, options=(), env=None, log=None):
    """Grade `folder` with `python -m grader OPTIONS` in a subprocess; return its results.

    Its output (the score table) is passed on to our stdout and stderr, where
    Gradescope shows it to instructors only.
    """
    with tempfile.TemporaryDirectory(prefix="autograde-") as tmp:
        path = os.path.join(tmp, "results.json")
        command = [sys.executable, "-m", "grader", folder, "--results", path, *options]
        if log:
            command += ["--log", log]
        proc = subprocess.run(command, check=False, cwd=ROOT, env={**os.environ, **(env or {})},
                              capture_output=True, text=True)
        sys.stdout.write(proc.stdout)
        sys.stderr.write(proc.stderr)
        try:
            with open(path) as f:
                return json.load(f)
        except (OSError, ValueError):
            raise GraderFailed(f"python -m grader exited with status {proc.returncode} "
                               f"without results: {proc.stderr.strip()[-500:]}") from None


def _check(test):
    return test.get("extra_data", {}).get("check") or test["name"]


def _number_key(test):
    """'1.10' after '1.9': dotted numbers compared part by part."""
    return [int(p) if p.isdigit() else p for p in str(test.get("number", "")).split(".")]


def merge(layers, full):
    """`full`'s results, with every check that the run `layers` made taken from `layers`."""
    own = {_check(t) for t in layers["tests"]}
    tests = sorted(layers["tests"] + [t for t in full["tests"] if _check(t) not in own],
                   key=_number_key)
    return dict(full, tests=tests, score=round(sum(t["score"] for t in tests), 4),
                execution_time=round(layers["execution_time"] + full["execution_time"], 3))


def grade_folder(upload, skip_notebook, log):
    """The results for an intake.Upload."""
    if not upload.notebook_only:
        return run_grader(upload.folder, LAYERS_ONLY if skip_notebook else [], log=log)
    layers = run_grader(upload.folder, LAYERS_ONLY)
    notes = [NO_LAYERS_NOTE]
    if skip_notebook:
        results = layers
    else:
        full = run_grader(upload.folder, env={"GRADER_MISSING_LAYERS": "reference"}, log=log)
        results = merge(layers, full)
        notes.insert(0, REFERENCE_NOTE)
    results["output"] = "\n".join([results["output"]] + notes)
    return results


def failure(message, start):
    """Results that score 0 and say why."""
    return results_mod.build([], message, time.monotonic() - start, extra_data={"error": message})


def grade_upload(upload_path, skip_notebook=False, log=None):
    """The results dict for the upload at `upload_path` (a folder or a .zip)."""
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="upload-") as scratch:
        try:
            upload = intake.locate(upload_path, scratch)
            results = grade_folder(upload, skip_notebook, log)
        except intake.UploadError as exc:
            return failure(str(exc), start)
        except GraderFailed as exc:
            return failure("The autograder failed (not because of your submission; please tell "
                           f"the course staff): {exc}", start)
    if upload.notes:
        results["output"] = "\n".join(upload.notes + [results["output"]])
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m gradescope.autograde",
                                     description="Grade an upload (a folder or a .zip) as Gradescope does.")
    parser.add_argument("upload", help="the uploaded folder (/autograder/submission) or a .zip")
    parser.add_argument("--results", required=True, help="where to write results.json")
    parser.add_argument("--skip-notebook", action="store_true", help="run the layer checks only")
    parser.add_argument("--log", help="the grader's log (pytest output, student prints)")
    args = parser.parse_args(argv)
    start = time.monotonic()
    try:
        results = grade_upload(args.upload, args.skip_notebook, args.log)
    except Exception as exc:  # a bug here must still leave the student a results.json
        results = failure(f"The autograder failed (please tell the course staff): {exc!r}", start)
    results_mod.write(results, args.results)
    print(f"score {results['score']:g}; results written to {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

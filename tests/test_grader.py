"""The grader end to end on the reference, the template and broken submissions.

Most run the layer checks only (--skip-notebook, about a second each); the
notebook checks have their own tests in test_grade_notebook.py.
"""
import os
import shutil

import pytest

from gradescope_schema import validate
from grading import ROOT, copy_reference, run_grader, scores

LAYERS_ONLY = "--skip-notebook"


def broken(tmp_path, rel, text, mode="a"):
    submission = copy_reference(tmp_path / "submission")
    with open(submission / rel, mode) as f:
        f.write(text)
    return submission


def test_reference_layers_score_full_marks(tmp_path):
    proc, results = run_grader(copy_reference(tmp_path / "submission"), tmp_path / "results.json",
                               LAYERS_ONLY)
    assert proc.returncode == 0, proc.stderr
    validate(results)
    assert results["tests"], "no checks ran"
    failed = {check: s for check, s in scores(results).items() if s[0] < s[1]}
    assert not failed, failed
    assert results["score"] == sum(t["max_score"] for t in results["tests"])
    assert "utils/trainer.py" in results["extra_data"]["ignored"]


def test_progress_reaches_stderr_while_the_checks_run(tmp_path):
    # pytest runs the checks in the grader's process and captures fd 2 meanwhile: the
    # progress lines of that phase (the notebook's, the longest) were lost in it.
    # Linear's module takes 4 s to import, in the worker, while the checks wait for it.
    submission = broken(tmp_path, "layers/linear.py", "\nimport time\ntime.sleep(4)\n")
    proc, results = run_grader(submission, tmp_path / "results.json", LAYERS_ONLY,
                               env={"GRADER_PROGRESS_SECONDS": "0.2"})
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("grader: running the checks")]
    assert lines and "s left before the grader's own time limit" in lines[0], proc.stderr
    # A line each 0.2 s through those 4 s (about 20), not only the few just before and
    # after the checks, which pytest's capture let through (3 before the fix).
    assert len(lines) >= 10, proc.stderr


@pytest.mark.slow
def test_reference_with_master_notebook_scores_full_marks(tmp_path):
    submission = copy_reference(tmp_path / "submission")
    shutil.copy(os.path.join(ROOT, "notebooks", "classification_nn.ipynb"), submission)
    proc, results = run_grader(submission, tmp_path / "results.json")
    assert proc.returncode == 0, proc.stderr
    validate(results)
    failed = {t["name"]: t["output"] for t in results["tests"] if t["score"] < t["max_score"]}
    assert not failed, failed
    assert results["score"] == 100
    assert not results["extra_data"]["notebook"]["integrity"]


@pytest.mark.slow
def test_untouched_template_scores_zero(tmp_path):
    template = os.path.join(ROOT, "student_template")
    proc, results = run_grader(template, tmp_path / "results.json")
    assert proc.returncode == 0, proc.stderr
    validate(results)
    assert len(results["tests"]) > 10
    assert results["score"] == 0, {t["name"]: t["score"] for t in results["tests"] if t["score"]}
    linear = next(t for t in results["tests"] if t["extra_data"]["check"] == "linear_forward")
    assert "NotImplementedError" in linear["output"] and "Linear.forward" in linear["output"]


def test_same_submission_same_results(tmp_path):
    submission = broken(tmp_path, "layers/linear.py",
                        "\nLinear.backward_ok = Linear.backward\n"
                        "def _noisy(self, dout):\n"
                        "    dx = Linear.backward_ok(self, dout)\n"
                        "    self.dw = self.dw + np.random.rand(*self.dw.shape)\n"
                        "    return dx\n"
                        "Linear.backward = _noisy\n")
    first = run_grader(submission, tmp_path / "a.json", LAYERS_ONLY)[1]
    second = run_grader(submission, tmp_path / "b.json", LAYERS_ONLY)[1]
    assert first["score"] < sum(t["max_score"] for t in first["tests"])
    assert [(t["name"], t["score"], t["output"]) for t in first["tests"]] == \
           [(t["name"], t["score"], t["output"]) for t in second["tests"]]


@pytest.mark.parametrize("rel, text, mode, says", [
    ("layers/relu.py", "\ndef broken(:\n", "a", "SyntaxError"),
    ("layers/softmax.py", "\nraise RuntimeError('boom at import')\n", "a", "boom at import"),
    ("layers/loss_func.py", "import sys\nsys.exit(3)\n", "w", "SystemExit"),
    ("layers/linear.py", "import os\nos._exit(0)\n", "w", "ended (exit code 0)"),
])
def test_bad_module_scores_zero_where_used_and_full_elsewhere(tmp_path, rel, text, mode, says):
    proc, results = run_grader(broken(tmp_path, rel, text, mode), tmp_path / "results.json",
                               LAYERS_ONLY)
    assert proc.returncode == 0, proc.stderr
    validate(results)
    layer = rel.split("/")[1].removesuffix(".py")
    by_check = {t["extra_data"]["check"]: t for t in results["tests"]}
    prefix = {"relu": "relu_", "softmax": "softmax_forward", "loss_func": "loss_", "linear": "linear_"}[layer]
    own = [t for check, t in by_check.items() if check.startswith(prefix)]
    assert own and all(t["score"] == 0 for t in own)
    assert all(says in t["output"] for t in own), [t["output"] for t in own]
    untouched = {"relu": "linear_forward", "softmax": "relu_backward",
                 "loss_func": "linear_backward", "linear": "relu_forward"}[layer]
    assert by_check[untouched]["score"] == by_check[untouched]["max_score"]


def test_missing_layer_file_is_not_implemented(tmp_path):
    submission = copy_reference(tmp_path / "submission")
    (submission / "layers" / "relu.py").unlink()
    proc, results = run_grader(submission, tmp_path / "results.json", LAYERS_ONLY)
    validate(results)
    assert "layers/relu.py" in results["extra_data"]["missing"]
    relu = [t for t in results["tests"] if t["extra_data"]["check"].startswith("relu_")]
    assert all(t["score"] == 0 and "was not in your submission" in t["output"] for t in relu)
    assert "layers/relu.py" in results["output"]


def test_infinite_loop_times_out_and_the_rest_still_runs(tmp_path):
    submission = broken(tmp_path, "layers/relu.py",
                        "\ndef _hang(self, x):\n    while True:\n        pass\nReLU.forward = _hang\n")
    proc, results = run_grader(submission, tmp_path / "results.json", LAYERS_ONLY)
    validate(results)
    by_check = scores(results)
    assert by_check["relu_forward"][0] == 0
    assert by_check["linear_forward"][0] == by_check["linear_forward"][1]
    relu = next(t for t in results["tests"] if t["extra_data"]["check"] == "relu_forward")
    assert "did not finish" in relu["output"]


def test_a_missing_path_exits_2_and_still_writes_results(tmp_path):
    proc, results = run_grader(tmp_path / "nope", tmp_path / "results.json")
    assert proc.returncode == 2, proc.stderr
    validate(results)
    assert results["score"] == 0 and "does not exist" in results["output"]
    assert "nothing to grade" in proc.stderr


def test_an_empty_folder_is_nothing_to_grade(tmp_path):
    (tmp_path / "empty").mkdir()
    proc, results = run_grader(tmp_path / "empty", tmp_path / "results.json", LAYERS_ONLY)
    assert proc.returncode == 2, proc.stderr
    validate(results)
    assert results["score"] == 0 and "Graded from your submission: nothing" in results["output"]


def test_a_zip_goes_through_the_upload_intake(tmp_path):
    import zipfile
    submission = copy_reference(tmp_path / "assignment")
    archive = tmp_path / "upload.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in submission.rglob("*.py"):
            zf.write(path, "assignment/" + str(path.relative_to(submission)))
    proc, results = run_grader(archive, tmp_path / "results.json", LAYERS_ONLY)
    assert proc.returncode == 0, proc.stderr
    assert results["score"] == 60 and "Graded the contents of upload.zip" in results["output"]


def test_the_command_works_from_any_folder_and_its_help_lists_batch(tmp_path):
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, "-m", "grader", "--help"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "python -m grader batch" in proc.stdout and "exit status" in proc.stdout


def test_past_the_graders_own_deadline_results_are_still_written(tmp_path):
    """The watchdog: a grading that outlives GRADER_GRADING_DEADLINE (here a notebook
    cell that sleeps, with the cell and notebook limits above the deadline) still
    leaves results.json, with the layer checks it finished and the rest at 0 saying why."""
    import nbformat
    submission = copy_reference(tmp_path / "submission")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import time\ntime.sleep(600)")]
    nbformat.write(nb, submission / "classification_nn.ipynb")
    proc, results = run_grader(submission, tmp_path / "results.json", timeout=240,
                               env={"GRADER_GRADING_DEADLINE": "45", "GRADER_NOTEBOOK_CELL_TIMEOUT": "600",
                                    "GRADER_NOTEBOOK_TIMEOUT": "600"})
    assert proc.returncode == 1, proc.stderr  # the grader failed, not the student
    validate(results)
    got = scores(results)
    assert got["linear_forward"] == (5, 5), "checks finished before the deadline keep their score"
    unfinished = [t for t in results["tests"] if t["number"].startswith("6.")]
    assert unfinished and all(t["score"] == 0 for t in unfinished)
    assert all("overall time limit" in t["output"] for t in unfinished)
    assert results["extra_data"]["error"] == "grader time limit"

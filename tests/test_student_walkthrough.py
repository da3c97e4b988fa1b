"""A new student's way through the template, by the README's own commands.

A copy of student_template/ gets a fresh virtual environment with
requirements.txt installed from the package index (the test is skipped when the
index cannot be reached), the data command, the public checks on layers filled in
from the reference, the whole notebook run headless (with a tiny best_net, so that
it takes a minute, not ten), and the pack command. The zip it writes must hold
exactly the expected files, and the real grader must give it every layer point.

Each command runs in bash, in the copy, after `source .venv/bin/activate`, as a
student types it; every one of them must appear verbatim in the README.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "student_template"
REFERENCE = ROOT / "reference"

CREATE_VENV = "python3 -m venv .venv"
ACTIVATE = "source .venv/bin/activate"
INSTALL = "python -m pip install -r requirements.txt"
FETCH_DATA = "python -m utils.download_cifar10"
CHECK_LAYERS = "python -m pytest tests"
RUN_NOTEBOOK = "jupyter nbconvert --to notebook --execute --inplace classification_nn.ipynb"
PACK = "python -m utils.pack_submission"
README_COMMANDS = (CREATE_VENV, ACTIVATE, INSTALL, FETCH_DATA, CHECK_LAYERS, RUN_NOTEBOOK, PACK)

STUDENT_LAYERS = ("linear.py", "relu.py", "softmax.py", "loss_func.py")
# Small enough to train in seconds; grading the full notebook is test_grade_notebook's job.
TINY_HYPERPARAMS = "best_net_hyperparams = [0.1, 0.002, 3, 20]"
PACKED = sorted(["classification_nn.ipynb"] + [
    f"{sub}/{path.name}" for sub in ("layers", "utils") for path in (TEMPLATE / sub).glob("*.py")])
LAYER_POINTS = 60


def readme_commands():
    """Every non-blank line of the README's ```sh blocks."""
    text = (TEMPLATE / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```sh\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_the_walked_commands_are_the_readmes():
    listed = readme_commands()
    missing = [command for command in README_COMMANDS if command not in listed]
    assert not missing, f"the README no longer shows {missing}: update this walk with it"


class Student:
    """Runs commands in `folder` the way a student at a terminal does."""

    def __init__(self, folder, cifar10_dir):
        self.folder = folder
        # Only the data location carries over from this test run: no source to
        # extract from (that would rewrite the shared copy), no other venv, and
        # Python writes its __pycache__ folders as on a student's machine.
        self.env = {name: value for name, value in os.environ.items()
                    if name not in ("CIFAR10_SOURCE", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME",
                                    "PYTHONDONTWRITEBYTECODE")}
        self.env["CIFAR10_DIR"] = str(cifar10_dir)
        self.times = {}

    def run(self, command, activated=True, timeout=600, check=True):
        started = time.monotonic()
        script = f"{ACTIVATE} && {command}" if activated else command
        result = subprocess.run(["bash", "-c", script], cwd=self.folder, env=self.env,
                                capture_output=True, text=True, timeout=timeout)
        self.times[command] = time.monotonic() - started
        if check:
            assert result.returncode == 0, (
                f"`{command}` exited with {result.returncode}:\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return result


def _finish_the_notebook(path):
    """Answer the cells left for the student: a tiny setting and the survey."""
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        tags = cell.metadata.get("tags", [])
        if "grader:best_hyperparams" in tags:
            cell.source = f"# Tuning: done in a quick walk-through.\n{TINY_HYPERPARAMS}"
        elif "grader:survey" in tags:
            cell.source = "hours_spent = 5"
    nbformat.write(notebook, path)


def _printed(notebook, tag):
    cell = next(c for c in notebook.cells if tag in c.metadata.get("tags", []))
    return "".join(out.get("text", "") for out in cell.outputs if out.output_type == "stream")


@pytest.fixture
def folder(tmp_path):
    """A copy of the template; its .venv (about 400 MB) is removed afterwards, pass or fail."""
    folder = tmp_path / "assignment"
    shutil.copytree(TEMPLATE, folder, ignore=shutil.ignore_patterns("__pycache__"))
    yield folder
    shutil.rmtree(folder / ".venv", ignore_errors=True)


@pytest.mark.slow
def test_a_new_student_from_setup_to_a_graded_zip(folder, tmp_path, cifar10_dir):
    student = Student(folder, cifar10_dir)

    student.run(CREATE_VENV, activated=False)
    if student.run("python -m pip index versions pytest", timeout=120, check=False).returncode:
        pytest.skip("the package index cannot be reached: this walk installs the student's "
                    "requirements.txt from it")
    student.run(INSTALL, timeout=1200)
    kernels = student.run("jupyter kernelspec list").stdout
    assert str(folder / ".venv") in kernels, f"the notebook would run in another Python:\n{kernels}"

    fetched = student.run(FETCH_DATA)
    assert f"CIFAR-10 ready in {cifar10_dir}" in fetched.stdout

    for name in STUDENT_LAYERS:
        shutil.copy(REFERENCE / "layers" / name, folder / "layers" / name)
    checks = student.run(CHECK_LAYERS)
    assert re.search(r"\b\d+ passed\b", checks.stdout) and "failed" not in checks.stdout, checks.stdout

    notebook_path = folder / "classification_nn.ipynb"
    _finish_the_notebook(notebook_path)
    student.run(RUN_NOTEBOOK, timeout=900)
    executed = nbformat.read(notebook_path, as_version=4)
    errors = [out for cell in executed.cells if cell.cell_type == "code"
              for out in cell.outputs if out.output_type == "error"]
    assert not errors, errors
    assert "Validation accuracy of best_net:" in _printed(executed, "grader:best_net")
    assert "Test accuracy of best_net:" in _printed(executed, "grader:test_accuracy")

    # What a real folder holds by now besides the sources: none of it may be packed.
    for litter in ("datasets/cifar-10/cifar-10-batches-py/.cifar10-cache-0123.x.npy",
                   ".ipynb_checkpoints/classification_nn-checkpoint.ipynb",
                   "checkpoints/best_net.npz", "layers/__pycache__/linear.cpython-311.pyc"):
        (folder / litter).parent.mkdir(parents=True, exist_ok=True)
        (folder / litter).write_bytes(b"\0" * 1024)
    packed = student.run(PACK)
    zip_path = folder / "submission.zip"
    with zipfile.ZipFile(zip_path) as archive:
        assert sorted(archive.namelist()) == PACKED
    size = zip_path.stat().st_size
    assert size < 1024 ** 2, packed.stdout
    # This student leaves the inline question unanswered (6.7 charges it): the only warning.
    warnings = [line for line in packed.stdout.splitlines() if line.startswith("warning:")]
    assert warnings[0] == ("warning: classification_nn.ipynb: the inline answer names no option the grader can read: start it "
                           "with the numbers of your choices ('Your answer: <numbers>'), then explain."), warnings
    assert len(warnings) == 2 and "utils.check_notebook" in warnings[1], warnings

    results_path = tmp_path / "results.json"
    started = time.monotonic()
    graded = subprocess.run([sys.executable, "-m", "gradescope.autograde", str(zip_path),
                             "--results", str(results_path), "--skip-notebook"],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    student.times["grading the zip (layer checks)"] = time.monotonic() - started
    results = json.loads(results_path.read_text())
    assert results["score"] == LAYER_POINTS, graded.stdout + graded.stderr
    assert all(test["score"] == test["max_score"] for test in results["tests"]), results["tests"]

    print(f"\nsubmission.zip: {size / 1024:.1f} KB, {len(PACKED)} files")
    for command, seconds in student.times.items():
        print(f"{seconds:7.1f} s  {command}")

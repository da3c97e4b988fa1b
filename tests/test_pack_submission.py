"""`python -m utils.pack_submission`: exactly the files the grader needs, in a small zip
that the upload intake accepts, or a refusal that says why."""
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader import intake

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "reference"
MASTER = ROOT / "notebooks" / "classification_nn.ipynb"
PY_FILES = sorted(f"{sub}/{path.name}" for sub in ("layers", "utils")
                  for path in (REFERENCE / sub).glob("*.py"))
# What students leave in their folder and must never upload.
LITTER = ("datasets/cifar-10/cifar-10-batches-py/data_batch_1",
          "datasets/cifar-10/cifar-10-batches-py/.cifar10-cache-0123.x.npy",
          "layers/__pycache__/linear.cpython-311.pyc",
          ".ipynb_checkpoints/classification_nn-checkpoint.ipynb",
          "checkpoints/best_net.npz", "best_net_weights.npy", "notes.txt",
          "utils/old/trainer_v1.py")


@pytest.fixture
def assignment(tmp_path):
    """A finished student's folder: the reference's layers/ and utils/, the master
    notebook, and the litter of a real one."""
    folder = tmp_path / "assignment"
    for sub in ("layers", "utils"):
        shutil.copytree(REFERENCE / sub, folder / sub, ignore=shutil.ignore_patterns("__pycache__"))
    notebook = json.loads(MASTER.read_text())
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    for count, cell in enumerate(code, 1):   # saved after one run from a fresh kernel
        cell["execution_count"] = count
    (folder / "classification_nn.ipynb").write_text(json.dumps(notebook))
    for name in LITTER:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"\0" * 4096)
    return folder


def _pack(folder, *options):
    return subprocess.run([sys.executable, "-m", "utils.pack_submission", *options], cwd=folder,
                          capture_output=True, text=True, timeout=60)


def test_packs_exactly_the_sources_and_the_notebook(assignment, tmp_path):
    result = _pack(assignment)
    assert result.returncode == 0, result.stderr
    zip_path = assignment / "submission.zip"
    with zipfile.ZipFile(zip_path) as archive:
        assert sorted(archive.namelist()) == sorted(PY_FILES + ["classification_nn.ipynb"])
    size = zip_path.stat().st_size
    assert size < 1024 ** 2
    assert f"wrote {zip_path} (" in result.stdout
    assert f" KB, {len(PY_FILES) + 1} files): upload this file to Gradescope." in result.stdout
    assert "warning" not in result.stdout  # nothing left unwritten in the reference
    # The upload intake finds a complete submission in it.
    upload = intake.locate(str(zip_path), str(tmp_path / "scratch"))
    assert Path(upload.root, "layers", "loss_func.py").is_file() and not upload.notebook_only


def test_a_missing_layer_file_is_refused_by_name(assignment):
    (assignment / "layers" / "relu.py").unlink()
    result = _pack(assignment)
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot pack: layers/relu.py not found in ")
    assert not (assignment / "submission.zip").exists()


def test_a_huge_notebook_is_refused_with_its_size(assignment):
    notebook = json.loads(MASTER.read_text())
    notebook["cells"][0]["source"] = "x" * (11 * 1024 ** 2)
    (assignment / "classification_nn.ipynb").write_text(json.dumps(notebook))
    result = _pack(assignment)
    assert result.returncode == 1
    assert "classification_nn.ipynb is 11.0 MB, more than the 10.0 MB" in result.stderr
    assert "Clear Outputs" in result.stderr
    assert not (assignment / "submission.zip").exists()


def test_an_unreadable_notebook_is_refused(assignment):
    (assignment / "classification_nn.ipynb").write_text('{"cells": [')
    result = _pack(assignment)
    assert result.returncode == 1
    assert "classification_nn.ipynb is not a readable notebook" in result.stderr


def test_unwritten_parts_are_warned_about_but_packed(assignment):
    template = ROOT / "student_template"
    shutil.copy(template / "layers" / "relu.py", assignment / "layers" / "relu.py")
    shutil.copy(template / "classification_nn.ipynb", assignment / "classification_nn.ipynb")
    result = _pack(assignment, "--out", "elsewhere/mine.zip")
    assert result.returncode == 0, result.stderr
    assert (assignment / "elsewhere" / "mine.zip").is_file()
    assert ("warning: layers/relu.py: ReLU.forward still raises NotImplementedError"
            in result.stdout)
    assert ("warning: classification_nn.ipynb: the Tuning cell still raises "
            "NotImplementedError") in result.stdout


def test_what_costs_points_in_the_saved_notebook_is_warned_about_but_packed(assignment):
    path = assignment / "classification_nn.ipynb"
    notebook = json.loads(MASTER.read_text())      # as the course ships it: never run
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        if "best_net_hyperparams = [" in source:
            cell["source"] = source.replace("[0.1, 0.002, 120, 80]", "[0.1, 0.002, 500, 2000]")
        if source.startswith("**Your answer:**"):
            cell["source"] = "**Your answer:** the first and the third\n"
    path.write_text(json.dumps(notebook))
    result = _pack(assignment)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stdout.splitlines() if line.startswith("warning:")]
    assert any("500 epochs, hidden size 2000" in w and "over the 2.5 min allowed" in w for w in warnings)
    assert any("saved without being run" in w for w in warnings)
    assert any("the inline answer names no option" in w for w in warnings)
    assert "python -m utils.check_notebook" in warnings[-1]
    assert (assignment / "submission.zip").is_file()

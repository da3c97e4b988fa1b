"""The Gradescope autograder, simulated on this machine.

The zip is built once, unpacked under a temporary folder standing in for
/autograder (source/ = the zip, submission/ = an upload, results/), and
run_autograder is run there with AUTOGRADER_ROOT pointing at it. Nothing is
installed from the index: run_autograder and setup.sh use this venv's Python
through AUTOGRADER_PYTHON (setup.sh then skips making .venv but still checks the
pins, fetches CIFAR-10 and runs its self-check), and `make bench-grading` runs
setup.sh for real. Most runs skip the notebook (GRADER_SKIP_NOTEBOOK=1); slow
tests grade the master notebook end to end, through run_autograder and through
setup.sh's self-check.
"""
import ast
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile

import pytest
from packaging.requirements import Requirement

from gradescope_schema import validate
from grading import ROOT, copy_reference, scores

from gradescope import build, requirements

SCRIPTS = ("setup.sh", "run_autograder")
# Folders setup.sh creates itself; everything else the scripts name is in the zip.
MADE_BY_SETUP = (".venv", "data")


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory):
    path = tmp_path_factory.mktemp("build") / "autograder.zip"
    build.build(str(path))
    return path


@pytest.fixture(scope="module")
def names(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as zf:
        return zf.namelist()


def unpack(archive, dest):
    """Extract like unzip does: with the modes the zip records."""
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            path = zf.extract(info, dest)
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(path, mode)


@pytest.fixture
def autograder_root(tmp_path, autograder_zip):
    """A stand-in for /autograder: source/ unpacked from the zip, run_autograder
    copied to the root as Gradescope does, an empty submission/."""
    root = tmp_path / "autograder"
    unpack(autograder_zip, root / "source")
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    return root


def run_autograder(root, skip_notebook=True, **env):
    """Run root/run_autograder as Gradescope does; returns (process, results.json)."""
    environment = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable,
                   **env}
    environment.pop("GRADER_SKIP_NOTEBOOK", None)
    if skip_notebook:
        environment["GRADER_SKIP_NOTEBOOK"] = "1"
    proc = subprocess.run([str(root / "run_autograder")], check=False, cwd=root, env=environment,
                          capture_output=True, text=True, timeout=600)
    with open(root / "results" / "results.json") as f:
        results = json.load(f)
    validate(results)
    return proc, results


def full_marks(results):
    return results["tests"] and results["score"] == sum(t["max_score"] for t in results["tests"])


# --- the zip ---------------------------------------------------------------

def test_zip_holds_the_scripts_at_its_root_and_only_what_grading_needs(names):
    assert {"setup.sh", "run_autograder", "requirements.txt"} <= set(names)
    for needed in ("grader/__main__.py", "grader/checks/test_linear.py", "grader/worker/main.py",
                   "gradescope/autograde.py", "reference/layers/linear.py",
                   "reference/utils/download_cifar10.py"):
        assert needed in names
    # setup.sh's own files: its interpreter check, and its self-check with the master notebook.
    for name in build.FILES:
        assert name in names
    unwanted = [n for n in names if n not in build.FILES and (
        n.startswith(("reference/tests/", "tests/", "notebooks/", "scripts/", "student_template/",
                      "data/")) or "__pycache__" in n or n.endswith((".pyc", ".ipynb")))]
    assert not unwanted


def test_scripts_are_executable_and_nothing_else_is(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as zf:
        modes = {info.filename: (info.external_attr >> 16) & 0o777 for info in zf.infolist()}
    assert all(modes[s] == 0o755 for s in SCRIPTS)
    assert all(mode == 0o644 for name, mode in modes.items() if name not in SCRIPTS)


def test_scripts_are_valid_bash_and_fully_rendered(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as zf:
        for script in SCRIPTS:
            text = zf.read(script).decode()
            assert not re.search(r"@[A-Z_]+@", text), f"{script}: placeholder left"
            check = subprocess.run(["bash", "-n"], check=False, input=text, capture_output=True, text=True)
            assert check.returncode == 0, f"{script}: {check.stderr}"


def test_scripts_name_only_paths_and_modules_inside_the_zip(autograder_zip, names):
    folders = {"/".join(n.split("/")[:i]) for n in names for i in range(1, n.count("/") + 1)}
    with zipfile.ZipFile(autograder_zip) as zf:
        text = "\n".join(zf.read(s).decode() for s in SCRIPTS)
    paths = set(re.findall(r"\$SOURCE/([\w./-]+)", text))
    assert paths, "the scripts name no file of the zip: the pattern above is out of date"
    outside = [p for p in paths if p not in names and p not in folders
               and p.split("/")[0] not in MADE_BY_SETUP]
    assert not outside, outside
    modules = set(re.findall(r"-m ([\w.]+)", text)) - {"venv", "pip"}
    assert {"gradescope.autograde", "utils.download_cifar10"} <= modules
    for module in modules:
        rel = module.replace(".", "/") + ".py"
        assert rel in names or f"reference/{rel}" in names, module


def test_requirements_are_pinned_and_read_from_pyproject(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as zf:
        lines = [line for line in zf.read("requirements.txt").decode().splitlines()
                 if line and not line.startswith("#")]
    with open(os.path.join(ROOT, "pyproject.toml")) as f:
        pyproject = f.read()
    assert lines and all(requirements.pinned_version(line) for line in lines)
    assert all(f'"{line}"' in pyproject for line in lines), "a pin not copied from pyproject.toml"


def _third_party_imports(names, autograder_zip):
    """Top-level modules imported anywhere in the zip's Python code, stdlib and ours excluded."""
    ours = {n.split("/")[0] for n in names} | {"layers", "utils", "probes", "wire"} | {
        n.split("/")[-1][:-3] for n in names if n.endswith(".py")}
    found = set()
    with zipfile.ZipFile(autograder_zip) as zf:
        for name in names:
            if name.endswith(".py"):
                for node in ast.walk(ast.parse(zf.read(name))):
                    if isinstance(node, ast.Import):
                        found |= {a.name.split(".")[0] for a in node.names}
                    elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                        found.add(node.module.split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m not in ours}


def _closure(distributions):
    """The distributions and everything they require (as installed here)."""
    seen, todo = set(), list(distributions)
    while todo:
        name = requirements.name_of(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        for line in importlib.metadata.requires(name) or []:
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return seen


def test_every_package_the_grader_imports_is_installed_by_the_requirements(autograder_zip, names):
    modules = _third_party_imports(names, autograder_zip)
    assert {"numpy", "pytest", "nbclient"} <= modules
    installed = _closure(requirements.requirements())
    providers = importlib.metadata.packages_distributions()
    missing = {m: providers.get(m) for m in modules
               if not {requirements.name_of(d) for d in providers.get(m, [])} & installed}
    assert not missing, f"imported but not in requirements.txt (or their dependencies): {missing}"


def test_build_is_reproducible(tmp_path, autograder_zip):
    again = tmp_path / "again.zip"
    build.build(str(again))
    assert again.read_bytes() == autograder_zip.read_bytes()


# --- setup.sh: everything but installing, then the self-check ---------------

def run_setup(root, cifar10_dir, skip_notebook=True, **env):
    """Run root/source/setup.sh as Gradescope does, on this venv (AUTOGRADER_PYTHON: no
    installing) and CIFAR-10 copied from `cifar10_dir`; returns the finished process."""
    environment = {**os.environ, "AUTOGRADER_PYTHON": sys.executable, "CIFAR10_SOURCE": cifar10_dir,
                   **env}
    for name in ("GRADER_SKIP_NOTEBOOK", "AUTOGRADER_SELF_CHECK", "CIFAR10_DIR"):
        if name not in env:
            environment.pop(name, None)
    if skip_notebook:
        environment["GRADER_SKIP_NOTEBOOK"] = "1"
    return subprocess.run(["bash", str(root / "source" / "setup.sh")], check=False,
                          cwd=root / "source", env=environment, capture_output=True, text=True,
                          timeout=900)


def test_setup_checks_the_pins_fetches_data_and_self_checks_the_reference(autograder_root, cifar10_dir):
    proc = run_setup(autograder_root, cifar10_dir)
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr
    assert re.search(r"check_pins: Python 3\.\d+\.\d+ satisfies all \d+ pins", out)
    assert (autograder_root / "source" / "data" / "cifar-10-batches-py" / "test_batch").is_file()
    for closed in ("data", "grader", "reference", "notebooks", "scripts", "setup.sh"):
        assert not (autograder_root / "source" / closed).stat().st_mode & 0o077, closed
    # Passable to reach .venv, never listable: where only permissions hold, a listing refuses grading.
    assert (autograder_root / "source").stat().st_mode & 0o777 == 0o711
    lines = [line for line in out.splitlines() if line.startswith("self-check:")]
    assert lines[0] == ("self-check: grading the reference submission (layers/, utils/ and the "
                        "master notebook) as an upload")
    assert "layer checks only (GRADER_SKIP_NOTEBOOK=1" in lines[1]
    assert re.fullmatch(r"self-check: score 60/60 in \d+ s", lines[2]), lines
    assert lines[3:] == ["self-check: passed: the reference scores full marks"]
    assert out.rstrip().endswith("setup.sh: done")


def test_setup_fails_the_build_when_grading_is_broken(autograder_root, cifar10_dir):
    (autograder_root / "source" / "gradescope" / "autograde.py").unlink()  # a broken zip
    proc = run_setup(autograder_root, cifar10_dir)
    assert proc.returncode != 0
    assert "self-check: !! GRADING IS BROKEN" in proc.stdout
    assert "setup.sh: done" not in proc.stdout


def test_setup_self_check_can_be_skipped(autograder_root, cifar10_dir):
    proc = run_setup(autograder_root, cifar10_dir, AUTOGRADER_SELF_CHECK="0")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "self-check skipped (AUTOGRADER_SELF_CHECK=0)" in proc.stdout
    assert "self-check: grading" not in proc.stdout


# Ubuntu 22.04's python3.11 as setup.sh meets it: setup.sh's own probe code runs on this
# Python, made to report version 3.11.0rc1 (the version of jammy's package).
RC_PYTHON = """#!/bin/bash
prelude='import collections, platform, sys
sys.version_info = collections.namedtuple("v", "major minor micro releaselevel serial")(
    3, 11, 0, "candidate", 1)
platform.python_version = lambda: "3.11.0rc1"
'
[ "$1" = -c ] && exec "%s" -c "$prelude$2"
exit 1
"""


def test_setup_refuses_a_release_candidate_python_and_names_the_base_image(autograder_root,
                                                                            tmp_path):
    bin_dir = tmp_path / "bin"  # the only PATH: no apt-get, no other python
    bin_dir.mkdir()
    for tool in ("dirname", "seq", "grep"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    (bin_dir / "python3.11").write_text(RC_PYTHON % sys.executable)
    (bin_dir / "python3.11").chmod(0o755)
    environment = {k: v for k, v in os.environ.items() if k != "AUTOGRADER_PYTHON"}
    proc = subprocess.run(["/bin/bash", str(autograder_root / "source" / "setup.sh")], check=False,
                          env={**environment, "PATH": str(bin_dir)}, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "(found: python3.11 3.11.0rc1)" in proc.stderr
    assert "Ubuntu 24.04 base image" in proc.stderr
    assert not (autograder_root / "source" / ".venv").exists()


@pytest.mark.slow
def test_setup_self_check_with_the_notebook_prints_accuracies_and_full_marks(autograder_root,
                                                                              cifar10_dir):
    proc = run_setup(autograder_root, cifar10_dir, skip_notebook=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.startswith("self-check:")]
    assert re.fullmatch(r"self-check: best_net's validation accuracy 0\.\d{3} \(over 0\.40\), "
                        r"test accuracy 0\.\d{3} \(over 0\.35\)", lines[1]), lines
    assert re.fullmatch(r"self-check: score 100/100 in \d+ s", lines[2]), lines
    assert lines[-1] == "self-check: passed: the reference scores full marks"


# --- run_autograder on uploads ---------------------------------------------

def test_reference_layers_score_full_marks(autograder_root):
    copy_reference(autograder_root / "submission")
    proc, results = run_autograder(autograder_root)
    assert full_marks(results), proc.stdout + proc.stderr
    assert "classification_nn.ipynb" in results["extra_data"]["missing"]
    if os.geteuid() == 0:  # a uid drawn for this container, not the fixed base other containers share
        from grader import config
        uid = results["extra_data"]["sandbox"]["uid"]
        assert uid >= 1 << 20 and not config.SANDBOX_UID_BASE <= uid < config.SANDBOX_UID_BASE + config.SANDBOX_SLOTS
    assert (autograder_root / "results").stat().st_mode & 0o077 == 0  # grader.log is root's alone
    # What Gradescope shows the instructor: the table, each check a row, then the score.
    rows = [line for line in proc.stdout.splitlines() if line[:1].isdigit()]
    assert [row.split()[0] for row in rows] == [t["number"] for t in results["tests"]], proc.stdout
    assert proc.stdout.rstrip().splitlines()[-1].startswith(f"score {results['score']:g};")


def test_untouched_template_scores_zero(autograder_root):
    shutil.copytree(os.path.join(ROOT, "student_template"), autograder_root / "submission",
                    dirs_exist_ok=True)
    _, results = run_autograder(autograder_root)
    assert len(results["tests"]) >= 10 and results["score"] == 0
    assert "layers/linear.py" in results["extra_data"]["used"]


def test_zip_upload_is_opened_and_graded(autograder_root, tmp_path):
    folder = copy_reference(tmp_path / "hw2")
    (folder / "datasets").mkdir()
    (folder / "datasets" / "data_batch_1").write_bytes(b"\0" * 1000)  # not extracted
    archive = autograder_root / "submission" / "hw2.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in folder.rglob("*"):
            zf.write(path, path.relative_to(tmp_path))
    proc, results = run_autograder(autograder_root)
    assert full_marks(results), proc.stdout + proc.stderr
    assert "Graded the contents of hw2.zip" in results["output"]
    assert not any("datasets" in name for name in results["extra_data"]["ignored"])


def test_subfolder_upload_is_found(autograder_root):
    copy_reference(autograder_root / "submission" / "assignment2" / "code")
    proc, results = run_autograder(autograder_root)
    assert full_marks(results), proc.stdout + proc.stderr


def test_notebook_alone_earns_no_layer_points_and_says_so(autograder_root):
    shutil.copy(os.path.join(ROOT, "notebooks", "classification_nn.ipynb"),
                autograder_root / "submission")
    _, results = run_autograder(autograder_root)
    assert results["tests"] and results["score"] == 0
    assert "without layers/" in results["output"]


def test_unusable_zip_scores_zero_with_the_reason(autograder_root):
    (autograder_root / "submission" / "hw2.zip").write_bytes(b"this is not a zip")
    _, results = run_autograder(autograder_root)
    assert results["score"] == 0 and "not a readable zip" in results["output"]


def test_a_broken_installation_still_writes_results(autograder_root):
    copy_reference(autograder_root / "submission")
    _, results = run_autograder(autograder_root, AUTOGRADER_PYTHON="/bin/false")
    assert results["score"] == 0 and "failed to start" in results["output"]
    assert "course staff" in results["output"]


@pytest.mark.slow
def test_reference_with_master_notebook_full_path(autograder_root):
    submission = copy_reference(autograder_root / "submission")
    shutil.copy(os.path.join(ROOT, "notebooks", "classification_nn.ipynb"), submission)
    proc, results = run_autograder(autograder_root, skip_notebook=False)
    got = scores(results)
    layer_checks = set(scores(run_autograder(autograder_root)[1]))  # what --skip-notebook runs
    assert layer_checks < set(got), "the notebook checks did not run"
    assert all(got[c][0] == got[c][1] for c in layer_checks), proc.stdout
    notebook = results["extra_data"]["notebook"]
    assert notebook["accuracy"].get("validation") is not None, results["output"]
    assert not notebook["integrity"]

"""The assignment notebook: the master runs top to bottom against the reference
and reaches the course's targets; the student's copy runs until the tuning cell;
the master's hyperparameters are the search's."""
import ast
import importlib.util
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

from tools.run_notebook import execute

ROOT = Path(__file__).resolve().parent.parent
MASTER = ROOT / "notebooks" / "classification_nn.ipynb"
STUDENT = ROOT / "student_template" / "classification_nn.ipynb"
SEARCH_CHOICE = ROOT / "scripts" / "reference_hyperparams.py"
VAL_TARGET, TEST_TARGET = 0.40, 0.35


def _tagged(notebook, tag):
    """The one cell carrying `tag`."""
    cells = [cell for cell in notebook.cells if tag in cell.metadata.get("tags", [])]
    assert len(cells) == 1, f"{len(cells)} cells tagged {tag}, expected one"
    return cells[0]


def _printed_number(cell, label):
    """The number the cell printed after '<label>: '."""
    printed = "".join(out.text for out in cell.outputs if out.output_type == "stream")
    found = re.search(rf"^{re.escape(label)}: ([0-9.]+)$", printed, re.MULTILINE)
    assert found, f"no '{label}: <number>' line in the output:\n{printed[-2000:]}"
    return float(found.group(1))


def _assigned(notebook, name):
    """The literal value of the first code cell statement `name = <literal>`."""
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        # IPython magics (%matplotlib) are not Python: leave them out.
        source = "\n".join(line for line in cell.source.splitlines()
                           if not line.lstrip().startswith("%"))
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Assign) and any(
                    isinstance(target, ast.Name) and target.id == name for target in node.targets):
                return ast.literal_eval(node.value)
    raise AssertionError(f"the notebook never assigns {name} a literal")


@pytest.mark.slow
def test_master_notebook_reaches_the_targets(cifar10_dir, tmp_path):
    notebook = nbformat.read(MASTER, as_version=4)
    seconds = execute(notebook, ROOT / "reference")
    nbformat.write(notebook, tmp_path / "executed.ipynb")  # kept by pytest for a look
    print(f"{MASTER.name} ran in {seconds:.1f} s")
    val = _printed_number(_tagged(notebook, "grader:best_net"), "Validation accuracy of best_net")
    test = _printed_number(_tagged(notebook, "grader:test_accuracy"), "Test accuracy of best_net")
    print(f"best_net: validation accuracy {val:.3f}, test accuracy {test:.3f}")
    assert val > VAL_TARGET and test > TEST_TARGET, (
        f"best_net reaches validation {val:.3f} (target over {VAL_TARGET}) and test {test:.3f} "
        f"(target over {TEST_TARGET}) with {_assigned(notebook, 'best_net_hyperparams')}")
    for tag in ("grader:loss_plot", "grader:weights_plot"):
        images = [out for out in _tagged(notebook, tag).outputs
                  if "image/png" in out.get("data", {})]
        assert len(images) == 1, f"the cell tagged {tag} shows {len(images)} images, expected one"


@pytest.mark.slow
def test_student_notebook_runs_until_the_tuning_cell(cifar10_dir, tmp_path):
    # The student's notebook with a finished student's layers: everything up to
    # the tuning cell must run as given.
    for package in ("layers", "utils"):
        shutil.copytree(ROOT / "reference" / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    notebook = nbformat.read(STUDENT, as_version=4)
    with pytest.raises(CellExecutionError):
        execute(notebook, tmp_path)
    failed = [cell for cell in notebook.cells if cell.cell_type == "code" and any(
        out.output_type == "error" for out in cell.outputs)]
    assert failed == [_tagged(notebook, "grader:best_hyperparams")], (
        "the first failing cell should be the tuning cell:\n" + failed[0].source)
    [error] = [out for out in failed[0].outputs if out.output_type == "error"]
    assert error.ename == "NotImplementedError" and error.evalue.startswith("Tuning:"), error


def test_notebook_hyperparameters_are_the_searchs():
    if not SEARCH_CHOICE.exists():
        pytest.skip(f"{SEARCH_CHOICE.relative_to(ROOT)} does not exist yet: "
                    "the hyperparameter search has not recorded its choice")
    spec = importlib.util.spec_from_file_location("reference_hyperparams", SEARCH_CHOICE)
    choice = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(choice)
    master = nbformat.read(MASTER, as_version=4)
    assert _assigned(master, "best_net_hyperparams") == list(choice.BEST_NET_HYPERPARAMS), (
        "set BEST_NET_HYPERPARAMS in tools/build_notebook.py to the search's choice and run "
        "`make template`")
    if hasattr(choice, "BATCH_SIZE"):
        assert _assigned(master, "batch_size") == choice.BATCH_SIZE, (
            "the notebook trains with another batch size than the search")

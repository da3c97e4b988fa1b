"""The student template: generated from the reference (never edited by hand),
with public checks that the reference passes and the untouched template fails."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from public_checks import run_public_checks
from tools import make_template
from tools.markers import contains_marker, solution_regions
from tools.stub_notebook import ANSWER_PLACEHOLDER

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "student_template"
MASTER = ROOT / "notebooks" / "classification_nn.ipynb"

FAKE_LAYER = '''\
class Doubler:
    """Doubles its input."""

    def forward(self, x):
        """Return 2 * x."""
        # BEGIN SOLUTION
        return 2 * x
        # END SOLUTION
'''


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def fake(tmp_path):
    """A small reference tree and master notebook, and where their template goes."""
    reference = tmp_path / "reference"
    _write(reference / "layers" / "__init__.py", "")
    _write(reference / "layers" / "doubler.py", FAKE_LAYER)
    _write(reference / "utils" / "__init__.py", "")
    _write(reference / "tests" / "test_doubler.py", "def test_nothing():\n    pass\n")
    _write(reference / "STUDENT_README.md", "# Doubling\n")
    _write(reference / "STUDENT_REQUIREMENTS.txt", "numpy\n")
    _write(reference / "datasets" / "images.bin", "course data, not for students")
    _write(reference / "layers" / "__pycache__" / "doubler.cpython-311.pyc", "cache")
    notebook = nbformat.v4.new_notebook()
    answer_cell = nbformat.v4.new_code_cell(
        "# Set answer to the number 42.\n# BEGIN SOLUTION\nanswer = 42\n# END SOLUTION",
        execution_count=1, outputs=[nbformat.v4.new_output("stream", text="42\n")])
    explanation_cell = nbformat.v4.new_markdown_cell("**Your answer:** 1, 3 because ...")
    explanation_cell.metadata["tags"] = ["solution", "grader:inline_answer"]
    notebook.cells = [answer_cell, explanation_cell]
    nbformat.write(notebook, tmp_path / "master.ipynb")
    return {"reference": reference, "notebook": tmp_path / "master.ipynb",
            "dest": tmp_path / "template"}


def _generate(fake, *extra):
    return make_template.main(["--reference", str(fake["reference"]), "--notebook",
                               str(fake["notebook"]), "--dest", str(fake["dest"]), *extra])


def _files(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_generator_stubs_solutions_and_ships_only_sources(fake):
    assert _generate(fake) == 0
    dest = fake["dest"]
    assert _files(dest) == ["README.md", "classification_nn.ipynb", "layers/__init__.py",
                            "layers/doubler.py", "requirements.txt", "tests/test_doubler.py",
                            "utils/__init__.py"]
    assert (dest / "layers" / "doubler.py").read_text() == FAKE_LAYER.replace(
        "        # BEGIN SOLUTION\n        return 2 * x\n        # END SOLUTION\n",
        '        raise NotImplementedError("Doubler.forward: Return 2 * x.")\n')
    namespace = {}
    exec((dest / "layers" / "doubler.py").read_text(), namespace)  # it still imports
    with pytest.raises(NotImplementedError, match=r"^Doubler\.forward: Return 2 \* x\.$"):
        namespace["Doubler"]().forward(1)


def test_generator_stubs_the_notebook_and_clears_outputs(fake):
    assert _generate(fake) == 0
    student = nbformat.read(fake["dest"] / "classification_nn.ipynb", as_version=4)
    answer, explanation = student.cells
    assert answer.source == ("# Set answer to the number 42.\n# TODO: write your code here.\n"
                             'raise NotImplementedError("Set answer to the number 42.")')
    assert answer.outputs == [] and answer.execution_count is None
    assert explanation.source == ANSWER_PLACEHOLDER
    assert explanation.metadata["tags"] == ["grader:inline_answer"]


BAD_MARKERS = {
    "unmatched begin": (FAKE_LAYER.replace("        # END SOLUTION\n", ""), 6, "never closed"),
    "unmatched end": (FAKE_LAYER.replace("        # BEGIN SOLUTION\n", ""), 7,
                      "without a '# BEGIN SOLUTION'"),
    "nested": (FAKE_LAYER.replace("        return 2 * x\n", "        # BEGIN SOLUTION\n"
                                  "        return 2 * x\n        # END SOLUTION\n"), 7, "nested"),
    "misspelt": (FAKE_LAYER.replace("# END SOLUTION", "# End solution"), 8, "malformed"),
}


@pytest.mark.parametrize("case", sorted(BAD_MARKERS))
def test_generator_rejects_bad_markers_with_file_and_line(fake, case, capsys):
    source, line, words = BAD_MARKERS[case]
    _write(fake["reference"] / "layers" / "bad.py", source)
    _write(fake["dest"] / "kept.txt", "an earlier template")
    assert _generate(fake) == 2
    error = capsys.readouterr().err
    assert f"{fake['reference'] / 'layers' / 'bad.py'}:{line}: " in error
    assert words in error
    # Nothing written: the earlier template is intact and no staging folder is left.
    assert _files(fake["dest"]) == ["kept.txt"]
    assert sorted(p.name for p in fake["dest"].parent.iterdir()) == [
        "master.ipynb", "reference", "template"]


def test_generator_rejects_bad_markers_in_the_notebook(fake, capsys):
    notebook = nbformat.read(fake["notebook"], as_version=4)
    notebook.cells[0].source = "# Set answer.\nanswer = 42\n# END SOLUTION"
    nbformat.write(notebook, fake["notebook"])
    assert _generate(fake) == 2
    assert f"{fake['notebook']} [cell 1]:3: '# END SOLUTION' without" in capsys.readouterr().err
    assert not fake["dest"].exists()


def test_check_lists_hand_edits(fake, capsys):
    assert _generate(fake) == 0
    assert _generate(fake, "--check") == 0
    _write(fake["dest"] / "layers" / "doubler.py", FAKE_LAYER)  # a solution pasted back
    _write(fake["dest"] / "notes.txt", "stray file")
    (fake["dest"] / "README.md").unlink()
    capsys.readouterr()
    assert _generate(fake, "--check") == 1
    report = capsys.readouterr().out
    assert "changed: layers/doubler.py" in report
    assert "unexpected: notes.txt" in report
    assert "missing: README.md" in report


def test_committed_template_is_what_the_generator_writes():
    for command in (["tools.build_notebook", "--check"], ["tools.make_template", "--check"]):
        result = subprocess.run([sys.executable, "-m", *command], cwd=ROOT,
                                capture_output=True, text=True)
        assert result.returncode == 0, (
            f"{' '.join(command)}: {result.stdout}{result.stderr}\n"
            "Run `make template` and commit the result; never edit student_template/ "
            "or the notebook by hand.")


@pytest.fixture(scope="module")
def reference_outcomes(tmp_path_factory):
    """The public checks in an assignment folder of the reference and the master notebook."""
    assignment = tmp_path_factory.mktemp("reference") / "assignment"
    shutil.copytree(ROOT / "reference", assignment,
                    ignore=shutil.ignore_patterns("__pycache__", "datasets", "*.pyc"))
    shutil.copy(MASTER, assignment / "classification_nn.ipynb")
    return run_public_checks(assignment)


def test_reference_passes_every_public_check(reference_outcomes):
    code, outcomes, output = reference_outcomes
    assert code == 0, output
    assert len(outcomes) >= 10, output
    assert all(outcome == "passed" for outcome, _ in outcomes.values()), output


def test_untouched_template_fails_every_public_check_naming_the_function(tmp_path,
                                                                          reference_outcomes):
    assignment = tmp_path / "assignment"
    shutil.copytree(TEMPLATE, assignment)
    code, outcomes, output = run_public_checks(assignment)
    # 1 = tests failed; 2-5 would mean an interrupted session, an internal or usage
    # error, or nothing collected: a crash a student could not read.
    assert code == 1, output
    assert set(outcomes) == set(reference_outcomes[1]), "every check must run and report"
    stubbed = {"Linear.forward", "Linear.backward", "ReLU.forward", "ReLU.backward",
               "Softmax.forward", "Softmax.backward", "CrossEntropyLoss.forward",
               "CrossEntropyLoss.backward"}
    for name, (outcome, message) in outcomes.items():
        if name.startswith("test_notebook_budget::"):
            # Nothing to judge until the tuning cell sets best_net_hyperparams.
            assert outcome == "skipped" and "does not set best_net_hyperparams" in message, message
            continue
        named = re.match(r"NotImplementedError: (\w+\.\w+): ", message)
        assert outcome == "failure" and named and named.group(1) in stubbed, (
            f"{name}: {outcome}: {message}")


def test_student_notebook_has_no_outputs_and_no_solutions():
    student = nbformat.read(TEMPLATE / "classification_nn.ipynb", as_version=4)
    master = nbformat.read(MASTER, as_version=4)
    student_text = "\n".join(cell.source for cell in student.cells)
    for cell in student.cells:
        assert not contains_marker(cell.source), cell.source
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source
    solution_lines = []
    for cell in master.cells:
        if cell.cell_type == "markdown" and "solution" in cell.metadata.get("tags", []):
            solution_lines += cell.source.splitlines()
        if cell.cell_type == "code":
            lines = cell.source.splitlines()
            for begin, end in solution_regions(lines, MASTER):
                solution_lines += lines[begin + 1:end]
    solution_lines = [line.strip() for line in solution_lines if line.strip()]
    assert solution_lines, "the master notebook should hold solutions"
    leaked = [line for line in solution_lines if line in student_text]
    assert not leaked, f"solution text in the student notebook: {leaked}"

"""A layer file the submission lacks (grader/submission.py, grader/upload.py).

In a submission with some layer files, a missing one is graded as not
implemented (test_grader.py). An upload of the notebook alone scores 0 on the
layer checks, each saying why; by default (config.NOTEBOOK_ONLY_LAYERS =
"stub") its notebook runs with layer files that raise, so that no upload can
read the course's solution; an instructor may choose "reference" instead.
"""
import shutil

import nbformat

from gradescope_schema import validate
from grading import ROOT, run_grader, scores

# The solution's line of Linear.backward (the student template does not hold it).
REFERENCE_LINE = "self.dw = x.T @ dout"

LEAK_NOTEBOOK = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
    "source = open('layers/linear.py').read()\nprint(source)\nraise RuntimeError(source)")])


def test_a_notebook_uploaded_alone_cannot_read_the_reference_solution(tmp_path):
    assert REFERENCE_LINE in open(ROOT + "/reference/layers/linear.py").read()
    upload = tmp_path / "upload"
    upload.mkdir()
    nbformat.write(LEAK_NOTEBOOK, str(upload / "classification_nn.ipynb"))
    proc, results = run_grader(upload, tmp_path / "results.json")
    validate(results)
    assert proc.returncode == 0, proc.stderr
    assert all(t["score"] == 0 for t in results["tests"] if t["extra_data"].get("check"))
    shown = "\n".join([results["output"]] + [t["output"] for t in results["tests"]])
    assert "layers/linear.py was not in your submission" in shown  # the stub's own words, raised
    assert REFERENCE_LINE not in shown
    assert "notebook ran with layer files that raise NotImplementedError" in results["output"]


def test_reference_layers_for_a_notebook_alone_are_the_instructors_choice(tmp_path):
    upload = tmp_path / "upload"
    upload.mkdir()
    shutil.copy(ROOT + "/notebooks/classification_nn.ipynb", upload)
    proc, results = run_grader(upload, tmp_path / "results.json", "--skip-notebook",
                               env={"GRADER_NOTEBOOK_ONLY_LAYERS": "reference"})
    validate(results)
    assert proc.returncode == 0, proc.stderr
    layer = {check: s for check, s in scores(results).items()}
    assert layer and all(score == 0 for score, _ in layer.values())
    assert all("without your layer files" in t["output"] for t in results["tests"])
    assert "reference's copy was used in its place: layers/linear.py" in results["output"]
    assert "ran on the course's reference layers" in results["output"]

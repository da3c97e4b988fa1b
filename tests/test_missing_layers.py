"""A layer file the submission lacks (grader/submission.py, grader/upload.py).

In a submission with some layer files, a missing one is graded as not
implemented (test_grader.py). An upload of the notebook alone runs, in one
grading, on the reference's layers in place of the missing files; its layer
checks score 0, each saying why, and the output says what was done.
"""
import shutil

from gradescope_schema import validate
from grading import ROOT, run_grader, scores


def test_a_notebook_uploaded_alone_runs_on_the_reference_layers_in_one_grading(tmp_path):
    upload = tmp_path / "upload"
    upload.mkdir()
    shutil.copy(ROOT + "/notebooks/classification_nn.ipynb", upload)
    proc, results = run_grader(upload, tmp_path / "results.json", "--skip-notebook")
    validate(results)
    assert proc.returncode == 0, proc.stderr
    layer = {check: s for check, s in scores(results).items()}
    assert layer and all(score == 0 for score, _ in layer.values())
    assert all("without your layer files" in t["output"] for t in results["tests"])
    assert "reference's copy was used in its place: layers/linear.py" in results["output"]
    assert "uploaded the notebook without layers/" in results["output"]

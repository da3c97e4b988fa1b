"""GRADER_MISSING_LAYERS (grader/submission.py): what a missing layer file becomes.

"stub" (the default, tested in test_grader.py) grades it as not implemented;
"reference" runs the reference's copy in its place and says so: Gradescope's
notebook-only uploads need it for the notebook to run (gradescope/autograde.py).
"""
from gradescope_schema import validate
from grading import copy_reference, run_grader, scores


def test_reference_mode_runs_the_reference_copy_and_says_so(tmp_path):
    submission = copy_reference(tmp_path / "submission")
    (submission / "layers" / "relu.py").unlink()
    _, results = run_grader(submission, tmp_path / "results.json", "--skip-notebook",
                            env={"GRADER_MISSING_LAYERS": "reference"})
    validate(results)
    relu = {check: s for check, s in scores(results).items() if check.startswith("relu_")}
    assert relu and all(score == top for score, top in relu.values())
    assert "reference's copy was used in its place: layers/relu.py" in results["output"]
    assert "layers/relu.py" not in results["extra_data"]["missing"]


def test_an_unknown_mode_is_an_error_not_a_silent_default(tmp_path):
    submission = copy_reference(tmp_path / "submission")
    _, results = run_grader(submission, tmp_path / "results.json", "--skip-notebook",
                            env={"GRADER_MISSING_LAYERS": "referenc"})
    validate(results)
    assert results["score"] == 0 and "GRADER_MISSING_LAYERS" in results["output"]

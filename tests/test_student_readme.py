"""The student README quotes the grader's own numbers, filled in by the generator."""
from pathlib import Path

import pytest

from grader import config, surface
from tools.errors import TemplateError
from tools.student_readme import checks, fill, grader_values

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "student_template" / "README.md"


def test_values_are_the_configs_in_words():
    values = grader_values()
    assert values["VAL_ACCURACY_THRESHOLD"] == f"{100 * config.VAL_ACCURACY_THRESHOLD:g}%"
    assert values["TEST_ACCURACY_THRESHOLD"] == f"{100 * config.TEST_ACCURACY_THRESHOLD:g}%"
    assert values["BEST_NET_BUDGET"] == f"{config.BEST_NET_BUDGET / 60:g} minutes"
    assert values["NOTEBOOK_CELL_TIMEOUT"] == f"{config.NOTEBOOK_CELL_TIMEOUT:g} seconds"
    assert values["NOTEBOOK_OTHER_CELLS_TIMEOUT"] == f"{config.NOTEBOOK_OTHER_CELLS_TIMEOUT / 60:g} minutes"


def test_the_budget_students_check_is_the_graders():
    import os
    from utils import budget
    if "GRADER_BEST_NET_BUDGET" not in os.environ:
        assert budget.BUDGET_SECONDS == config.BEST_NET_BUDGET
    for name, ours in (("NOTEBOOK_CELL_TIMEOUT", "CELL_SECONDS"),
                       ("NOTEBOOK_OTHER_CELLS_TIMEOUT", "OTHER_CELLS_SECONDS"),
                       ("NOTEBOOK_CELL_MIN_TIMEOUT", "MIN_CELL_SECONDS")):
        if f"GRADER_{name}" not in os.environ:
            assert getattr(budget, ours) == getattr(config, name), name
    assert (budget.BEST_NET_MARGIN, budget.BEST_NET_CELL_EXTRA, budget.STOP_EXCUSED_SLOWDOWN) == (
        config.BEST_NET_MARGIN, config.BEST_NET_CELL_EXTRA, config.STOP_EXCUSED_SLOWDOWN)
    from utils import check_notebook
    assert (check_notebook.VAL_ACCURACY_THRESHOLD, check_notebook.TEST_ACCURACY_THRESHOLD) == (
        config.VAL_ACCURACY_THRESHOLD, config.TEST_ACCURACY_THRESHOLD)
    assert (check_notebook.SEED, check_notebook.BATCH_SIZE) == (0, surface.BATCH_SIZE)
    assert {k.removeprefix("subset_"): v for k, v in check_notebook.SUBSETS.items()} == {
        k.removeprefix("subset_"): v for k, v in surface.SUBSETS.items()}


def test_points_are_the_checks_weights():
    graded = checks()
    layer = sum(points for number, _, points, notebook in graded if not notebook)
    notebook = sum(points for number, _, points, notebook in graded if notebook)
    assert (layer, notebook) == (60, 40)
    assert all(number.startswith("6.") == is_notebook for number, _, _, is_notebook in graded)
    values = grader_values()
    assert (values["LAYER_POINTS"], values["NOTEBOOK_POINTS"], values["TOTAL_POINTS"]) == (
        "60", "40", "100")
    assert "| 4.3 | Softmax + CrossEntropyLoss backward" in values["CHECKS_TABLE"]


def test_a_time_limit_raised_on_this_machine_does_not_reach_the_readme(monkeypatch):
    default = grader_values()["BEST_NET_BUDGET"]
    monkeypatch.setenv("GRADER_BEST_NET_BUDGET", "900")
    assert grader_values()["BEST_NET_BUDGET"] == default


def test_unknown_placeholder_is_an_error_at_its_line():
    with pytest.raises(TemplateError, match=r"^README\.md:3: unknown placeholder \{\{TYPO\}\}"):
        fill("# Title\n\nValidation over {{TYPO}}.\n", "README.md", values={"A": "1"})


def test_text_without_placeholders_is_left_alone():
    assert fill("no braces {here}\n", "README.md", values={}) == "no braces {here}\n"


def test_shipped_readme_quotes_the_grader():
    text = README.read_text(encoding="utf-8")
    assert "{{" not in text and "}}" not in text
    values = grader_values()
    for name in ("VAL_ACCURACY_THRESHOLD", "TEST_ACCURACY_THRESHOLD", "NOTEBOOK_CELL_TIMEOUT",
                 "NOTEBOOK_OTHER_CELLS_TIMEOUT", "BEST_NET_BUDGET", "CHECKS_TABLE"):
        assert values[name] in text, name
    assert f"Layer checks ({values['LAYER_POINTS']} points)" in text
    assert f"Notebook checks ({values['NOTEBOOK_POINTS']} points)" in text


def test_what_a_layer_bug_that_stops_training_costs_is_said_where_it_is_decided():
    # The policy is grader/notebook/student_training.py's and judge.py's; the README promises
    # it to students and docs/check_review.md records the decision: the three agree.
    from grader.notebook import judge, student_training
    readme = " ".join(README.read_text().split())
    assert ("A layer bug that makes your training cell raise (a `dw` of the wrong shape, say) costs "
            "the layer checks only") in readme
    assert "the error in your training cell (6.1) and the untrained `best_net` (6.5) are not counted again" in readme
    review = (ROOT / "docs" / "check_review.md").read_text()
    assert "grader/notebook/student_training.py" in review and "6.1, 6.3-6.5 after a layer bug" in review
    assert "student_training.py" in judge.__doc__ and student_training.STEPS == 3
    assert f"runs {['no', 'one', 'two', 'three'][student_training.STEPS]} SGD steps" in review

"""The student README quotes the grader's own numbers, filled in by the generator."""
from pathlib import Path

import pytest

from grader import config
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

"""`python -m utils.check_notebook`, the students' own run of the notebook as the grader
does it: the saved file's findings, and a run that stops a search where the grader would
and ties the NameErrors after it to that stop."""
import json
from pathlib import Path

import nbformat
import pytest

from utils import budget, check_notebook

ROOT = Path(__file__).resolve().parent.parent
MASTER = ROOT / "notebooks" / "classification_nn.ipynb"


def _levels(findings):
    return [(f.level, f.text) for f in findings]


def test_the_master_notebook_saved_unrun_has_no_problem_but_a_note():
    findings = check_notebook.quick(json.loads(MASTER.read_text()))
    assert [f.level for f in findings if f.level == "problem"] == []
    texts = " ".join(f.text for f in findings)
    assert "120 epochs, hidden size 80" in texts and "within the 2.5 min allowed" in texts
    assert "option(s) 1, 3" in texts and "saved without being run" in texts


def test_an_over_budget_setting_and_an_answer_without_options_are_problems():
    notebook = {"cells": [
        {"cell_type": "code", "source": "best_net_hyperparams = [0.1, 0.0, 900, 3000]", "outputs": [],
         "execution_count": 1, "metadata": {}},
        {"cell_type": "markdown", "source": "**Your answer:** more data and regularization", "metadata": {}}]}
    problems = [f.text for f in check_notebook.quick(notebook) if f.level == "problem"]
    assert any("over the 2.5 min allowed: use at most" in p for p in problems), problems
    assert any("names no option" in p for p in problems), problems


def test_a_saved_error_is_named_with_its_cell():
    notebook = {"cells": [
        {"cell_type": "markdown", "source": "# title", "metadata": {}},
        {"cell_type": "code", "source": "x = y + 1", "execution_count": 1, "metadata": {},
         "outputs": [{"output_type": "error", "ename": "NameError", "evalue": "name 'y' is not defined",
                      "traceback": []}]}]}
    problems = [f.text for f in check_notebook.quick(notebook) if f.level == "problem"]
    assert "cell 2 ('x = y + 1') raised NameError: name 'y' is not defined when you last ran it." in problems


def test_the_best_net_cell_is_found_by_code_not_by_text():
    cells = [nbformat.v4.new_code_cell('s = "best_net = 1"'),
             nbformat.v4.new_code_cell("best_net, history = train_net(x)"),
             nbformat.v4.new_code_cell("best_net = init_model(80)\ntrainer.train()")]
    assert check_notebook.best_net_cell(cells) == 2
    assert check_notebook.best_net_cell(cells[:2]) == 1


@pytest.mark.slow
def test_a_search_past_the_cell_limit_is_stopped_and_what_it_sets_is_blamed_on_the_stop(monkeypatch, tmp_path):
    # Limits of a few seconds stand for the grader's 90 s and 120 s: the rule is the same.
    monkeypatch.setattr(budget, "CELL_SECONDS", 3)
    monkeypatch.setattr(budget, "OTHER_CELLS_SECONDS", 4)
    monkeypatch.setattr(budget, "MIN_CELL_SECONDS", 2)
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("import time\nfor lr in range(100):\n    time.sleep(0.1)\nbest_lr = lr"),
        nbformat.v4.new_code_cell("print(best_lr)"),
        nbformat.v4.new_code_cell("print(x + 1)")])
    seconds, stopped = check_notebook.execute(notebook, tmp_path, check_notebook.Limits(1.0),
                                              log=lambda *a, **k: None)
    assert stopped == [1], seconds
    assert 3 <= seconds[1] < 8
    problems = [f.text for f in check_notebook.run_findings(notebook, seconds, stopped,
                                                             check_notebook.Limits(1.0))
                if f.level == "problem"]
    assert any(p.startswith("cell 2 ('import time') would be stopped by the grader") for p in problems), problems
    assert any("cell 3 ('print(best_lr)') raised NameError: name 'best_lr' is not defined: cell 2, which "
               "sets it, was stopped" in p for p in problems), problems
    assert not any(p.startswith("cell 4") for p in problems)
    assert notebook.cells[3].outputs[0]["text"] == "2\n"   # the kernel went on after the stop

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
        {"cell_type": "markdown", "source": "**Your answer:** I am not sure yet", "metadata": {}}]}
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
    assert "In [1] (x = y + 1) raised NameError: name 'y' is not defined when you last ran it." in problems


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
    assert any(p.startswith("In [2] (import time) would be stopped by the grader") for p in problems), problems
    assert any("In [3] (print(best_lr)) raised NameError: name 'best_lr' is not defined: In [2] (import "
               "time), which sets it, was stopped" in p for p in problems), problems
    assert not any(p.startswith("In [4]") for p in problems)
    assert notebook.cells[3].outputs[0]["text"] == "2\n"   # the kernel went on after the stop


def test_best_nets_cell_in_the_three_cell_layout_is_the_graders():
    from grader.notebook import read
    from tests.unit.test_notebook_read import THREE_CELLS
    cells = [nbformat.v4.new_markdown_cell("# Train best_net")] + [nbformat.v4.new_code_cell(s) for s in THREE_CELLS]
    assert check_notebook.best_net_cell(cells) == read.best_net_cell(nbformat.v4.new_notebook(cells=cells)) == 3


def test_what_the_student_is_told_of_the_answer_is_what_the_grader_reads():
    """The same reader (utils/inline_answer.py): an answer that discusses option 2 first and
    declares 1 and 3 after is read as 1, 3 in both."""
    from grader.notebook import read
    question = "**Inline Question**: 1. larger dataset 2. more hidden units 3. regularization 4. none of the above"
    for answer, picked in (("Your Answer: Adding hidden units (2) makes it overfit more. The best options "
                            "are 1 and 3.", "1, 3"), ("Your Answer: Options 1 and 3.", "1, 3"),
                           ("Your Answer: 2", "2")):
        cells = [nbformat.v4.new_markdown_cell(question), nbformat.v4.new_markdown_cell(answer)]
        said = [f.text for f in check_notebook.answer_findings(cells)]
        assert said[0].startswith(f"the grader reads your inline answer as option(s) {picked};"), said
        graded = read.choices(read.inline_answer(nbformat.v4.new_notebook(cells=cells)))
        assert ", ".join(map(str, sorted(graded))) == picked


def test_a_search_left_in_is_noted_from_the_saved_file():
    cells = [nbformat.v4.new_code_cell("for lr in [0.1, 0.05]:\n    Trainer(d, SGD(net, lr, 0), net, loss, 30, 200).train()"),
             nbformat.v4.new_code_cell("np.random.seed(0)\nbest_net = init_model(80)\nbest_trainer.train()"),
             nbformat.v4.new_code_cell("for row in range(3):\n    plt.subplot(3, 1, row + 1)")]
    notes = [f.text for f in check_notebook.search_findings(cells)]
    assert len(notes) == 1 and notes[0].startswith("code cell 1 (for lr in [0.1, 0.05]:) trains in a loop")


def test_a_renamed_notebook_is_named(tmp_path):
    (tmp_path / "classification_nn (1).ipynb").write_text("{}")
    said = check_notebook.missing_notebook(tmp_path)
    assert "but classification_nn (1).ipynb is: rename" in said

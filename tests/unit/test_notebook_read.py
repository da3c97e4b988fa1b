"""grader/notebook/read.py on notebooks built in memory: the inline answer in
every layout and form students use, plots after training, and reading time
linear in the notebook's size with capped reads."""
from types import SimpleNamespace

import nbformat
import pytest

from grader import config
from grader.checks.test_notebook import test_inline_question as inline_question_check
from grader.notebook import read
from grader.report import Report

code, md = nbformat.v4.new_code_cell, nbformat.v4.new_markdown_cell

OPTIONS = """\
1. Train on a larger dataset.
2. Add more hidden units.
3. Increase the regularization strength.
4. None of the above."""
# The course's question cell: no tags, the answer goes in the same cell.
COURSE_QUESTION = f"""\
**Inline Question**

Now that you have trained a Neural Network classifier, you may find that your
testing accuracy is much lower than the training accuracy. In what ways can we
decrease this gap? Select all that apply.

{OPTIONS}

*Your Answer:*{{answer}}

*Your Explanation:*{{explanation}}"""


def notebook(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


def course_layout(answer, explanation=""):
    """The course's notebook: the answer written into the question's own cell."""
    question = COURSE_QUESTION.format(answer=answer, explanation=explanation)
    return notebook(code("x = 1"), md(question), md("## Survey"), code("hours_spent = 5"))


# ---- choices: what an answer's text picks ------------------------------------

RIGHT = [
    "1: Train on a larger dataset. AND 3: Increase the regularization strength.",
    "1,3\n2 would increase capacity and overfit more",
    "1,3. 2 would increase capacity and overfit more",
    "1, 3\n\nMore hidden units increase capacity.",
    "Training on a larger dataset and Increase the regularization strength",
    "1 and 3", "1, 3", "(1) and (3)", "options 1 & 3", "**1, 3**", "1 &amp; 3", "1 and 3.",
    "- 1. Train on a larger dataset\n- 3. Increase the regularization strength",
    "* Train on a larger dataset\n* Increase the regularization strength",
    # The student's own list numbering, contradicted by the options' words.
    "1. Train on a larger dataset.\n2. Increase the regularization strength.",
    "A larger dataset; stronger regularization",
    "- more training data\n- weight decay",
    "L2 regularization and more data",
    "Option1 and option3",
    "1\n3",
    "The answer is 1 and 3.",
    "I think 1 and 3 are correct because they reduce overfitting.",
    "1 and 3, not 2",
    "1 and 3 (not 2 or 4)",
    "All of the above except 2",
    "1, 3 — a larger dataset and stronger regularization both reduce overfitting.",
    "1 and 3\nThe gap is overfitting; adding hidden units (2) makes it worse.",
    "- 1: a larger dataset, which reduces overfitting\n- 3: stronger regularization, which "
    "keeps the weights small",
    "- 1, 3\n- 2 would increase capacity",
    "Your Answer: 1, 3\n\nYour Explanation: 2 adds capacity; 4 is wrong since 1 helps.",
    "*Your Answer:* 1 and 3\n*Your Explanation:* More hidden units (2) would overfit.",
    "**Your answer**: 1,3\nExplanation: with lr 0.1 and 1500 epochs, 2 overfits.",
]

WRONG = [
    ("1, 2", {1, 2}), ("2", {2}), ("4", {4}), ("3", {3}), ("1", {1}),
    ("more hidden units", {2}), ("Add more hidden units.", {2}), ("a bigger network", {2}),
    ("all of the above", {1, 2, 3}), ("1, 2, 3", {1, 2, 3}), ("None of the above", {4}),
    ("2 and 3\n1 would not help", {2, 3}),
    ("Larger dataset and more hidden units", {1, 2}),
    ("Fewer hidden units and more data", {1}),
    ("2: Add more hidden units. AND 3: Increase the regularization strength.", {2, 3}),
    ("Your Answer: 2\nYour Explanation: 1 and 3 do not help", {2}),
]


@pytest.mark.parametrize("answer", RIGHT)
def test_right_answers_read_as_one_and_three(answer):
    assert read.choices(answer) == {1, 3}


@pytest.mark.parametrize("answer, picked", WRONG)
def test_wrong_answers_read_as_what_they_pick(answer, picked):
    assert read.choices(answer) == picked


@pytest.mark.parametrize("answer", ["", "(write it here)", "I'm not sure", "See below.",
                                    "lr = 0.1, 1000 units, wd = 1e-3"])
def test_text_naming_no_option_picks_nothing(answer):
    assert read.choices(answer) == set()


def test_numbers_inside_other_numbers_are_not_options():
    # Hyperparameters and layer names in an answer are not choices.
    assert read.choices("0.1 and 3072 and 1.5 and 1e-3 and 10 and 2x and 1st") == set()


def test_only_the_answer_part_is_read():
    explanation = "4 is wrong. More hidden units (2) add capacity."
    assert read.answer_part(f"Your Answer: 1, 3\nYour Explanation: {explanation}").strip() == "1, 3"
    assert read.choices(f"Your answer: 1 and 3\n\nYour explanation: {explanation}") == {1, 3}


# ---- inline_answer: where the answer is found --------------------------------

def test_answer_in_the_course_question_cell():
    nb = course_layout(" 1, 3", " 2 would add capacity and overfit more; 4 is wrong.")
    assert read.choices(read.inline_answer(nb)) == {1, 3}


def test_answer_in_words_in_the_course_question_cell():
    nb = course_layout(" Training on a larger dataset and Increase the regularization strength",
                       " Adding more hidden units would make it worse.")
    assert read.choices(read.inline_answer(nb)) == {1, 3}


def test_answer_in_the_markdown_cell_after_the_question():
    question = COURSE_QUESTION.format(answer="", explanation="")
    nb = notebook(md(question), code("print(1)"),
                  md("1 and 3\n\nBecause 2 increases capacity."), md("## Survey"))
    assert read.choices(read.inline_answer(nb)) == {1, 3}


def test_wrong_answer_in_the_question_cell_is_read_as_wrong():
    nb = course_layout(" 2", " more hidden units learn more")
    assert read.choices(read.inline_answer(nb)) == {2}


def test_answer_in_our_tagged_cell():
    answer = md("**Your answer:** 1, 3\n\n**Your explanation:** 2 widens the gap.")
    answer.metadata["tags"] = ["solution", "grader:inline_answer"]
    nb = notebook(md(f"## Inline question\n\n{OPTIONS}\n\nAnswer in the cell below."), answer)
    assert read.choices(read.inline_answer(nb)) == {1, 3}


def test_untagged_short_question_and_its_answer_cell():
    # tests/test_grade_notebook.py's layout: a question without the options' words.
    nb = notebook(md("## Inline question\n\nWhich would shrink the gap? 1, 2, 3 or 4."),
                  md("**Your answer:** 1, 3\n\n**Your explanation:** less overfitting."))
    assert read.choices(read.inline_answer(nb)) == {1, 3}


def test_answer_appended_after_the_options_without_a_label():
    nb = notebook(md(f"**Inline Question**\n\n{OPTIONS}\n\n1 and 3"), md("## Survey"))
    assert read.choices(read.inline_answer(nb)) == {1, 3}


def test_the_question_options_are_never_read_as_the_answer():
    # An unanswered course notebook: its option list names all four options.
    nb = course_layout("", "")
    answer = read.inline_answer(nb)
    assert answer is None or read.choices(answer) == set()


def test_no_question_and_no_answer():
    assert read.inline_answer(notebook(code("x = 1"), md("# Title"))) is None


# ---- the check's score ----------------------------------------------------------

def score(nb):
    """Credit of check 6.7 on `nb`, or None if it fails outright."""
    report = Report()
    result = SimpleNamespace(submitted=True, execution=SimpleNamespace(notebook=nb), problem="")
    try:
        inline_question_check(result, report)
    except AssertionError:
        return None
    return report.fraction()


@pytest.mark.parametrize("answer, credit", [
    (" 1, 3", 1.0), (" Training on a larger dataset and Increase the regularization strength", 1.0),
    (" 1", 0.5), (" all of the above", 0.5), (" 1, 2, 3", 0.5), (" 1, 3, 4", 0.5),
    (" 2", 0.0), (" 4", 0.0), (" 1, 2", 0.0), (" 2, 4", 0.0),
    ("", None), (" I do not know", None),
])
def test_inline_question_score(answer, credit):
    assert score(course_layout(answer, " 2 would add capacity")) == credit


# ---- plots and the training before them -----------------------------------------

def executed(source, outputs=(), count=1):
    cell = code(source)
    cell.execution_count = count
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    return cell


IMAGE = {"output_type": "display_data", "data": {"image/png": "iVBORw0KGgo="}, "metadata": {}}
ERROR = {"output_type": "error", "ename": "ValueError", "evalue": "bad", "traceback": []}
STREAM = {"output_type": "stream", "name": "stdout", "text": "Epoch Average Loss: 2.3\n"}


def test_plot_after_training_that_ran():
    plot = executed("plt.plot(loss)", [IMAGE])
    nb = notebook(executed("trainer.train()", [STREAM]), plot)
    assert read.plotted(nb, plot)


def test_plot_after_failed_training_does_not_count():
    plot = executed("plt.plot(loss)", [IMAGE])
    nb = notebook(executed("trainer.train()", [STREAM]), executed("t2.train()", [ERROR]), plot)
    assert not read.plotted(nb, plot)


def test_epoch_lines_printed_by_a_training_cell_that_raised_are_no_evidence():
    # The cell's own text (its Trainer's epoch lines, or lines printed by hand) does not
    # show that its training finished: only that it ran without raising does.
    plot = executed("plt.plot(loss)", [IMAGE])
    nb = notebook(executed("trainer.train()", [STREAM, STREAM, ERROR]), plot)
    assert not read.plotted(nb, plot) and read.layout(nb).first_failed == 0


def test_plot_before_any_training_does_not_count():
    plot = executed("plt.plot(loss)", [IMAGE])
    nb = notebook(plot, executed("trainer.train()", [STREAM]))
    assert not read.plotted(nb, plot)
    never_run = code("trainer.train()")  # no execution count, no outputs
    assert not read.plotted(notebook(never_run, plot), plot)


def test_plot_in_the_training_cell_and_failed_plot_cells():
    both = executed("trainer.train()\nplt.plot(loss)", [STREAM, IMAGE])
    assert read.plotted(notebook(both), both)
    broken = executed("trainer.train()\nplt.plot(loss)", [STREAM, IMAGE, ERROR])
    assert not read.plotted(notebook(broken), broken)


def test_a_plot_whose_savefig_failed_still_counts():
    # plt.savefig("figures/loss.png") on the student's machine's folder: the
    # figure was drawn; only writing it failed.
    saving = {"output_type": "error", "ename": "FileNotFoundError", "evalue": "figures/loss.png",
              "traceback": ["\x1b[0;31mFileNotFoundError\x1b[0m", "File .../pyplot.py, in savefig",
                            "FileNotFoundError: [Errno 2] No such file or directory"]}
    plot = executed("plt.plot(loss)\nplt.savefig('figures/loss.png')", [IMAGE, saving])
    assert read.plotted(notebook(executed("trainer.train()", [STREAM]), plot), plot)
    other = dict(saving, traceback=["File <cell>, in <module>", "open('figures/x')"])
    failed_plot = executed("plt.plot(loss)\nopen('figures/x')", [IMAGE, other])
    assert read.images(failed_plot) == 0


def test_a_failed_training_after_the_plot_does_not_matter():
    plot = executed("plt.plot(loss)", [IMAGE])
    nb = notebook(executed("trainer.train()", [STREAM]), plot, executed("t2.train()", [ERROR]))
    assert read.plotted(nb, plot)


def test_layout_is_recomputed_when_the_cells_change():
    plot = executed("plt.plot(loss)", [IMAGE])
    nb = notebook(plot)
    assert not read.plotted(nb, plot)
    nb.cells.insert(0, executed("trainer.train()", [STREAM]))
    assert read.plotted(nb, plot)
    assert not read.plotted(nb, executed("plt.plot(loss)", [IMAGE]))  # a cell not in nb


# ---- caps and linear time ------------------------------------------------------

def big_notebook(n):
    """n cells that all mention plotting, with a failed training first, so that
    every plot cell is judged (none counts) and every cell's outputs are read.

    Built as plain dicts converted once: nbformat's new_code_cell validates
    each cell, which would take longer than reading them.
    """
    printed = {"output_type": "stream", "name": "stdout",
               "text": "Validation accuracy: 0.40\nTest accuracy: 0.41\n"}
    cells = [{"cell_type": "code", "source": "trainer.train()", "metadata": {},
              "execution_count": 1, "outputs": [ERROR]}]
    cells += [{"cell_type": "code", "source": "plt.plot(loss)  # loss\nprint('Test accuracy of best_net: 0.41')",
               "metadata": {}, "execution_count": i + 2, "outputs": [printed, IMAGE]}
              for i in range(n - 3)]
    cells += [{"cell_type": "markdown", "source": f"**Inline Question**\n\n{OPTIONS}", "metadata": {}},
              {"cell_type": "markdown", "source": "Your Answer: 1, 3", "metadata": {}}]
    return nbformat.from_dict({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def read_everything(nb):
    """What the notebook checks read: plots, printed accuracies, claims, the answer."""
    loss = read.find_cells(nb, "grader:loss_plot", uses=("plt", "loss"))
    plots = [read.plotted(nb, c) for c in loss]
    printed = [read.accuracies(read.text(c), "") for c in
               read.find_cells(nb, "grader:test_accuracy", uses=("print",))]
    return plots, printed, read.claimed(nb), read.choices(read.inline_answer(nb) or "")


def test_reading_a_notebook_visits_each_cell_a_bounded_number_of_times(monkeypatch):
    """Linear in the notebook's size, counted rather than timed: the old plotted()
    rescanned every earlier cell for each cell (20,000 cells took minutes)."""
    monkeypatch.setattr(config, "NOTEBOOK_MAX_CELLS", 10 ** 6)
    visits = [0]
    original = read.cells

    def counting(nb):
        for cell in original(nb):
            visits[0] += 1
            yield cell
    monkeypatch.setattr(read, "cells", counting)
    for n in (1000, 2000):
        visits[0] = 0
        plots, printed, claims, chosen = read_everything(big_notebook(n))
        assert len(plots) == n - 3 and not any(plots)
        assert len(claims["test"]) == n - 3 and chosen == {1, 3}
        assert visits[0] <= 8 * n, f"{visits[0]} cell visits for {n} cells"


def test_cells_past_the_cap_are_not_read(monkeypatch):
    monkeypatch.setattr(config, "NOTEBOOK_MAX_CELLS", 100)
    nb = big_notebook(1000)
    assert len(read.claimed(nb)["test"]) == 99  # the cells after the first failed training, up to 100
    assert read.inline_answer(nb) is None       # the question is cell 999


def test_outputs_cut_to_the_last_ones_still_show_the_error():
    many = [STREAM] * (3 * config.NOTEBOOK_MAX_OUTPUTS) + [ERROR]
    assert read.failed(executed("trainer.train()", many))


def test_output_text_cut_to_its_last_characters():
    # A long training log, then the accuracy: the last lines are kept, and the
    # line the cut falls into is dropped rather than read as a shorter number.
    log = "Test accuracy: 0.412\n" * (config.NOTEBOOK_MAX_TEXT // 10)
    cell = executed("print(log)", [{"output_type": "stream", "name": "stdout",
                                    "text": log + "Test accuracy: 0.377\n"}])
    text = read.text(cell)
    assert len(text) <= config.NOTEBOOK_MAX_TEXT and text.endswith("Test accuracy: 0.377\n")
    assert set(read.accuracies(text, "test")) == {0.412, 0.377}


def test_a_missing_output_says_when_the_output_caps_cut_it():
    from grader.checks.test_notebook import test_required_outputs as outputs_check
    nb = notebook(executed("for i in range(10**7): print(i)", [STREAM]), code("plt.plot(loss)"))
    for truncated, said in (([0], True), ([], False)):
        report = Report()
        outputs_check(SimpleNamespace(execution=SimpleNamespace(notebook=nb, truncated=truncated, errors=[],
                                                                timed_out=[]),
                                      problem="", student_training=None), report)
        messages = [message for _, credit, message, _ in report.parts if credit < 1]
        assert len(messages) == 3
        assert all(("cut to the grader's limits" in m and "cell(s) 1" in m) == said for m in messages)


# ---- whether best_net was trained (run._trained) ------------------------------

TRAINER = ("def train_net(lr, weight_decay, epoch, hidden_size):\n"
           "    net = init_model(hidden_size)\n"
           "    Trainer(dataset, SGD(net, lr, weight_decay), net, CrossEntropyLoss(), epoch).train()\n"
           "    return net")


def _trained(sources):
    """Whether some cell trains, as read.trains_code reads code (6.1's and 6.6's excuses use it)."""
    cells = [nbformat.v4.new_code_cell(s) for s in sources]
    helpers = read.trainers(cells)
    return any(read.trains_code(cell, helpers) for cell in cells[-1:])


def test_a_helper_function_that_trains_counts_as_training():
    # A fair notebook wraps the template's training in a function and calls it for best_net.
    assert _trained([TRAINER, "best_net = train_net(*best_net_hyperparams)"])
    assert _trained(["def inner(n):\n    Trainer(d, o, n, l, 3).train()", "def outer(h):\n    n = f(h)\n    inner(n)\n"
                     "    return n", "best_net = outer(80)"])
    assert not _trained(["def evaluate(n):\n    return n.predict(x)", "best_net = make()\nevaluate(best_net)"])


def test_training_in_a_comment_is_not_training():
    assert not _trained(["best_net = init_model(80)\n# trainer.train()"])
    assert _trained(["best_net = init_model(80)\ntrainer.train()  # train"])


@pytest.mark.parametrize("answer", ["I would choose 1 and 3.", "It is 1 and 3.", "This would be 1 and 3.",
                                    "It should be 1 and 3", "We can use 1 and 3.", "Options that help: 1 and 3.",
                                    "So 1 and 3.", "It is 1 and 3 because more data reduces overfitting."])
def test_an_answer_introduced_by_would_it_or_so_is_read(answer):
    # An outside tester's phrasings: the explainer word before the numbers cut them off.
    assert read.choices(answer) == {1, 3}
    assert read.choices(answer.replace("3", "2")) == {1, 2}


THREE_CELLS = ["best_net_hyperparams = [0.1, 0.002, 120, 80]\nlr, wd, epoch, hidden = best_net_hyperparams\n"
               "np.random.seed(0)\nbest_net = init_model(hidden)",
               "trainer = Trainer(dataset, SGD(best_net, lr, wd), best_net, CrossEntropyLoss(), epoch=epoch)",
               "loss_history, val_accuracies = trainer.train()",
               "print(best_net.predict(x).mean())"]


def test_in_the_courses_three_cell_layout_best_nets_cell_is_the_one_that_trains_and_its_seed_the_creators():
    # A real notebook: the creation cell was taken as best_net's, its training cell then stopped
    # by the other cells' limit, and a false tamper note followed.
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Train best_net")] +
                                  [nbformat.v4.new_code_cell(s) for s in THREE_CELLS])
    index = read.best_net_cell(nb)
    assert index == 3
    created = read.best_net_created(nb, index)
    assert created == 1 and read.seed_of(nb.cells[created]) == 0
    # without a training cell after it, the creation cell stays best_net's
    nb.cells = nb.cells[:3]
    assert read.best_net_cell(nb) == 1

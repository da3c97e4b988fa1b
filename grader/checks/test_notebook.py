"""Checks of the executed notebook. They share one run of it (the `notebook` fixture)."""
from gradescope_utils.autograder_utils.decorators import number, visibility, weight

from grader import config
from utils import notebook_code

from grader.notebook import read

EXPECTED_CHOICES = {1, 3}


def _excused(notebook, index, error):
    """Why an error of cell `index` is not the notebook's own fault, or "" if it is.

    The grader's own time limits (said once, where they matter), savefig writing
    into a folder of the student's machine, errors raised inside the student's
    layer code when a layer check already failed (one cause, one deduction: the
    layer checks name it), and a NameError for a name that an earlier cell, stopped
    or failing for one of these causes, would have bound (read from its code).
    """
    why = _cause(notebook, index)
    if why or not error.startswith("NameError: name '"):
        return why
    name = error[len("NameError: name '"):].split("'", 1)[0]
    execution = notebook.execution
    earlier = sorted({i for i in execution.timed_out} | {i for i, _ in execution.errors})
    for before in (i for i in earlier if i < index):
        if name in notebook_code.read_cell(read.source(execution.notebook.cells[before])).binds and (
                _cause(notebook, before) or _errors_excused(notebook, before)):
            return (f"`{name}` is undefined because {read.cell_name(execution.notebook.cells, before)}, "
                    "which sets it, did not finish "
                    "(said above, not counted again)")
    return ""


def _errors_excused(notebook, index):
    """Whether cell `index` raised and each of its errors is excused: what it would have
    bound is missing for the same cause (a stop, then a NameError, then another)."""
    errors = [error for i, error in notebook.execution.errors if i == index]
    return bool(errors) and all(_excused(notebook, index, error) for error in errors)


def _cell_excused(notebook, cell):
    """Why every error of `cell` is excused, or "" (no error, or one of the notebook's own)."""
    execution = notebook.execution
    index = next((i for i, c in enumerate(execution.notebook.cells) if c is cell), None)
    errors = [error for i, error in execution.errors if i == index]
    reasons = [_excused(notebook, index, error) for error in errors]
    return reasons[0] if reasons and all(reasons) else ""


def _charged_in(notebook):
    """Where a layer bug that stops training is charged: the layer checks that met it, else
    6.5 (a bug at best_net's shape alone)."""
    return "the layer checks above already count" if notebook.layers_failed else "6.5 counts"


def _cause(notebook, index):
    """Why cell `index`'s own error or stop is not the notebook's fault, or ""."""
    execution = notebook.execution
    if index in execution.timed_out:
        if index == notebook.best_net_cell:
            if notebook.stop_charged:  # charged once, where it shows: best_net as the cell left it
                return "best_net's cell was stopped by the grader; what that cost is judged in 6.5"
            return "best_net's training was stopped by the grader (see 6.3)"
        if index in execution.wall_stopped:
            return (f"stopped by the grader after {execution.cell_seconds.get(index, 0):.0f} s of the wall "
                    "clock, its limit for a cell that uses little CPU (it waits)")
        return (f"stopped by the grader's time limit for cells other than best_net's after "
                f"{execution.cell_cpu.get(index, 0):.0f} s of CPU time (a search left in the notebook is not "
                "needed for grading)")
    cell = execution.notebook.cells[index]
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if errors and all(read._failed_saving(o) for o in errors):
        return "savefig could not write to a folder of your own machine (the figure was drawn)"
    if notebook.layers_failed and errors and all(
            any("/layers/" in line for line in o.get("traceback", [])) for o in errors):
        return "raised inside your layer code, which the layer checks above already count"
    if notebook.student_training and read.trains_code(cell, read.trainers(execution.notebook.cells)):
        return ("raised while training, as the grader's own training with your layers does "
                f"({notebook.student_training}), which {_charged_in(notebook)}")
    return ""


@weight(5)
@number("6.1")
@visibility("visible")
def test_notebook_runs(notebook, report):
    """The notebook runs top to bottom"""
    assert notebook.submitted, notebook.problem
    execution = notebook.execution
    assert execution is not None, notebook.problem
    code_cells = sum(1 for c in execution.notebook.cells if c.cell_type == "code")
    if execution.stopped and not (execution.stopped_by_time and execution.running == notebook.best_net_cell):
        report.part("finished", False, f"The notebook did not finish: {execution.stopped}.")
    elif execution.skipped_cells:
        report.part("finished", False, f"The notebook has {execution.skipped_cells} code cells more "
                    f"than the {config.NOTEBOOK_MAX_RUN_CELLS} the grader runs; those were not run.")
    failed, excused = [], []
    for index, error in execution.errors:
        why = _excused(notebook, index, error)
        (excused if why else failed).append(f"{read.cell_name(execution.notebook.cells, index)}: {why or error}")
    report.part("cells without errors", not failed,
                "Cells that raised: " + "; ".join(failed[:5]) if failed else "",
                weight=1.0 if code_cells else 0.0)
    if excused:
        report.note("Not counted against you: " + "; ".join(excused[:5]) + ".")


@weight(3)
@number("6.2")
@visibility("visible")
def test_best_hyperparams(notebook):
    """best_net_hyperparams = [lr, weight_decay, epoch, hidden_size]"""
    assert notebook.hyperparams is not None, notebook.hyperparams_problem or notebook.problem


def _accuracy_check(notebook, report, split, threshold, images):
    """6.3 / 6.4: the network judge.py chose, over `threshold` on `split`."""
    verdict = notebook.verdict
    assert verdict is not None, notebook.problem or "the notebook did not run"
    assert verdict.accuracy is not None, verdict.why_not
    accuracy = verdict.accuracy[split]
    passed = accuracy > threshold
    tune = "" if passed else (" Tune best_net_hyperparams further." if "fix them first" not in verdict.basis
                              else "")
    report.part(split, passed, f"The {split} accuracy is {accuracy:.3f} on the notebook's {images} "
                f"{split} images, measured by the grader on its own labels; it must be over "
                f"{threshold}.{tune}")
    report.note(f"Judged: {verdict.basis}.")


@weight(10)
@number("6.3")
@visibility("visible")
def test_validation_accuracy(notebook, report):
    """Validation accuracy of best_net over 40%"""
    _accuracy_check(notebook, report, "validation", config.VAL_ACCURACY_THRESHOLD, 250)


@weight(10)
@number("6.4")
@visibility("visible")
def test_test_accuracy(notebook, report):
    """Test accuracy of best_net over 35%"""
    _accuracy_check(notebook, report, "test", config.TEST_ACCURACY_THRESHOLD, 500)


@weight(5)
@number("6.5")
@visibility("visible")
def test_reproducible(notebook, report):
    """best_net is what best_net_hyperparams give"""
    verdict = notebook.verdict
    assert verdict is not None, notebook.problem or "the notebook did not run"
    said = verdict.reproducible.rstrip(".") + "."
    report.part("agrees with the grader's training", verdict.passes_reproducible, said)
    if verdict.passes_reproducible and verdict.reproducible:
        report.note(said)


@weight(4)
@number("6.6")
@visibility("visible")
def test_required_outputs(notebook, report):
    """Plots and the printed test accuracy"""
    assert notebook.execution is not None, notebook.problem
    nb = notebook.execution.notebook
    cut = _cut_note(notebook.execution)
    # A plot whose cell raised for a cause already charged (a layer bug that stops training,
    # a stop of the grader's) is that cause's, said and not charged again.
    loss = read.find_cells(nb, *notebook_code.LOSS_PLOT)
    _plot_part(notebook, report, "loss plot", loss, "The loss history / validation accuracy plot "
               "produced no image (or the training before it failed)." + cut)
    weights = read.find_cells(nb, *notebook_code.WEIGHTS_PLOT)
    _plot_part(notebook, report, "weights plot", weights, "The first layer's weights (visualize_grid) "
               "produced no image (or the training before it failed)." + cut)
    test = read.find_cells(nb, *notebook_code.TEST_ACCURACY)
    printed = any(read.accuracies(read.text(c), "") for c in test)
    report.part("test accuracy printed", printed, "The test accuracy of best_net was not printed." + cut)


def _plot_part(notebook, report, name, cells, missing):
    nb = notebook.execution.notebook
    if any(read.plotted(nb, c) for c in cells):
        report.part(name, True)
        return
    excused = [f"its cell raised, and {why}" for why in (_cell_excused(notebook, c) for c in cells) if why]
    # A plot after a failed training shows nothing learned, and the failure is charged where
    # it is: to the layer checks when the grader's own training with these layers fails too,
    # else to 6.1 (or to the stop's own message). Not charged a second time here.
    layout = read.layout(nb)
    failed_first = layout.first_failed
    if not excused and failed_first is not None and any(
            layout.position.get(id(c), -1) > failed_first for c in cells):
        cause = _cause(notebook, failed_first)
        if notebook.student_training:
            how = f"raised, as the grader's own training with your layers does, which {_charged_in(notebook)}"
        elif cause:
            how = f"did not finish: {cause}"
        else:
            how = "raised, which 6.1 counts"
        excused = [f"the training before it ({read.cell_name(nb.cells, failed_first)}) {how}"]
    if excused:
        # Not counted either way: weight 0 neither earns the part nor loses it, so an
        # untouched template (every layer unimplemented) still earns nothing here.
        report.credit(name, 0.0, "", weight=0.0)
        report.note(f"No {name}, not counted: {excused[0]}.")
        return
    report.part(name, False, missing)


def _cut_note(execution):
    """A sentence for a missing output when the grader's output caps cut some off."""
    if not execution.truncated:
        return ""
    cells = ", ".join(str(i + 1) for i in execution.truncated[:5])
    return (f" Output was cut to the grader's limits ({config.NOTEBOOK_OUTPUT_BYTES_PER_CELL >> 20} MB "
            f"a cell, {config.NOTEBOOK_OUTPUT_BYTES >> 20} MB in all) in cell(s) {cells}: "
            "print less (e.g. not every iteration).")


@weight(3)
@number("6.7")
@visibility("visible")
def test_inline_question(notebook, report):
    """Inline question: what shrinks the train/test gap"""
    assert notebook.submitted, notebook.problem
    source = notebook.execution.notebook if notebook.execution else None
    answer = read.inline_answer(source) if source is not None else None
    assert answer, ("The inline question has no answer: write the numbers of your choices "
                    "after 'Your Answer:' (in the question's cell or the cell after it).")
    chosen = read.choices(answer)
    assert chosen, ("The inline question's answer names no option: start it with the numbers "
                    "of your choices ('Your Answer: <numbers>'), then explain.")
    # Each right choice earns half and each wrong one takes half back, so that
    # choosing every option is no better than choosing one right option.
    right, wrong = len(chosen & EXPECTED_CHOICES), len(chosen - EXPECTED_CHOICES)
    credit = (right - wrong) / len(EXPECTED_CHOICES)
    report.credit("answer", credit, "" if credit == 1 else
                  f"Your answer was read as option(s) {', '.join(map(str, sorted(chosen)))}, "
                  "which is not fully right: think about what reduces overfitting.")

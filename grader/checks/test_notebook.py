"""Checks of the executed notebook. They share one run of it (the `notebook` fixture)."""
import math

from gradescope_utils.autograder_utils.decorators import number, visibility, weight

from grader import config
from grader.notebook import evaluate, read
from grader.runners import StudentError, WorkerFailure

EXPECTED_CHOICES = {1, 3}


def _need_network(notebook):
    """Stop the check with the reason when best_net could not be evaluated."""
    assert notebook.pairs is not None, notebook.problem or "best_net could not be evaluated"


def _hyperparams(notebook):
    """best_net_hyperparams as [lr, weight_decay, epoch, hidden_size] if sane, else a reason."""
    execution = notebook.execution
    values = (execution.extracted or {}).get("hyperparams") if execution else None
    if values is None:
        return None, notebook.problem or "best_net_hyperparams is not defined"
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        return None, f"best_net_hyperparams is {values}: expected four numbers [lr, weight_decay, epoch, hidden_size]"
    problems = []
    for (name, (low, high)), value in zip(config.HYPERPARAM_RANGES.items(), values):
        if not low <= value <= high:
            problems.append(f"{name} = {value:g} is outside [{low:g}, {high:g}]")
        elif name in ("epoch", "hidden_size") and value != int(value):
            problems.append(f"{name} = {value:g} is not a whole number")
    return (None, "; ".join(problems)) if problems else (values, "")


@weight(5)
@number("6.1")
@visibility("visible")
def test_notebook_runs(notebook, report):
    """The notebook runs top to bottom"""
    assert notebook.submitted, notebook.problem
    execution = notebook.execution
    assert execution is not None, notebook.problem
    code_cells = sum(1 for c in execution.notebook.cells if c.cell_type == "code")
    if execution.stopped:
        report.part("finished", False, f"The notebook did not finish: {execution.stopped}.")
    elif execution.skipped_cells:
        report.part("finished", False, f"The notebook has {execution.skipped_cells} code cells more "
                    f"than the {config.NOTEBOOK_MAX_RUN_CELLS} the grader runs; those were not run.")
    failed = [f"cell {index + 1}: {error}" for index, error in execution.errors]
    report.part("cells without errors", not failed,
                "Cells that raised: " + "; ".join(failed[:5]) if failed else "",
                weight=1.0 if code_cells else 0.0)


@weight(3)
@number("6.2")
@visibility("visible")
def test_best_hyperparams(notebook):
    """best_net_hyperparams = [lr, weight_decay, epoch, hidden_size]"""
    values, problem = _hyperparams(notebook)
    assert values is not None, problem


@weight(10)
@number("6.3")
@visibility("visible")
def test_validation_accuracy(notebook):
    """Validation accuracy of best_net over 40%"""
    _need_network(notebook)
    accuracy = notebook.accuracy["validation"]
    assert accuracy > config.VAL_ACCURACY_THRESHOLD, (
        f"best_net's validation accuracy is {accuracy:.3f}, measured by the grader on the "
        f"notebook's 250 validation images; it must be over {config.VAL_ACCURACY_THRESHOLD}. "
        "Tune best_net_hyperparams further.")


@weight(10)
@number("6.4")
@visibility("visible")
def test_test_accuracy(notebook):
    """Test accuracy of best_net over 35%"""
    _need_network(notebook)
    accuracy = notebook.accuracy["test"]
    assert accuracy > config.TEST_ACCURACY_THRESHOLD, (
        f"best_net's test accuracy is {accuracy:.3f}, measured by the grader on the notebook's "
        f"500 test images; it must be over {config.TEST_ACCURACY_THRESHOLD}.")


@weight(5)
@number("6.5")
@visibility("visible")
def test_reproducible(notebook, student, report):
    """best_net can be retrained from best_net_hyperparams"""
    values, problem = _hyperparams(notebook)
    assert values is not None, f"cannot retrain: {problem}"
    try:
        arrays = student.run("train_notebook", {"hyperparams": values, "seed": 0, "batch_size": 200},
                             timeout=config.REPRODUCE_TIMEOUT)
    except (StudentError, WorkerFailure) as exc:
        raise AssertionError(f"Retraining from best_net_hyperparams failed: {exc}") from None
    try:
        pairs = evaluate.weights_of(["Linear", "ReLU", "Linear", "Softmax"], arrays)
    except evaluate.ArchitectureError as exc:
        raise AssertionError(f"Retraining from best_net_hyperparams gave an unusable network: {exc}") from None
    accuracy = evaluate.accuracies(pairs)
    report.part("validation", accuracy["validation"] > config.VAL_ACCURACY_THRESHOLD,
                f"Retrained from best_net_hyperparams (seed 0, batch 200), the network reaches "
                f"validation accuracy {accuracy['validation']:.3f} (needs over "
                f"{config.VAL_ACCURACY_THRESHOLD}): the notebook's best_net could not be reproduced.")
    report.part("test", accuracy["test"] > config.TEST_ACCURACY_THRESHOLD,
                f"Retrained, the network reaches test accuracy {accuracy['test']:.3f} "
                f"(needs over {config.TEST_ACCURACY_THRESHOLD}).")


@weight(4)
@number("6.6")
@visibility("visible")
def test_required_outputs(notebook, report):
    """Plots and the printed test accuracy"""
    assert notebook.execution is not None, notebook.problem
    nb = notebook.execution.notebook
    loss = read.find_cells(nb, "grader:loss_plot", contains=("plt", "loss"))
    report.part("loss plot", any(read.plotted(nb, c) for c in loss),
                "The loss history / validation accuracy plot produced no image "
                "(or the training before it failed).")
    weights = read.find_cells(nb, "grader:weights_plot", contains=("visualize_grid", "imshow"))
    report.part("weights plot", any(read.plotted(nb, c) for c in weights),
                "The first layer's weights (visualize_grid) produced no image "
                "(or the training before it failed).")
    test = read.find_cells(nb, "grader:test_accuracy", contains=("best_net", "x_test"))
    printed = any(read.accuracies(read.text(c), "") for c in test)
    report.part("test accuracy printed", printed, "The test accuracy of best_net was not printed.")


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

"""grader/checks/test_notebook.py's excuses: a NameError is the cause's that left the name
unbound, however many cells the chain runs through."""
import nbformat

from grader.checks.test_notebook import _excused
from grader.notebook.execute import Execution
from grader.notebook.run import NotebookResult


def test_a_chain_of_name_errors_after_a_stopped_search_is_the_stops():
    cells = [nbformat.v4.new_code_cell(s) for s in (
        "for lr in grid:\n    train(lr)\nbest_net_hyperparams = [best, 0.002, 120, 80]",
        "best_net = init_model(best_net_hyperparams[3])",
        "print(best_net.predict(x_test))",
        "print(undefined_elsewhere)")]
    execution = Execution(notebook=nbformat.v4.new_notebook(cells=cells), timed_out=[0],
                          errors=[(1, "NameError: name 'best_net_hyperparams' is not defined"),
                                  (2, "NameError: name 'best_net' is not defined"),
                                  (3, "NameError: name 'undefined_elsewhere' is not defined")],
                          cell_seconds={0: 90.0, 1: 0.1, 2: 0.1, 3: 0.1})
    notebook = NotebookResult(submitted=True, execution=execution, best_net_cell=1)
    assert "code cell 1 (for lr in grid:), which sets it" in _excused(notebook, 1, execution.errors[0][1])
    assert "code cell 2 (best_net = init_model(best_net_hyperparams[3])), which sets it" in _excused(notebook, 2, execution.errors[1][1])
    assert _excused(notebook, 3, execution.errors[2][1]) == ""


def _stopped_best_net(cell_seconds, own_seconds, left, wall_stopped=False):
    """best_net's cell (In [2]) stopped by the grader after `cell_seconds` of CPU (its limit), or
    (wall_stopped) by the wall clock after 3 x that, having used 1 s of CPU; the grader's own
    training of [0.1, 0.002, 120, 80] took `own_seconds` of CPU; best_net as left: `left`."""
    from grader import config
    from grader.notebook import judge, run
    cells = [nbformat.v4.new_code_cell("x = 1"),
             nbformat.v4.new_code_cell("np.random.seed(0)\nbest_net = init_model(80)\ntrainer.train()")]
    execution = Execution(notebook=nbformat.v4.new_notebook(cells=cells), timed_out=[1],
                          cell_seconds={0: 0.1, 1: cell_seconds * (3 if wall_stopped else 1)},
                          cell_cpu={0: 0.1, 1: 1.0 if wall_stopped else cell_seconds},
                          wall_stopped=[1] if wall_stopped else [])
    checkpoints = [{"epochs": e, "validation": 0.1 + e / 400, "test": 0.1 + e / 400}
                   for e in range(12, 120, 12)]
    result = NotebookResult(submitted=True, execution=execution, best_net_cell=1,
                            hyperparams=[0.1, 0.002, 120, 80], retrain={"validation": 0.41, "test": 0.41},
                            retrain_seconds=own_seconds, retrain_checkpoints=checkpoints, accuracy=left)
    result.stopped_by_grader, result.stop_charged = run._stopped(result, execution, cell_seconds)
    if result.stopped_by_grader:
        result.partial = run._partial(result, execution)
    result.student_training, result.trains_alike = "", True
    return result, judge.judge(run._evidence(result, execution, 0, []), config.SEED_SPREAD)


def test_a_stop_the_grader_excuses_holds_only_for_a_best_net_that_trained_that_long():
    """The grader's own training took 99 s against a 97-s limit (a loaded machine): the stop is
    excused, and an honest training had done at least 97 / (99 x 2) of its 120 epochs (58:
    checkpoint 48, the grader's network there at 0.22). A best_net that waited is at chance."""
    result, verdict = _stopped_best_net(97.0, 99.0, {"validation": 0.30, "test": 0.31})
    assert result.stopped_by_grader and result.partial["epochs"] == 48
    assert verdict.passes_reproducible and verdict.accuracy == {"validation": 0.41, "test": 0.41}
    result, verdict = _stopped_best_net(97.0, 99.0, {"validation": 0.10, "test": 0.09})
    assert result.stopped_by_grader and verdict.credible is False and not verdict.passes_reproducible
    assert "at least 48 of its 120 epochs" in verdict.reproducible
    # Stopped early in a training far longer than the limit: no checkpoint is certain, the excuse holds.
    result, verdict = _stopped_best_net(10.0, 99.0, {"validation": 0.10, "test": 0.09})
    assert result.partial is None and verdict.passes_reproducible


def test_a_best_net_cell_that_waited_until_the_wall_clock_stopped_it_is_never_excused():
    """Stopped by the wall clock, not by its CPU limit: it used 1 s of CPU in 291 s. However long
    the grader's own training (here longer than the limit), no training of best_net_hyperparams
    waits: charged, and best_net judged as left (at chance: not credible)."""
    result, verdict = _stopped_best_net(97.0, 99.0, {"validation": 0.10, "test": 0.09}, wall_stopped=True)
    assert not result.stopped_by_grader and "it waited" in result.stop_charged
    assert verdict.credible is False and not verdict.passes_reproducible and verdict.accuracy is None

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
    assert "cell 1, which sets it" in _excused(notebook, 1, execution.errors[0][1])
    assert "cell 2, which sets it" in _excused(notebook, 2, execution.errors[1][1])
    assert _excused(notebook, 3, execution.errors[2][1]) == ""

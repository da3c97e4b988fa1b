"""The notebook runner on small synthetic notebooks: errors, exits, hangs, extraction."""
import tempfile

import nbformat
import numpy as np
import pytest

from grader.notebook.execute import execute
from grader.sandbox import Sandbox, remove_tree

NET = ("import numpy as np\n"
       "class Layer:\n"
       "    def __init__(self, shape):\n"
       "        self.w = np.arange(np.prod(shape), dtype=float).reshape(shape)\n"
       "        self.b = np.ones(shape[1])\n"
       "class Net:\n"
       "    def __init__(self):\n"
       "        self._modules = [Layer((3, 2)), object(), Layer((2, 4))]\n")


@pytest.fixture
def sandbox():
    """A claimed sandbox with an empty home, as grading makes it."""
    workdir = tempfile.mkdtemp(prefix="grader-test-")
    box = Sandbox.claim(workdir)
    box.give_home()
    yield box
    box.close()
    remove_tree(workdir)


@pytest.fixture
def run(sandbox):
    """run(*cell sources, **limits): execute a notebook of those cells in the sandbox."""
    def run(*cells, **limits):
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
        return execute(nb, sandbox, **{"cell_timeout": 20, "total_timeout": 60, **limits})
    return run


def test_extracts_weights_and_hyperparameters_as_plain_arrays(run):
    result = run(NET, "best_net = Net()\nbest_net_hyperparams = [0.1, 1e-4, 10, 200]")
    assert not result.stopped and not result.errors
    assert result.extracted["hyperparams"] == [0.1, 1e-4, 10.0, 200.0]
    assert result.extracted["layers"] == ["Layer", "object", "Layer"]
    assert sorted(result.arrays) == ["b0", "b2", "w0", "w2"]
    np.testing.assert_array_equal(result.arrays["w2"], np.arange(8.0).reshape(2, 4))


def test_best_net_too_large_to_take_is_named_with_its_size(run, monkeypatch):
    from grader import config
    monkeypatch.setattr(config, "EXTRACT_MAX_BYTES", 2 << 20)  # 1 MB for the weights
    big = NET.replace("Layer((2, 4))]", "Layer((2, 4)), Layer((400, 400))]")  # 1.25 MB
    result = run(big, "best_net = Net()")
    assert result.arrays == {}
    assert any("best_net's weights are 1 MB, over the grader's limit of 1 MB" in p
               for p in result.extracted["problems"]), result.extracted


def test_update_display_data_is_not_kept(run):
    result = run("from IPython.display import display, update_display\n"
                 "display('first', display_id='d')\n"
                 "update_display('x' * 100000, display_id='d')")
    shown = [o for o in result.notebook.cells[0].outputs if o.get("output_type") == "display_data"]
    assert [o["data"]["text/plain"] for o in shown] == ["'first'"]


def test_stored_outputs_are_cleared_before_running(sandbox):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print('fresh')")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="Validate Acc: 0.990\n")]
    nb.cells = [cell]
    result = execute(nb, sandbox, cell_timeout=20, total_timeout=60)
    texts = [o.get("text", "") for o in result.notebook.cells[0].outputs]
    assert texts == ["fresh\n"]


def test_an_error_in_a_middle_cell_does_not_stop_later_cells(run):
    result = run("x = 1", "raise ValueError('mid')", "best_net_hyperparams = [1, 2, 3, 4]")
    assert result.errors == [(1, "ValueError: mid")]
    assert result.extracted["hyperparams"] == [1.0, 2.0, 3.0, 4.0]
    assert "best_net is not defined" in result.extracted["problems"]


def test_os_exit_in_a_cell_keeps_what_was_built_before(run):
    result = run(NET, "best_net = Net()", "import os; os._exit(0)")
    assert "kernel died" in result.stopped
    assert sorted(result.arrays) == ["b0", "b2", "w0", "w2"]


def test_a_cell_past_its_cpu_limit_is_interrupted_and_later_cells_run(run):
    result = run("while True:\n    pass", "best_net_hyperparams = [1, 2, 3, 4]", cell_timeout=2)
    assert not result.stopped
    assert result.errors == [(0, "the cell used 2 s of CPU time, its time limit on the grader, and was interrupted")]
    assert result.timed_out == [0] and result.wall_stopped == []
    assert 2 <= result.cell_cpu[0] < 4, result.cell_cpu
    assert result.extracted["hyperparams"] == [1.0, 2.0, 3.0, 4.0]


def test_a_cell_that_waits_is_stopped_by_the_wall_clock_at_its_slack(run):
    # No CPU used: the limit of CPU seconds never comes; CELL_WALL_SLACK times it of the wall clock does.
    from grader import config
    result = run("import time; time.sleep(60)", "best_net_hyperparams = [1, 2, 3, 4]", cell_timeout=2)
    wall = config.CELL_WALL_SLACK * 2
    assert result.errors == [(0, f"the cell ran {wall:g} s of the wall clock, the grader's limit for a cell that "
                                 "uses little CPU (it waits, or works outside the notebook's kernel), and was "
                                 "interrupted")]
    assert result.timed_out == [0] and result.wall_stopped == [0] and result.cell_cpu[0] < 1
    assert result.extracted["hyperparams"] == [1.0, 2.0, 3.0, 4.0]


def test_cpu_used_by_the_kernels_child_processes_counts(run):
    # Work moved into a child process is the kernel's work too.
    child = ("import subprocess, sys\n"
             "subprocess.run([sys.executable, '-c', 'while True: pass'])")
    result = run(child, cell_timeout=2)
    assert result.timed_out == [0] and result.wall_stopped == [], result.errors


def test_the_whole_notebook_past_its_time_limit_is_stopped(run):
    result = run("best_net_hyperparams = [1, 2, 3, 4]", "import time; time.sleep(1.5)",
                 "time.sleep(1.5)", "time.sleep(1.5)", cell_timeout=10, total_timeout=3)
    assert result.stopped == "the notebook ran longer than 3 s"
    assert result.extracted["hyperparams"] == [1.0, 2.0, 3.0, 4.0]

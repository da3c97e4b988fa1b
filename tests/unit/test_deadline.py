"""config.GRADING_DEADLINE is above the longest a submission can make a grading take,
so the grader's own last resort (which blames the grader) never fires for a
submission: every limit student code can reach says so itself, earlier."""
import collections
import io

import pytest

from grader import config
from grader.grade import run_checks
from grader.notebook.run import best_net_limit
from grader.runners import ReferenceRunner

OUTPUT_KEYS = ("out", "outs", "loss", "losses", "probs")


class Counting(ReferenceRunner):
    """The reference, with the outputs `wrong(key)` picks made wrong; counts calls."""

    def __init__(self, wrong):
        self.wrong, self.calls = wrong, collections.Counter()

    def run(self, probe, args=None, timeout=None, **arrays):
        self.calls[probe] += 1
        out = super().run(probe, args, timeout, **arrays)
        return {k: v * 1.5 + 0.1 if self.wrong(k) else v for k, v in out.items()}


@pytest.mark.parametrize("wrong", [
    lambda key: False,                                      # all right
    lambda key: key.startswith("d"),                        # every gradient wrong: the notes run too
    lambda key: key == "dx",
    lambda key: key == "dlogits",
    lambda key: key.startswith("d") or key in OUTPUT_KEYS,  # everything wrong
], ids=["right", "gradients", "dx", "dlogits", "everything"])
def test_the_layer_checks_make_at_most_LAYER_CHECK_CALLS_worker_calls(wrong):
    runner = Counting(wrong)
    run_checks(runner, ReferenceRunner(), None, io.StringIO(), skip_notebook=True)
    assert 30 <= sum(runner.calls.values()) <= config.LAYER_CHECK_CALLS, runner.calls
    assert runner.calls["train"] <= 2  # the calls with TRAIN_TIMEOUT


def test_the_deadline_is_above_every_limit_student_code_can_reach():
    layer_checks = config.LAYER_CHECK_CALLS * config.CALL_TIMEOUT + 2 * config.TRAIN_TIMEOUT
    retrain = best_net_limit(float("inf"))  # on any machine, however slow
    assert retrain == best_net_limit(config.SLOWEST_MACHINE)
    assert config.KERNEL_START_WAIT >= config.KERNEL_START_TIMEOUT  # the checks wait for the kernel
    assert config.GRADING_DEADLINE >= (config.KERNEL_START_WAIT + max(layer_checks, config.NOTEBOOK_TIMEOUT)
                                       + retrain + 120)


def test_the_notebook_bound_holds_best_nets_cell_on_the_slowest_machine():
    assert config.NOTEBOOK_TIMEOUT >= (config.NOTEBOOK_OTHER_CELLS_TIMEOUT
                                       + best_net_limit(config.SLOWEST_MACHINE))


def test_other_cells_limits_are_grading_machine_seconds_told_in_this_machines():
    from grader.notebook.run import NotebookLimits
    slow = NotebookLimits(best_net_cell=5, speed=1.5)
    assert slow.limit(1) == 1.5 * config.NOTEBOOK_CELL_TIMEOUT
    slow.record(1, 1.5 * 100)    # 100 s of the grading machine spent of the pool
    assert slow.limit(2) == 1.5 * max(config.NOTEBOOK_CELL_MIN_TIMEOUT, config.NOTEBOOK_OTHER_CELLS_TIMEOUT - 100)
    assert NotebookLimits(5, speed=0.5).limit(1) == config.NOTEBOOK_CELL_TIMEOUT        # never below
    assert NotebookLimits(5, speed=9.0).limit(1) == config.SLOWEST_MACHINE * config.NOTEBOOK_CELL_TIMEOUT
    assert config.NOTEBOOK_TIMEOUT >= config.SLOWEST_MACHINE * (
        config.NOTEBOOK_OTHER_CELLS_TIMEOUT + 10 * config.NOTEBOOK_CELL_MIN_TIMEOUT) + best_net_limit(9.0)

"""The public checks blame the right function, in words a student can act on.

Each case is an assignment folder made of the reference's layers with one
buggy CrossEntropyLoss, checked with `python -m pytest tests` as a student would:
a wrong forward must be named as a forward bug (and the backward check must
still pass), a backward missing its / N must be called "3 times too large".
"""
import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest

from public_checks import run_public_checks

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "reference"

# Mean of -log p over every class, not only the true one. Backward is right.
LOSS_FORWARD_OVER_ALL_CLASSES = '''\
import numpy as np

from .base_layer import BaseLayer


class CrossEntropyLoss(BaseLayer):
    def forward(self, input_x, target_y):
        self.cache = (input_x, target_y)
        return -np.mean(np.log(input_x))

    def backward(self):
        probs, target_y = self.cache
        grad = probs.copy()
        grad[np.arange(len(target_y)), target_y] -= 1
        return grad / len(target_y)
'''

# Forward is right; backward forgets to divide by the number of rows N.
LOSS_BACKWARD_WITHOUT_N = '''\
import numpy as np

from .base_layer import BaseLayer


class CrossEntropyLoss(BaseLayer):
    def forward(self, input_x, target_y):
        self.cache = (input_x, target_y)
        return -np.mean(np.log(input_x[np.arange(len(target_y)), target_y]))

    def backward(self):
        probs, target_y = self.cache
        grad = probs.copy()
        grad[np.arange(len(target_y)), target_y] -= 1
        return grad
'''

FORWARD_CHECK = "test_forward_values::test_cross_entropy_forward"
BACKWARD_CHECK = "test_gradients::test_softmax_cross_entropy_dlogits"


def _assignment_with_loss(folder, loss_source):
    """An assignment folder: the reference's layers and public checks, this loss_func.py."""
    for sub in ("layers", "tests"):
        shutil.copytree(REFERENCE / sub, folder / sub, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "layers" / "loss_func.py").write_text(loss_source)
    return folder


def _failures(outcomes):
    """{check: the first line of its report} of every check that did not pass."""
    return {name: message.splitlines()[0] for name, (outcome, message) in outcomes.items()
            if outcome not in ("passed", "skipped")}


def test_wrong_loss_forward_is_named_as_a_forward_bug(tmp_path):
    code, outcomes, output = run_public_checks(
        _assignment_with_loss(tmp_path, LOSS_FORWARD_OVER_ALL_CLASSES))
    failures = _failures(outcomes)
    print(failures[FORWARD_CHECK])
    assert code == 1 and set(failures) == {FORWARD_CHECK}, output
    assert failures[FORWARD_CHECK] == (
        "AssertionError: CrossEntropyLoss.forward on probabilities [[0.5, 0.25, 0.25], "
        "[0.1, 0.2, 0.7], [0.6, 0.3, 0.1]] with labels [0, 2, 1] is wrong."), failures
    # The full report ends with what the loss is made of.
    assert ("hint: the loss is the mean over the N rows of -log(probability of the row's true "
            "class, target_y)") in output, output


def test_loss_backward_without_mean_is_called_n_times_too_large(tmp_path):
    code, outcomes, output = run_public_checks(
        _assignment_with_loss(tmp_path, LOSS_BACKWARD_WITHOUT_N))
    failures = _failures(outcomes)
    print(failures[BACKWARD_CHECK])
    assert code == 1 and set(failures) == {BACKWARD_CHECK}, output
    assert failures[BACKWARD_CHECK] == (
        "AssertionError: Softmax.backward(CrossEntropyLoss.backward()) on 3 rows of logits "
        "is 3 times too large."), failures


@pytest.fixture(scope="module")
def helpers():
    """reference/tests/check_helpers.py as a module (it is not a package)."""
    spec = importlib.util.spec_from_file_location(
        "check_helpers", REFERENCE / "tests" / "check_helpers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EXPECTED = np.array([[0.5, -1.25], [2.0, 0.125]])


@pytest.mark.parametrize("got, words", [
    (3 * EXPECTED, "3 times too large"),
    (EXPECTED / 4, "4 times too small"),
    (-EXPECTED, "of the opposite sign"),
    (-2 * EXPECTED, "2 times too large and of the opposite sign"),
    (np.array(6.0), "3 times too large"),  # a scalar too, against 2.0 below
])
def test_a_whole_factor_is_put_in_words(helpers, got, words):
    expected = np.array(2.0) if got.ndim == 0 else EXPECTED
    assert helpers.scale_error(got, expected) == words
    with pytest.raises(AssertionError, match=rf"^Layer\.backward: dx is {words}\.\n"):
        helpers.check_close("Layer.backward: dx", got, expected, "numeric gradient")


@pytest.mark.parametrize("got", [
    EXPECTED + np.array([[0.0, 0.0], [0.0, 1.0]]),   # one value off: not a factor
    2.5 * EXPECTED,                                  # a factor, but not a whole one
    np.zeros_like(EXPECTED),                         # nothing computed
])
def test_other_differences_are_only_called_wrong(helpers, got):
    assert helpers.scale_error(got, EXPECTED) is None
    with pytest.raises(AssertionError, match=r"^Layer\.backward: dx is wrong\.\n"):
        helpers.check_close("Layer.backward: dx", got, EXPECTED, "numeric gradient")

"""grader/notebook/student_training.py on the corpus: the grader's own steps of best_net's
network with each bug's layers and each correct variant's, against the reference's.

Measures what ALIKE_RTOL rests on (run with -s to see the table): correct variants
train alike, every bug that changes training shows, by a wide margin either way.
"""
import os
import pickle
import shutil
import subprocess
import sys

import pytest

from grader.notebook import student_training as st
from grader.runners import ReferenceRunner
from tests.corpus.bugs import BUGS, EQUIVALENT, TRAINING
from tests.corpus.build import build_submission

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAYER_FILES = ("layers/linear.py", "layers/relu.py", "layers/softmax.py", "layers/loss_func.py")
HYPERPARAMS = [0.1, 0.002, 20, 80]
# Bugs in the loss's value alone: its gradient is right, so the network trains exactly as
# the reference's does (5.1 fails on the losses it reports); at the course's initial
# weights the outputs are uniform, where even the value agrees.
VALUE_ONLY = {"loss_softmax_again_in_forward", "loss_log_of_all_probs", "loss_true_class_by_column"}

# Runs the probe on each folder in turn, as the worker does: the folder's layers, fresh.
CHILD = r'''
import pickle, sys
sys.path.insert(0, sys.argv[1])
import probes
args, arrays, folders = pickle.load(open(sys.argv[2], "rb"))
answers = {}
for name, folder in folders.items():
    sys.path.insert(0, folder)
    for module in [m for m in sys.modules if m == "layers" or m.startswith("layers.")]:
        del sys.modules[module]
    try:
        answers[name] = ("ok", probes.run("train", args, arrays)[1])
    except BaseException as exc:
        answers[name] = ("raises", f"{type(exc).__name__}: {exc}"[:200])
    sys.path.remove(folder)
pickle.dump(answers, open(sys.argv[3], "wb"))
'''


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    """{entry name: ("bug"|"variant", changes training, "raises ..." or {quantity: error})}."""
    base = tmp_path_factory.mktemp("student-training")
    entries = [(bug, "bug") for bug in BUGS if bug.file in LAYER_FILES]
    entries += [(bug, "variant") for bug in EQUIVALENT if bug.file in LAYER_FILES]
    folders = {}
    for bug, _ in entries:
        built = build_submission(bug, str(base / "built" / bug.name))
        folder = base / "run" / bug.name
        shutil.copytree(os.path.join(ROOT, "reference", "layers"), folder / "layers",
                        ignore=shutil.ignore_patterns("__pycache__"))
        for name in LAYER_FILES:
            shutil.copy(os.path.join(built, name), folder / name)
        folders[bug.name] = str(folder)
    lr, weight_decay, _, hidden = HYPERPARAMS
    args = {"lr": lr, "weight_decay": weight_decay, "steps": st.STEPS, "batch_size": st.BATCH}
    arrays = st.case(hidden)
    with open(base / "in", "wb") as f:
        pickle.dump((args, arrays, folders), f)
    subprocess.run([sys.executable, "-c", CHILD, os.path.join(ROOT, "grader", "worker"),
                    str(base / "in"), str(base / "out")], check=True, cwd=str(base), timeout=300)
    with open(base / "out", "rb") as f:
        answers = pickle.load(f)
    want = ReferenceRunner().run("train", args, **arrays)
    table = {}
    for bug, kind in entries:
        status, got = answers[bug.name]
        errors = got if status == "raises" else st.errors_of(got, want, arrays)
        table[bug.name] = (kind, bool(bug.fails & TRAINING), errors)
    print("\nentry, changes training (5.x), largest relative error of losses/updates (or what raised)")
    for name, (kind, changes, errors) in table.items():
        shown = errors if isinstance(errors, str) else f"{max(errors.values()):.2g}"
        print(f"  {kind:8} {name:42} {'5.x' if changes else '-':4} {shown}")
    return table


def test_correct_variants_train_alike_far_inside_the_tolerance(measured):
    variants = {n: e for n, (kind, _, e) in measured.items() if kind == "variant"}
    assert variants and all(isinstance(e, dict) and max(e.values()) < st.ALIKE_RTOL / 1e6
                            for e in variants.values()), variants


def test_every_bug_that_changes_training_raises_or_differs_far_beyond_the_tolerance(measured):
    changing = {n: e for n, (kind, changes, e) in measured.items()
                if kind == "bug" and changes and n not in VALUE_ONLY}
    assert len(changing) >= 25
    for name, errors in changing.items():
        assert isinstance(errors, str) or max(errors.values()) > 20 * st.ALIKE_RTOL, (name, errors)


def test_bugs_in_the_losss_value_alone_train_alike(measured):
    for name in VALUE_ONLY:
        kind, _, errors = measured[name]
        assert kind == "bug" and max(errors.values()) < st.ALIKE_RTOL, (name, errors)


class Student:
    """A student runner whose steps are the reference's, changed by `change`."""

    def __init__(self, change=None, raises=None):
        self.change, self.raises = change, raises

    def run(self, probe, args, timeout=None, **arrays):
        if self.raises:
            raise self.raises
        out = ReferenceRunner().run(probe, args, **arrays)
        if self.change:
            self.change(out)
        return out


def test_attempt_says_alike_unlike_or_raised_and_how():
    from grader.runners import StudentError, WorkerFailure
    alike = st.attempt(Student(), ReferenceRunner(), HYPERPARAMS)
    assert alike.error == "" and alike.alike is True and alike.mismatch == ""

    def transposed(out):
        out["w1"] = out["w1"].T
    unlike = st.attempt(Student(transposed), ReferenceRunner(), HYPERPARAMS)
    assert unlike.alike is False and "update of w1" in unlike.mismatch and "shape" in unlike.mismatch

    def halved(out):
        out["b2"] = out["b2"] * 0.5
    assert "update of b2 has relative error" in st.attempt(Student(halved), ReferenceRunner(), HYPERPARAMS).mismatch
    raised = st.attempt(Student(raises=StudentError({"type": "ValueError", "message": "bad"})),
                        ReferenceRunner(), HYPERPARAMS)
    assert raised.error and raised.alike is False
    crashed = st.attempt(Student(raises=WorkerFailure("died")), ReferenceRunner(), HYPERPARAMS)
    assert crashed.error is None and crashed.alike is None
    assert st.attempt(Student(), ReferenceRunner(), None).alike is None

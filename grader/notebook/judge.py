"""Which network the accuracy checks judge, and whether the notebook's best_net is credible.

A pure function of what the grader observed (Evidence) -> a Verdict that
checks 6.3 (validation), 6.4 (test) and 6.5 (reproducible) report. The rules,
each one cause with one message:

- best_net_hyperparams must be four sane numbers, and training them must fit
  the budget (utils/budget.py on the grading machine's figures: the same
  answer on every machine). Over the budget, best_net is not graded: one
  message says how long the setting takes and what fits.
- The grader trains best_net itself from best_net_hyperparams with the
  reference layers and the template's seed and batch order (retrain.py):
  nothing the student wrote can change that network.
- The notebook's best_net is credible when the notebook trained it (a cell
  that trains ran at or after best_net's creation) and its accuracy is what
  its hyperparameters give: within the measured seed spread of the grader's
  network (a notebook seeded as the template's agrees to rounding). When a
  training check failed (5.1, 5.2: SGD with the student's layers against the
  reference's), the notebook's network was trained with those bugs and may be
  far worse than the grader's, so then it only must not be better by more
  than the spread. A layer check that fails while the training checks pass
  (a loss's epsilon, softmax on huge logits) does not change training: both
  ways, then, and no excuse for a best_net that is missing.
- Policy "isolate" (config.ACCURACY_POLICY, the default): 6.3 and 6.4 judge
  the grader's network, so a layer bug costs its layer checks only. Policy
  "cascade": they judge the notebook's own best_net, layer bugs included
  (the message then names the failed layer checks, never "tune").
- A best_net that is not credible earns neither accuracy check nor 6.5. One left
  untrained is excused only when a training check failed, the notebook tried to train
  it, and the grader's own steps of its network with the student's layers raise too
  (student_training.py): then the layer checks have charged the cause.
- The grader's own training failing is the grader's fault: 6.3-6.5 are not
  judged (no points either way), and the results say the staff must regrade.
- A stop the grader made (its time limit, within the budget) is not the
  student's fault: the grader's network is judged and 6.5 is not held against
  them. A best_net cell that raised is cited by its number.
"""
from dataclasses import dataclass, field

ISOLATE, CASCADE = "isolate", "cascade"
# The layer checks that train a network with the student's layers and compare it
# with the reference's (grader/checks/test_training.py; tests/unit/test_judge.py
# reads their numbers there).
TRAINING_CHECKS = ("5.1", "5.2")


@dataclass
class Evidence:
    """What the grader saw. Accuracies are {"validation": float, "test": float}."""
    hyperparams: list = None          # [lr, weight_decay, epoch, hidden_size], sane, or None
    hyperparams_problem: str = ""     # why hyperparams is None
    over_budget: str = ""             # the budget's message, when training would not fit
    notebook: dict = None             # the notebook's best_net, measured by the grader
    notebook_problem: str = ""        # why notebook is None
    stopped_by_grader: str = ""       # the best_net cell was stopped by the grader's limit: how far it got
    trained: bool = False             # a cell that trains ran at or after best_net's creation
    attempted: bool = False           # a cell that creates and trains best_net ran, even if it raised
    retrain: dict = None              # the grader's own network
    retrain_problem: str = ""         # why retrain is None
    same_seed: bool = False           # the notebook seeds as the grader's training does
    layers_failed: list = field(default_factory=list)   # e.g. ["4.3 Softmax + CrossEntropyLoss backward"]
    # The grader's own few steps of best_net's network with the student's layers
    # (student_training.py): "" they train, else the error they raise; None not run.
    student_training: str = None
    policy: str = ISOLATE


@dataclass
class Verdict:
    accuracy: dict = None             # what 6.3 and 6.4 judge, or None (then why_not says why)
    basis: str = ""                   # whose network that is, in words
    why_not: str = ""
    credible: bool = None             # None: could not be checked, not held against the student
    reproducible: str = ""            # 6.5's message
    passes_reproducible: bool = False
    grader_fault: bool = False        # nothing judged because the grader's own training failed


def _fmt(accuracy):
    return f"validation {accuracy['validation']:.3f}, test {accuracy['test']:.3f}"


def _beyond(a, b, spread):
    """The splits where accuracy a exceeds b by more than the allowed spread."""
    return [split for split in ("validation", "test") if a[split] > b[split] + spread[split]]


def _apart(a, b, spread):
    return [split for split in ("validation", "test") if abs(a[split] - b[split]) > spread[split]]


def judge(ev, spread, rounding=0.005):
    """The Verdict for Evidence `ev`. spread: {"validation", "test"} allowed between two
    trainings (config.SEED_SPREAD, measured). With the same seed a correct notebook
    agrees far closer (within `rounding`, said when it does), but a notebook may seed
    and then draw other random numbers first, so the spread is what is allowed."""
    if ev.hyperparams is None:
        return _without_hyperparams(ev)
    if ev.over_budget:
        why = f"best_net is not graded: {ev.over_budget}"
        return Verdict(why_not=why, reproducible=why)
    if ev.retrain is None:
        # Our own training is the evidence every other rule weighs; without it nothing is
        # judged, neither for nor against the student (a seed numpy refuses once made it
        # fail on purpose, and a failure in the student's favour then passed 6.3-6.5).
        problem = ev.retrain_problem or "the grader's own training of best_net_hyperparams gave no result"
        why = (f"not graded: {problem}. This is a problem of the grader, not of your "
               "submission: please tell the course staff, who will regrade it")
        return Verdict(why_not=why, reproducible=why, grader_fault=True)
    allowed = spread
    layers_bad = bool(ev.layers_failed)
    # Only a failed training check says the notebook's training differs from correct layers'.
    trains_differently = any(name.split(" ", 1)[0] in TRAINING_CHECKS for name in ev.layers_failed)
    fix_first = (f"; your layers fail {', '.join(ev.layers_failed)}: fix them first, best_net was "
                 "trained with them" if layers_bad else "")

    # The notebook's best_net: credible or not.
    credible, reproducible = None, ""
    if ev.notebook is not None and not ev.stopped_by_grader:
        if not ev.trained and trains_differently and ev.attempted and ev.student_training:
            # The grader's own training with these layers raises too: the untrained best_net is
            # what they give, charged once, in the layer checks.
            reproducible = (f"not checked: best_net was not trained, and the grader's own training of "
                            f"its network with your layers raises too ({ev.student_training}): the "
                            f"failed layer checks ({', '.join(ev.layers_failed)}) account for it")
        elif not ev.trained:
            credible = False
            reproducible = ("best_net was never trained in the notebook: its weights are still the "
                            "course's initial values, or no cell that trains (.train(), a training "
                            "step) ran without error")
        else:
            wrong = (_beyond(ev.notebook, ev.retrain, allowed) if trains_differently
                     else _apart(ev.notebook, ev.retrain, allowed))
            credible = not wrong
            if credible and trains_differently:
                reproducible = (f"best_net ({_fmt(ev.notebook)}), trained with your layers, which fail "
                                f"{', '.join(ev.layers_failed)}, is not better than the grader's training "
                                f"of best_net_hyperparams with correct layers ({_fmt(ev.retrain)}): "
                                "what those layers give")
            elif credible:
                exact = " (the same as the grader's, to rounding)" if ev.same_seed and not _apart(
                    ev.notebook, ev.retrain, {"validation": rounding, "test": rounding}) else ""
                reproducible = (f"best_net ({_fmt(ev.notebook)}) agrees with the grader's training of "
                                f"best_net_hyperparams ({_fmt(ev.retrain)}){exact}")
            else:
                how = "better than" if trains_differently else "not what"
                reproducible = (
                    f"best_net reaches {_fmt(ev.notebook)}, but training best_net_hyperparams "
                    f"{_hp(ev.hyperparams)} from the template's seed gives {_fmt(ev.retrain)}, with "
                    f"{'correct layers ' if trains_differently else ''}at most {_spread(allowed)} apart from one "
                    f"seed to another: best_net is {how} its hyperparameters give (trained with other "
                    "settings, or not trained in the notebook)")
    elif ev.stopped_by_grader:
        reproducible = f"not checked: {ev.stopped_by_grader}"
    else:
        reproducible = f"not checked: {ev.notebook_problem or 'best_net could not be evaluated'}"

    # Not held against the student: a stop of ours, our own training failing, or
    # (a layer check failed) a best_net their layers could not train.
    excused = credible is None and (bool(ev.stopped_by_grader) or ev.notebook is not None
                                    or (trains_differently and ev.attempted))
    if excused and ev.notebook is None and not ev.stopped_by_grader:
        reproducible = (f"not checked: your best_net could not be used ({ev.notebook_problem}), "
                        "which the failed layer checks account for")
    verdict = Verdict(credible=credible, reproducible=reproducible,
                      passes_reproducible=credible is True or excused)
    if credible is False:
        verdict.why_not = f"best_net is not credible: {reproducible}"
        return verdict

    missing = ev.notebook is None
    use_retrain = bool(ev.stopped_by_grader) or (
        ev.policy == ISOLATE and (not missing or (trains_differently and ev.attempted)))
    if not use_retrain:
        if missing:
            # No best_net of the student's own making, and no stop of ours to blame.
            verdict.why_not = (ev.notebook_problem or "best_net could not be evaluated") + fix_first
            return verdict
        verdict.accuracy = ev.notebook
        verdict.basis = "your notebook's best_net, measured by the grader on its own labels" + fix_first
        return verdict
    verdict.accuracy = ev.retrain
    verdict.basis = (f"best_net_hyperparams {_hp(ev.hyperparams)} trained by the grader with the "
                     "course's reference layers (seed and batch order as the template's best_net cell)")
    if ev.stopped_by_grader:
        verdict.basis += f"; the notebook's own training was stopped by the grader: {ev.stopped_by_grader}"
    elif missing:
        verdict.basis += f"; your notebook's best_net could not be used ({ev.notebook_problem}), " \
                         "which the layer checks above account for"
    return verdict


def _without_hyperparams(ev):
    """No usable best_net_hyperparams: nothing to retrain or check best_net against."""
    why = f"cannot retrain best_net: {ev.hyperparams_problem}"
    verdict = Verdict(credible=None, reproducible=why)
    if ev.notebook is not None and ev.trained:
        # Judged as it is, unchecked: one cause (6.2 and 6.5 say it) is not three deductions.
        verdict.accuracy = ev.notebook
        verdict.basis = ("your notebook's best_net, measured by the grader (not checked against "
                         "best_net_hyperparams, which could not be read)")
    else:
        verdict.why_not = ev.notebook_problem or ("best_net was never trained in the notebook"
                                                  if ev.notebook is not None else why)
    return verdict


def _hp(values):
    lr, weight_decay, epoch, hidden = values
    return f"[{lr:g}, {weight_decay:g}, {int(epoch)}, {int(hidden)}]"


def _spread(spread):
    return f"{spread['validation']:.3f} (validation) / {spread['test']:.3f} (test)"

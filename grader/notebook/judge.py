"""Which network the accuracy checks judge, and whether the notebook's best_net is credible.

A pure function of what the grader observed (Evidence) -> a Verdict that
checks 6.3 (validation), 6.4 (test) and 6.5 (reproducible) report. The rules,
each one cause with one message:

- best_net_hyperparams must be four sane numbers (without them best_net is not
  graded: nothing the grader trains could check it), and training them must fit
  the budget (utils/budget.py on the grading machine's figures: the same
  answer on every machine). Over the budget, best_net is not graded: one
  message says how long the setting takes and what fits.
- The grader trains best_net itself from best_net_hyperparams with the
  reference layers and the template's seed and batch order (retrain.py):
  nothing the student wrote can change that network.
- The notebook's best_net is credible when its accuracy, measured by the
  grader, is what its hyperparameters give: within the measured seed spread
  of the grader's network. Seeded as the template, it often agrees to rounding,
  but not always: two trainings from the same seed whose sums differ in the last
  bit (another BLAS) end up to 0.08 apart (scripts/same_seed_spread.py,
  docs/seed_spread.md), so the same seed earns no tighter tolerance. Nothing the notebook prints or sets decides it: a best_net left
  untrained, or nudged off its initial weights, is as far from the grader's
  network as its accuracy says. When the student's layers train best_net's
  network differently from the reference's (the grader's own few steps of it
  with both, student_training.py; steps that could not run excuse nothing),
  the notebook's network was trained with those
  bugs and may be far worse than the grader's, so then it only must not be
  better by more than the spread. Layers that train it alike (a bug only at a
  check's own shape, a loss's epsilon): both ways, and no excuse for a best_net
  that is missing.
- Policy "isolate" (config.ACCURACY_POLICY, the default): 6.3 and 6.4 judge
  the grader's network, so a layer bug costs its layer checks only. Policy
  "cascade": they judge the notebook's own best_net, layer bugs included
  (the message then names the failed layer checks, never "tune").
- A best_net that is not credible earns neither accuracy check nor 6.5. One left
  untrained is excused only when the grader's own steps of its network with the
  student's layers raise (student_training.py): the notebook's training must have
  raised as well, and the layer checks charge the cause.
- The grader's own training failing is the grader's fault: 6.3-6.5 are not
  judged (no points either way), and the results say the staff must regrade.
- A stop the grader made (its time limit, within the budget) is not the
  student's fault when training best_net_hyperparams needs that long here (the
  grader's own training of them took at least the limit / STOP_EXCUSED_SLOWDOWN,
  run.py's _stopped): the grader's network is judged and 6.5 is not held
  against them, provided best_net as the cell left it got as far as an honest
  training stopped there certainly had (`partial`: the grader's own network at
  the last checkpoint it passed, run.py's _partial); a cell that waited for the
  limit did not, and its best_net is not credible. When the grader's own training took less, the cell spent its
  time on more than that training: best_net is judged as the cell left it, and
  6.5's message names the stop. A best_net cell that raised is cited by its number.
"""
from dataclasses import dataclass, field

ISOLATE, CASCADE = "isolate", "cascade"


@dataclass
class Evidence:
    """What the grader saw. Accuracies are {"validation": float, "test": float}."""
    hyperparams: list = None          # [lr, weight_decay, epoch, hidden_size], sane, or None
    hyperparams_problem: str = ""     # why hyperparams is None
    over_budget: str = ""             # the budget's message, when training would not fit
    notebook: dict = None             # the notebook's best_net, measured by the grader
    notebook_problem: str = ""        # why notebook is None
    stopped_by_grader: str = ""       # best_net's cell was stopped by the grader, as training it needed: said
    stop_charged: str = ""            # best_net's cell was stopped, though training it fitted: why charged
    cell_raised: str = ""             # best_net's cell raised an error of its own: which, in which cell
    # With an excused stop: the least an honest training stopped there reaches (the grader's own
    # network at a checkpoint, {"epochs", "of", "validation", "test"}), and best_net as the cell
    # left it (measured), or None.
    partial: dict = None
    as_left: dict = None
    attempted: bool = False           # a cell that creates best_net ran, even if it raised
    # best_net could be measured and a cell whose code trains ran (run._trained):
    # asked only where the accuracy cannot tell, when the layers train unlike correct ones.
    trained: bool = False
    retrain: dict = None              # the grader's own network
    retrain_problem: str = ""         # why retrain is None
    same_seed: bool = False           # the notebook seeds as the grader's training does
    layers_failed: list = field(default_factory=list)   # e.g. ["4.3 Softmax + CrossEntropyLoss backward"]
    # The grader's own few steps of best_net's network with the student's layers
    # (student_training.py): "" they train, else the error they raise; None not run.
    student_training: str = None
    # Whether those steps match the reference layers' (the updates alike): None not known,
    # which excuses nothing.
    trains_alike: bool = None
    trains_mismatch: str = ""         # how they differ
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
    # Whether the notebook's training differs from correct layers': the grader's own steps of
    # best_net's network say it, at best_net's shape (a bug that shows at a layer check's shape
    # alone trains best_net alike). Steps that could not be run excuse nothing.
    trains_differently = ev.trains_alike is False
    fix_first = (f"; your layers fail {', '.join(ev.layers_failed)}: fix them first, best_net was "
                 "trained with them" if layers_bad else "")

    # The notebook's best_net: credible or not.
    credible, reproducible, charged_here = None, "", False
    if ev.notebook is not None and not ev.stopped_by_grader:
        if ev.student_training and ev.attempted and not _beyond(ev.notebook, ev.retrain, allowed):
            # The grader's own training with these layers raises too: a best_net left as it was
            # is what they give, charged once: in the layer checks, or here when none of them met
            # the bug (it shows at best_net's shape only).
            charged_here = not ev.layers_failed
            reproducible = (f"the grader's own training of best_net's network with your layers raises "
                            f"({ev.student_training}), as training in the notebook must: "
                            + (f"not checked, the failed layer checks ({', '.join(ev.layers_failed)}) "
                               "account for it" if ev.layers_failed else
                               "a bug at best_net's shape that no layer check met, charged here, once"))
        elif ev.student_training and not ev.attempted:
            # Layers that raise excuse a best_net the notebook tried to train, not one it never made.
            credible = False
            reproducible = ("best_net was not made by any cell of the notebook that ran (no cell "
                            "that assigns best_net ran), so your layers' error does not account for it")
        elif trains_differently and not ev.trained:
            # "Not better than" cannot tell weights from elsewhere from training with these layers.
            credible = False
            reproducible = ("best_net was never trained in the notebook: no cell that trains "
                            "(.train(), a training step) ran, or its weights are still the course's "
                            "initial values; with layers that train its network unlike correct ones, "
                            "its accuracy alone cannot show it was trained from best_net_hyperparams")
        else:
            wrong = (_beyond(ev.notebook, ev.retrain, allowed) if trains_differently
                     else _apart(ev.notebook, ev.retrain, allowed))
            credible = not wrong
            if credible and trains_differently:
                how = (f"which fail {', '.join(ev.layers_failed)}" if ev.layers_failed else
                       f"which train its network unlike correct ones ({ev.trains_mismatch or 'the grader found'})")
                reproducible = (f"best_net ({_fmt(ev.notebook)}), trained with your layers, {how}, is not "
                                f"better than the grader's training of best_net_hyperparams with correct "
                                f"layers ({_fmt(ev.retrain)}): what those layers give")
            elif credible:
                exact = " (the same as the grader's, to rounding)" if ev.same_seed and not _apart(
                    ev.notebook, ev.retrain, {"validation": rounding, "test": rounding}) else ""
                reproducible = (f"best_net ({_fmt(ev.notebook)}) agrees with the grader's training of "
                                f"best_net_hyperparams ({_fmt(ev.retrain)}){exact}")
            else:
                how = "better than" if trains_differently else "not what"
                why = ev.stop_charged or ev.cell_raised or (
                    "trained with other settings, or not trained in the notebook")
                reproducible = (
                    f"best_net reaches {_fmt(ev.notebook)}, but training best_net_hyperparams "
                    f"{_hp(ev.hyperparams)} from the template's seed gives {_fmt(ev.retrain)}, with "
                    f"{'correct layers ' if trains_differently else ''}at most {_spread(allowed)} apart from one "
                    f"seed to another: best_net is {how} its hyperparameters give ({why})")
    elif ev.stopped_by_grader and ev.partial and not trains_differently and not ev.student_training and (
            ev.as_left is None or _beyond(ev.partial, ev.as_left, allowed)):
        # The excuse holds for a training the stop cut short, not for a cell that waited: best_net
        # as the cell left it must have got as far as an honest training had certainly got by then.
        credible = False
        left = (f"best_net as the cell left it reaches {_fmt(ev.as_left)} (more than {_spread(allowed)} "
                "below)" if ev.as_left else "best_net could not be measured as the cell left it")
        reproducible = (
            f"{ev.stopped_by_grader}; but in that time an honest training of best_net_hyperparams "
            f"does at least {ev.partial['epochs']} of its {ev.partial['of']} epochs, which reach "
            f"{_fmt(ev.partial)} in the grader's own training, and {left}: the cell was not "
            "training best_net all that time")
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
                      passes_reproducible=(credible is True or excused) and not charged_here)
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
    """No usable best_net_hyperparams: nothing to retrain or check best_net against, so
    best_net is not graded, as over the budget. Judged unchecked, a network of weights made
    anywhere (on the test images, say) would earn the accuracy checks."""
    why = (f"best_net is not graded: {ev.hyperparams_problem}, and the grader judges best_net by "
           "training best_net_hyperparams itself")
    return Verdict(credible=None, why_not=why, reproducible=why)


def _hp(values):
    lr, weight_decay, epoch, hidden = values
    return f"[{lr:g}, {weight_decay:g}, {int(epoch)}, {int(hidden)}]"


def _spread(spread):
    return f"{spread['validation']:.3f} (validation) / {spread['test']:.3f} (test)"

"""grader/notebook/judge.py: which network the accuracy checks judge, and whether best_net
is credible, on the cases real notebooks and attacks produce."""
from grader.notebook.judge import CASCADE, Evidence, judge

SPREAD = {"validation": 0.113, "test": 0.119}
GOOD = {"validation": 0.412, "test": 0.412}
HP = [0.1, 0.002, 120, 80]


def acc(validation, test):
    return {"validation": validation, "test": test}


def evidence(**kw):
    base = dict(hyperparams=HP, notebook=GOOD, attempted=True, retrain=GOOD, student_training="",
                trains_alike=True)
    return Evidence(**{**base, **kw})


def run(**kw):
    return judge(evidence(**kw), SPREAD)


# What a bug that changes training also fails (tests/corpus: such bugs fail 5.1 and 5.2).
TRAINING_FAILED = ["5.1 SGD steps of a small network", "5.2 A 4-10-3 network learns 10 samples"]
# The grader's own steps of best_net's network with such layers: they run, unlike the reference's.
UNLIKE = dict(student_training="", trains_alike=False, trains_mismatch="the update of w1 has relative error 0.5",
              trained=True)


def test_the_template_seeded_and_correct_agrees_to_rounding():
    v = run(same_seed=True)
    assert v.credible and v.passes_reproducible and "to rounding" in v.reproducible
    assert v.accuracy == GOOD and "trained by the grader" in v.basis


def test_an_unseeded_run_within_the_spread_is_credible_and_not_flagged():
    v = run(notebook=acc(0.380, 0.430))
    assert v.credible and v.passes_reproducible and v.accuracy == GOOD


def test_a_notebook_that_never_trains_earns_nothing_by_its_accuracy_alone():
    # Untrained, or nudged off the initial weights to look trained: chance accuracy, measured.
    v = run(notebook=acc(0.10, 0.11))
    assert v.credible is False and not v.passes_reproducible and v.accuracy is None
    assert "not what its hyperparameters give" in v.why_not


def test_pretrained_weights_far_beyond_the_hyperparameters_are_not_credible():
    v = run(notebook=acc(0.55, 0.53), retrain=acc(0.40, 0.41))
    assert v.credible is False and v.accuracy is None
    assert "not what its hyperparameters give" in v.why_not


def test_an_unseeded_unlucky_run_below_the_spread_is_not_credible_either_way():
    v = run(notebook=acc(0.25, 0.26), retrain=GOOD)
    assert v.credible is False  # two-sided when the layers are right


def test_a_layer_bug_costs_only_its_layer_checks_under_isolate():
    v = run(notebook=acc(0.10, 0.10), layers_failed=["4.3 Softmax + CrossEntropyLoss backward"] + TRAINING_FAILED,
            **UNLIKE)
    assert v.credible and v.passes_reproducible
    assert v.accuracy == GOOD and "reference layers" in v.basis


def test_a_layer_bug_costs_accuracy_under_cascade_and_names_the_cause():
    v = run(notebook=acc(0.10, 0.10), layers_failed=["4.3 Softmax + CrossEntropyLoss backward"] + TRAINING_FAILED,
            policy=CASCADE, **UNLIKE)
    assert v.accuracy == acc(0.10, 0.10)
    assert "fix them first" in v.basis and "4.3" in v.basis and "tune" not in v.basis.lower()


def test_with_a_layer_bug_best_net_may_not_beat_correct_layers():
    v = run(notebook=acc(0.60, 0.58), retrain=GOOD, layers_failed=["1.2 Linear.backward"] + TRAINING_FAILED,
            **UNLIKE)
    assert v.credible is False and "better than" in v.why_not


def test_over_the_budget_nothing_is_graded_and_one_message_says_why():
    v = run(over_budget="Training best_net (1500 epochs, hidden size 200) takes about 14 min ...")
    assert v.accuracy is None and not v.passes_reproducible
    assert v.why_not.startswith("best_net is not graded: Training best_net (1500 epochs")


def test_a_stop_of_the_graders_within_the_budget_is_not_held_against_the_student():
    v = run(notebook=None, notebook_problem="", stopped_by_grader="stopped after 250 s at epoch 90 of 120")
    assert v.accuracy == GOOD and v.passes_reproducible
    assert "stopped by the grader" in v.basis


PARTIAL = {"epochs": 48, "of": 120, "validation": 0.372, "test": 0.380}   # the grader's own, part way
STOP = "training best_net (In [17]) was stopped by the grader's time limit after 210 s"


def test_a_stop_excused_holds_for_a_training_cut_short():
    v = run(notebook=None, stopped_by_grader=STOP, partial=PARTIAL, as_left=acc(0.360, 0.372))
    assert v.accuracy == GOOD and v.passes_reproducible and v.credible is None


def test_a_stop_excused_does_not_hold_for_a_cell_that_waited():
    """An untrained (or nudged) best_net, or none at all, after an excused stop: an honest training
    had got at least 48 epochs in by then (the grader's own network there: 0.372 / 0.380)."""
    for left in (acc(0.100, 0.098), None):
        v = run(notebook=None, stopped_by_grader=STOP, partial=PARTIAL, as_left=left)
        assert v.credible is False and v.accuracy is None and not v.passes_reproducible
        assert "at least 48 of its 120 epochs" in v.reproducible and "not training best_net" in v.reproducible
    # Layers that train unlike correct ones may leave any network: the excuse stands.
    v = run(notebook=None, stopped_by_grader=STOP, partial=PARTIAL, as_left=acc(0.1, 0.1),
            layers_failed=TRAINING_FAILED, **UNLIKE)
    assert v.passes_reproducible and v.accuracy == GOOD


def test_a_best_net_cell_that_raised_is_cited_when_the_layers_are_right():
    v = run(notebook=None, notebook_problem="the best_net cell (cell 14) raised NameError: name 'x' is not defined")
    assert v.accuracy is None and "cell 14" in v.why_not and not v.passes_reproducible


def test_a_typo_that_leaves_best_net_untrained_names_its_cell_and_error():
    # `best_trainer.trian()`: best_net exists, untrained; the cause is the cell's own error.
    raised = "the best_net cell (In [14] (best_net = ...)) raised AttributeError: 'Trainer' object has no attribute 'trian'"
    v = run(notebook=acc(0.10, 0.11), cell_raised=raised)
    assert v.credible is False and v.accuracy is None
    assert raised in v.why_not and "trained with other settings" not in v.reproducible


def test_a_best_net_cell_that_raised_because_of_a_layer_bug_is_isolated():
    v = run(notebook=None, notebook_problem="the best_net cell (cell 14) raised ValueError",
            layers_failed=["1.1 Linear.forward"] + TRAINING_FAILED, **UNLIKE)
    assert v.accuracy == GOOD and v.passes_reproducible and "layer checks account for" in v.reproducible


def test_a_best_net_that_diverged_because_of_a_layer_bug_is_isolated():
    v = run(notebook=None, notebook_problem="best_net's weights contain NaN or inf (training diverged)",
            layers_failed=["4.3 Softmax + CrossEntropyLoss backward"] + TRAINING_FAILED, **UNLIKE)
    assert v.accuracy == GOOD and v.passes_reproducible


def test_a_layer_bug_does_not_earn_a_best_net_that_was_never_attempted():
    v = run(notebook=None, notebook_problem="the notebook never defines best_net", attempted=False,
            layers_failed=["1.1 Linear.forward"] + TRAINING_FAILED, **UNLIKE)
    assert v.accuracy is None and "never defines" in v.why_not


def test_without_hyperparameters_best_net_is_not_graded_as_over_the_budget():
    # Judged unchecked, weights made anywhere (on the test images) earned 6.3 and 6.4 (an
    # outside attack: 92 against an honest over-budget 75).
    v = run(hyperparams=None, hyperparams_problem="best_net_hyperparams is not defined",
            notebook=acc(0.87, 0.88))
    assert v.accuracy is None and not v.passes_reproducible
    assert "best_net is not graded: best_net_hyperparams is not defined" in v.why_not


def test_a_training_error_at_best_nets_shape_that_no_layer_check_met_is_charged_once_in_6_5():
    # Linear.backward raises only for a 3072 x 80 weight: every layer check passes, the notebook's
    # training and the grader's own steps with these layers raise. Charged here, not excused.
    v = run(notebook=acc(0.10, 0.10), layers_failed=[], student_training=RAISES, trains_alike=None)
    assert not v.passes_reproducible and v.accuracy == GOOD
    assert "no layer check met, charged here, once" in v.reproducible


def test_when_the_graders_own_training_fails_nothing_is_judged_and_the_staff_are_told():
    # An outside attacker broke our training on purpose (a seed numpy refuses) while the
    # notebook trained other settings: a failure in the student's favour passed 6.3-6.5.
    v = run(retrain=None, retrain_problem="the grader's own training did not finish within 300 s")
    assert v.grader_fault and v.accuracy is None and not v.passes_reproducible
    assert "problem of the grader" in v.why_not and "did not finish within 300 s" in v.reproducible
    untrained = run(notebook=acc(0.10, 0.10), retrain=None, retrain_problem="x")
    assert untrained.grader_fault and not untrained.passes_reproducible


def test_a_seed_numpy_refuses_or_a_commented_one_is_not_the_notebooks_seed():
    from grader.notebook import read

    def seed(text):
        return read.seed_of({"cell_type": "code", "source": text})
    assert seed("np.random.seed(7)\nbest_net = f()") == 7
    assert seed("# np.random.seed(99999999999999999999)\nbest_net = f()") is None
    assert seed("np.random.seed(4294967296)\nbest_net = f()") is None
    assert seed("np.random.seed(4294967295)\nbest_net = f()") == 4294967295
    assert seed("np.random.seed(1)  # np.random.seed(2)\nbest_net = f()\nnp.random.seed(3)") == 1


def test_reading_best_nets_cell_is_linear_in_a_long_line():
    import time
    from grader.notebook import read
    cells = [{"cell_type": "code", "source": " " * 2_000_000}, {"cell_type": "code", "source": "a, " * 300_000},
             {"cell_type": "code", "source": ",\t" * 500_000 + "best_net"}]
    began = time.process_time()
    for cell in cells:
        read.assigns_best_net(cell), read.seed_of(cell)
    # Quadratic, the first alone took hours; linear, all three take milliseconds.
    assert time.process_time() - began < 2.0


def test_a_layer_bug_that_does_not_change_training_leaves_6_5_two_sided():
    # An epsilon in the loss (4.2) with 5.1 and 5.2 passing: the layers train as correct ones
    # do, so an untrained or sabotaged best_net is not excused by it.
    v = run(notebook=acc(0.10, 0.09), layers_failed=["4.2 CrossEntropyLoss on numerically hard inputs"])
    assert v.credible is False and not v.passes_reproducible and v.accuracy is None
    assert "not what its hyperparameters give" in v.why_not


def test_a_best_net_cell_that_raised_is_not_excused_by_a_bug_that_does_not_change_training():
    v = run(notebook=None, notebook_problem="the best_net cell (cell 14) raised RuntimeError",
            layers_failed=["4.2 CrossEntropyLoss on numerically hard inputs"])
    assert v.accuracy is None and not v.passes_reproducible and "cell 14" in v.why_not


# A transposed dw: SGD's update raises at every shape, so the notebook's training cell
# raised and best_net kept the course's initial weights (chance accuracy).
TRANSPOSED = ["1.2 Linear.backward (dx, dw, db)"] + TRAINING_FAILED
RAISES = "SGD.step (reads your layers' parameters and grads) raised ValueError: operands could not be broadcast"


def test_an_untrained_best_net_that_the_graders_own_training_with_those_layers_cannot_train_is_excused():
    v = run(notebook=acc(0.10, 0.10), layers_failed=TRANSPOSED, student_training=RAISES, trains_alike=False)
    assert v.credible is None and v.passes_reproducible and v.accuracy == GOOD
    assert "the grader's own training of best_net's network with your layers raises" in v.reproducible
    assert "1.2 Linear.backward" in v.reproducible


def test_under_cascade_the_same_best_net_is_judged_as_it_is_naming_the_layers():
    v = run(notebook=acc(0.10, 0.10), layers_failed=TRANSPOSED, student_training=RAISES, trains_alike=False,
            policy=CASCADE)
    assert v.accuracy == acc(0.10, 0.10) and "fix them first" in v.basis


def test_a_training_check_failed_on_purpose_excuses_nothing_when_the_layers_train_best_nets_network():
    # The attack: 5.1 fails at its own small shape, best_net left untrained; at best_net's
    # shape the grader's steps with the same layers train as the reference's do.
    v = run(notebook=acc(0.10, 0.10), layers_failed=TRAINING_FAILED, student_training="", trains_alike=True)
    assert v.credible is False and not v.passes_reproducible and v.accuracy is None
    v = run(notebook=acc(0.10, 0.10), layers_failed=TRAINING_FAILED, student_training=None, trains_alike=None)
    assert v.credible is False  # not run (the worker crashed): no excuse either


def test_layers_unlike_the_references_only_at_best_nets_shape_keep_6_5_one_sided_and_say_how():
    v = run(notebook=acc(0.30, 0.29), layers_failed=[], **UNLIKE)
    assert v.credible and v.passes_reproducible and "unlike correct ones" in v.reproducible
    assert "relative error 0.5" in v.reproducible


def test_with_layers_unlike_correct_ones_a_best_net_never_trained_is_not_credible():
    # Weights trained elsewhere, the notebook never trains: "not better" alone would pass them.
    v = run(notebook=acc(0.41, 0.45), layers_failed=TRAINING_FAILED, **{**UNLIKE, "trained": False})
    assert v.credible is False and "never trained in the notebook" in v.why_not and v.accuracy is None


def test_a_stop_the_grader_charges_is_named_when_best_net_is_not_what_it_should_be():
    charged = "the best_net cell (cell 15) was stopped by the grader's time limit after 210 s, though ..."
    v = run(notebook=acc(0.10, 0.10), stop_charged=charged)
    assert v.credible is False and charged in v.why_not and v.accuracy is None
    # stopped late in honest training, close to the grader's: credible, nothing lost
    assert run(notebook=acc(0.40, 0.40), stop_charged=charged).passes_reproducible


def test_a_best_net_never_even_tried_is_not_excused_by_layers_that_raise():
    v = run(notebook=acc(0.10, 0.10), attempted=False, layers_failed=TRANSPOSED,
            student_training=RAISES, trains_alike=False)
    assert v.credible is False and not v.passes_reproducible

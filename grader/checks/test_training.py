import numpy as np
from gradescope_utils.autograder_utils.decorators import number, visibility, weight

from grader import config
from grader.checks.cases import labels, rng
from grader.checks.helpers import run_student
from grader.compare import describe_mismatch

PARAMS = ("w1", "b1", "w2", "b2")


def network_case(seed, n, d, h, c):
    """A Linear(d, h)-ReLU-Linear(h, c)-Softmax network's weights and a batch (x, y)."""
    r = rng(seed)
    return {"x": r.normal(size=(n, d)), "y": labels(r, n, c),
            "w1": r.normal(size=(d, h)) * 0.5, "b1": r.normal(size=h) * 0.1,
            "w2": r.normal(size=(h, c)) * 0.5, "b2": r.normal(size=c) * 0.1}


@weight(8)
@number("5.1")
@visibility("visible")
def test_train_step(student, reference, report):
    """SGD steps of a small network (Sequential + SGD with your layers)"""
    # Three minibatches of four different rows: a layer that reuses a stale
    # cache is right on the first step only.
    case = network_case(7, n=12, d=6, h=5, c=3)
    args = {"lr": 0.5, "weight_decay": 0.01, "steps": 3, "batch_size": 4}
    want = reference.run("train", args, **case)
    got = run_student(report, "three training steps", student, "train", args, **case)
    if got is None:
        return
    for name in PARAMS:
        problem = describe_mismatch(f"{name} after three minibatch steps", got[name], want[name],
                                    config.TRAIN_RTOL)
        if problem and np.array_equal(got[name], case[name]):
            problem += (": it did not change. SGD updates the arrays that `parameters` returns "
                        "in place, so return the layer's own arrays, not copies")
        report.part(name, problem is None, problem or "")


@weight(7)
@number("5.2")
@visibility("visible")
def test_toy_network(student, reference, report):
    """A 4-10-3 network learns 10 samples"""
    case = network_case(0, n=10, d=4, h=10, c=3)
    args = {"lr": 0.5, "weight_decay": 1e-3, "steps": config.TOY_STEPS}
    want = reference.run("train", args, **case)
    got = run_student(report, "training the toy network", student, "train", args,
                      timeout=config.TRAIN_TIMEOUT, **case)
    if got is None:
        return
    report.compare("loss at initialisation", got["losses"][:1], want["losses"][:1], config.LOSS_RTOL)
    # The trained weights are judged by the reference's forward and loss, so a
    # loss-value bug costs the part above and not these two.
    trained = {name: got[name] for name in PARAMS}
    if any(trained[n].shape != case[n].shape for n in PARAMS):
        report.part("training", False, "after training, the layers' w and b changed shape")
        return
    after = reference.run("evaluate", x=case["x"], y=case["y"], **trained)
    final = float(after["loss"])
    learned = np.isfinite(final) and final < config.TOY_FINAL_LOSS
    report.part("loss after training", learned, "" if learned else
                f"after {config.TOY_STEPS} steps the loss is {final:.4g} (the reference reaches "
                f"{want['losses'][-1]:.3g}; below {config.TOY_FINAL_LOSS} passes)")
    predictions = after["predictions"]
    fits = np.array_equal(predictions, case["y"])
    right = int((predictions == case["y"]).sum()) if predictions.shape == case["y"].shape else 0
    report.part("predictions", fits, "" if fits else
                f"the trained network classifies {right} of {len(case['y'])} training samples "
                f"right (the reference gets all)")

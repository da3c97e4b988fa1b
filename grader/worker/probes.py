"""Probes: fixed calling sequences run on the course's layers.

The grader runs each probe twice with the same inputs: in the worker against
the submission's `layers`, and in its own process against the reference's.
Comparing the two outputs is the check; the probe itself judges nothing.

Every probe takes (args: JSON-able dict, arrays: dict of ndarrays) and returns
(JSON-able dict, dict of float64/int64 ndarrays). The protocol, probe by probe
(N rows, D inputs, M outputs, C classes; K variants):

    probe          args                     arrays in                        arrays out
    layer          layer: class name        x (N, D); Linear: w (D, M),      out; with dout: dx,
                                            b (M,); optional dout            and Linear: dw, db
    forward_many   layer: class name        xs (K, N, D); Linear: ws, bs     outs (K, ...)
    loss           -                        probs (N, C), y (N,)             loss (), dlogits (N, C)
    softmax_loss   -                        logits (N, C), y (N,);           probs, loss, dlogits;
                                            optional logits_many (K, N, C)   losses (K,)
    train          lr, weight_decay, steps, x (N, D), y (N,), w1, b1,        losses (steps,),
                   optional batch_size      w2, b2                           predictions (N,),
                                                                             w1, b1, w2, b2
    evaluate       -                        x, y, w1, b1, w2, b2             loss (), predictions (N,)

The checks call them through a runner: `runner.run(probe, args, **arrays)` ->
arrays out (grader/runners.py); a student exception comes back as
StudentError naming the phase (`phase()` below) that raised.
"""
import contextlib
import importlib

import numpy as np

try:
    from grader import surface  # in the grader (the reference side)
except ImportError:
    import surface  # in the worker: a copy of grader/surface.py beside this file

LAYER_MODULES = {layer: surface.module_of(layer) for layer in surface.LAYERS}

_phase = [None]


def current_phase():
    """What student call was running when an exception escaped (e.g. 'Linear.backward')."""
    return _phase[0]


@contextlib.contextmanager
def phase(name):
    _phase[0] = name
    yield
    _phase[0] = None


def layer_class(name):
    with phase(f"import {LAYER_MODULES[name]}"):
        module = importlib.import_module(LAYER_MODULES[name])
    with phase(f"find class {name} in {LAYER_MODULES[name]}"):
        return getattr(module, name)


def plain(value, name):
    """`value` as a plain float64 ndarray, whatever array-like student code returned.

    np.array(..., copy) drops ndarray subclasses, so no student-defined
    comparison or method survives into the answer.
    """
    if value is None:
        raise TypeError(f"{name} is None")
    return np.array(value, dtype=np.float64, copy=True, subok=False)


def make_linear(w, b):
    """A student Linear of w's shape, holding the given values of w and b.

    Values are written into the layer's own arrays when their shapes match, so a
    layer that keeps references to them (say, a parameter list built in
    __init__) still sees the arrays the optimizer will update.
    """
    cls = layer_class("Linear")
    with phase("Linear.__init__"):
        layer = cls(*w.shape)
    for name, value in (("w", w), ("b", b)):
        own = getattr(layer, name, None)
        if isinstance(own, np.ndarray) and own.shape == value.shape and own.dtype == value.dtype:
            own[...] = value
        else:
            setattr(layer, name, value.copy())
    return layer


def make_layer(name, arrays, prefix=""):
    if name == "Linear":
        return make_linear(arrays[prefix + "w"], arrays[prefix + "b"])
    cls = layer_class(name)
    with phase(f"{name}.__init__"):
        return cls()


def probe_layer(args, arrays):
    """One layer's forward on `x`, then backward of `dout` if given.

    Returns out, and dx (plus dw, db for Linear) after backward.
    """
    name = args["layer"]
    layer = make_layer(name, arrays)
    with phase(f"{name}.forward"):
        out = layer.forward(arrays["x"].copy())
    result = {"out": plain(out, f"{name}.forward's output")}
    if "dout" in arrays:
        with phase(f"{name}.backward"):
            dx = layer.backward(arrays["dout"].copy())
        result["dx"] = plain(dx, f"{name}.backward's return value")
        if name == "Linear":
            result["dw"] = plain(layer.dw, "Linear.dw after backward")
            result["db"] = plain(layer.db, "Linear.db after backward")
    return {}, result


def probe_forward_many(args, arrays):
    """Forward of K variants of one layer: xs (K, ...) and, for Linear, ws, bs (K, ...).

    Used for numerical gradients of the layer's own forward.
    """
    name = args["layer"]
    outs = []
    for k in range(arrays["xs"].shape[0]):
        variant = {"w": arrays["ws"][k], "b": arrays["bs"][k]} if name == "Linear" else {}
        layer = make_layer(name, variant)
        with phase(f"{name}.forward"):
            outs.append(plain(layer.forward(arrays["xs"][k].copy()), f"{name}.forward's output"))
    return {}, {"outs": np.stack(outs)}


def _loss(probs, y):
    """(the loss object, its forward value as a float) for probabilities and labels."""
    loss_fn = make_layer("CrossEntropyLoss", {})
    with phase("CrossEntropyLoss.forward"):
        value = plain(loss_fn.forward(probs, y.copy()), "CrossEntropyLoss.forward's output")
    if value.size != 1:
        raise ValueError(f"CrossEntropyLoss.forward returned shape {value.shape}, not a scalar")
    return loss_fn, float(value.reshape(-1)[0])


def probe_loss(args, arrays):
    """CrossEntropyLoss forward on given probabilities; nothing else runs, so a bug in
    backward alone is charged where backward is checked (4.3), not here."""
    _, loss = _loss(arrays["probs"].copy(), arrays["y"])
    return {}, {"loss": np.float64(loss)}


def probe_softmax_loss(args, arrays):
    """Softmax then CrossEntropyLoss on `logits`; the gradient back through both (not with
    args["forward_only"]).

    With `logits_many` (K, N, C) also returns the loss of each variant, for a
    numerical gradient with respect to the logits.
    """
    softmax = make_layer("Softmax", {})
    with phase("Softmax.forward"):
        probs = softmax.forward(arrays["logits"].copy())
    loss_fn, loss = _loss(probs, arrays["y"])
    if args.get("forward_only"):  # a check of the loss's value: backward is not its business
        return {}, {"probs": plain(probs, "Softmax.forward's output"), "loss": np.float64(loss)}
    with phase("CrossEntropyLoss.backward"):
        upstream = loss_fn.backward()
    with phase("Softmax.backward"):
        dlogits = softmax.backward(upstream)
    result = {"probs": plain(probs, "Softmax.forward's output"), "loss": np.float64(loss),
              "dlogits": plain(dlogits, "Softmax.backward's return value")}
    if "logits_many" in arrays:
        losses = []
        for logits in arrays["logits_many"]:
            with phase("Softmax.forward"):
                p = make_layer("Softmax", {}).forward(logits.copy())
            losses.append(_loss(p, arrays["y"])[1])
        result["losses"] = np.array(losses)
    return {}, result


def probe_train(args, arrays):
    """Train Linear-ReLU-Linear-Softmax from given weights with the course's SGD.

    Each step is the Trainer's: forward, loss, zero_grad, backward, step, on
    minibatches of `batch_size` rows of (x, y) taken in order, cycling (the
    whole batch if not given). Returns the loss before each step, the
    parameters afterwards (read from the layers' w and b) and predict(x).
    """
    from layers.sequential import Sequential
    from utils.optimizer import SGD

    first = make_linear(arrays["w1"], arrays["b1"])
    second = make_linear(arrays["w2"], arrays["b2"])
    net = Sequential([first, make_layer("ReLU", {}), second, make_layer("Softmax", {})])
    loss_fn = make_layer("CrossEntropyLoss", {})
    optimizer = SGD(net, args["lr"], args["weight_decay"])
    x, y = arrays["x"], arrays["y"]
    size = args.get("batch_size") or len(x)
    losses = []
    for step in range(args["steps"]):
        start = (step * size) % len(x)
        xb, yb = x[start:start + size], y[start:start + size]
        with phase("Sequential.forward (your layers' forward)"):
            out = net(xb.copy())
        with phase("CrossEntropyLoss.forward"):
            losses.append(float(plain(loss_fn.forward(out, yb.copy()), "the loss")))
        optimizer.zero_grad()
        with phase("Sequential.backward (your layers' backward)"):
            net.backward(loss_fn.backward())
        with phase("SGD.step (reads your layers' parameters and grads)"):
            optimizer.step()
    with phase("Sequential.predict"):
        predictions = np.array(net.predict(x.copy()), dtype=np.int64, copy=True)
    return {}, {"losses": np.array(losses), "predictions": predictions,
                "w1": plain(first.w, "first Linear's w"), "b1": plain(first.b, "first Linear's b"),
                "w2": plain(second.w, "second Linear's w"), "b2": plain(second.b, "second Linear's b")}


def probe_evaluate(args, arrays):
    """Loss and predictions of Linear-ReLU-Linear-Softmax with the given weights on (x, y)."""
    from layers.sequential import Sequential

    net = Sequential([make_linear(arrays["w1"], arrays["b1"]), make_layer("ReLU", {}),
                      make_linear(arrays["w2"], arrays["b2"]), make_layer("Softmax", {})])
    with phase("Sequential.forward (your layers' forward)"):
        probs = net(arrays["x"].copy())
    _, loss = _loss(probs, arrays["y"])
    predictions = np.argmax(plain(probs, "the network's output"), axis=-1)
    return {}, {"loss": np.float64(loss), "predictions": predictions}


PROBES = {
    "layer": probe_layer,
    "forward_many": probe_forward_many,
    "loss": probe_loss,
    "softmax_loss": probe_softmax_loss,
    "train": probe_train,
    "evaluate": probe_evaluate,
}


def run(name, args, arrays):
    """Run probe `name`; returns (JSON-able dict, dict of ndarrays)."""
    _phase[0] = None
    return PROBES[name](args, arrays)

"""Centred numerical gradients, computed here from forward values a runner returns.

The runner evaluates all perturbed inputs in one call, so the arithmetic of the
gradient check stays in the trusted process even when the forward is the
student's.
"""
import numpy as np

from . import config


def _variants(inputs, step):
    """Each input entry nudged by +step and -step: list of dicts, plus (name, flat index) per pair."""
    variants, index = [], []
    for name, array in inputs.items():
        for i in range(array.size):
            for sign in (1.0, -1.0):
                variant = {key: value.copy() for key, value in inputs.items()}
                variant[name].flat[i] += sign * step
                variants.append(variant)
            index.append((name, i))
    return variants, index


def _assemble(values, index, inputs, step):
    """Gradients from f(+step), f(-step) pairs, shaped like each input."""
    grads = {name: np.zeros_like(array) for name, array in inputs.items()}
    for pair, (name, i) in enumerate(index):
        grads[name].flat[i] = (values[2 * pair] - values[2 * pair + 1]) / (2 * step)
    return grads


def layer_gradients(runner, layer, dout, step=config.NUMERIC_STEP, **inputs):
    """Numerical gradients of sum(layer.forward(x) * dout) w.r.t. each of `inputs`.

    inputs: x (N, D) and, for Linear, w (D, M) and b (M,). Returns a dict with
    the same keys prefixed by "d" (dx, dw, db).
    """
    variants, index = _variants(inputs, step)
    arrays = {"xs": np.stack([v["x"] for v in variants])}
    if layer == "Linear":
        arrays["ws"] = np.stack([v["w"] for v in variants])
        arrays["bs"] = np.stack([v["b"] for v in variants])
    outs = runner.run("forward_many", {"layer": layer}, **arrays)["outs"]
    if outs.shape != (len(variants),) + dout.shape:
        raise ValueError(f"{layer}.forward gave outputs of shape {outs.shape[1:]}, "
                         f"expected {dout.shape}")
    values = (outs * dout).reshape(len(variants), -1).sum(axis=1)
    return {"d" + name: grad for name, grad in _assemble(values, index, inputs, step).items()}


def softmax_loss_gradient(runner, logits, y, step=config.NUMERIC_STEP):
    """Numerical gradient (N, C) of the Softmax+CrossEntropyLoss value w.r.t. the logits."""
    variants, index = _variants({"logits": logits}, step)
    answer = runner.run("softmax_loss", logits=logits, y=y,
                        logits_many=np.stack([v["logits"] for v in variants]))
    return _assemble(answer["losses"], index, {"logits": logits}, step)["logits"]

"""Numerical gradients for checking the layers' backward passes (CS231n style)."""
import numpy as np


def numeric_gradient(f, x, h=1e-5):
    """Centred difference gradient of the scalar function f() with respect to x.

    x is perturbed in place, one entry at a time, and restored; f must read x
    through the same array object. Returns an array shaped like x.
    """
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    for _ in it:
        i = it.multi_index
        saved = x[i]
        x[i] = saved + h
        f_plus = f()
        x[i] = saved - h
        f_minus = f()
        x[i] = saved
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def relative_error(a, b):
    """Largest elementwise |a - b| / max(|a| + |b|, 1e-8); 0 for equal arrays."""
    # The floor keeps entries where both gradients are ~0 from dividing by zero.
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)))

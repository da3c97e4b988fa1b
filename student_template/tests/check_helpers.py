"""Numeric gradients, and checks that explain in words what is wrong.

A failing check names the layer and the quantity, shows the expected and the
received values side by side, and gives the relative error with its limit. When
the received values are a whole multiple of the expected ones (a forgotten / N
makes a gradient N times too large), it says so in words.
"""
import numpy as np

GRADIENT_TOLERANCE = 1e-6  # float64 centred differences agree to about 1e-9 when right


def numeric_gradient(f, x, h=1e-6):
    """Centred-difference gradient of the scalar f() with respect to the array x.

    f takes no argument: it reads x, which this function perturbs in place and
    restores, so x can be a layer's own parameter array.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        above = f()
        x[index] = original - h
        below = f()
        x[index] = original
        grad[index] = (above - below) / (2 * h)
    return grad


def relative_error(got, expected):
    """|got - expected| / (|got| + |expected|) over whole arrays; 0 when both are zero."""
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    scale = np.linalg.norm(got) + np.linalg.norm(expected)
    return 0.0 if scale == 0 else float(np.linalg.norm(got - expected) / scale)


def scale_error(got, expected):
    """'3 times too large', '2 times too small', 'of the opposite sign' (or both), or None.

    Words for `got` being `expected` times a constant that is a whole number or
    one over a whole number, possibly negative; None for any other difference.
    """
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    norm = float(np.vdot(expected, expected))
    if norm == 0:
        return None
    ratio = float(np.vdot(got, expected)) / norm  # the best constant c in got ~ c * expected
    if ratio == 0 or relative_error(got, ratio * expected) > 1e-6:
        return None  # not a constant multiple: the values are wrong in another way
    words = []
    for factor, word in ((abs(ratio), "large"), (1 / abs(ratio), "small")):
        whole = round(factor)
        if whole >= 2 and abs(factor - whole) <= 1e-6 * whole:
            words.append(f"{whole} times too {word}")
    if ratio < 0:
        words.append("of the opposite sign")
    if not words:
        return None
    return " and ".join(words)


def _show(array):
    """A short printout of `array`, its lines indented to sit under a label."""
    text = np.array2string(np.asarray(array), precision=5, threshold=12, edgeitems=2,
                           suppress_small=True)
    return "    " + text.replace("\n", "\n    ")


def check_shape(what, got, expected_shape):
    """Fail unless `got` is an array of `expected_shape`.

    what: names the array, e.g. 'Linear.backward: self.dw'.
    """
    __tracebackhide__ = True  # pytest shows the test's line, not this helper's
    if got is None:
        raise AssertionError(f"{what} is None: was it computed and stored (or returned)?")
    shape = np.shape(got)
    if shape != tuple(expected_shape):
        raise AssertionError(f"{what} has shape {shape}, expected {tuple(expected_shape)}.")


def check_close(what, got, expected, source, tolerance=GRADIENT_TOLERANCE, hint=None):
    """Fail unless `got` matches `expected` within `tolerance` relative error.

    what: names the quantity, e.g. 'Linear.backward: dw'.
    source: where the expected values come from, e.g. 'numeric gradient of Linear.forward'.
    hint: a sentence on the usual cause, shown last when the check fails.
    """
    __tracebackhide__ = True
    check_shape(what, got, np.shape(expected))
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if not np.all(np.isfinite(got)):
        raise AssertionError(f"{what} contains nan or inf:\n  got:\n{_show(got)}")
    error = relative_error(got, expected)
    if error <= tolerance:
        return
    scale = scale_error(got, expected)
    lines = [f"{what} is {scale}." if scale else f"{what} is wrong.",
             f"  relative error {error:.2e}, must be below {tolerance:.0e}",
             f"  expected ({source}):", _show(expected), "  got:", _show(got)]
    if got.size > 1:
        worst = np.unravel_index(np.argmax(np.abs(got - expected)), got.shape)
        lines.append(f"  largest difference at index {tuple(int(i) for i in worst)}: "
                     f"expected {expected[worst]:.6g}, got {got[worst]:.6g}")
    if hint:
        lines.append(f"  hint: {hint}")
    raise AssertionError("\n".join(lines))

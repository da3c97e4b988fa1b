"""Comparing a submission's arrays with the expected ones, in words a student can act on."""
import numpy as np


def relative_error(got, want):
    """||got - want|| / (||got|| + ||want||), 0 when both are zero.

    Both are divided by their largest entry first, so huge values (1e300) cannot
    overflow the norms into inf / inf = nan, which compares as "not too big".
    """
    largest = max(float(np.max(np.abs(got), initial=0)), float(np.max(np.abs(want), initial=0)))
    if largest == 0:
        return 0.0
    got, want = got / largest, want / largest
    return float(np.linalg.norm(got - want) / (np.linalg.norm(got) + np.linalg.norm(want)))


def describe_mismatch(label, got, want, rtol):
    """None if `got` matches `want` within `rtol`, else a sentence saying how it does not.

    got, want: float arrays (the submission's, the expected); label names the
    quantity, e.g. "Linear.backward: dw".
    """
    if got is None:
        return f"{label} is missing (None)"
    if got.shape != want.shape:
        hint = ""
        if got.ndim == 2 and got.shape == want.shape[::-1]:
            hint = " (transposed)"
        elif got.size == want.size:
            hint = " (same number of entries, wrong layout)"
        return f"{label} has shape {got.shape}, expected {want.shape}{hint}"
    bad = ~np.isfinite(got)
    if bad.any() and np.isfinite(want).all():
        kind = "NaN" if np.isnan(got).any() else "inf"
        return f"{label} contains {kind} ({int(bad.sum())} of {got.size} entries)"
    err = relative_error(np.nan_to_num(got), np.nan_to_num(want))
    if not err <= rtol:  # nan fails too
        return f"{label} has relative error {err:.2g} (allowed {rtol:g})"
    return None

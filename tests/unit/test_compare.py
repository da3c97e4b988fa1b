"""grader/compare.py: the relative error the checks use, and the sentence a student
reads when an array does not match."""
import numpy as np

from grader.compare import describe_mismatch, relative_error

WANT = np.array([[1.0, -2.0, 3.0], [0.5, 0.0, -4.0]])


def test_relative_error_of_equal_arrays_is_zero():
    assert relative_error(WANT, WANT.copy()) == 0.0


def test_relative_error_of_two_zero_arrays_is_zero_not_nan():
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(np.zeros((0, 4)), np.zeros((0, 4))) == 0.0


def test_relative_error_against_zero_or_the_negation_is_one():
    assert relative_error(np.zeros_like(WANT), WANT) == 1.0
    assert relative_error(WANT, np.zeros_like(WANT)) == 1.0
    assert np.isclose(relative_error(-WANT, WANT), 1.0)


def test_relative_error_matches_the_norm_formula_on_ordinary_values():
    got = WANT + 0.01
    formula = np.linalg.norm(got - WANT) / (np.linalg.norm(got) + np.linalg.norm(WANT))
    assert np.isclose(relative_error(got, WANT), formula, rtol=1e-12)


def test_relative_error_of_huge_values_is_finite_and_right():
    big = np.array([1e300, 1e300])
    with np.errstate(over="raise"):
        assert relative_error(big, big) == 0.0
        # [1, 1] against [1, -1] after scaling: 2 / (2 * sqrt(2))
        assert np.isclose(relative_error(big, np.array([1e300, -1e300])), 1 / np.sqrt(2))
        assert np.isclose(relative_error(big * 1.5, big), 0.2)


def test_relative_error_of_tiny_values_does_not_underflow_to_zero():
    tiny = np.array([1e-300, 2e-300])
    assert np.isclose(relative_error(tiny * 2, tiny), 1 / 3)


def test_relative_error_of_scalars():
    assert np.isclose(relative_error(np.float64(3.0), np.float64(1.0)), 0.5)


def test_describe_mismatch_is_none_when_equal_or_within_rtol():
    assert describe_mismatch("Linear.forward", WANT.copy(), WANT, 1e-6) is None
    assert describe_mismatch("Linear.forward", WANT * (1 + 1e-9), WANT, 1e-6) is None


def test_describe_mismatch_passes_at_exactly_rtol_and_fails_just_below():
    got = WANT + 1e-3
    err = relative_error(got, WANT)
    assert describe_mismatch("x", got, WANT, err) is None
    message = describe_mismatch("x", got, WANT, np.nextafter(err, 0))
    assert message is not None and message.startswith("x has relative error")


def test_describe_mismatch_names_the_error_and_the_allowed_tolerance():
    message = describe_mismatch("Linear.backward: dw", WANT * 2, WANT, 1e-6)
    assert message == "Linear.backward: dw has relative error 0.33 (allowed 1e-06)"


def test_describe_mismatch_says_missing_for_none():
    assert describe_mismatch("Linear.dw", None, WANT, 1e-6) == "Linear.dw is missing (None)"


def test_describe_mismatch_calls_a_transposed_matrix_transposed():
    message = describe_mismatch("dw", WANT.T.copy(), WANT, 1e-6)
    assert message == "dw has shape (3, 2), expected (2, 3) (transposed)"


def test_describe_mismatch_calls_a_reshaped_array_same_number_of_entries():
    message = describe_mismatch("out", WANT.reshape(-1), WANT, 1e-6)
    assert message == "out has shape (6,), expected (2, 3) (same number of entries, wrong layout)"
    message = describe_mismatch("out", WANT.reshape(3, 1, 2), WANT, 1e-6)
    assert "same number of entries" in message and "transposed" not in message


def test_describe_mismatch_gives_no_layout_hint_for_a_different_size():
    message = describe_mismatch("db", np.zeros(4), np.zeros(3), 1e-6)
    assert message == "db has shape (4,), expected (3,)"


def test_describe_mismatch_counts_nan_entries():
    got = WANT.copy()
    got[0, 0] = got[1, 2] = np.nan
    got[0, 1] = np.inf
    assert describe_mismatch("probs", got, WANT, 1e-6) == "probs contains NaN (3 of 6 entries)"


def test_describe_mismatch_reports_inf_when_there_is_no_nan():
    got = WANT.copy()
    got[1, 1] = -np.inf
    assert describe_mismatch("probs", got, WANT, 1e-6) == "probs contains inf (1 of 6 entries)"


def test_describe_mismatch_accepts_inf_where_the_expected_value_is_inf_too():
    want = np.array([np.inf, 1.0])
    assert describe_mismatch("loss", want.copy(), want, 1e-6) is None
    message = describe_mismatch("loss", np.array([1.0, 1.0]), want, 1e-6)
    assert message is not None and "relative error" in message


def test_describe_mismatch_fails_huge_wrong_values_instead_of_comparing_nan():
    want = np.array([1e300, 1e300])
    message = describe_mismatch("out", np.array([1e300, -1e300]), want, 1e-6)
    assert message is not None and "relative error 0.71" in message

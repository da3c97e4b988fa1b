"""grader/report.py: the parts a check records, the credit they earn and the feedback
a student reads."""
import numpy as np

from grader.report import Report


def test_a_report_without_parts_has_no_fraction_and_no_feedback():
    report = Report()
    assert report.fraction() is None
    assert report.feedback() == ""


def test_part_records_full_or_no_credit_and_returns_whether_it_passed():
    report = Report()
    assert report.part("a", True) is True
    assert report.part("b", False, "b is wrong") is False
    assert [(name, credit) for name, credit, _, _ in report.parts] == [("a", 1.0), ("b", 0.0)]
    assert report.fraction() == 0.5


def test_credit_is_clamped_to_between_zero_and_one():
    report = Report()
    report.credit("over", 1.7)
    report.credit("under", -0.3)
    report.credit("half", 0.5)
    assert [credit for _, credit, _, _ in report.parts] == [1.0, 0.0, 0.5]
    assert report.fraction() == 0.5


def test_fraction_is_the_weighted_mean_of_the_credits():
    report = Report()
    report.part("heavy", True, weight=3)
    report.part("light", False, "light is wrong", weight=1)
    report.credit("partial", 0.5, "partial is half right", weight=4)
    assert report.fraction() == (3 * 1 + 1 * 0 + 4 * 0.5) / 8


def test_parts_of_zero_total_weight_give_no_fraction():
    report = Report()
    report.part("weightless", False, "no", weight=0)
    assert report.fraction() is None


def test_notes_do_not_change_the_score():
    report = Report()
    report.part("a", True)
    report.part("b", False, "b is wrong")
    before = report.fraction()
    report.note("a hint")
    assert report.fraction() == before == 0.5
    assert len(report.parts) == 2


def test_feedback_lists_failures_in_order_then_what_was_right_then_notes():
    report = Report()
    report.part("first", False, "first is wrong")
    report.part("good one", True, "good one is right")
    report.credit("second", 0.25, "second is partly wrong")
    report.part("good two", True)
    report.note("a hint")
    assert report.feedback().splitlines() == [
        "first is wrong", "second is partly wrong", "Right: good one, good two.", "a hint"]


def test_feedback_has_no_right_line_when_everything_passed():
    report = Report()
    report.part("a", True, "a is right")
    report.note("a hint")
    assert report.feedback() == "a hint"


def test_feedback_has_no_right_line_when_nothing_passed():
    report = Report()
    report.part("a", False, "a is wrong")
    assert report.feedback() == "a is wrong"


def test_a_failed_part_without_a_message_is_not_listed():
    report = Report()
    report.part("silent", False)
    report.part("ok", True)
    assert report.feedback() == ""


def test_compare_records_a_passing_part_for_matching_arrays():
    report = Report()
    want = np.array([1.0, 2.0])
    assert report.compare("out", want.copy(), want, 1e-6) is True
    assert report.parts == [("out", 1.0, "out is right", 1.0)]


def test_compare_records_the_mismatch_sentence_for_a_wrong_array():
    report = Report()
    want = np.array([[1.0, 2.0, 3.0]])
    assert report.compare("out", want.T.copy(), want, 1e-6, weight=2) is False
    name, credit, message, weight = report.parts[0]
    assert (name, credit, weight) == ("out", 0.0, 2.0)
    assert message == "out has shape (3, 1), expected (1, 3) (transposed)"
    assert report.feedback() == message


def test_cases_failing_with_the_same_error_and_traceback_are_one_line_each():
    report = Report()
    trace = "    layers/relu.py, line 14, in forward: raise NotImplementedError('todo')"
    for shape in ("1x10", "5x7"):
        report.part(f"ReLU.forward on {shape}", False, f"ReLU.forward on {shape}: raised NotImplementedError: todo\n{trace}")
    report.part("ReLU.forward on 9x9", False, "ReLU.forward on 9x9: raised ValueError: bad\n" + trace)
    report.part("ReLU.forward on 2x2", False, "ReLU.forward on 2x2: out is off by 1")
    report.part("ReLU.forward on 3x3", False, "ReLU.forward on 3x3: out is off by 1")
    assert report.feedback().splitlines() == [
        "ReLU.forward on 1x10: raised NotImplementedError: todo", trace,
        "ReLU.forward on 5x7: the same error as above.",
        "ReLU.forward on 9x9: raised ValueError: bad", trace,   # another error: said in full
        "ReLU.forward on 2x2: out is off by 1",                 # mismatches have no trace: each said
        "ReLU.forward on 3x3: out is off by 1"]

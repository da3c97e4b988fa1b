"""grader/plugin.py without pytest's machinery: the feedback for a check that stopped on
an exception (_explain), and how a check's outcome, tags and report become its score
(_result), with plain stand-ins for pytest's item, call and report."""
from types import SimpleNamespace

import pytest
from gradescope_utils.autograder_utils.decorators import number, visibility, weight

from grader.plugin import CheckResult, GradingPlugin, _explain
from grader.report import Report
from grader.runners import SandboxBroken, StudentError, WorkerFailure


def excinfo(exc):
    return SimpleNamespace(value=exc, type=type(exc))


@weight(10)
@number("1.2")
@visibility("after_due_date")
def example_check(student, reference, report):  # not named test_*: pytest must not collect it
    """Linear.backward (dx, dw, db)

    More text that is not the name.
    """


def untagged_check():
    pass


def result(outcome, report=None, exc=None, function=example_check, name="test_example"):
    """The CheckResult the plugin makes of a check that `outcome` ('passed' or 'failed')."""
    plugin = GradingPlugin(student=None, reference=None, run_notebook=None)
    item = SimpleNamespace(function=function, name=name,
                           funcargs={} if report is None else {"report": report})
    call = SimpleNamespace(excinfo=None if exc is None else excinfo(exc))
    rep = SimpleNamespace(when="call", passed=outcome == "passed", failed=outcome == "failed",
                          skipped=False)
    return plugin, plugin._result(item, call, rep)


def test_explain_gives_nothing_for_an_exception_already_in_the_report():
    exc = WorkerFailure("the process ended")
    exc.recorded = True
    assert _explain(excinfo(exc)) == ""


def test_explain_gives_a_student_error_with_its_trace():
    exc = StudentError({"type": "KeyError", "message": "'w'", "phase": "Linear.forward",
                        "trace": "Traceback ...\nKeyError: 'w'\n"})
    assert _explain(excinfo(exc)) == "Linear.forward raised KeyError: 'w'\nTraceback ...\nKeyError: 'w'"


def test_explain_gives_a_student_error_without_phase_or_trace_in_one_line():
    assert _explain(excinfo(StudentError({"type": "ValueError", "message": "bad"}))) == \
        "your code raised ValueError: bad"


def test_explain_gives_a_worker_failure_as_it_is():
    assert _explain(excinfo(WorkerFailure("did not finish within 5 s"))) == "did not finish within 5 s"


def test_explain_keeps_an_assertions_message_and_drops_pytests_rewritten_comparison():
    exc = AssertionError("the loss did not decrease\nassert 2.3 < 2.1")
    assert _explain(excinfo(exc)) == "the loss did not decrease"
    assert _explain(excinfo(AssertionError())) == "a check failed"


def test_explain_says_the_check_could_not_use_an_unexpected_value():
    assert _explain(excinfo(KeyError("dw"))) == \
        "The check could not use what your code returned: KeyError: 'dw'"


def test_a_passed_check_without_parts_earns_its_whole_weight():
    _, r = result("passed")
    assert r == CheckResult(check="example", name="Linear.backward (dx, dw, db)", number="1.2",
                            max_score=10.0, score=10.0, output="", visibility="after_due_date")


def test_a_passed_check_with_parts_earns_its_weight_times_the_fraction():
    report = Report()
    report.part("dx", True)
    report.part("dw", False, "dw is transposed")
    report.credit("db", 1 / 3, "db is a third right")
    report.note("a hint")
    _, r = result("passed", report)
    assert r.score == round(10 * (1 + 0 + 1 / 3) / 3, 4) == 4.4444
    assert r.output == "dw is transposed\ndb is a third right\nRight: dx.\na hint"


def test_a_check_that_stopped_keeps_the_parts_it_credited_and_says_why_it_stopped():
    report = Report()
    report.part("dx", True)
    report.part("dw", False, "dw is wrong")
    _, r = result("failed", report, exc=KeyError("db"))
    # dx earned, dw lost, and what stopped the check counts as one more part lost.
    assert r.score == round(10 / 3, 4) and r.max_score == 10.0
    assert r.output == ("dw is wrong\nRight: dx.\n"
                        "The check could not use what your code returned: KeyError: 'db'")


def test_a_check_that_stopped_before_any_part_scores_zero():
    _, r = result("failed", Report(), exc=AssertionError("best_net could not be evaluated"))
    assert r.score == 0.0 and r.output == "best_net could not be evaluated"


def test_a_check_without_tags_is_worth_nothing_and_named_after_the_function():
    _, r = result("passed", function=untagged_check, name="test_untagged")
    assert (r.max_score, r.score, r.number, r.visibility) == (0.0, 0.0, "", "visible")
    assert (r.check, r.name) == ("untagged", "test_untagged")


def test_a_broken_sandbox_is_remembered_by_the_plugin():
    plugin, r = result("failed", exc=SandboxBroken("landlock could not be set up"))
    assert plugin.sandbox_broken == "landlock could not be set up"
    assert r.score == 0.0


@pytest.mark.parametrize("scores, failed", [((10, 10), []), ((9.9999, 10), ["1.2 Linear.backward (dx, dw, db)"])])
def test_layers_failed_names_the_checks_that_lost_points(scores, failed):
    plugin = GradingPlugin(student=None, reference=None, run_notebook=None)
    score, max_score = scores
    plugin.results = [CheckResult("example", "Linear.backward (dx, dw, db)", "1.2", max_score, score,
                                  "", "visible")]
    assert plugin.layers_failed() == failed

"""The pytest plugin that runs the hidden checks against one submission.

It supplies the fixtures the checks use (`student`, `reference`, `report`) and
turns each check's outcome and tags (gradescope-utils' `weight`, `number`,
`visibility`) into a CheckResult. Tags only describe a check; scoring happens here.
"""
import traceback
from dataclasses import dataclass

import pytest

from .notebook.run import NotebookResult
from .report import Report
from .runners import SandboxBroken, StudentError, WorkerFailure


@dataclass
class CheckResult:
    check: str          # the test function's name without "test_"
    name: str           # first docstring line
    number: str
    max_score: float
    score: float
    output: str
    visibility: str
    # What lost points, one line each (a failed part's first line, or what stopped the
    # check): the class report groups feedback by these, never by traceback lines.
    causes: tuple = ()


def _title(item):
    """A check's name: the first line of its docstring."""
    return (item.function.__doc__ or item.name).strip().splitlines()[0]


def _explain(excinfo):
    """Feedback for a check that stopped on an exception."""
    exc = excinfo.value
    if getattr(exc, "recorded", False):
        return ""  # already in the report's feedback
    if isinstance(exc, StudentError):
        return f"{exc}\n{exc.trace}".rstrip()
    if isinstance(exc, WorkerFailure):
        return str(exc)
    if isinstance(exc, AssertionError):
        return str(exc).split("\nassert ")[0] or "a check failed"
    tail = "".join(traceback.format_exception_only(excinfo.type, exc)).strip()
    return f"The check could not use what your code returned: {tail}"


def _causes(report, output):
    """The first line of each failed part's message; with none, of the check's feedback."""
    lines = [message.strip().splitlines()[0] for _, credit, message, _ in report.parts
             if credit < 1 and message.strip()]
    first = next((line.strip() for line in output.splitlines() if line.strip()), "")
    return tuple(dict.fromkeys(lines or ([first] if first else [])))


class GradingPlugin:
    """`run_notebook(layers_failed)` is called (once, when a check first asks) to
    execute the submitted notebook; it returns a grader.notebook.run.NotebookResult.
    The notebook's checks run after all the others, so that it can be told which
    layer checks failed (a layer bug is then named as the cause, not the tuning)."""

    def __init__(self, student, reference, run_notebook, not_submitted=""):
        self._student = student
        self._not_submitted = not_submitted  # why the non-notebook checks are not run, if they are not
        self._reference = reference
        self._run_notebook = run_notebook
        self.notebook_result = None   # the NotebookResult, once a check has asked for it
        self.results = []
        self.sandbox_broken = None    # why a sandbox layer failed mid-grading (then nothing counts)

    @pytest.fixture
    def notebook(self):
        """The executed notebook and the grader's measurements of its best_net."""
        if self.notebook_result is None:
            try:
                self.notebook_result = self._run_notebook(self.layers_failed())
            except SandboxBroken as exc:
                self.sandbox_broken = str(exc)
                raise
            except Exception as exc:  # computed once, failed or not: never run it again per check
                self.notebook_result = NotebookResult(
                    submitted=True, problem=f"the notebook could not be graded: {exc}")
        return self.notebook_result

    @pytest.fixture
    def student(self):
        """Runs probes on the submission, in the worker."""
        return self._student

    @pytest.fixture
    def reference(self):
        """Runs the same probes on the reference, in this process."""
        return self._reference

    @pytest.fixture
    def report(self):
        return Report()

    def pytest_collection_modifyitems(self, items):
        items.sort(key=lambda item: "notebook" in getattr(item, "fixturenames", ()))  # stable: last
        if self._not_submitted:
            for item in items:
                if "notebook" not in getattr(item, "fixturenames", ()):
                    item.add_marker(pytest.mark.skip(reason=self._not_submitted))
        self.collected = list(items)

    def layers_failed(self):
        """'number name' of each check reported so far that lost points (the layer checks);
        none when the layers were not submitted (the notebook ran on the reference's)."""
        if self._not_submitted:
            return []
        return [f"{r.number} {r.name}" for r in self.results if r.score < r.max_score]

    def unfinished(self, why):
        """CheckResults scoring 0 for the checks collected but not (yet) reported."""
        done = {r.check for r in self.results}
        return [CheckResult(check=item.name.removeprefix("test_"), name=_title(item),
                            number=getattr(item.function, "__number__", ""),
                            max_score=float(getattr(item.function, "__weight__", 0.0)), score=0.0,
                            output=why, visibility=getattr(item.function, "__visibility__", "visible"))
                for item in getattr(self, "collected", []) if item.name.removeprefix("test_") not in done]

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        rep = outcome.get_result()
        if rep.when == "call" or (rep.when == "setup" and (rep.failed or rep.skipped)):
            self.results.append(self._result(item, call, rep))

    def _result(self, item, call, rep):
        if call.excinfo is not None and isinstance(call.excinfo.value, SandboxBroken):
            self.sandbox_broken = str(call.excinfo.value)
        func = item.function
        weight = float(getattr(func, "__weight__", 0.0))
        report = item.funcargs.get("report") or Report()
        if rep.skipped:
            return CheckResult(check=item.name.removeprefix("test_"), name=_title(item),
                               number=getattr(func, "__number__", ""), max_score=weight, score=0.0,
                               output=self._not_submitted,
                               visibility=getattr(func, "__visibility__", "visible"))
        if rep.passed:
            fraction = report.fraction()
            score = weight if fraction is None else weight * fraction
            output = report.feedback()
        else:
            # Parts credited before the check stopped keep their credit; what stopped it
            # counts as one more part that failed (an assertion with no parts: all of it).
            recorded = getattr(call.excinfo.value, "recorded", False)
            if recorded and report.parts:
                fraction = report.fraction()
            elif report.parts:
                report.part("the rest of the check", False)
                fraction = report.fraction()
            else:
                fraction = 0.0
            score = weight * fraction
            output = "\n".join(filter(None, [report.feedback(), _explain(call.excinfo)]))
        return CheckResult(
            check=item.name.removeprefix("test_"), name=_title(item),
            number=getattr(func, "__number__", ""), max_score=weight,
            score=round(score, 4), output=output,
            visibility=getattr(func, "__visibility__", "visible"),
            causes=_causes(report, output) if score < weight else ())

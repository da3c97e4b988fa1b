"""Grade every corpus entry with `python -m grader` and tabulate what the grader caught.

    python -m tests.corpus.report [--workers 2] [--keep DIR] [--out FILE]

(from the repository root). tests/test_grader_corpus.py uses the same functions.
Exit status 1 if any entry's failing checks differ from its expected `fails`,
unless the entry is a known grader issue (bugs.KNOWN_GRADER_ISSUES) that still
fails exactly as recorded.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from tests.grading import run_grader

from .bugs import BUGS, CHECKS, EQUIVALENT, KNOWN_GRADER_ISSUES
from .build import build_submission

# The files the grader takes from a submission (grader/submission.py's
# STUDENT_LAYER_FILES); a patch anywhere else must show up as ignored.
GRADED_FILES = ("layers/linear.py", "layers/relu.py", "layers/softmax.py", "layers/loss_func.py")
GRADE_TIMEOUT = 180  # seconds for one `python -m grader` run
SHORT = {"linear_forward": "LF", "linear_backward": "LB", "relu_forward": "RF",
         "relu_backward": "RB", "softmax_forward": "SF", "loss_forward": "LOSS",
         "loss_numerics": "NUM", "softmax_loss_backward": "SLB", "train_step": "STEP",
         "toy_network": "TOY"}


@dataclass
class Outcome:
    bug: object                      # the bugs.Bug graded
    equivalent: bool                 # from EQUIVALENT (must score full marks)
    actual: frozenset = frozenset()  # checks that scored below max_score
    scores: dict = field(default_factory=dict)  # check -> (score, max_score)
    outputs: dict = field(default_factory=dict)  # check -> feedback of failed checks
    problems: list = field(default_factory=list)  # anything wrong besides the failing set
    extra: dict = field(default_factory=dict)    # results.json's extra_data (used, missing, ignored)
    seconds: float = 0.0

    @property
    def as_expected(self):
        return not self.problems and self.actual == self.bug.fails

    @property
    def known_issue(self):
        """The KNOWN_GRADER_ISSUES explanation if the grader still behaves exactly as recorded."""
        record = KNOWN_GRADER_ISSUES.get(self.bug.name)
        if record and not self.problems and self.actual == record[0]:
            return record[1]
        return None

    @property
    def status(self):
        """'yes' (as expected), 'known issue' (as recorded in KNOWN_GRADER_ISSUES) or 'NO'."""
        if self.as_expected:
            return "yes"
        return "known issue" if self.known_issue else "NO"

    @property
    def acceptable(self):
        """As expected, or a known grader issue unchanged; anything else needs a look."""
        return self.status != "NO"

    @property
    def caught(self):
        """'yes'/'NO' for a bug expected to lose points; otherwise what we expect instead."""
        if self.equivalent:
            return "n/a"
        if not self.bug.fails:
            return "no (known)"
        return "yes" if self.actual else "NO"


def grade_entry(bug, workdir, equivalent=False):
    """Build `bug` under `workdir`, grade it, and return its Outcome."""
    start = time.monotonic()
    outcome = Outcome(bug=bug, equivalent=equivalent)
    folder = os.path.join(workdir, bug.name)
    submission = build_submission(bug, os.path.join(folder, "submission"))
    try:
        proc, results = run_grader(submission, os.path.join(folder, "results.json"),
                                   "--skip-notebook", timeout=GRADE_TIMEOUT)
    except subprocess.TimeoutExpired:
        outcome.problems.append(f"the grader did not finish within {GRADE_TIMEOUT} s")
        return outcome
    outcome.seconds = time.monotonic() - start
    if proc.returncode != 0 or results is None:
        outcome.problems.append(f"the grader exited with {proc.returncode}: {proc.stderr[-1500:]}")
        return outcome
    tests = results.get("tests", [])
    outcome.scores = {t["extra_data"]["check"]: (t["score"], t["max_score"]) for t in tests}
    outcome.outputs = {t["extra_data"]["check"]: t["output"] for t in tests
                       if t["score"] < t["max_score"]}
    outcome.actual = frozenset(outcome.outputs)
    if sorted(outcome.scores) != sorted(CHECKS):
        # e.g. a grader crash: no tests, so "nothing failed" would be meaningless.
        outcome.problems.append(f"the grader ran checks {sorted(outcome.scores)}, expected "
                                f"{sorted(CHECKS)}; output: {results.get('output', '')[:500]}")
    extra = outcome.extra = results.get("extra_data", {})
    placement = "used" if bug.file in GRADED_FILES else "ignored"
    if bug.file not in extra.get(placement, []):
        outcome.problems.append(f"{bug.file} is not in results extra_data[{placement!r}]: {extra}")
    return outcome


def grade_corpus(workdir, entries=None, workers=2):
    """Grade every entry (default: all of BUGS and EQUIVALENT) in `workdir`; Outcomes in order."""
    if entries is None:
        entries = [(bug, False) for bug in BUGS] + [(bug, True) for bug in EQUIVALENT]
    names = [bug.name for bug, _ in entries]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"corpus names are not unique: {duplicates}")
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(grade_entry, bug, workdir, equivalent) for bug, equivalent in entries]
        return [future.result() for future in futures]


def _codes(checks):
    return " ".join(SHORT[c] for c in CHECKS if c in checks) or "-"


def summary(outcomes):
    """(caught, counted, as expected, known issues, total).

    counted: the bugs expected to lose points; caught: those of them that did.
    """
    counted = [o for o in outcomes if not o.equivalent and o.bug.fails]
    caught = sum(1 for o in counted if o.actual)
    expected = sum(1 for o in outcomes if o.as_expected)
    known = sum(1 for o in outcomes if o.status == "known issue")
    return caught, len(counted), expected, known, len(outcomes)


def format_table(outcomes, wall_time=None):
    """The table (entry, expected failing checks, actual failing checks, caught, as expected)."""
    header = ("entry", "expected failing", "actual failing", "caught", "as expected")
    rows = []
    for section, equivalent in (("BUGS", False), ("EQUIVALENT (must score full marks)", True)):
        rows.append((f"-- {section}", "", "", "", ""))
        for o in outcomes:
            if o.equivalent == equivalent:
                rows.append((o.bug.name, _codes(o.bug.fails), _codes(o.actual), o.caught, o.status))
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = lambda r: "  ".join(str(v).ljust(w) for v, w in zip(r, widths)).rstrip()
    lines = [line(header), "  ".join("-" * w for w in widths)] + [line(r) for r in rows]
    caught, counted, expected, known, total = summary(outcomes)
    lines += ["", "checks: " + ", ".join(f"{SHORT[c]}={c}" for c in CHECKS),
              f"caught: {caught}/{counted} bugs expected to lose points "
              f"({100.0 * caught / max(counted, 1):.0f}%)",
              f"as expected (failing set exactly right, equivalents full marks): "
              f"{expected}/{total}; known grader issues: {known}"]
    uncounted = [o.bug.name for o in outcomes if not o.equivalent and not o.bug.fails]
    if uncounted:
        lines.append(f"bugs known not to be caught (not counted): {', '.join(uncounted)}")
    if wall_time is not None:
        lines.append(f"wall time: {wall_time:.1f} s")
    issues = [o for o in outcomes if o.known_issue]
    if issues:
        lines += ["", "known grader issues (see bugs.KNOWN_GRADER_ISSUES):"]
        lines += [f"  {o.bug.name}: {o.known_issue}" for o in issues]
    for o in outcomes:
        if not o.acceptable:
            lines += ["", f"!! {o.bug.name} ({o.bug.file}): {o.bug.why}",
                      f"   expected {_codes(o.bug.fails)}, got {_codes(o.actual)}"]
            lines += [f"   problem: {p}" for p in o.problems]
            lines += [f"   {check}: {text[:400]}".replace("\n", "\n      ")
                      for check, text in sorted(o.outputs.items())]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.corpus.report", description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="grades run at once (default 2)")
    parser.add_argument("--keep", help="build the submissions and results here instead of a temporary folder")
    parser.add_argument("--out", help="also write the table to this file")
    args = parser.parse_args(argv)
    start = time.monotonic()
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
        outcomes = grade_corpus(args.keep, workers=args.workers)
    else:
        with tempfile.TemporaryDirectory(prefix="grader-corpus-") as workdir:
            outcomes = grade_corpus(workdir, workers=args.workers)
    table = format_table(outcomes, time.monotonic() - start)
    print(table)
    if args.out:
        with open(args.out, "w") as f:
            f.write(table + "\n")
    return 0 if all(o.acceptable for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())

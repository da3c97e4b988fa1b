"""Grade the real-pattern notebooks (tests/realistic/notebooks.py) and compare with what each deserves.

    python -m tests.realistic.report [--workers 2] [--only NAME,...]

(from the repository root; CIFAR10_DIR set, as `make` does). For each entry:
the cost model's prediction for its best_net_hyperparams on the grading
machine, the grading's wall time, the score against the score written down
before grading, and every check's feedback against the fragments expected.
tests/test_realistic.py runs the same. Exit status 1 if any entry differs.
"""
import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import nbformat

from tests.grading import copy_reference, run_grader

from .notebooks import ENTRIES, Entry


@dataclass
class Outcome:
    entry: Entry
    results: dict = None
    seconds: float = 0.0
    predicted: str = ""
    problems: list = field(default_factory=list)

    @property
    def score(self):
        return self.results["score"] if self.results else None


def predicted_training(entry):
    """What utils/budget.py says of the entry's best_net_hyperparams on the grading machine."""
    from utils import budget
    values = next((eval(c.source.split("=", 1)[1]) for c in entry.notebook().cells
                   if c.cell_type == "code" and c.source.startswith("best_net_hyperparams =")), None)
    if values is None:
        return "-"
    advice = budget.advise(values)
    return f"{budget._duration(advice.seconds)}{'' if advice.fits else ' (over)'}"


def build(entry, folder):
    """The entry's submission in `folder`/submission."""
    from tests.corpus.bugs import BUGS
    from tests.corpus.build import build_submission
    submission = folder / "submission"
    if entry.bug:
        build_submission(next(b for b in BUGS if b.name == entry.bug), submission)
    else:
        copy_reference(submission)
    if entry.layers:
        entry.layers(submission)
    nbformat.write(entry.notebook(), submission / entry.filename)
    return submission


def grade(entry, folder):
    outcome = Outcome(entry, predicted=predicted_training(entry))
    submission = build(entry, folder)
    start = time.monotonic()
    proc, outcome.results = run_grader(submission, folder / "results.json", env=entry.env, timeout=1200)
    outcome.seconds = time.monotonic() - start
    if outcome.results is None:
        outcome.problems.append(f"no results (exit {proc.returncode}): {proc.stderr[-500:]}")
        return outcome
    judge(outcome)
    return outcome


def judge(outcome):
    """Compare the results with the entry's Expect; problems go into outcome.problems."""
    expect, results = outcome.entry.expect, outcome.results
    tests = {t["number"]: t for t in results["tests"]}
    if abs(results["score"] - expect.score) > 0.01:
        outcome.problems.append(f"score {results['score']:g}, expected {expect.score:g}")
    for number, test in tests.items():
        lost = round(test["max_score"] - test["score"], 4)
        want = expect.lost.get(number, 0)
        if abs(lost - want) > 0.01:
            outcome.problems.append(f"{number} lost {lost:g}, expected {want:g}: {test['output'][:300]}")
    feedback = {**{n: t["output"] for n, t in tests.items()}, "output": results.get("output", "")}
    for number, fragments in expect.says.items():
        for fragment in fragments:
            if fragment not in feedback.get(number, ""):
                outcome.problems.append(f"{number} does not say {fragment!r}: {feedback.get(number, '')[:400]}")
    for number, fragments in expect.not_says.items():
        for fragment in fragments:
            if fragment in feedback.get(number, ""):
                outcome.problems.append(f"{number} says {fragment!r}: {feedback.get(number, '')[:400]}")


def grade_all(entries, workers=2):
    from pathlib import Path
    root = Path(tempfile.mkdtemp(prefix="realistic-"))
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda e: grade(e, root / e.name), entries))


def table(outcomes):
    rows = [("notebook", "best_net's training", "grading", "score", "expected", "as expected")]
    for o in outcomes:
        rows.append((o.entry.name, o.predicted, f"{o.seconds:.0f} s",
                     f"{o.score:g}" if o.score is not None else "none", f"{o.entry.expect.score:g}",
                     "yes" if not o.problems else "NO"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    for o in outcomes:
        lines += ["", f"{o.entry.name}: {o.entry.what}"]
        for test in (o.results or {}).get("tests", []):
            if test["number"].startswith("6.") or test["score"] < test["max_score"]:
                said = " ".join(test["output"].split())
                lines.append(f"   {test['number']} {test['score']:g}/{test['max_score']:g}"
                             f"{': ' + said[:230] if said else ''}")
        lines += [f"   PROBLEM: {p}" for p in o.problems]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.realistic.report", description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", help="comma-separated entry names")
    args = parser.parse_args(argv)
    entries = [e for e in ENTRIES if not args.only or e.name in args.only.split(",")]
    outcomes = grade_all(entries, args.workers)
    print(table(outcomes))
    return 0 if all(not o.problems for o in outcomes) else 1


if __name__ == "__main__":
    ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.path[:0] = [ROOT, os.path.join(ROOT, "reference")]
    sys.exit(main())

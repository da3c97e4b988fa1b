"""Gradescope's results.json: building it, writing it safely, and a terminal table.

Format: https://gradescope-autograders.readthedocs.io/en/latest/specs/ (score,
execution_time, output, visibility, stdout_visibility, tests[]).
"""
import json
import os
import tempfile

from . import inert


def number_key(number):
    """'1.10' after '1.9': compare dotted numbers part by part (a part that is not a
    number, or a missing number, sorts after the numbers instead of raising TypeError)."""
    return [(0, int(p)) if p.isdigit() else (1, p) for p in str(number).split(".")]


def check_id(test):
    """A results.json test's check id (its extra_data), else its name."""
    return (test.get("extra_data") or {}).get("check") or test["name"]


def build(check_results, output, execution_time, extra_data=None):
    """The results dict for a list of plugin.CheckResult, in a stable order."""
    tests = []
    for r in sorted(check_results, key=lambda r: (number_key(r.number), r.check)):
        tests.append({
            "name": r.name,
            "number": r.number,
            "score": r.score,
            "max_score": r.max_score,
            "status": "passed" if r.score >= r.max_score else "failed",
            "output": r.output,
            "visibility": r.visibility,
            "extra_data": {"check": r.check, **({"causes": list(r.causes)} if getattr(r, "causes", ()) else {})},
        })
    results = {
        "score": round(sum(t["score"] for t in tests), 4),
        "execution_time": round(float(execution_time), 3),
        "output": output,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
    if extra_data:
        results["extra_data"] = extra_data
    return results


def write(results, path):
    """Write `results` to `path` atomically: a reader sees the old file or the whole new one."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".results-", suffix=".json", dir=folder)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(results, f, indent=2)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def feedback(results):
    """What the student reads, as plain text: the output, the table, then why each check
    that lost points did. Inert (grader/inert.py): it goes to terminals and text files."""
    parts = [results.get("output", "")]
    if results.get("tests"):
        parts.append(table(results))
    for test in results.get("tests", []):
        if test["score"] < test["max_score"] and test.get("output"):
            parts.append(f"{test.get('number', '')} {test['name']}:\n  "
                         + test["output"].replace("\n", "\n  "))
    return inert.text("\n\n".join(p for p in parts if p) + "\n")


def points(value) -> str:
    """Points as people read them: at most two decimals (2.67, not 2.6666667), as
    Gradescope shows them; results.json keeps the exact figure."""
    return f"{round(float(value), 2):g}"


def table(results):
    """A plain-text summary: one row per check, then the total."""
    rows = [(t["number"], t["name"], f"{points(t['score'])}/{points(t['max_score'])}",
             "ok" if t["status"] == "passed" else "FAIL") for t in results["tests"]]
    width = max([len(r[1]) for r in rows] + [10])
    lines = [f"{'#':<5} {'check':<{width}} {'score':>9}  status", "-" * (width + 24)]
    lines += [f"{n:<5} {name:<{width}} {score:>9}  {status}" for n, name, score, status in rows]
    total = sum(t["max_score"] for t in results["tests"])
    lines += ["-" * (width + 24), f"{'':<5} {'total':<{width}} {points(results['score']):>5}/{points(total)}"]
    return "\n".join(lines)

"""OUT_DIR/report.html: a graded class at a glance, for the instructor.

`python -m grader batch` writes it beside gradebook.csv, from the same
per-student results.json files. It is one self-contained page (inline CSS,
plots as base64 PNGs, a few lines of our own script to sort the students' table,
nothing fetched), so it opens offline and can
be mailed around. It shows:

  - the score distribution (histogram and summary numbers),
  - each check's failure rate, checks ordered by number,
  - the grading times (time-limit kills marked),
  - the most common feedback lines, numbers replaced by '#' so that
    "accuracy is 0.352" and "accuracy is 0.371" count as one message,
  - who needs attention, from fields the grader recorded: 0 scores, submissions
    that could not be graded (an unusable upload, or a fault of the grader),
    time-limit kills, notebooks without layers/, best_net over the budget or
    stopped by the grader, integrity notes;
  - every student in one sortable table, each name linking to their feedback.txt
    (relative links: they work from a copied or zipped OUT_DIR).

render() is pure: records in, HTML out. write_report() reads the results the
batch wrote and writes the file.
"""
import base64
import html
import io
import os
import re
import statistics
import sys
import urllib.parse
from collections import Counter
from dataclasses import dataclass

from . import results as results_mod

REPORT = "report.html"
TIME_LIMIT_ERROR = "time limit"  # extra_data.batch.error of a submission the batch killed
TOP_MESSAGES = 15
MESSAGE_CHARS = 240
# A number standing alone (not part of a word such as float64 or linear2):
# integers, decimals, exponents, with a sign; and shapes such as 1x7.
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w])")
SHAPE = re.compile(r"\b\d+(?:x\d+)+\b")
# grader/report.py ends a check's feedback with the parts that passed: not a problem.


@dataclass
class Record:
    """One student's row: who, and the results.json the batch wrote (None: not graded yet)."""
    student: str
    name: str = ""
    results: dict = None


# --- what the results say ---------------------------------------------------

def _extra(results):
    return results.get("extra_data") or {}


def _batch(results):
    return _extra(results).get("batch") or {}


def _error(results):
    """What stopped the grading ('' if nothing did): the batch's word, else the grader's."""
    return _batch(results).get("error") or _extra(results).get("error") or ""


def max_total(graded):
    """The assignment's total points: the largest sum of max_score any student's results hold."""
    return max((sum(t["max_score"] for t in r.results["tests"]) for r in graded), default=0)


def check_rows(graded):
    """[(number, name, max_score, failed, ran)] per check, ordered by check number.

    failed: students who scored below max_score; ran: students whose results hold the check
    (a submission that could not be graded has no checks at all).
    """
    seen, failed, ran = {}, Counter(), Counter()
    for record in graded:
        for test in record.results["tests"]:
            check = results_mod.check_id(test)
            seen.setdefault(check, (str(test.get("number", "")), test["name"], test["max_score"]))
            ran[check] += 1
            failed[check] += test["score"] < test["max_score"]
    order = sorted(seen, key=lambda c: (results_mod.number_key(seen[c][0]), c))
    return [(*seen[c], failed[c], ran[c]) for c in order]


def normalise(message):
    """A feedback line with its numbers replaced by '#' and its spaces collapsed."""
    return " ".join(NUMBER.sub("#", SHAPE.sub("#", message)).split())


def common_messages(graded, limit=TOP_MESSAGES):
    """[(students, check label, normalised cause, one real example)], most common first.

    A failed check counts once per student for each cause the grader recorded
    (extra_data.causes: the first line of each failed part); results written before
    causes were recorded count their feedback's first line. Never traceback lines.
    """
    counts, examples = Counter(), {}
    for record in graded:
        keys = set()
        for test in record.results["tests"]:
            if test["score"] >= test["max_score"]:
                continue
            label = f"{test.get('number', '')} {test['name']}".strip()
            causes = (test.get("extra_data") or {}).get("causes")
            if not isinstance(causes, list) or not all(isinstance(c, str) for c in causes):
                lines = [ln.strip() for ln in (test.get("output") or "").splitlines() if ln.strip()]
                causes = lines[:1]
            for cause in causes:
                key = (label, normalise(cause))
                examples.setdefault(key, cause.strip())
                keys.add(key)
        counts.update(keys)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [(n, label, message, examples[(label, message)]) for (label, message), n in ranked[:limit]]


def attention(graded):
    """[(record, [reasons])] of students to look at, each reason read from the fields the
    grader recorded (never from feedback text): time-limit kills, errors, grader errors to
    regrade, 0 scores, notebooks uploaded without layers/, best_net over the time budget or
    stopped by the grader, and integrity notes.

    An error is whatever stopped the grading (results.json's extra_data.error):
    an upload that could not be used, or a fault of the grader.
    """
    flagged = []
    for record in graded:
        results, reasons = record.results, []
        error = _error(results)
        extra = _extra(results)
        notebook = extra.get("notebook") or {}
        if error == TIME_LIMIT_ERROR:
            reasons.append("killed at the time limit")
        elif extra.get("status") == "grader error":
            reasons.append(f"grader error, regrade: {error}")
        elif error:
            reasons.append(f"could not be graded: {error}")
        if results.get("score", 0) == 0:
            reasons.append("scored 0" + ("" if results.get("tests") else " (no check ran)"))
        if extra.get("notebook_only"):
            reasons.append("notebook uploaded without layers/ (layer checks 0)")
        if notebook.get("over_budget"):
            reasons.append("best_net_hyperparams over the time budget (best_net not graded)")
        if notebook.get("stopped_by_grader"):
            reasons.append("best_net's training stopped by the grader")
        if notebook.get("integrity"):
            reasons.append("integrity note: " + "; ".join(map(str, notebook["integrity"])))
        if reasons:
            flagged.append((record, reasons))
    return flagged


def summary(records):
    """{label: value} of the numbers at the top of the page."""
    graded = [r for r in records if r.results is not None]
    scores = [r.results["score"] for r in graded]
    total = max_total(graded)
    errors = [_error(r.results) for r in graded]
    numbers = {
        "submissions": len(records),
        "with results": len(graded),
        "mean score": f"{statistics.mean(scores):.1f} / {total:g}" if scores else "-",
        "median score": f"{results_mod.points(statistics.median(scores))} / {total:g}" if scores else "-",
        "full marks": sum(total > 0 and s >= total for s in scores),
        "scored 0": sum(s == 0 for s in scores),
        "could not be graded": sum(bool(e) and e != TIME_LIMIT_ERROR for e in errors),
        "time-limit kills": sum(e == TIME_LIMIT_ERROR for e in errors),
    }
    if len(graded) < len(records):
        numbers["not graded yet"] = len(records) - len(graded)
    return numbers


# --- plots --------------------------------------------------------------------

def _png(figure):
    """The figure as PNG bytes (no pyplot: no global state, no display needed)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=96, metadata={"Software": None})
    return buffer.getvalue()


def _figure(width, height):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    return figure, figure.add_subplot()


def score_histogram(scores, total):
    """PNG: how many students got each score, in bins of a twentieth of the total."""
    figure, ax = _figure(10, 3)
    top = total or max(scores, default=1) or 1
    edges = [top * i / 20 for i in range(21)]
    ax.hist(scores, bins=edges, color="#4c72b0", edgecolor="white")
    ax.set_xlim(0, top)
    ax.set_xlabel(f"score (out of {top:g})")
    ax.set_ylabel("students")
    ax.yaxis.get_major_locator().set_params(integer=True)
    return _png(figure)


def failure_chart(rows):
    """PNG: the share of students losing points on each check, first check on top."""
    figure, ax = _figure(10, 0.9 + 0.3 * max(len(rows), 1))
    labels = [_clip(f"{number} {name}", 46) for number, name, *_ in rows]
    shares = [100 * failed / ran if ran else 0 for *_, failed, ran in rows]
    positions = range(len(rows))
    ax.barh(positions, shares, color="#c44e52")
    ax.set_yticks(list(positions), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("students who lost points (%)")
    for position, share, (*_, failed, ran) in zip(positions, shares, rows):
        ax.text(min(share + 1, 88), position, f"{failed}/{ran}", va="center", fontsize=8)
    return _png(figure)


def time_histogram(times, killed):
    """PNG: grading wall times in seconds, time-limit kills stacked in another colour."""
    figure, ax = _figure(10, 2.6)
    values = times + killed
    high = max(values, default=1) or 1
    edges = [high * i / 30 for i in range(31)]
    ax.hist([times, killed], bins=edges, stacked=True, color=["#55a868", "#c44e52"],
            label=["graded", "killed at the time limit"], edgecolor="white")
    ax.set_xlabel("wall time per submission (s)")
    ax.set_ylabel("students")
    ax.yaxis.get_major_locator().set_params(integer=True)
    if killed:
        ax.legend(fontsize=8)
    return _png(figure)


# --- the page -------------------------------------------------------------------

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 1150px; color: #222; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; }
.numbers { display: flex; flex-wrap: wrap; gap: 0.6em; margin: 1em 0; }
.numbers div { background: #f4f6f8; border-radius: 6px; padding: 0.5em 0.9em; }
.numbers b { display: block; font-size: 1.3em; }
table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
th, td { text-align: left; padding: 0.3em 0.6em; border-bottom: 1px solid #eee; vertical-align: top; }
td.n { text-align: right; white-space: nowrap; } .muted { color: #777; }
code { font-size: 0.95em; white-space: pre-wrap; word-break: break-word; }
img { max-width: 100%; }
#students th { cursor: pointer; white-space: nowrap; } #students td { white-space: nowrap; }
#students th, #students td { padding: 0.3em 0.35em; } .wide { overflow-x: auto; }
.lost { color: #b00020; font-weight: 600; } .ok { color: #2e7d32; }
"""


def _e(text):
    return html.escape(str(text), quote=True)


def _img(png, alt):
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{data}">'


def _table(header, rows):
    """An HTML table; cells are (text, css class) or plain text, all escaped."""
    def cell(tag, value):
        text, css = value if isinstance(value, tuple) else (value, "")
        return f'<{tag}{f" class={css!r}" if css else ""}>{_e(text)}</{tag}>'
    head = "".join(cell("th", h) for h in header)
    body = "".join("<tr>" + "".join(cell("td", c) for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _checks_section(rows):
    if not rows:
        return "<p class=muted>No check ran for any student.</p>"
    table = _table(["#", "check", "points", "lost points", "share"],
                   [(n, name, (f"{points:g}", "n"), (f"{failed}/{ran}", "n"),
                     (f"{100 * failed / ran:.0f}%" if ran else "-", "n"))
                    for n, name, points, failed, ran in rows])
    return _img(failure_chart(rows), "share of students losing points per check") + table


def _messages_section(graded):
    messages = common_messages(graded)
    if not messages:
        return "<p class=muted>No feedback: every graded check scored full marks.</p>"
    rows = [((count, "n"), label, message, example if example != message else "")
            for count, label, message, example in messages]
    rows = [(c, label, _clip(m), _clip(x)) for c, label, m, x in rows]
    return ("<p class=muted>Each failed check's feedback, line by line, numbers replaced by #; "
            "a student counts once per line.</p>"
            + _table(["students", "check", "message", "for example"], rows))


def _clip(text, limit=MESSAGE_CHARS):
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _link(student, text):
    """A relative link to the student's feedback: it works from a copied or unzipped OUT_DIR."""
    href = urllib.parse.quote(f"{student}/feedback.txt")
    return f'<a href="{_e(href)}">{_e(text)}</a>'


def _students_section(graded):
    """One row per student: name, total, each check, grading time, status; a click on a
    header sorts by it, a click on a name opens that student's feedback."""
    order = [c for c, *_ in check_rows(graded)]
    header = ["student", "name", "total", *order, "time (s)", "status"]
    rows = []
    for record in sorted(graded, key=lambda r: r.student):
        results = record.results
        scores = {t.get("number", ""): t for t in results.get("tests", [])}
        cells = [_link(record.student, record.student), _e(record.name),
                 _e(results_mod.points(results.get("score", 0)))]
        for number in order:
            test = scores.get(number)
            cells.append("" if test is None else
                         f'<span class={"ok" if test["score"] >= test["max_score"] else "lost"}>'
                         f'{_e(results_mod.points(test["score"]))}</span>')
        cells += [_e(f"{float(_batch(results).get('wall_time', 0)):.0f}"),
                  _e(_extra(results).get("status") or (_error(results) and "error") or "graded")]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    head = "".join(f'<th onclick="sortBy(this)">{_e(h)}</th>' for h in header)
    return (f"<div class=wide><table id=students><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
            f"<script>{SORT_SCRIPT}</script>")


# Sorting the students' table by a column: numbers as numbers, the rest as text.
SORT_SCRIPT = """
function sortBy(th) {
  var table = th.closest('table'), body = table.tBodies[0], i = th.cellIndex;
  var up = th.dataset.up !== '1'; th.dataset.up = up ? '1' : '0';
  var rows = Array.prototype.slice.call(body.rows);
  function key(r) { var t = r.cells[i].textContent.trim(), n = parseFloat(t); return isNaN(n) ? t : n; }
  rows.sort(function (a, b) { var x = key(a), y = key(b);
    var c = (typeof x === typeof y) ? (x < y ? -1 : x > y ? 1 : 0) : (typeof x === 'number' ? -1 : 1);
    return up ? c : -c; });
  rows.forEach(function (r) { body.appendChild(r); });
}"""


def _attention_section(graded):
    flagged = attention(graded)
    if not flagged:
        return "<p>Nobody: no 0 score, no submission that could not be graded, no time-limit kill.</p>"
    kinds = Counter(reason.split(":")[0].split(" (")[0] for _, reasons in flagged for reason in reasons)
    counts = ", ".join(f"{kind}: {n}" for kind, n in sorted(kinds.items()))
    rows = "".join(
        f"<tr><td>{_link(r.student, r.student)}</td><td>{_e(r.name)}</td>"
        f"<td class=n>{_e(results_mod.points(r.results.get('score', 0)))}</td>"
        f"<td>{_e(_clip('; '.join(reasons)))}</td></tr>"
        for r, reasons in sorted(flagged, key=lambda item: item[0].student))
    return (f"<p>{len(flagged)} students ({_e(counts)}). Each name links to the student's "
            "feedback; the grader's log is beside it.</p>"
            f"<table><tr><th>student</th><th>name</th><th>score</th><th>why</th></tr>{rows}</table>")


def render(records, title="Class report"):
    """The report page for `records` (a list of Record) as an HTML string."""
    graded = [r for r in records if r.results is not None]
    total = max_total(graded)
    scores = [r.results["score"] for r in graded]
    kills = [_batch(r.results).get("error") == TIME_LIMIT_ERROR for r in graded]
    times = [float(_batch(r.results).get("wall_time", r.results.get("execution_time", 0)))
             for r in graded]
    numbers = "".join(f"<div><b>{_e(value)}</b>{_e(label)}</div>"
                      for label, value in summary(records).items())
    parts = [f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
             f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>",
             f"<h1>{_e(title)}</h1>", f"<div class=numbers>{numbers}</div>"]
    if not graded:
        parts.append("<p>No submission has been graded yet.</p>")
    else:
        parts += [
            "<h2>Scores</h2>", _img(score_histogram(scores, total), "score histogram"),
            "<h2>Checks: who lost points</h2>", _checks_section(check_rows(graded)),
            "<h2>Grading time</h2>",
            _img(time_histogram([t for t, k in zip(times, kills) if not k],
                                [t for t, k in zip(times, kills) if k]), "grading time histogram"),
            f"<p class=muted>median {statistics.median(times):.1f} s, longest {max(times):.1f} s, "
            f"total {sum(times) / 60:.1f} min of grading</p>",
            "<h2>Most common feedback</h2>", _messages_section(graded),
            "<h2>Needs attention</h2>", _attention_section(graded),
            "<h2>Students</h2>", _students_section(graded)]
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write_report(entries, out):
    """Write OUT_DIR/report.html for the batch's entries; returns its path, or None on failure.

    A report that cannot be made must not cost the batch its exit status: the
    grades and gradebook.csv are already written, so the failure is printed.
    """
    from .batch import finished  # here: batch imports this module from its main()

    path = os.path.join(out, REPORT)
    try:
        records = [Record(e.student, e.name, finished(os.path.join(out, e.student))) for e in entries]
        text = render(records, title=f"Class report: {os.path.basename(os.path.normpath(out))}")
        tmp = f"{path}.partial"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except Exception as exc:  # noqa: BLE001 (reported, and the batch's results stand)
        print(f"class report not written: {exc!r}", file=sys.stderr)
        return None
    print(f"class report: {path}", file=sys.stderr)
    return path

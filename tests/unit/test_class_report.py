"""grader/class_report.py: the batch's report.html, built from results dicts made here.

No grading and no subprocess: a class of synthetic results.json dicts, shaped
like those `python -m grader batch` writes, rendered once for the module.
"""
import base64
import io
import json
import os
import re

import pytest
from matplotlib import image as mpimg

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from grader import class_report
from grader.class_report import Record

# (number, check id, name, max score): a slice of the real checks, out of order
# on purpose, with a 1.10 that must sort after 1.9.
CHECKS = [("6.3", "validation_accuracy", "Validation accuracy of best_net over 40%", 10),
          ("1.1", "linear_forward", "Linear.forward", 5),
          ("1.10", "late_check", "A tenth check", 2),
          ("1.9", "ninth_check", "A ninth check", 3),
          ("2.1", "relu_forward", "ReLU.forward", 3)]
TOTAL = sum(c[3] for c in CHECKS)


def results(lost=None, wall_time=30.0, error="", tests=True):
    """A results dict as the batch writes it; `lost` maps check id -> feedback of a failed check."""
    lost = lost or {}
    items = []
    for number, check, name, points in CHECKS if tests else []:
        failed = check in lost
        items.append({"name": name, "number": number, "score": 0 if failed else points,
                      "max_score": points, "status": "failed" if failed else "passed",
                      "output": lost.get(check, ""), "visibility": "visible",
                      "extra_data": {"check": check}})
    extra = {"batch": {"student": "", "wall_time": wall_time, "error": error}}
    if error:
        extra["error"] = error
    return {"score": sum(t["score"] for t in items), "execution_time": wall_time, "output": "",
            "tests": items, "extra_data": extra}


def accuracy_feedback(value):
    return (f"best_net's validation accuracy is {value:.3f}, measured by the grader on the "
            f"notebook's 250 validation images; it must be over 0.4.")


CLASS = [
    Record("ada", "Ada L.", results()),
    Record("bob", "Bob", results({"validation_accuracy": accuracy_feedback(0.352)})),
    Record("cy", "Cy", results({"validation_accuracy": accuracy_feedback(0.371),
                                "linear_forward": "Linear.forward differs from the reference: "
                                                  "relative error 0.5 on inputs of shape (4, 7)\n"
                                                  "Right: db, dx."})),
    Record("dee", "<script>alert('x')</script>", results(
        {c[1]: "cell 3: <b>NameError</b>" for c in CHECKS})),
    Record("eve", "Eve", results(wall_time=900.0, error="time limit", tests=False)),
    Record("fay", "Fay", results(error="The grader could not grade this submission: boom",
                                 tests=False, wall_time=2.0)),
    Record("gus", "Gus", None),  # not graded yet (an interrupted batch)
]
GRADED = [r for r in CLASS if r.results is not None]


@pytest.fixture(scope="module")
def page():
    return class_report.render(CLASS, title="Class report: demo")


def embedded_pngs(page):
    return re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)


# --- the page as a whole ---------------------------------------------------------

def test_every_embedded_image_decodes_as_a_png(page):
    pngs = embedded_pngs(page)
    assert len(pngs) == 3  # scores, checks, grading time
    for data in pngs:
        picture = mpimg.imread(io.BytesIO(base64.b64decode(data)), format="png")
        height, width = picture.shape[:2]
        assert height > 100 and width > 300
        assert picture[..., :3].std() > 0.01, "a blank image"


def test_page_is_self_contained(page):
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    # One script, ours (sorting the students' table), fetching nothing.
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", page, re.S | re.I)
    assert scripts == [class_report.SORT_SCRIPT] and page.lower().count("<script") == 1
    sources = re.findall(r'src="([^"]*)"', page)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    links = re.findall(r'href="([^"]*)"', page)
    assert links and all(re.fullmatch(r"[\w%.-]+/feedback\.txt", h) for h in links), links
    assert "http://" not in page and "https://" not in page


def test_every_student_has_a_row_linking_to_their_own_feedback(page):
    table = page[page.index("<table id=students>"):]
    table = table[:table.index("</table>")]
    graded = [r for r in CLASS if r.results is not None]
    assert table.count("<tr>") == 1 + len(graded)
    for record in graded:
        assert f'<a href="{record.student}/feedback.txt">{record.student}</a>' in table
    header = re.findall(r"<th[^>]*>([^<]*)</th>", table)
    assert header[:3] == ["student", "name", "total"] and header[-2:] == ["time (s)", "status"]
    assert header[3:-2] == sorted(header[3:-2], key=lambda n: [int(p) for p in n.split(".")])


def test_attention_reads_the_fields_the_grader_recorded():
    base = results()
    extra = base["extra_data"]
    extra.update(notebook_only=True, notebook={"over_budget": True, "stopped_by_grader": True,
                                               "integrity": ["best_net printed 0.61"]},
                 status="grader error", error="the grader's own training failed")
    (record, reasons), = class_report.attention([Record("zed", "Zed", base)])
    assert reasons == ["grader error, regrade: the grader's own training failed",
                       "notebook uploaded without layers/ (layer checks 0)",
                       "best_net_hyperparams over the time budget (best_net not graded)",
                       "best_net's training stopped by the grader",
                       "integrity note: best_net printed 0.61"]


def test_student_text_is_escaped(page):
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "&lt;b&gt;NameError&lt;/b&gt;" in page and "<b>NameError" not in page


def test_sections_and_counts_are_on_the_page(page):
    for heading in ("Scores", "Checks: who lost points", "Grading time", "Most common feedback",
                    "Needs attention"):
        assert f"<h2>{heading}</h2>" in page
    assert "<b>7</b>submissions" in page and "<b>6</b>with results" in page
    assert "<b>1</b>not graded yet" in page


def test_an_empty_class_renders_without_plots():
    page = class_report.render([Record("gus")])
    assert "No submission has been graded yet" in page and not embedded_pngs(page)


# --- the numbers behind it ------------------------------------------------------------

def test_summary_counts():
    numbers = class_report.summary(CLASS)
    assert numbers["submissions"] == 7 and numbers["with results"] == 6
    assert numbers["full marks"] == 1 and numbers["scored 0"] == 3
    assert numbers["could not be graded"] == 1 and numbers["time-limit kills"] == 1
    assert numbers["not graded yet"] == 1
    scores = [TOTAL, TOTAL - 10, TOTAL - 15, 0, 0, 0]
    assert numbers["mean score"] == f"{sum(scores) / 6:.1f} / {TOTAL}"


def test_check_rows_are_ordered_by_number_and_count_failures():
    rows = class_report.check_rows(GRADED)
    assert [number for number, *_ in rows] == ["1.1", "1.9", "1.10", "2.1", "6.3"]
    failed = {number: (failed, ran) for number, _, _, failed, ran in rows}
    # eve and fay have no checks at all: 4 students ran each check.
    assert failed["6.3"] == (3, 4) and failed["1.1"] == (2, 4) and failed["2.1"] == (1, 4)


def test_numbers_are_normalised_so_similar_messages_group():
    assert class_report.normalise(accuracy_feedback(0.352)) == class_report.normalise(
        accuracy_feedback(0.371))
    assert class_report.normalise("error 1e-05 at (4, 7),  -3 steps") == "error # at (#, #), # steps"
    assert class_report.normalise("float64 layer2 x") == "float64 layer2 x"
    assert class_report.normalise("Linear.forward on x 1x7 with w 7x3") == "Linear.forward on x # with w #"


def test_common_messages_count_each_student_once_most_common_first():
    messages = class_report.common_messages(GRADED)
    count, label, message, example = messages[0]
    assert (count, label) == (2, "6.3 Validation accuracy of best_net over 40%")
    assert "accuracy is #" in message and example in (accuracy_feedback(0.352), accuracy_feedback(0.371))
    assert [m[0] for m in messages] == sorted((m[0] for m in messages), reverse=True)
    # dee's one line per check: five messages of one student each.
    assert not any(m.startswith("Right:") for _, _, m, _ in messages), "passed parts are no problem"
    assert sum(1 for c, _, m, _ in messages if m == "cell #: <b>NameError</b>") == len(CHECKS)


def test_attention_lists_zero_scores_errors_and_time_limit_kills():
    flagged = {record.student: reasons for record, reasons in class_report.attention(GRADED)}
    assert set(flagged) == {"dee", "eve", "fay"}
    assert flagged["dee"] == ["scored 0"]
    assert flagged["eve"] == ["killed at the time limit", "scored 0 (no check ran)"]
    assert flagged["fay"][0].startswith("could not be graded: The grader could not grade")


# --- writing it where the batch does ---------------------------------------------------

def test_write_report_reads_the_batch_results(tmp_path, capsys):
    from grader.batch import Entry

    for record in GRADED[:3]:
        (tmp_path / record.student).mkdir()
        (tmp_path / record.student / "results.json").write_text(json.dumps(record.results))
    (tmp_path / "torn").mkdir()
    (tmp_path / "torn" / "results.json").write_text('{"score": 6')  # not finished
    entries = [Entry(r.student, str(tmp_path / r.student), name=r.name) for r in GRADED[:3]]
    entries.append(Entry("torn", str(tmp_path / "torn")))
    path = class_report.write_report(entries, str(tmp_path))
    assert path == str(tmp_path / "report.html")
    page = (tmp_path / "report.html").read_text()
    assert "<b>4</b>submissions" in page and "<b>3</b>with results" in page and "<b>1</b>not graded yet" in page
    assert len(embedded_pngs(page)) == 3
    assert "class report:" in capsys.readouterr().err


def test_a_report_that_cannot_be_written_does_not_raise(tmp_path, capsys):
    blocker = tmp_path / "out"
    blocker.write_text("a file where the output folder should be")
    assert class_report.write_report([], str(blocker)) is None
    assert "class report not written" in capsys.readouterr().err


def test_common_feedback_is_grouped_by_check_and_recorded_cause_not_by_traceback_lines():
    def failed(causes, output):
        return {"name": "Linear.backward (dx, dw, db)", "number": "1.2", "score": 0, "max_score": 10,
                "output": output, "extra_data": {"check": "linear_backward", "causes": causes}}
    trace = "\n".join(f'  File "layers/linear.py", line {n}, in backward' for n in range(10, 16))
    students = [class_report.Record(name, name, {"score": 0, "tests": [failed(
        [f"dw: shape ({rows}, 3), expected (3, {rows})"], f"dw: shape ({rows}, 3), expected (3, {rows})\n{trace}")]})
        for name, rows in (("ann", 4), ("bob", 5), ("cy", 6))]
    messages = class_report.common_messages(students)
    assert [(n, label, message) for n, label, message, _ in messages] == [
        (3, "1.2 Linear.backward (dx, dw, db)", "dw: shape (#, #), expected (#, #)")]

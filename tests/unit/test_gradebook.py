"""grader/batch.py's gradebook: one row per student, text a spreadsheet cannot run."""
import csv
import io
import json

from grader.batch import Entry, gradebook


def results(score, error=""):
    return {"score": score, "tests": [
        {"name": "Linear.forward", "number": "1.1", "score": score, "max_score": 5,
         "extra_data": {"check": "linear_forward"}}],
        "extra_data": {"batch": {"wall_time": 1.25, "error": error}}}


def test_names_and_errors_that_look_like_formulas_stay_text(tmp_path):
    entries = [Entry("=1+2", "p", name="+1 Eve", sid="-3", email="@eve"),
               Entry("ada", "p", name="Ada Lovelace", sid="9001")]
    for entry, score, error in ((entries[0], 5, "=cmd|' /C calc'!A0"), (entries[1], 2.5, "")):
        (tmp_path / entry.student).mkdir()
        (tmp_path / entry.student / "results.json").write_text(json.dumps(results(score, error)))
    rows = list(csv.reader(io.StringIO(gradebook(entries, str(tmp_path)))))
    assert rows[0][:5] == ["student", "name", "sid", "email", "total (/5)"]
    assert rows[1][:5] == ["'=1+2", "'+1 Eve", "'-3", "'@eve", "5"]
    assert rows[1][-1] == "'=cmd|' /C calc'!A0"
    assert rows[2][:5] == ["ada", "Ada Lovelace", "9001", "", "2.5"]
    assert rows[2][5] == "2.5" and rows[2][-2] == "1.2"

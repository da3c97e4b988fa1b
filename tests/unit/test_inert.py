"""grader/inert.py: student text shown, not run, by terminals and spreadsheets."""
import csv
import io

from grader import inert
from grader.results import feedback


def test_control_characters_are_shown_as_escapes_newlines_and_tabs_stay():
    hostile = "ok\x1b]0;title\x07\x1b[2J\rall passed\x9b31m\u202eevil\x7f\n\tnext"
    shown = inert.text(hostile)
    assert shown == "ok\\x1b]0;title\\x07\\x1b[2J\\x0dall passed\\x9b31m\\u202eevil\\x7f\n\tnext"
    assert not any(ord(c) < 0x20 and c not in "\n\t" or 0x7F <= ord(c) < 0xA0 for c in shown)


def test_feedback_text_is_inert_where_results_keep_the_text():
    results = {"output": "\x1b[32mall passed", "score": 0, "tests": [
        {"number": "1.1", "name": "Linear.forward", "score": 0, "max_score": 5, "status": "failed",
         "output": "raised ValueError('\x1b]52;c;ZWNobyBoaQ==\x07')"}]}
    text = feedback(results)
    assert "\x1b" not in text and "\x07" not in text
    assert "\\x1b]52;c;ZWNobyBoaQ==\\x07" in text and "\\x1b[32mall passed" in text
    assert results["tests"][0]["output"].count("\x1b") == 1


def test_a_log_writer_escapes_what_passes_through_it():
    buffer = io.StringIO()
    inert.Writer(buffer).write("print from student \x1b[1A\x1b[2K\n")
    assert buffer.getvalue() == "print from student \\x1b[1A\\x1b[2K\n"


def test_formulas_after_any_separator_a_spreadsheet_may_split_on_are_guarded():
    assert inert.cell("=1+2") == "'=1+2"
    assert inert.cell("Eve;=HYPERLINK(\"x\")") == "Eve;'=HYPERLINK(\"x\")"
    assert inert.cell("a,b; \"@SUM(A1)|-3\t+4") == "a,b; \"'@SUM(A1)|'-3\t'+4"
    assert inert.cell("Ada Lovelace") == "Ada Lovelace" and inert.cell(None) == ""
    assert inert.cell("1-2 = 3") == "1-2 = 3"  # a formula character inside a piece is text


def test_every_piece_of_a_semicolon_split_row_is_text():
    row = [inert.cell(v) for v in ("mallory;=cmd|' /C calc'!A0", "x;+1;-2;@3", "fine")]
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL).writerow(row)
    # A sheet importing with ';' as the separator (and '"' as quote, or none at all).
    for quotechar in ('"', "\x00"):
        for piece in next(csv.reader(io.StringIO(buffer.getvalue()), delimiter=";", quotechar=quotechar)):
            piece = piece.lstrip(' "')
            assert piece[:1] not in "=+-@", piece

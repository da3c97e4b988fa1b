"""Student text made inert on its way to a terminal, a text file or a spreadsheet.

Feedback, the grader's log and the gradebook carry text that student code chose
(exception messages, prints, file names). A terminal runs the control characters in
it: ESC sequences can redraw the screen as an all-passed table, set the window title
or write the clipboard, and a carriage return overwrites the line before it. So every
such text passes through `text()`, which shows C0 and C1 control characters, DEL and
the Unicode bidirectional overrides as visible escapes (`\\x1b`, `\\u202e`); newline
and tab stay. results.json keeps the text as it was: JSON escapes it already.

A spreadsheet runs a cell that starts with = + - or @ as a formula. It may also split
a line on a separator other than the file's (`;` where the decimal mark is a comma,
tab, `|`), so every piece after any separator is a cell start: `cell()` guards each.
"""
import re

# Newline and tab are layout; every other C0 character, DEL and C1 is a control.
_CONTROLS = [c for c in range(0x20) if c not in (0x0A, 0x09)] + [0x7F] + list(range(0x80, 0xA0))
# Bidirectional embeddings, overrides and isolates reorder what the reader sees.
_BIDI = list(range(0x202A, 0x202F)) + list(range(0x2066, 0x206A))
_TABLE = {c: f"\\x{c:02x}" for c in _CONTROLS} | {c: f"\\u{c:04x}" for c in _BIDI}

# A cell start: the text's start or any separator a spreadsheet may split on, then blanks
# (spreadsheets skip them) or an opening quote, then a character that starts a formula.
_CELL_START = re.compile(r"(^|[,;\t|\n])([ \"']*)(?=[=+\-@])")


def text(value) -> str:
    """`value` as text whose control characters are shown, not run."""
    return str(value).translate(_TABLE)


def cell(value) -> str:
    """`value` as a spreadsheet cell that is text wherever the sheet splits it."""
    return _CELL_START.sub(lambda m: m.group(1) + m.group(2) + "'", text("" if value is None else value))


class Writer:
    """A text file whose every write passes through `text()` (the grader's log)."""

    def __init__(self, file):
        self.file = file

    def write(self, value: str) -> int:
        return self.file.write(text(value))

    def flush(self) -> None:
        self.file.flush()

    def close(self) -> None:
        self.file.close()

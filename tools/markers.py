"""Find the solution regions of a text: `# BEGIN SOLUTION` ... `# END SOLUTION`.

Markers are whole-line comments. Anything that merely looks like a marker (other
spelling, code before it) is an error rather than ordinary text, because a
marker the generator overlooks would ship its solution to students.
"""
import re

from .errors import TemplateError

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"

# Deliberately loose: every hit must then be exactly BEGIN or END.
_LOOKS_LIKE_MARKER = re.compile(r"#\s*(BEGIN|END)[\s_-]*SOLUTION", re.IGNORECASE)


def indent_of(line):
    """The leading whitespace of `line`."""
    return line[:len(line) - len(line.lstrip())]


def contains_marker(text):
    """Whether `text` holds anything that looks like a solution marker."""
    return bool(_LOOKS_LIKE_MARKER.search(text))


def solution_regions(lines, path):
    """Return [(begin, end)]: 0-based indices of each BEGIN line and its END line.

    Raises TemplateError at the offending line for a malformed, nested or
    unmatched marker, or an END indented differently from its BEGIN.
    """
    regions = []
    open_at = None
    for index, line in enumerate(lines):
        if not contains_marker(line):
            continue
        marker = line.strip()
        if marker not in (BEGIN, END):
            raise TemplateError(path, index + 1, f"malformed marker {marker!r}: write "
                                f"'{BEGIN}' or '{END}' alone on its line")
        if marker == BEGIN:
            if open_at is not None:
                raise TemplateError(path, index + 1, f"nested '{BEGIN}': the one at line "
                                    f"{open_at + 1} is not closed yet")
            open_at = index
            continue
        if open_at is None:
            raise TemplateError(path, index + 1, f"'{END}' without a '{BEGIN}' before it")
        if indent_of(line) != indent_of(lines[open_at]):
            raise TemplateError(path, index + 1, f"'{END}' is indented differently from its "
                                f"'{BEGIN}' at line {open_at + 1}")
        regions.append((open_at, index))
        open_at = None
    if open_at is not None:
        raise TemplateError(path, open_at + 1, f"'{BEGIN}' is never closed by '{END}'")
    return regions


def replace_regions(lines, regions, stub_for):
    """`lines` with each region swapped for the lines `stub_for(begin, end)` returns."""
    out = []
    previous_end = -1
    for begin, end in regions:
        out.extend(lines[previous_end + 1:begin])
        out.extend(stub_for(begin, end))
        previous_end = end
    out.extend(lines[previous_end + 1:])
    return out

"""The student's copy of the assignment notebook: solutions stubbed, outputs cleared.

Code cells mark solutions with the same `# BEGIN SOLUTION` / `# END SOLUTION`
lines as Python files. The cell's first line must be a comment saying what the
cell asks for (it plays the role of a docstring): it stays in the student's
cell, and the stub raises NotImplementedError with it, so running the notebook
stops at the first unanswered cell and says what to do there.

A markdown cell tagged `solution` is an answer: the student sees
ANSWER_PLACEHOLDER instead. Markers in markdown would render as headings, so
they are an error there, as is the tag on a code cell (it would strip nothing).
"""
import copy
import json

from .errors import TemplateError
from .markers import contains_marker, indent_of, replace_regions, solution_regions

SOLUTION_TAG = "solution"
ANSWER_PLACEHOLDER = "**Your answer:** (write it here)\n\n**Your explanation:**"
# Metadata that execution leaves on a cell; none of it belongs in a fresh notebook.
EXECUTION_METADATA = ("execution", "collapsed", "scrolled")


def _tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def _stub_code(source, where):
    lines = source.splitlines(keepends=True)
    regions = solution_regions(lines, where)
    if not regions:
        return source
    task = lines[0].strip() if lines else ""
    if not task.startswith("#") or contains_marker(task):
        raise TemplateError(where, 1, "a cell with a solution must start with a comment "
                            "saying what the student has to do (it becomes the stub's message)")
    message = task.lstrip("#").strip()

    def stub_for(begin, end):
        indent = indent_of(lines[begin])
        return [f"{indent}# TODO: write your code here.\n",
                f"{indent}raise NotImplementedError({json.dumps(message, ensure_ascii=False)})\n"]

    stubbed = "".join(replace_regions(lines, regions, stub_for))
    # Notebook cells usually end without a newline; keep whichever the cell had.
    return stubbed if source.endswith("\n") else stubbed.rstrip("\n")


def _clear_execution(cell):
    cell["outputs"] = []
    cell["execution_count"] = None
    for key in EXECUTION_METADATA:
        cell["metadata"].pop(key, None)


def student_notebook(notebook, path):
    """A stubbed, output-free copy of `notebook` (an nbformat NotebookNode read from `path`)."""
    student = copy.deepcopy(notebook)
    for number, cell in enumerate(student.cells, start=1):
        where = f"{path} [cell {number}]"
        tags = _tags(cell)
        if cell.cell_type == "code":
            if SOLUTION_TAG in tags:
                raise TemplateError(where, 1, f"the '{SOLUTION_TAG}' tag is for markdown answers; "
                                    "mark code solutions with # BEGIN SOLUTION / # END SOLUTION")
            cell.source = _stub_code(cell.source, where)
            _clear_execution(cell)
            continue
        marked = [n for n, line in enumerate(cell.source.splitlines(), 1) if contains_marker(line)]
        if marked:
            raise TemplateError(where, marked[0], "solution markers only work in code cells; "
                                f"tag a markdown answer cell '{SOLUTION_TAG}' instead")
        if SOLUTION_TAG in tags:
            cell.source = ANSWER_PLACEHOLDER
            cell.metadata["tags"] = [tag for tag in tags if tag != SOLUTION_TAG]
    return student

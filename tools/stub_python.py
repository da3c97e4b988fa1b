"""Stub the solution regions of a Python file.

Each region becomes one line, at the region's indentation, raising
NotImplementedError("<Class>.<method>: <first line of the method's docstring>"),
so the student's file still imports and a call names what is left to write.
"""
import ast
import json

from .errors import TemplateError
from .markers import indent_of, replace_regions, solution_regions


def _parse(source, path):
    try:
        return ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        raise TemplateError(path, exc.lineno, f"not valid Python: {exc.msg}") from None


def _functions(tree):
    """(qualified name, node) of every function and method, e.g. ('Linear.forward', node)."""
    found = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = prefix + child.name
                if not isinstance(child, ast.ClassDef):
                    found.append((name, child))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


def _last_code_line(lines, begin, end):
    """1-based number of the last line of code strictly between lines begin and end (0-based)."""
    for index in range(end - 1, begin, -1):
        text = lines[index].strip()
        if text and not text.startswith("#"):
            return index + 1
    return begin + 1


def _stub_message(functions, begin, last_code, path):
    """'<qualified name>: <docstring's first line>' of the function holding lines
    begin..last_code (1-based; comments after a function's last statement are
    not part of its syntax tree, hence the last line of code, not the END marker)."""
    holders = [(name, node) for name, node in functions if node.lineno <= begin <= node.end_lineno]
    if not holders:
        raise TemplateError(path, begin, "solution region outside any function: the stub "
                            "needs a function to raise NotImplementedError from")
    # Functions nest, so the holder that starts last is the innermost one.
    name, node = max(holders, key=lambda holder: holder[1].lineno)
    if last_code > node.end_lineno:
        raise TemplateError(path, last_code, f"solution region runs past the end of {name} "
                            f"(line {node.end_lineno})")
    docstring = ast.get_docstring(node)
    if not docstring:
        raise TemplateError(path, node.lineno, f"{name} has no docstring: its first line "
                            "is the message of the stub students see")
    return f"{name}: {docstring.splitlines()[0].strip()}"


def stub_python(source, path):
    """`source` with every solution region replaced by a NotImplementedError stub."""
    lines = source.splitlines(keepends=True)
    regions = solution_regions(lines, path)
    if not regions:
        return source
    functions = _functions(_parse(source, path))

    def stub_for(begin, end):
        message = _stub_message(functions, begin + 1, _last_code_line(lines, begin, end), path)
        # json.dumps writes a double-quoted literal that Python reads back unchanged.
        literal = json.dumps(message, ensure_ascii=False)
        return [f"{indent_of(lines[begin])}raise NotImplementedError({literal})\n"]

    stubbed = "".join(replace_regions(lines, regions, stub_for))
    try:
        ast.parse(stubbed)
    except SyntaxError as exc:
        raise TemplateError(path, regions[0][0] + 1, "the file is not valid Python once its "
                            f"solution regions are stubbed ({exc.msg}): each region must hold "
                            "whole statements") from None
    return stubbed

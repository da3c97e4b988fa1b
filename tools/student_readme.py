"""Fill the student README with the grader's own numbers, so the two cannot disagree.

reference/STUDENT_README.md writes `{{NAME}}` wherever a value the grader owns
belongs: a threshold or time limit from grader/config.py, or the points of the
checks in grader/checks/. `python -m tools.make_template` replaces each one when
it writes student_template/README.md; an unknown name is an error at its line.

The values are the grader's defaults: the GRADER_<NAME> variables that raise a
time limit on one machine are ignored, so every machine writes the same README.
"""
import importlib
import importlib.util
import os
import re
from pathlib import Path

from .errors import TemplateError

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "grader" / "config.py"
CHECKS = ROOT / "grader" / "checks"
# The module of the checks that grade the notebook; every other test_*.py grades layers.
NOTEBOOK_CHECKS = "test_notebook"
PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def _config_defaults():
    """grader/config.py as loaded with no GRADER_* variable set (a fresh module object)."""
    overrides = {name: os.environ.pop(name) for name in list(os.environ)
                 if name.startswith("GRADER_")}
    try:
        spec = importlib.util.spec_from_file_location("_grader_config_defaults", CONFIG)
        config = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(config)
    finally:
        os.environ.update(overrides)
    return config


def checks():
    """[(number, title, points, is_notebook_check)] of every graded check, by number.

    Read from the gradescope-utils tags (`__number__`, `__weight__`) that the
    grader itself scores with; the title is the check's docstring.
    """
    found = []
    for path in sorted(CHECKS.glob("test_*.py")):
        module = importlib.import_module(f"grader.checks.{path.stem}")
        for function in vars(module).values():
            if callable(function) and hasattr(function, "__weight__"):
                found.append((function.__number__, (function.__doc__ or "").strip(),
                              function.__weight__, path.stem == NOTEBOOK_CHECKS))
    return sorted(found, key=lambda check: [int(part) for part in check[0].split(".")])


def _cell(text):
    """`text` safe inside a markdown table cell (a bare | would start a new cell)."""
    return text.replace("|", "\\|")


def _points(value):
    return f"{value:g}"


def _duration(seconds):
    """420 -> '7 minutes', 150 -> '2.5 minutes', 90 -> '90 seconds': the unit a student reads fastest."""
    if seconds >= 120 and seconds % 30 == 0:
        return f"{seconds / 60:g} minutes"
    return f"{seconds:g} seconds"


def _fraction(share):
    """0.5 -> 'half', 0.25 -> 'a quarter', else a percentage."""
    return {0.5: "half", 0.25: "a quarter", 1 / 3: "a third"}.get(share) or _percent(share)


def _percent(fraction):
    return f"{100 * fraction:g}%"


def grader_values():
    """{placeholder name: text} for every value the README may quote."""
    config = _config_defaults()
    graded = checks()
    table = ["| check | what it checks | points |", "| --- | --- | ---: |"]
    table += [f"| {number} | {_cell(title)} | {_points(points)} |" for number, title, points, _ in graded]
    layer_points = sum(points for *_, points, notebook in graded if not notebook)
    notebook_points = sum(points for *_, points, notebook in graded if notebook)
    return {
        "VAL_ACCURACY_THRESHOLD": _percent(config.VAL_ACCURACY_THRESHOLD),
        "TEST_ACCURACY_THRESHOLD": _percent(config.TEST_ACCURACY_THRESHOLD),
        "NOTEBOOK_TIMEOUT": _duration(config.NOTEBOOK_TIMEOUT),
        "BEST_NET_BUDGET": _duration(config.BEST_NET_BUDGET),
        "NOTEBOOK_CELL_TIMEOUT": _duration(config.NOTEBOOK_CELL_TIMEOUT),
        "NOTEBOOK_OTHER_CELLS_TIMEOUT": _duration(config.NOTEBOOK_OTHER_CELLS_TIMEOUT),
        "BEST_NET_MARGIN": f"{config.BEST_NET_MARGIN:g}",
        "BEST_NET_CELL_EXTRA": _duration(config.BEST_NET_CELL_EXTRA),
        "STOP_EXCUSED_SHARE": _fraction(1 / config.STOP_EXCUSED_SLOWDOWN),
        "STOP_EXCUSED_SLOWDOWN": f"{config.STOP_EXCUSED_SLOWDOWN:g}",
        "CELL_WALL_SLACK": f"{config.CELL_WALL_SLACK:g}",
        "LAYER_POINTS": _points(layer_points),
        "NOTEBOOK_POINTS": _points(notebook_points),
        "TOTAL_POINTS": _points(layer_points + notebook_points),
        "CHECKS_TABLE": "\n".join(table),
    }


def fill(text, path, values=None):
    """`text` with each `{{NAME}}` replaced by its value.

    values: {name: text}; by default grader_values(), computed only when `text`
    has a placeholder. Raises TemplateError at `path`:line for an unknown name.
    """
    if not PLACEHOLDER.search(text):
        return text
    values = grader_values() if values is None else values

    def replace(match):
        name = match.group(1)
        if name not in values:
            line = text.count("\n", 0, match.start()) + 1
            raise TemplateError(path, line, f"unknown placeholder {{{{{name}}}}}: the README can "
                                f"quote {', '.join(sorted(values))}")
        return values[name]

    return PLACEHOLDER.sub(replace, text)

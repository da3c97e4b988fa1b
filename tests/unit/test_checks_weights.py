"""The hidden checks' tags, read by importing every module in grader/checks (nothing is
run): 100 points, 60 for the layers (1.x-5.x) and 40 for the notebook (6.x), each
check with its own dotted number and a name (the first line of its docstring, shown on
Gradescope)."""
import importlib
import inspect
import pkgutil

import pytest

import grader.checks

VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}


def _modules():
    return [importlib.import_module(f"grader.checks.{info.name}")
            for info in pkgutil.iter_modules(grader.checks.__path__)]


MODULES = _modules()
# What pytest collects when the grader runs grader/checks: test_* functions of test_*.py files.
CHECKS = [func for module in MODULES if module.__name__.rsplit(".", 1)[1].startswith("test_")
          for name, func in inspect.getmembers(module, inspect.isfunction)
          if name.startswith("test_") and func.__module__ == module.__name__]


def major(check):
    return int(check.__number__.split(".")[0])


def test_every_module_in_grader_checks_was_imported_and_checks_were_found():
    names = {module.__name__.rsplit(".", 1)[1] for module in MODULES}
    assert {"helpers", "cases", "test_linear", "test_relu", "test_softmax_loss",
            "test_training", "test_notebook"} <= names
    assert len(CHECKS) >= 10


@pytest.mark.parametrize("tag", ["__weight__", "__number__", "__visibility__"])
def test_every_check_has_its_gradescope_tags(tag):
    untagged = [c.__qualname__ for c in CHECKS if not hasattr(c, tag)]
    assert not untagged, f"checks without {tag}: {untagged}"


def test_the_weights_sum_to_exactly_100():
    assert sum(c.__weight__ for c in CHECKS) == 100


def test_every_weight_is_a_positive_number():
    bad = [(c.__qualname__, c.__weight__) for c in CHECKS
           if not isinstance(c.__weight__, (int, float)) or not c.__weight__ > 0]
    assert not bad


def test_layer_checks_are_worth_60_and_notebook_checks_40():
    layers = sum(c.__weight__ for c in CHECKS if major(c) < 6)
    notebook = sum(c.__weight__ for c in CHECKS if major(c) == 6)
    assert (layers, notebook) == (60, 40)
    assert all(major(c) <= 6 for c in CHECKS)


def test_every_check_has_a_unique_dotted_number():
    numbers = [c.__number__ for c in CHECKS]
    assert len(numbers) == len(set(numbers)), sorted(numbers)
    for number in numbers:
        parts = number.split(".")
        assert len(parts) == 2 and all(p.isdigit() for p in parts), number


def test_notebook_checks_and_only_they_use_the_notebook_fixture():
    for check in CHECKS:
        uses_notebook = "notebook" in inspect.signature(check).parameters
        assert uses_notebook == (major(check) == 6), check.__qualname__


def test_every_check_has_a_docstring_whose_first_line_is_its_name():
    for check in CHECKS:
        doc = (check.__doc__ or "").strip()
        assert doc and doc.splitlines()[0].strip(), f"{check.__qualname__} has no docstring"


def test_check_names_are_unique():
    names = [c.__doc__.strip().splitlines()[0] for c in CHECKS]
    assert len(names) == len(set(names)), sorted(names)


def test_every_visibility_is_one_gradescope_knows():
    assert {c.__visibility__ for c in CHECKS} <= VISIBILITIES

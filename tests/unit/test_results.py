"""grader/results.py: the Gradescope results dict, writing it atomically, and the table."""
import json
import os
from dataclasses import dataclass

import pytest

from grader import results


@dataclass
class Check:
    """The fields of grader.plugin.CheckResult that results.build reads."""
    check: str
    name: str
    number: str
    max_score: float
    score: float
    output: str = ""
    visibility: str = "visible"


def checks():
    return [
        Check("toy", "Toy network", "1.10", 7, 7),
        Check("later", "Notebook", "6.1", 5, 0, "did not run"),
        Check("nine", "Nine", "1.9", 3, 1.5, "half"),
        Check("two", "Two", "1.2", 10, 10),
        Check("tens", "Tens", "10.1", 1, 1),
    ]


def test_build_orders_checks_by_dotted_number_with_1_10_after_1_9():
    built = results.build(checks(), "out", 1.0)
    assert [t["number"] for t in built["tests"]] == ["1.2", "1.9", "1.10", "6.1", "10.1"]


def test_build_breaks_ties_on_the_same_number_by_check_name():
    built = results.build([Check("b", "B", "2.1", 1, 1), Check("a", "A", "2.1", 1, 1)], "", 0)
    assert [t["extra_data"]["check"] for t in built["tests"]] == ["a", "b"]


def test_build_does_not_crash_on_a_check_without_a_number_or_with_a_word_in_it():
    # plugin.py gives a check without @number the number "": a TypeError here would
    # make grade.py replace every check's score by an empty "could not grade" result.
    mixed = checks() + [Check("unnumbered", "Unnumbered", "", 1, 0), Check("word", "W", "1.x", 1, 1)]
    built = results.build(mixed, "", 0)
    assert [t["number"] for t in built["tests"]] == ["1.2", "1.9", "1.10", "1.x", "6.1", "10.1", ""]


def test_build_marks_a_check_passed_only_at_full_score():
    by_check = {t["extra_data"]["check"]: t for t in results.build(checks(), "", 0)["tests"]}
    assert by_check["toy"]["status"] == "passed"
    assert by_check["nine"]["status"] == "failed"
    assert by_check["later"]["status"] == "failed"


def test_build_copies_each_checks_fields():
    test = results.build([Check("nine", "Nine", "1.9", 3, 1.5, "half", "hidden")], "", 0)["tests"][0]
    assert test == {"name": "Nine", "number": "1.9", "score": 1.5, "max_score": 3, "status": "failed",
                    "output": "half", "visibility": "hidden", "extra_data": {"check": "nine"}}


def test_build_sums_the_score_rounded_to_four_places():
    built = results.build([Check("a", "A", "1.1", 1, 0.1), Check("b", "B", "1.2", 1, 0.2)], "", 0)
    assert built["score"] == 0.3
    assert results.build(checks(), "", 0)["score"] == 19.5


def test_build_has_gradescopes_top_level_fields():
    built = results.build(checks(), "graded", 12.34567)
    assert built["output"] == "graded"
    assert built["execution_time"] == 12.346
    assert built["visibility"] == "visible" and built["stdout_visibility"] == "hidden"
    assert "extra_data" not in built


def test_build_keeps_extra_data_when_given():
    built = results.build([], "error", 0, extra_data={"error": "nothing to grade"})
    assert built["extra_data"] == {"error": "nothing to grade"}
    assert built["score"] == 0 and built["tests"] == []


def test_write_creates_the_folder_and_leaves_only_the_results_file(tmp_path):
    path = tmp_path / "out" / "deeper" / "results.json"
    built = results.build(checks(), "out", 1.0)
    results.write(built, str(path))
    assert json.loads(path.read_text()) == built
    assert os.listdir(path.parent) == ["results.json"]


def test_write_replaces_an_existing_file(tmp_path):
    path = tmp_path / "results.json"
    path.write_text("old")
    results.write({"score": 1}, str(path))
    assert json.loads(path.read_text()) == {"score": 1}
    assert os.listdir(tmp_path) == ["results.json"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "results.json"
    path.write_text('{"score": 5}')
    with pytest.raises(TypeError):
        results.write({"score": 1, "tests": [object()]}, str(path))  # not JSON-able, mid-dump
    assert path.read_text() == '{"score": 5}'
    assert os.listdir(tmp_path) == ["results.json"]


def test_table_has_a_row_per_check_and_the_total():
    lines = results.table(results.build(checks(), "", 0)).splitlines()
    assert lines[0].split() == ["#", "check", "score", "status"]
    rows = lines[2:-2]
    assert [row.split()[0] for row in rows] == ["1.2", "1.9", "1.10", "6.1", "10.1"]
    assert rows[1].split()[-2:] == ["1.5/3", "FAIL"]
    assert rows[0].split()[-2:] == ["10/10", "ok"]
    assert lines[-1].split() == ["total", "19.5/26"]


def test_table_widens_for_long_names():
    name = "A check whose name is longer than the others"
    lines = results.table(results.build([Check("long", name, "1.1", 1, 1)], "", 0)).splitlines()
    assert name in lines[2]
    assert len(lines[1]) == len(name) + 24


def test_points_show_at_most_two_decimals():
    assert [results.points(v) for v in (2.6666667, 58.1666, 40, 0.005, 1e-9)] == ["2.67", "58.17", "40", "0.01", "0"]
    lines = results.table(results.build([Check("third", "A third", "1.1", 4, 8 / 3, "a third off")], "", 0)).splitlines()
    assert lines[2].split()[-2:] == ["2.67/4", "FAIL"] and lines[-1].split() == ["total", "2.67/4"]

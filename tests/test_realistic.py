"""Notebooks as students really submit them, graded to what each deserves (tests/realistic/).

Each entry's score and feedback were written down before grading, in
tests/realistic/notebooks.py. Run with -s to see the table (also
`python -m tests.realistic.report`).
"""
import pytest

from tests.realistic.notebooks import ENTRIES
from tests.realistic.report import grade_all, table


@pytest.fixture(scope="module")
def outcomes():
    graded = grade_all(ENTRIES, workers=2)
    print("\n" + table(graded))
    return {o.entry.name: o for o in graded}


@pytest.mark.slow
@pytest.mark.parametrize("name", [e.name for e in ENTRIES])
def test_a_real_pattern_notebook_gets_what_it_deserves(outcomes, name):
    outcome = outcomes[name]
    assert not outcome.problems, "\n".join(outcome.problems)

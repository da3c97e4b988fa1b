"""Hostile submissions: attacks on the grader, each graded to what its correct parts deserve.

attacks.py holds the attacks as data, report.py grades them and prints the table
(`python -m tests.hostile.report`), tests/test_hostile.py asserts every outcome.
"""

"""A corpus of single-bug student submissions, and the proof the grader catches them.

bugs.py     the corpus: each entry is the reference with one patch applied
build.py    turns an entry into a submission folder
report.py   grades every entry and tabulates expected vs actual failing checks
            (`python -m tests.corpus.report` from the repository root)
"""

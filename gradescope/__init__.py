"""The grader on Gradescope: the autograder zip, and the entry point it runs.

build        python -m gradescope.build: autograder.zip (setup.sh, run_autograder, the grader)
requirements the zip's pinned requirements, read from pyproject.toml
autograde    python -m gradescope.autograde UPLOAD: what run_autograder calls (grader/upload.py)

Dependencies run one way: this package uses the grader, never the reverse.
"""

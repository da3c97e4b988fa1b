"""The grader on Gradescope: the autograder zip and how an upload is graded there.

build        python -m gradescope.build: autograder.zip (setup.sh, run_autograder, the grader)
requirements the zip's pinned requirements, read from pyproject.toml
autograde    python -m gradescope.autograde UPLOAD: grade what a student uploaded
intake       from an upload (notebook alone, folder, subfolder, zip) to a folder to grade
unpack       safe extraction of a student's zip
export       the names in a Gradescope export's submission_metadata.yml
"""

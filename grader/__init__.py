"""The autograder: hidden checks run against a submission in a worker process.

Student code runs only in the worker (grader.worker, grader.runners); checks,
scoring and results stay in this process, and only plain arrays and JSON cross.
"""

"""The autograder: hidden checks run against a submission in a worker process.

Student code runs only in the worker (grader.worker, grader.runners); checks,
scoring and results stay in this process, and only plain arrays and JSON cross.
"""

import os as _os
import sys as _sys

# The reference is imported in this (trusted) process as the course's top-level
# `layers` and `utils`; student code never is.
_REFERENCE = _os.path.join(_os.path.dirname(_os.path.dirname(_os.path.abspath(__file__))), "reference")
if _REFERENCE not in _sys.path:
    _sys.path.insert(0, _REFERENCE)

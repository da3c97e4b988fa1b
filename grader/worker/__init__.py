"""Code that runs inside the worker process, next to student code.

Nothing here may hold answers or checks: it only calls student code and reports
what came out. It needs only the standard library and numpy, because it is
copied into the sandbox and run there as plain files (`main.py`).
"""

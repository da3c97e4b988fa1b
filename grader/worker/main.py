"""Worker entry point: `python -I main.py SUBMISSION_DIR`.

Reads requests (see wire.py) on stdin, runs the named probe against the
submission's modules, and answers on the original stdout. Student code gets
/dev/null as stdin and the log (stderr) as stdout, so nothing it prints can be
taken for an answer.
"""
import os
import random
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))


def _take_channels():
    """Keep private copies of stdin/stdout for the protocol; give student code others."""
    requests = os.fdopen(os.dup(0), "rb", buffering=0)
    answers = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    return requests, answers


def _student_trace(exc, submission):
    """The exception's last lines, keeping only frames in the submission's files."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not f.filename.startswith("<")
              and os.path.abspath(f.filename).startswith(submission + os.sep)]
    lines = []
    for frame in frames[-4:]:
        where = os.path.relpath(frame.filename, submission)
        lines.append(f"  {where}, line {frame.lineno}, in {frame.name}: {(frame.line or '').strip()}")
    try:
        lines.append("".join(traceback.format_exception_only(type(exc), exc)).strip())
    except Exception:  # a hostile __str__ must not take the worker down
        lines.append(type(exc).__name__)
    # The sandbox's temporary path means nothing to a student.
    return "\n".join(lines).replace(submission + os.sep, "")


def serve(submission):
    requests, answers = _take_channels()
    sys.path.insert(0, HERE)
    import numpy
    import probes  # noqa: E402 (needs HERE on the path)
    import wire  # noqa: E402

    sys.path.insert(0, submission)
    while True:
        try:
            meta, arrays = wire.read_message(requests)
        except EOFError:
            return
        # Same request, same random numbers: a grade never depends on luck.
        random.seed(0)
        numpy.random.seed(0)
        try:
            result, out_arrays = probes.run(meta["probe"], meta.get("args", {}), arrays)
            wire.write_message(answers, {"ok": True, "result": result}, out_arrays)
        except BaseException as exc:  # student code may raise anything, SystemExit included
            phase = getattr(exc, "grader_phase", None) or probes.current_phase()
            try:
                message = str(exc).replace(submission + os.sep, "")[:2000]
            except Exception:
                message = "(the exception's message could not be shown)"
            wire.write_message(answers, {"ok": False, "error": {
                "type": type(exc).__name__,
                "message": message,
                "phase": phase,
                "trace": _student_trace(exc, submission)[-4000:],
            }})


if __name__ == "__main__":
    serve(os.path.abspath(sys.argv[1]))

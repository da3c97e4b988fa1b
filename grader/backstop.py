"""The grading's last resort, in a process of its own: past the watchdog's deadline
and a grace period, it ends a grader that is still running and writes its results.

grade.Watchdog is a thread of the grader. A thread runs only when it can take
Python's global interpreter lock, and C code that never releases it (a regular
expression backtracking over a line of two million spaces, parsing a huge
document) starves it: an attack once held a grader, its watchdog included, for
hours, and no results.json was ever written. This process shares no lock with
the grader. It waits on a pipe the grader holds open:

    EOF before `seconds`   the grading ended (normally, or by its watchdog): exit
    nothing by `seconds`   stop the grader and everything below it (SIGSTOP, then
                           SIGKILL, from /proc's parent links), then write the
                           results the grader prepared for this case, atomically

    python -I -S grader/backstop.py PID SECONDS RESULTS_PATH RESULTS_JSON

Standard library only, and started with -I -S: it must not depend on anything
the grading might have broken. grade.py starts it (Backstop) and spares it
from its own clean-up of processes (sandbox.processes.SPARED).
"""
import json
import os
import select
import signal
import sys
import tempfile


def _parents():
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    return parents


def tree(pid):
    """`pid` and every process below it, parents first."""
    parents, found, frontier = _parents(), [pid], [pid]
    while frontier:
        frontier = [p for p, parent in parents.items() if parent in frontier and p not in found]
        found += frontier
    return found


def end(pid):
    """Stop `pid`'s whole tree first (nothing forks or is reparented away meanwhile), then kill it."""
    for _ in range(3):
        pids = [p for p in tree(pid) if p != os.getpid()]
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            for p in pids:
                try:
                    os.kill(p, sig)
                except OSError:
                    pass


def write(results, path):
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".results-", suffix=".json", dir=folder)
    with os.fdopen(fd, "w") as f:
        json.dump(results, f, indent=2)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def main(argv):
    pid, seconds, path, results = int(argv[1]), float(argv[2]), argv[3], json.loads(argv[4])
    ready, _, _ = select.select([sys.stdin], [], [], seconds)
    if ready:
        return 0
    try:
        os.kill(pid, 0)
    except OSError:
        return 0
    end(pid)
    if path:
        write(results, path)
    print(f"backstop: the grader (pid {pid}) was still running after {seconds:g} s; ended it"
          + (f" and wrote {path}" if path else ""), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

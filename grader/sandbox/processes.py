"""Finding and ending processes: this grading's descendants, or everything a uid runs.

The grader is a child subreaper: a process that student code detaches (double
fork, setsid) still ends up as the grader's descendant, so it can be found
and killed when grading ends.
"""
import ctypes
import os
import signal

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper():
    """Make orphaned descendants of student code our children, so they can be found."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def pids_of(uid):
    """Pids of the processes owned by `uid`."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    pids.append(int(entry))
            except OSError:
                pass
    return pids


def kill_uid(uid, rounds=5):
    """SIGKILL every process of `uid` (a sandbox uid: none of them is ours to keep).

    Frozen first (SIGSTOP) so that nothing forks away between the scan and the
    kill; repeated, because a fork may land between two scans. Returns how
    many were signalled.
    """
    seen = set()
    for _ in range(rounds):
        pids = [p for p in pids_of(uid) if p != os.getpid()]
        if not pids:
            break
        signal_each(pids, signal.SIGSTOP)
        signal_each(pids, signal.SIGKILL)
        seen.update(pids)
    return len(seen)


def _parents():
    """{pid: parent pid} of every process visible in /proc."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                parents[int(entry)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                pass
    return parents


# Processes of the grader's own that its clean-up leaves alone (grader/backstop.py).
SPARED = set()


def descendants(pid=None):
    """Pids of every process below `pid` (default: this one), except SPARED ones."""
    pid = pid or os.getpid()
    parents = {p: parent for p, parent in _parents().items() if p not in SPARED}
    found, frontier = [], [pid]
    while frontier:
        children = [p for p, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def kill_descendants():
    """SIGKILL every process below this one and reap those that become ours.

    Returns how many were found. Killing a parent hands its children to us (the
    subreaper), hence the rounds.
    """
    killed = set()
    for _ in range(5):
        pids = [pid for pid in descendants() if pid not in killed or _is_child(pid)]
        if not pids:
            break
        signal_each(pids, signal.SIGKILL)
        killed.update(pids)
        for pid in pids:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass  # a grandchild: it comes to us when its parent dies
    return len(killed)


def signal_each(pids, sig):
    """Send `sig` to each pid, skipping those already gone."""
    for pid in pids:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def _is_child(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1]) == os.getpid()
    except (OSError, IndexError, ValueError):
        return False

"""The sandbox around student code, from the trusted side.

- Every process running student code starts through worker/sandbox_exec.py,
  which sets resource limits and, when the grader runs as root, switches to an
  unprivileged uid that no other grading uses at the same time.
- That user can read the sandbox folder and the Python installation, but not
  the grader's sources, the reference, the real test labels or the results.
- The grader is a child subreaper: a process that student code detaches still
  ends up as the grader's descendant and is killed when grading ends.
"""
import ctypes
import fcntl
import functools
import json
import os
import signal
import subprocess
import sys

from . import config
from .submission import ROOT

SANDBOX_EXEC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker", "sandbox_exec.py")
PR_SET_CHILD_SUBREAPER = 36
SLOT_DIRS = ("/run/grader-sandbox-slots", "/tmp/grader-sandbox-slots")
# What stays readable under ROOT for the sandbox user: the Python environment.
PUBLIC = {".venv"}


@functools.lru_cache(maxsize=1)
def sandbox_user():
    """(uid, gid) to run student code as, or None when the grader is not root.

    The uid is this grading's own for as long as the process lives (a lock on a
    slot file). None too, with the reason in `why_no_user`, if that uid could
    not run this interpreter, e.g. one installed under /root: grading still
    works, with resource limits but without the user switch.
    """
    if os.geteuid() != 0:
        return None
    slot = _claim_slot()
    if slot is None:
        why_no_user.append(f"all {config.SANDBOX_SLOTS} sandbox uids are in use")
        return None
    user = (config.SANDBOX_UID_BASE + slot,) * 2
    _kill_processes_of(user[0])  # anything a crashed earlier grading left
    probe = subprocess.run(launcher(user, {}) + [sys.executable, "-I", "-c", "import numpy"],
                           capture_output=True, text=True, cwd="/")
    if probe.returncode != 0:
        why_no_user.append(f"uid {user[0]} cannot run {sys.executable}: "
                           f"{probe.stderr.strip()[-300:]}")
        return None
    return user


_slot_lock = []


def _claim_slot():
    """The first free slot number, locked until this process exits; None if all are taken.

    The lock files live in one fixed place for the whole machine (not under
    $TMPDIR, which gradings side by side may each set differently).
    """
    folder = next(path for path in SLOT_DIRS if os.path.isdir(os.path.dirname(path)))
    os.makedirs(folder, mode=0o700, exist_ok=True)
    for slot in range(config.SANDBOX_SLOTS):
        fd = os.open(os.path.join(folder, str(slot)), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        _slot_lock.append(fd)
        return slot
    return None


def _pids_of(uid):
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


def _kill_processes_of(uid):
    signal_each(_pids_of(uid), signal.SIGKILL)


why_no_user = []


def limits():
    """The resource limits for a sandboxed process (see config.SANDBOX_LIMITS)."""
    result = dict(config.SANDBOX_LIMITS)
    if sandbox_user() is not None:
        result["processes"] = config.SANDBOX_PROCESSES
    else:
        # The limit counts all of the user's processes: leave room for the ones they have.
        result["processes"] = _own_process_count() + config.SANDBOX_PROCESSES
    return result


def launcher(user, limits_, copies=()):
    """argv prefix that starts the command after it in the sandbox."""
    argv = [sys.executable, "-I", SANDBOX_EXEC, "--limits", json.dumps(limits_)]
    if user is not None:
        argv += ["--user", f"{user[0]}:{user[1]}"]
    for src, dest in copies:
        argv += ["--copy", src, dest]
    return argv + ["--"]


def prepare(workdir, submission_dir, data_dir):
    """Give the sandbox user its folder; keep everything else of ours from it.

    data_dir: the real CIFAR-10 folder (its test labels are not for student code).
    """
    user = sandbox_user()
    if user is None:
        return
    _check_reachable(os.path.dirname(workdir))
    os.chmod(workdir, 0o711)  # traversable, not listable
    for dirpath, dirnames, filenames in os.walk(submission_dir):
        os.chown(dirpath, *user)
        for name in filenames:
            os.chown(os.path.join(dirpath, name), *user)
    protect(ROOT, data_dir)


def _check_reachable(folder):
    """Raise unless every folder down to `folder` lets other users through."""
    while True:
        if not os.stat(folder).st_mode & 0o001:
            raise RuntimeError(f"{folder} cannot be entered by other users, so student code "
                               "running as the sandbox user could not reach its folder; "
                               "point TMPDIR at a folder like /tmp")
        parent = os.path.dirname(folder)
        if parent == folder:
            return
        folder = parent


def protect(root, data_dir=None):
    """Remove group/other access from our own files (all but the Python environment)."""
    for name in os.listdir(root):
        if name not in PUBLIC:
            _close(os.path.join(root, name))
    if data_dir:
        _close(data_dir)


def _close(path):
    try:
        mode = os.stat(path, follow_symlinks=False).st_mode
        if not os.path.islink(path):
            os.chmod(path, mode & 0o700)
    except OSError:
        pass


def become_subreaper():
    """Make orphaned descendants of student code our children, so they can be found."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


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


def descendants(pid=None):
    """Pids of every process below `pid` (default: this one)."""
    pid = pid or os.getpid()
    parents = _parents()
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


def _own_process_count():
    return len(_pids_of(os.getuid()))

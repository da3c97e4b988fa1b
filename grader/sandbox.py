"""The sandbox around student code, from the trusted side.

- Every process running student code starts through worker/sandbox_exec.py,
  which sets resource limits and, when the grader runs as root, switches to an
  unprivileged user (config.SANDBOX_USER).
- That user can read the sandbox folder and the Python installation, but not
  the grader's sources, the reference, the real test labels or the results.
- The grader is a child subreaper: a process that student code detaches still
  ends up as the grader's descendant and is killed when grading ends.
"""
import ctypes
import functools
import json
import os
import pwd
import signal
import subprocess
import sys

from . import config
from .submission import ROOT

SANDBOX_EXEC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker", "sandbox_exec.py")
PR_SET_CHILD_SUBREAPER = 36
# What stays readable under ROOT for the sandbox user: the Python environment.
PUBLIC = {".venv"}


@functools.lru_cache(maxsize=1)
def sandbox_user():
    """(uid, gid) to run student code as, or None when the grader is not root.

    None too (with the reason in `why_no_user`) if that user could not run this
    interpreter, e.g. one installed under /root: grading still works, with
    resource limits but without the user switch.
    """
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(config.SANDBOX_USER)
    except KeyError:
        why_no_user.append(f"no user {config.SANDBOX_USER!r} on this machine")
        return None
    user = (entry.pw_uid, entry.pw_gid)
    probe = subprocess.run(launcher(user, {}) + [sys.executable, "-I", "-c", "import numpy"],
                           capture_output=True, text=True, cwd="/")
    if probe.returncode != 0:
        why_no_user.append(f"{config.SANDBOX_USER} cannot run {sys.executable}: "
                           f"{probe.stderr.strip()[-300:]}")
        return None
    return user


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
    os.chmod(workdir, 0o711)  # traversable, not listable
    for dirpath, dirnames, filenames in os.walk(submission_dir):
        os.chown(dirpath, *user)
        for name in filenames:
            os.chown(os.path.join(dirpath, name), *user)
    protect(ROOT, data_dir)


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
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            killed.add(pid)
        for pid in pids:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass  # a grandchild: it comes to us when its parent dies
    return len(killed)


def _is_child(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1]) == os.getpid()
    except (OSError, IndexError, ValueError):
        return False


def _own_process_count():
    uid = os.getuid()
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    count += 1
            except OSError:
                pass
    return count

"""Removing a folder student code wrote in, whatever shape it left it in.

Student code can leave a tree thousands of folders deep (Python's recursive
shutil.rmtree raises RecursionError on it), millions of entries, folders it
made unreadable, and links pointing anywhere. GNU rm walks any depth without
recursion and never follows a link; --one-file-system keeps it out of any
mount. It runs under a deadline, so a tree too big to remove in time costs a
leftover folder (reported by the False return), never a grading.
"""
import os
import shutil
import subprocess

from .. import config


def remove_tree(path, dir_fd=None, seconds=None):
    """Delete `path` (a name in the folder open as `dir_fd`, when given: then even a
    link swapped in above it is not followed). True once nothing is left there."""
    seconds = config.REMOVE_SECONDS if seconds is None else seconds
    if not _exists(path, dir_fd):
        return True
    target, pass_fds = path, ()
    if dir_fd is not None:
        if "/" in path:
            raise ValueError(f"{path!r}: with dir_fd, a name, not a path")
        target, pass_fds = f"/proc/self/fd/{dir_fd}/{path}", (dir_fd,)
    for attempt in range(2):
        try:
            subprocess.run(["rm", "-rf", "--one-file-system", "--", target], pass_fds=pass_fds,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=seconds, check=False)
        except (OSError, subprocess.TimeoutExpired):
            break
        if not _exists(path, dir_fd):
            return True
        if attempt == 0 and os.geteuid() != 0:
            # Not root: folders student code made unwritable (same uid as ours) need
            # their permission back first; chmod -R does not follow links.
            subprocess.run(["chmod", "-R", "u+rwx", "--", target], pass_fds=pass_fds,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=seconds, check=False)
    if not _exists(path, dir_fd):
        return True
    try:  # no rm on this machine: the fd-based rmtree, for trees of ordinary depth
        shutil.rmtree(path, dir_fd=dir_fd) if dir_fd is not None else shutil.rmtree(path)
    except (OSError, RecursionError):
        pass
    return not _exists(path, dir_fd)


def _exists(path, dir_fd):
    try:
        os.lstat(path, dir_fd=dir_fd)
        return True
    except FileNotFoundError:
        return False
    except OSError:
        return True

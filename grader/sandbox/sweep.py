"""Remove what a sandbox uid left outside its own folder.

Without a mount namespace (which gives student code a private /tmp that
vanishes with it) and without Landlock (which forbids writing there at
all), the sandbox user can leave files in the machine's world-writable
folders: a conftest.py in /tmp then changes every later pytest run under
/tmp, and a file left by one grading is there for the next grading that gets
the same uid. So when a grading ends (and when its uid is claimed, in case
an earlier grading crashed) everything that uid owns there is deleted, and
its System V IPC objects with it.

The walk is hostile ground: it never follows a link (every step is relative
to a directory descriptor, O_NOFOLLOW), descends only into folders the uid
could write, and stops at a deadline and an entry budget.
"""
import ctypes
import os
import stat
import time

from .remove import remove_tree

# Folders any user may write on a Linux machine (sticky, mode 1777).
WORLD_WRITABLE = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock", "/dev/mqueue")
IPC_RMID = 0
SYSV_IPC = (("shm", "shmctl"), ("sem", "semctl"), ("msg", "msgctl"))


def sweep(uid, gid, deadline_seconds=20.0, max_entries=200_000):
    """Delete every file and folder `uid` owns in WORLD_WRITABLE (and below), and its
    System V IPC objects. Returns {"removed": n, "complete": bool}."""
    deadline = time.monotonic() + deadline_seconds
    budget = [max_entries]
    removed = [0]
    complete = True
    for top in WORLD_WRITABLE:
        try:
            fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            complete &= _walk(fd, uid, gid, deadline, budget, removed, depth=0)
        finally:
            os.close(fd)
    removed[0] += _remove_ipc(uid)
    return {"removed": removed[0], "complete": complete}


def _walk(dir_fd, uid, gid, deadline, budget, removed, depth):
    """Remove uid's entries in the folder open as `dir_fd`; recurse into folders the
    uid could write. False if the deadline or budget cut it short."""
    try:
        names = os.listdir(dir_fd)
    except OSError:
        return True
    for name in names:
        budget[0] -= 1
        if budget[0] < 0 or time.monotonic() > deadline:
            return False
        try:
            info = os.lstat(name, dir_fd=dir_fd)
        except OSError:
            continue
        if info.st_uid == uid:
            _remove(dir_fd, name, info)
            removed[0] += 1
        elif stat.S_ISDIR(info.st_mode) and depth < 32 and _writable_by(info, uid, gid):
            try:
                child = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)
            except OSError:
                continue
            try:
                if not _walk(child, uid, gid, deadline, budget, removed, depth + 1):
                    return False
            finally:
                os.close(child)
    return True


def _writable_by(info, uid, gid):
    """Could `uid` (in group `gid` only) have created entries in this folder?"""
    mode = info.st_mode
    return bool(mode & stat.S_IWOTH or (info.st_gid == gid and mode & stat.S_IWGRP))


def _remove(dir_fd, name, info):
    try:
        if stat.S_ISDIR(info.st_mode):
            remove_tree(name, dir_fd=dir_fd)  # by the folder's fd: safe against links swapped in
        else:
            os.unlink(name, dir_fd=dir_fd)
    except OSError:
        pass


def _remove_ipc(uid):
    """Remove the shared memory segments, semaphore sets and message queues `uid` owns."""
    libc = ctypes.CDLL(None, use_errno=True)
    removed = 0
    for kind, call in SYSV_IPC:
        try:
            with open(f"/proc/sysvipc/{kind}") as f:
                header, *rows = f.read().splitlines()
        except OSError:
            continue
        columns = header.split()
        for row in rows:
            values = dict(zip(columns, row.split()))
            if values.get("uid") == str(uid):
                ident = int(values.get("shmid") or values.get("semid") or values.get("msqid"))
                args = (ident, 0, IPC_RMID, None) if kind == "sem" else (ident, IPC_RMID, None)
                if getattr(libc, call)(*args) == 0:
                    removed += 1
    return removed

"""Landlock: the kernel's own allow-list of what a process may touch (Linux 5.13+).

Unlike a user switch, Landlock needs no privilege and survives into every
child; unlike a mount namespace, it works in most containers. Once a process
restricts itself, it and its descendants can reach only the paths given here
(reading or writing as granted), and, where the kernel's Landlock version
allows, cannot open TCP connections or signal processes outside the sandbox.

    abi = landlock.version()          # 0 when the kernel has no Landlock
    landlock.restrict(read=[...], write=[...], files_rw=[...])

Standard library only: it runs in the launcher before any student code.
Reference: the kernel's Documentation/userspace-api/landlock.rst (ABI levels,
structure layouts, the access bits below).
"""
import ctypes
import os
import struct

SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446  # same on every architecture
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH, RULE_NET_PORT = 1, 2
PR_SET_NO_NEW_PRIVS = 38

# Filesystem rights (bit, first ABI that knows it).
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
MAKE_REG, MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK, MAKE_SYM = 1 << 8, 1 << 9, 1 << 10, 1 << 11, 1 << 12
REFER, TRUNCATE = 1 << 13, 1 << 14          # ABI 2, ABI 3
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1  # ABI 4
SCOPE_ABSTRACT_UNIX, SCOPE_SIGNAL = 1 << 0, 1 << 1  # ABI 6

ABI1_FS = (1 << 13) - 1
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE  # the only rights a non-directory rule may carry
READ = EXECUTE | READ_FILE | READ_DIR
# Everything in a folder of its own except making device nodes.
WRITE = (READ | WRITE_FILE | REMOVE_DIR | REMOVE_FILE | MAKE_DIR | MAKE_REG | MAKE_SOCK
         | MAKE_FIFO | MAKE_SYM | REFER | TRUNCATE)
# A folder of unix sockets only (the kernel's ipc/): no folders, files or links in it.
SOCKETS = READ | MAKE_SOCK | REMOVE_FILE

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class LandlockError(OSError):
    """Landlock is missing or refused the ruleset."""


def _syscall(number, *args):
    result = _libc.syscall(number, *args)
    if result < 0:
        errno = ctypes.get_errno()
        raise LandlockError(errno, os.strerror(errno))
    return result


def version():
    """The kernel's Landlock ABI version, 0 if it has none (or it is disabled)."""
    try:
        return _syscall(SYS_CREATE_RULESET, None, ctypes.c_size_t(0),
                        ctypes.c_uint32(CREATE_RULESET_VERSION))
    except LandlockError:
        return 0


def _handled_fs(abi):
    handled = ABI1_FS
    if abi >= 2:
        handled |= REFER
    if abi >= 3:
        handled |= TRUNCATE
    return handled


def restrict(read=(), write=(), files_rw=(), sockets=(), deny_tcp=True, scope=True):
    """Allow only `read` (folders/files, read and execute), `write` (folders:
    everything but device nodes), `files_rw` (single files such as /dev/null)
    and `sockets` (folders: read, make and remove unix sockets) from now on,
    for this process and every child.

    deny_tcp: no TCP bind or connect (ABI 4+). scope: no signals to, and no
    abstract unix sockets of, processes outside the sandbox (ABI 6+).
    Paths that do not exist are skipped. Returns what is in force:
    {"abi": n, "fs": True, "tcp": bool, "scope": bool}. Raises LandlockError
    if the kernel has no Landlock or refuses.
    """
    abi = version()
    if abi < 1:
        raise LandlockError(0, "this kernel has no Landlock (Linux 5.13+ with landlock enabled)")
    handled_fs = _handled_fs(abi)
    net = (NET_BIND_TCP | NET_CONNECT_TCP) if deny_tcp and abi >= 4 else 0
    scoped = (SCOPE_ABSTRACT_UNIX | SCOPE_SIGNAL) if scope and abi >= 6 else 0
    if abi >= 6:
        attr = struct.pack("=QQQ", handled_fs, net, scoped)
    elif abi >= 4:
        attr = struct.pack("=QQ", handled_fs, net)
    else:
        attr = struct.pack("=Q", handled_fs)
    buffer = ctypes.create_string_buffer(attr, len(attr))
    ruleset = _syscall(SYS_CREATE_RULESET, buffer, ctypes.c_size_t(len(attr)), ctypes.c_uint32(0))
    try:
        for paths, rights in ((read, READ), (write, WRITE), (files_rw, READ_FILE | WRITE_FILE | TRUNCATE),
                              (sockets, SOCKETS)):
            for path in paths:
                _allow(ruleset, path, rights & handled_fs)
        _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)  # required to restrict without privilege
        _syscall(SYS_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0))
    finally:
        os.close(ruleset)
    return {"abi": abi, "fs": True, "tcp": bool(net), "scope": bool(scoped)}


def _allow(ruleset, path, rights):
    """Add a rule granting `rights` beneath `path` (or on it, for a file)."""
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    try:
        if not os.path.isdir(path):
            rights &= FILE_RIGHTS
        attr = struct.pack("=Qi", rights, fd)  # struct landlock_path_beneath_attr is packed
        buffer = ctypes.create_string_buffer(attr, len(attr))
        _syscall(SYS_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(RULE_PATH_BENEATH),
                 buffer, ctypes.c_uint32(0))
    finally:
        os.close(fd)

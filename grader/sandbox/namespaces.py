"""Linux namespaces: a private view of the machine for student code.

After `enter()` the calling process has its own mount, network, IPC and UTS
namespaces, and its next child starts a PID namespace of its own. In there,
`build_root()` replaces the whole file system by a small tree that holds only
what the spec binds (the Python installation, the sandbox's folders, a few
device files) plus a private /tmp and /dev/shm; the network has only a
loopback interface; other processes on the machine are invisible.

As root this needs no more than unshare(2). Without root it needs a user
namespace, which many kernels allow (and many containers, Gradescope's
among them, forbid): then the caller is mapped to itself inside.

Standard library only: it runs in the launcher before any student code.
"""
import ctypes
import errno
import fcntl
import os
import socket
import struct

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_NOATIME, MS_NODIRATIME, MS_BIND = 32, 1024, 2048, 4096
MS_REC, MS_PRIVATE, MS_RELATIME = 16384, 1 << 18, 1 << 21
MNT_DETACH = 2
SYS_PIVOT_ROOT = 155  # x86_64
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
# statvfs flags -> mount flags that a remount inside a user namespace must keep.
_LOCKED = ((os.ST_RDONLY, MS_RDONLY), (os.ST_NOSUID, MS_NOSUID), (os.ST_NODEV, MS_NODEV),
           (os.ST_NOEXEC, MS_NOEXEC), (os.ST_NOATIME, MS_NOATIME),
           (os.ST_NODIRATIME, MS_NODIRATIME), (os.ST_RELATIME, MS_RELATIME))
# Device files Python and numpy may open; everything else in /dev is absent.
DEVICES = ("null", "zero", "full", "random", "urandom")

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p)
_libc.umount2.argtypes = (ctypes.c_char_p, ctypes.c_int)
_libc.syscall.restype = ctypes.c_long


class NamespaceError(OSError):
    """A namespace or mount could not be set up."""


def _check(result, what):
    if result != 0:
        code = ctypes.get_errno()
        raise NamespaceError(code, f"{what}: {os.strerror(code)}")


def _arch_pivot_root():
    machine = os.uname().machine
    return {"x86_64": 155, "aarch64": 41, "arm64": 41}.get(machine, SYS_PIVOT_ROOT)


def enter(user_namespace):
    """unshare(2) into new mount, network, IPC, UTS and (for the next child) PID namespaces.

    user_namespace: True when not root; the caller's uid and gid are mapped
    to themselves inside, so files keep their owners.
    """
    uid, gid = os.getuid(), os.getgid()
    flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID
    if user_namespace:
        flags |= CLONE_NEWUSER
    _check(_libc.unshare(flags), "unshare")
    if user_namespace:
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
    _check(_libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "make / private")


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


def _mount(source, target, fstype, flags, data=None):
    enc = lambda s: None if s is None else os.fsencode(s)  # noqa: E731
    _check(_libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)),
           f"mount {source or fstype} on {target}")


def _bind(source, target, writable, device=False):
    """Bind `source` at `target` (made to match: a folder or an empty file), read-only unless
    writable; device: a device file, which must stay usable (no nodev)."""
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.exists(target):
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT, 0o644))
    _mount(source, target, None, MS_BIND | MS_REC)
    flags = MS_NOSUID | (0 if device else MS_NODEV) | (0 if writable else MS_RDONLY)
    try:
        kept = os.statvfs(target).f_flag
        flags |= sum(ms for st, ms in _LOCKED if kept & st and ms != MS_RDONLY)
        if kept & os.ST_RDONLY:
            flags |= MS_RDONLY
    except OSError:
        pass
    _mount(None, target, None, MS_REMOUNT | MS_BIND | flags)


def build_root(new_root, binds, symlinks, files, tmp_bytes):
    """Make `new_root` the root of this mount namespace.

    binds: [(source, target, writable)], target an absolute path inside.
    symlinks: {path inside: link text} (e.g. /lib -> usr/lib on merged-/usr systems).
    files: {path inside: text} written before the tree is made read-only (/etc/passwd).
    tmp_bytes: size of the private /tmp and /dev/shm (memory-backed).
    Must run in the new PID namespace (its /proc shows only the sandbox's processes).
    """
    _mount("tmpfs", new_root, "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,mode=0755")
    inside = lambda path: os.path.join(new_root, path.lstrip("/"))  # noqa: E731
    for path, target in sorted(symlinks.items()):
        os.makedirs(os.path.dirname(inside(path)), exist_ok=True)
        os.symlink(target, inside(path))
    # The private /tmp first: the sandbox's own folders may live under /tmp and are bound over it.
    for path in ("/tmp", "/var/tmp"):
        os.makedirs(inside(path), exist_ok=True)
        _mount("tmpfs", inside(path), "tmpfs", MS_NOSUID | MS_NODEV, f"size={tmp_bytes},mode=1777")
    for source, target, writable in binds:
        _bind(source, inside(target), writable)
    for path, text in files.items():
        os.makedirs(os.path.dirname(inside(path)), exist_ok=True)
        with open(inside(path), "w") as f:
            f.write(text)
    _make_dev(inside("/dev"), tmp_bytes)
    os.makedirs(inside("/proc"), exist_ok=True)
    _mount("proc", inside("/proc"), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    old = inside("/.old-root")
    os.makedirs(old)
    _check(_libc.syscall(_arch_pivot_root(), os.fsencode(new_root), os.fsencode(old)), "pivot_root")
    os.chdir("/")
    _check(_libc.umount2(b"/.old-root", MNT_DETACH), "detach the old root")
    os.rmdir("/.old-root")
    # The tree itself (mount points, /etc files) becomes read-only.
    _mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _make_dev(dev, tmp_bytes):
    """A /dev of a few bound device files, the usual fd links, and a private /dev/shm."""
    os.makedirs(dev, exist_ok=True)
    _mount("tmpfs", dev, "tmpfs", MS_NOSUID, "size=64k,mode=0755")
    for name in DEVICES:
        if os.path.exists(f"/dev/{name}"):
            _bind(f"/dev/{name}", os.path.join(dev, name), writable=True, device=True)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(target, os.path.join(dev, name))
    os.makedirs(os.path.join(dev, "shm"))
    _mount("tmpfs", os.path.join(dev, "shm"), "tmpfs", MS_NOSUID | MS_NODEV,
           f"size={tmp_bytes},mode=1777")


def loopback_up():
    """Bring up `lo` in the new network namespace (loopback only: no route out)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack("16sH", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(s, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH", b"lo", flags | IFF_UP))


def set_hostname(name):
    encoded = name.encode()
    _check(_libc.sethostname(encoded, len(encoded)), "sethostname")


def unavailable_reason(exc):
    """A short reason why namespaces could not be used, for the record."""
    if isinstance(exc, OSError) and exc.errno in (errno.EPERM, errno.EACCES):
        return f"not permitted here ({exc.strerror}; containers often forbid namespaces)"
    return str(exc)

"""seccomp: a short list of system calls student code gets EPERM for, whatever its uid.

The other layers give each grading its own uid, files, network and processes.
A few kernel objects are shared by the whole machine and belong to a uid,
not to a namespace: the kernel's keyrings (keyrings(7)). A key that student
code adds to its user keyring outlives its processes and its grading; the
next grading that gets the same sandbox uid can read it, and two gradings
side by side can hand each other data through a key whose permissions allow
it. Nothing a student's network, numpy or Jupyter needs uses keys, so the
three calls that reach them are refused outright:

    add_key, request_key, keyctl     (request_key can also start the host's
                                      /sbin/request-key helper, as root)

A seccomp filter is a small classic-BPF program the kernel runs on every
system call of the process and of all its descendants (it cannot be removed
or loosened, only added to). This one reads `struct seccomp_data`:

    load the architecture;   another one than ours (e.g. 32-bit int 0x80 calls,
                             with other numbers): EPERM for every call
    load the call's number;  x86_64's x32 calls (number | 0x40000000, another
                             table again): EPERM
    one of the three:        EPERM
    anything else:           allowed

Unprivileged processes may install a filter once no_new_privs is set (a
set-uid program then cannot be started under a filter that would mislead
it): `install()` sets it, as the launcher does anyway. Installed last, just
before exec, so it does not stand in the way of setting up the other layers.

    seccomp.install()    # {"arch": "x86_64", "denied": [...]}; SeccompError if the
                         # architecture is unknown here or the kernel refuses

Standard library only: it runs in the launcher before any student code.
Reference: the kernel's Documentation/userspace-api/seccomp_filter.rst.
"""
import ctypes
import errno
import os
import platform
import struct

PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO = 0x7FFF0000, 0x00050000
# Classic BPF opcodes: load a 32-bit word at an absolute offset, compare and jump, return.
BPF_LD_W_ABS, BPF_JEQ_K, BPF_JGE_K, BPF_RET_K = 0x20, 0x15, 0x35, 0x06
# struct seccomp_data { int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]; }
NR_OFFSET, ARCH_OFFSET = 0, 4
X32_SYSCALL_BIT = 0x40000000

# uname's machine -> (AUDIT_ARCH_*, {call: number}, whether x32 numbers exist there).
ARCHITECTURES = {
    "x86_64": (0xC000003E, {"add_key": 248, "request_key": 249, "keyctl": 250}, True),
    "aarch64": (0xC00000B7, {"add_key": 217, "request_key": 218, "keyctl": 219}, False),
}
ARCHITECTURES["arm64"] = ARCHITECTURES["aarch64"]

_libc = ctypes.CDLL(None, use_errno=True)


class SeccompError(OSError):
    """No filter could be installed: unknown architecture, or the kernel refused."""


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _instruction(code, k, jt=0, jf=0):
    return struct.pack("=HBBI", code, jt, jf, k)  # struct sock_filter


def program(machine=None):
    """The filter for `machine` (default: this one) as bytes, and what it denies.

    Raises SeccompError for an architecture without a table here.
    """
    machine = machine or platform.machine()
    if machine not in ARCHITECTURES:
        raise SeccompError(0, f"no seccomp filter for the {machine!r} architecture "
                              f"(known: {', '.join(sorted(ARCHITECTURES))})")
    arch, calls, x32 = ARCHITECTURES[machine]
    numbers = sorted(calls.values())
    deny = SECCOMP_RET_ERRNO | errno.EPERM
    # Jumps count instructions skipped; the last two are "allow" then "deny".
    body = [(BPF_LD_W_ABS, NR_OFFSET, 0, 0)]
    if x32:
        body.append((BPF_JGE_K, X32_SYSCALL_BIT, "deny", 0))
    body += [(BPF_JEQ_K, number, "deny", 0) for number in numbers]
    head = [(BPF_LD_W_ABS, ARCH_OFFSET, 0, 0), (BPF_JEQ_K, arch, 0, "deny")]
    listing = head + body + [(BPF_RET_K, SECCOMP_RET_ALLOW, 0, 0), (BPF_RET_K, deny, 0, 0)]
    deny_at = len(listing) - 1
    code = b""
    for index, (op, k, jt, jf) in enumerate(listing):
        jt = deny_at - index - 1 if jt == "deny" else jt
        jf = deny_at - index - 1 if jf == "deny" else jf
        code += _instruction(op, k, jt, jf)
    return code, sorted(calls, key=calls.get)


def install():
    """Install the filter on this process (and so on everything it execs or starts).

    Returns what is in force: {"arch": machine, "denied": [call names]} (and every
    call of another architecture's or x32's table).
    Raises SeccompError if it could not be installed.
    """
    machine = platform.machine()
    code, denied = program(machine)
    buffer = ctypes.create_string_buffer(code, len(code))
    fprog = _SockFprog(len(code) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        number = ctypes.get_errno()
        raise SeccompError(number, f"no_new_privs could not be set: {os.strerror(number)}")
    if _libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        number = ctypes.get_errno()
        raise SeccompError(number, f"the kernel refused the seccomp filter: {os.strerror(number)}")
    return {"arch": machine, "denied": denied}

"""grader/sandbox/seccomp.py's filter, run on a small classic-BPF interpreter: which
(architecture, system call) it lets through. Installing it for real is tested in
tests/test_sandbox.py."""
import errno
import struct

import pytest

from grader.sandbox import seccomp

ALLOW = seccomp.SECCOMP_RET_ALLOW
EPERM = seccomp.SECCOMP_RET_ERRNO | errno.EPERM
X86_64, AARCH64, I386 = 0xC000003E, 0xC00000B7, 0x40000003


def run(code, arch, nr):
    """What the kernel would decide for the call `nr` made under `arch`."""
    data = struct.pack("=iIQ6Q", nr, arch, 0, *[0] * 6)  # struct seccomp_data
    program = [struct.unpack("=HBBI", code[i:i + 8]) for i in range(0, len(code), 8)]
    pc, a = 0, 0
    for _ in range(len(program)):  # classic BPF only jumps forward
        op, jt, jf, k = program[pc]
        if op == seccomp.BPF_LD_W_ABS:
            (a,) = struct.unpack_from("=I", data, k)
        elif op in (seccomp.BPF_JEQ_K, seccomp.BPF_JGE_K):
            taken = a == k if op == seccomp.BPF_JEQ_K else a >= k
            pc += jt if taken else jf
        elif op == seccomp.BPF_RET_K:
            return k
        else:
            raise AssertionError(f"unexpected opcode {op:#x}")
        pc += 1
    raise AssertionError("the program ran off its end")


@pytest.mark.parametrize("machine, arch, denied, allowed", [
    # x86_64: add_key, request_key, keyctl; read, socket, clone, ptrace, bpf stay allowed.
    ("x86_64", X86_64, (248, 249, 250), (0, 41, 56, 101, 321, 247, 251)),
    ("aarch64", AARCH64, (217, 218, 219), (63, 198, 220, 117, 280, 216)),
])
def test_the_filter_denies_the_keyring_calls_and_nothing_else(machine, arch, denied, allowed):
    code, names = seccomp.program(machine)
    assert names == ["add_key", "request_key", "keyctl"]
    for nr in denied:
        assert run(code, arch, nr) == EPERM, nr
    for nr in allowed:
        assert run(code, arch, nr) == ALLOW, nr


def test_another_architectures_calls_and_x32_are_denied():
    code, _ = seccomp.program("x86_64")
    assert run(code, I386, 20) == EPERM  # getpid through int 0x80
    assert run(code, AARCH64, 63) == EPERM
    assert run(code, X86_64, 0x40000000 | 39) == EPERM  # x32's getpid
    assert run(code, X86_64, 39) == ALLOW
    arm, _ = seccomp.program("aarch64")
    assert run(arm, X86_64, 0) == EPERM
    assert run(arm, AARCH64, 0x40000000) == ALLOW  # no x32 table there: the kernel answers ENOSYS


def test_an_unknown_architecture_is_refused_with_a_reason():
    with pytest.raises(seccomp.SeccompError, match="riscv64"):
        seccomp.program("riscv64")

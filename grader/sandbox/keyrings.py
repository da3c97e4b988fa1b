"""Empty a sandbox uid's kernel keyrings, which outlive every process of the uid.

The kernel keeps keys (keyrings(7)) per uid for the whole machine, outside
any namespace but a user namespace: the user keyring (@u), the user session
keyring (@us) and the persistent keyring (kept for days after the uid's last
process). A key student code left there would be readable by the next
grading given the same uid. The seccomp layer (seccomp.py) forbids the key
system calls to student code altogether; this is the clean-up behind it, for
a machine without seccomp and for keys left before it was in force. It runs
when a slot's uid is claimed and when its sandbox closes, next to the sweep
of /tmp and System V IPC (sweep.py).

Only the uid itself can name its own keyrings, so root starts a short child
that becomes the uid (no groups, real = effective = saved ids, done by
subprocess in the forked child before exec: safe however many threads the
grader has) and clears each keyring with keyctl(KEYCTL_CLEAR). Looking up a
keyring that does not exist yet makes an empty one: harmless. Keys that
student code linked only into keyrings of its own processes go with those
processes, which are killed before this runs.

    keyrings.clear(uid, gid)   # {"cleared": [...]} or {"cleared": [...], "failed": why}

Never raises: a failure is reported for the log, not fatal.
"""
import json
import subprocess
import sys

# Runs as the sandbox uid: python -I -S -c CLEAR (standard library, no site-packages).
CLEAR = r'''
import ctypes, json, os, platform
KEYCTL = {"x86_64": 250, "aarch64": 219, "arm64": 219}[platform.machine()]
KEYCTL_GET_PERSISTENT, KEYCTL_CLEAR = 22, 7
KEY_SPEC_THREAD_KEYRING, KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING = -1, -4, -5
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def keyctl(*args):
    result = libc.syscall(KEYCTL, *(ctypes.c_long(a) for a in args))
    if result < 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    return result
cleared, failed = [], []
for name, ring in (("user", KEY_SPEC_USER_KEYRING), ("user session", KEY_SPEC_USER_SESSION_KEYRING),
                   ("persistent", None)):
    try:
        if ring is None:  # linked into a throw-away thread keyring to get its id
            ring = keyctl(KEYCTL_GET_PERSISTENT, -1, KEY_SPEC_THREAD_KEYRING)
        keyctl(KEYCTL_CLEAR, ring)
        cleared.append(name)
    except OSError as exc:
        if name != "persistent" or exc.errno not in (95, 38):  # EOPNOTSUPP, ENOSYS: none here
            failed.append(f"{name}: {exc.strerror}")
print(json.dumps({"cleared": cleared, "failed": failed}))
'''


def clear(uid, gid, deadline_seconds=5.0):
    """Empty `uid`'s user, user session and persistent keyrings (as root).

    Returns {"cleared": [keyring names]} plus "failed": why, when some could
    not be; never raises."""
    try:
        proc = subprocess.run([sys.executable, "-I", "-S", "-c", CLEAR], user=uid, group=gid,
                              extra_groups=[], cwd="/", env={}, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=deadline_seconds)
    except (OSError, subprocess.SubprocessError) as exc:
        return {"cleared": [], "failed": repr(exc)}
    try:
        report = json.loads(proc.stdout.strip().splitlines()[-1])
        outcome = {"cleared": list(report["cleared"])}
        if report["failed"]:
            outcome["failed"] = "; ".join(report["failed"])
        return outcome
    except (ValueError, IndexError, KeyError, TypeError):
        return {"cleared": [], "failed": f"exit status {proc.returncode}: {proc.stderr.strip()[-300:]}"}

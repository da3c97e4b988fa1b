"""Start a command inside the sandbox: `python -I sandbox_exec.py [options] -- CMD ...`

Runs as the grader's user, then, in order: copies the files named by --copy
(e.g. a kernel's connection file, which the sandbox user could not read where
it is), sets every resource limit of --limits (soft and hard alike, so the
command cannot raise them), switches to --user if given, and replaces itself
with CMD. Needs only the standard library: it runs before any student code.
"""
import argparse
import json
import os
import resource
import shutil
import sys

LIMITS = {
    "cpu_seconds": resource.RLIMIT_CPU,
    "address_space": resource.RLIMIT_AS,
    "file_size": resource.RLIMIT_FSIZE,
    "processes": resource.RLIMIT_NPROC,
    "open_files": resource.RLIMIT_NOFILE,
    "core_size": resource.RLIMIT_CORE,
}


def set_limits(limits):
    for name, value in limits.items():
        value = int(value)
        resource.setrlimit(LIMITS[name], (value, value))


def switch_user(uid, gid):
    """Become uid:gid for good: no supplementary groups, no way back to root."""
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise SystemExit("sandbox_exec: could not switch user")
    try:
        os.setuid(0)
    except PermissionError:
        return
    raise SystemExit("sandbox_exec: the switch to an unprivileged user can be undone")


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--limits", default="{}", help="JSON: name -> limit, names as in LIMITS")
    parser.add_argument("--user", help="UID:GID to run the command as")
    parser.add_argument("--copy", nargs=2, action="append", default=[], metavar=("SRC", "DEST"))
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    uid, gid = map(int, args.user.split(":")) if args.user else (None, None)
    for src, dest in args.copy:
        shutil.copyfile(src, dest)
        if uid is not None:
            os.chown(dest, uid, gid)
    set_limits(json.loads(args.limits))
    if uid is not None:
        switch_user(uid, gid)
    os.execv(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])

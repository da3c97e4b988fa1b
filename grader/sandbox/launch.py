"""Start a command inside the sandbox: `python -I launch.py --spec JSON -- CMD ...`

Runs as the grader's user (root on CI and Gradescope) and sets up, in order,
every layer the spec asks for, then replaces itself (or its grandchild) with
CMD. The layers, outermost first:

0. the grading's control group (cgroups.py): the launcher joins it first, so
   everything it starts shares one CPU share and one memory limit.
1. namespaces (namespaces.py): own mount, PID, network, IPC and UTS
   namespaces. The process tree is then

       launcher (outside, waits)  ->  init (pid 1 inside)  ->  CMD

   The launcher keeps the pid the grader knows: signals sent to it are
   passed on to CMD; killing it kills init (parent-death signal), and with
   init every process inside, whatever student code started.
2. the user switch: CMD runs as the grading's own unprivileged uid, with no
   supplementary groups and no way back.
3. Landlock (landlock.py): CMD may read only the paths of the spec, write only
   its own folders, open no TCP connection and signal nothing outside.
4. resource limits (soft = hard, so CMD cannot raise them), and
   no_new_privs (no set-uid program regains privilege).
5. seccomp (seccomp.py), last, after no_new_privs and just before exec:
   EPERM for the kernel's keyrings (add_key, request_key, keyctl), which are
   per uid and outlive the grading, and for any other architecture's calls.

Each of the control group, namespaces, Landlock and seccomp is "require" (cannot be set up: exit 121,
nothing runs), "try" (set up where the machine allows) or "off". What was in
force is written as one JSON line to --status-fd before CMD starts, so the
grader can record it.

Standard library only; imports nothing the sandbox user can write.
"""
import argparse
import ctypes
import json
import os
import resource
import select
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -I leaves our folder out
import cgroups  # noqa: E402
import landlock  # noqa: E402
import namespaces  # noqa: E402
import seccomp  # noqa: E402

SETUP_FAILED = 121  # the exit status when a required layer is missing: nothing ran
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT,
             signal.SIGUSR1, signal.SIGUSR2)
LIMITS = {
    "cpu_seconds": resource.RLIMIT_CPU,
    "address_space": resource.RLIMIT_AS,
    "file_size": resource.RLIMIT_FSIZE,
    "processes": resource.RLIMIT_NPROC,
    "open_files": resource.RLIMIT_NOFILE,
    "core_size": resource.RLIMIT_CORE,
}
_libc = ctypes.CDLL(None, use_errno=True)


def fail(message):
    """A required layer could not be set up: say so and run nothing."""
    sys.stderr.write(f"sandbox: {message}\n")
    sys.stderr.flush()
    os._exit(SETUP_FAILED)


def set_limits(limits):
    for name, value in limits.items():
        value = int(value)
        resource.setrlimit(LIMITS[name], (value, value))


def switch_user(uid, gid):
    """Become uid:gid for good: no supplementary groups, no way back to root."""
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid or os.getgid() != gid:
        fail("could not switch user")
    try:
        os.setuid(0)
    except PermissionError:
        return
    fail("the switch to an unprivileged user can be undone")


def run_command(spec, command, status, own_group):
    """In the process that becomes CMD: user, Landlock, limits, then exec. Never returns."""
    try:
        if own_group:
            os.setpgid(0, 0)  # signals reach CMD once, forwarded by init, not also by group
        os.chdir(spec["cwd"])
        if spec.get("user"):
            switch_user(*spec["user"])
            status["uid"] = spec["user"][0]
        status["landlock"] = _landlock(spec, status)
        set_limits(spec.get("limits", {}))
        status["rlimits"] = sorted(spec.get("limits", {}))
        if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            fail("no_new_privs could not be set")
        status["no_new_privs"] = True
        # Needs no_new_privs (as the unprivileged uid).
        status["seccomp"] = _optional(spec, status, "seccomp", "the seccomp filter", seccomp.install)
        if status["namespaces"]:
            # Its parent is our init, pid 1, which Jupyter's kernel would take for a
            # sign that the grader died; "1" tells it not to watch (the launcher's
            # parent-death chain does that job).
            os.environ["JPY_PARENT_PID"] = "1"
        _report(spec, status)
    except SystemExit:
        raise
    except BaseException as exc:  # a setup step that failed is never a reason to run unprotected
        fail(f"setting up the sandbox failed: {exc!r}")
    os.execv(command[0], command)


def _optional(spec, status, name, what, install):
    """install() when the spec asks for layer `name` ("try" or "require"): its record, or
    None when it is off or failed under "try" (why, in status); under "require" a failure
    ends the launch before any student code runs."""
    mode = spec.get(name, "off")
    if mode == "off":
        return None
    try:
        return install()
    except OSError as exc:
        if mode == "require":
            fail(f"{what} is required but could not be set up: {exc}")
        status["why"][name] = str(exc)
        return None


def _landlock(spec, status):
    in_namespaces = bool(status["namespaces"])
    private = spec.get("landlock_private_write", []) if in_namespaces else []
    # In its own network namespace TCP reaches nothing but the sandbox itself
    # (Jupyter's kernel uses a loopback socket internally): no need to deny it.
    return _optional(spec, status, "landlock", "Landlock", lambda: landlock.restrict(
        read=spec.get("landlock_read", []), write=spec.get("landlock_write", []) + private,
        files_rw=spec.get("landlock_files", []), sockets=spec.get("landlock_sockets", []),
        deny_tcp=not in_namespaces))


def _report(spec, status):
    fd = spec.get("status_fd")
    if fd is not None:
        os.write(fd, (json.dumps(status) + "\n").encode())
        os.close(fd)


def _forward_to(pid):
    def forward(signum, frame):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass
    for signum in FORWARDED:
        signal.signal(signum, forward)


def _exit_status(wait_status):
    if os.WIFSIGNALED(wait_status):
        return 128 + os.WTERMSIG(wait_status)
    return os.WEXITSTATUS(wait_status)


def wait_outside(child):
    """The launcher, after the fork: pass signals on to init, end as it ends."""
    _forward_to(child)
    while True:
        try:
            _, wait_status = os.waitpid(child, 0)
            os._exit(_exit_status(wait_status))
        except ChildProcessError:
            os._exit(SETUP_FAILED)


def be_init(command_pid):
    """pid 1 of the sandbox: reap every orphan; when CMD ends, end everything."""
    _forward_to(command_pid)
    while True:
        try:
            pid, wait_status = os.waitpid(-1, 0)
        except ChildProcessError:
            os._exit(SETUP_FAILED)
        if pid == command_pid:
            try:
                os.kill(-1, signal.SIGKILL)  # as pid 1: everyone else in the namespace
            except ProcessLookupError:
                pass
            os._exit(_exit_status(wait_status))


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--spec", required=True, help="JSON: see the module docstring and grader/sandbox/__init__.py")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    spec = json.loads(args.spec)
    status = {"uid": None, "cgroups": [], "namespaces": [], "landlock": None, "rlimits": [],
              "no_new_privs": False, "seccomp": None, "why": {}}
    if spec.get("user") and os.geteuid() != 0:
        fail("a user switch needs root")
    if spec.get("cgroups", "off") != "off":
        try:
            cgroups.join(spec["cgroup_procs"])
            status["cgroups"] = spec["cgroup_controllers"]
        except (OSError, KeyError) as exc:
            if spec["cgroups"] == "require":
                fail(f"the grading's control group is required but could not be joined: {exc}")
            status["why"]["cgroups"] = str(exc)
    mode = spec.get("namespaces", "off")
    if mode != "off":
        try:
            namespaces.enter(user_namespace=os.geteuid() != 0)
        except OSError as exc:
            if mode == "require":
                fail(f"namespaces are required but unavailable: {exc}")
            status["why"]["namespaces"] = namespaces.unavailable_reason(exc)
            mode = "off"
    if mode == "off":
        run_command(spec, command, status, own_group=False)
    alive_read, alive_write = os.pipe()
    child = os.fork()
    if child:
        os.close(alive_read)
        if spec.get("status_fd") is not None:
            os.close(spec["status_fd"])
        wait_outside(child)
    os.close(alive_write)
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if select.select([alive_read], [], [], 0)[0]:  # the launcher died before the line above
        os._exit(SETUP_FAILED)
    os.setpgid(0, 0)
    try:
        namespaces.build_root(spec["new_root"], [tuple(b) for b in spec.get("binds", [])],
                              spec.get("symlinks", {}), spec.get("files", {}),
                              spec.get("tmp_bytes", 64 << 20))
        namespaces.loopback_up()
        namespaces.set_hostname(spec.get("hostname", "sandbox"))
    except OSError as exc:
        # Inside a fresh PID namespace nothing has run yet: failing here is clean.
        fail(f"the sandbox's file system could not be built: {exc}")
    status["namespaces"] = ["mount", "pid", "network", "ipc", "uts"]
    command_pid = os.fork()
    if command_pid == 0:
        os.close(alive_read)
        run_command(spec, command, status, own_group=True)
    if spec.get("status_fd") is not None:
        os.close(spec["status_fd"])
    be_init(command_pid)


if __name__ == "__main__":
    main(sys.argv[1:])

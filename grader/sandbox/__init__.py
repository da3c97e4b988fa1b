"""The sandbox around student code, from the trusted side: one `Sandbox` per grading.

    sandbox = Sandbox.claim(workdir, hidden=[...])   # refuses (SandboxRefused) rather than run unprotected
    argv = sandbox.command([python, "-I", worker_main, sandbox.home])
    ...
    sandbox.close()                                   # kills its processes, removes what it left

Every process that runs student code (the worker, the notebook's kernel)
starts through launch.py with the layers this machine allows, each recorded
in `sandbox.layers` and in results.json:

- a uid of its own (as root): one of config.SANDBOX_SLOTS uids, never shared
  by two gradings at once, so gradings cannot read or signal each other;
- a control group of its own (as root, where cgroups can be written): one CPU
  share and one memory limit for all its processes (cgroups.py);
- namespaces (root, or a user namespace): a file system holding only the
  Python installation and the grading's own folders, a private /tmp, no
  network but loopback, no view of other processes;
- Landlock: reads only those paths, writes only its own folders, no TCP;
- resource limits and no_new_privs;
- seccomp: no kernel keyrings (per uid, not namespaced: they would outlive
  the grading), which are also emptied when a uid is claimed and released.

The folder `workdir` (made by the caller, root-only) is laid out as

    home/     the student's folder: the course scaffold with their layer files,
              the notebook (owned by the sandbox uid; cwd and HOME of student code)
    worker/   the worker's code (read-only)
    data/     CIFAR-10 without the test labels (read-only)
    kernel/   the kernel's connection file (root, readable by the sandbox group only)
    ipc/      the kernel's sockets (writable by the sandbox group until the kernel is up)
    channel/  the socket where the grader receives best_net (root listens)
    private/  the grader's own: logs, kernelspec (root only)
    root/     the mount point of the sandbox's file system (namespaces only)

Nothing is created by root in a folder the sandbox uid owns once student
code has run there, and root never follows a path student code could write.

Fail closed: as root, if the sandbox uid cannot run the interpreter, or
student code could read the grader's files or the real labels, no student
code runs: `claim` raises SandboxRefused with what the instructor must fix.
Not as root (a student's own machine), the sandbox does what it can and
`notice()` says plainly which protections are off.
"""
import fcntl
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

from .. import config
from . import cgroups, keyrings, processes
from .channel import Channel
from .processes import become_subreaper, descendants, kill_descendants, signal_each  # noqa: F401
from .remove import remove_tree  # noqa: F401
from .sweep import sweep

LAUNCH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "launch.py")
SETUP_FAILED = 121  # launch.py's exit status when a required layer could not be set up
SLOT_DIRS = ("/run/grader-sandbox-slots", "/tmp/grader-sandbox-slots")
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/fonts",
             f"/etc/python{sys.version_info[0]}.{sys.version_info[1]}")
DEVICE_FILES = tuple(f"/dev/{name}" for name in ("null", "zero", "full", "random", "urandom"))
FOLDERS = ("home", "worker", "data", "kernel", "ipc", "channel", "private", "root")


class SandboxRefused(Exception):
    """Student code must not run here: a protection could not be set up. The message
    is for the instructor (what is wrong, how to fix it)."""


@dataclass
class Layers:
    """What protects the rest of the machine from student code in this grading."""
    uid: int = None                       # the sandbox uid; None: runs as the grader's own user
    cgroups: list = field(default_factory=list)      # e.g. ["cpu", "memory"]: one group per grading
    namespaces: list = field(default_factory=list)   # e.g. ["mount", "pid", "network", "ipc", "uts"]
    landlock: dict = None                 # {"abi", "fs", "tcp", "scope"} or None
    seccomp: dict = None                  # {"arch", "denied": [system calls]} or None
    rlimits: list = field(default_factory=list)
    no_new_privs: bool = False
    network: str = "open"                 # "loopback only" / "no TCP" / "open"
    grader_files: str = "readable"        # how the grader's files are kept from student code
    why: dict = field(default_factory=dict)   # why a layer is off

    def as_dict(self):
        return dict(self.__dict__)

    def off(self):
        """Plain words for each protection that is not in force."""
        missing = []
        if self.uid is None:
            missing.append("student code runs as the user running the grader (not as root, "
                           "so there is no separate user to switch to)")
        if self.uid is not None and not self.cgroups:
            missing.append("no control group: gradings side by side share CPU and memory by process "
                           f"({self.why.get('cgroups', 'off')})")
        if not self.namespaces:
            missing.append("no private view of the machine (namespaces: "
                           f"{self.why.get('namespaces', 'off')})")
        if not self.landlock:
            missing.append(f"no Landlock ({self.why.get('landlock', 'off')})")
        if not self.seccomp:
            missing.append(f"no seccomp filter: kernel keyrings reachable ({self.why.get('seccomp', 'off')})")
        if self.network == "open":
            missing.append("the network is reachable")
        if self.grader_files == "readable":
            missing.append("the grader's own files are readable by student code")
        return missing


def _in_container_with_host_uids():
    """Inside a Docker or Podman container whose uid 0 is the host's uid 0 (no remapping)."""
    if not any(os.path.exists(p) for p in ("/.dockerenv", "/run/.containerenv")):
        return False
    try:
        with open("/proc/self/uid_map") as f:
            return f.read().split() == ["0", "0", "4294967295"]
    except OSError:
        return True  # cannot tell: assume shared, the safe side


_UID_BASE = []


def uid_base():
    """The first sandbox uid for this process's gradings (config.SANDBOX_UID_POLICY)."""
    if not _UID_BASE:
        policy = config.SANDBOX_UID_POLICY
        if policy == "random" or (policy == "auto" and _in_container_with_host_uids()):
            slots = config.SANDBOX_SLOTS
            _UID_BASE.append(secrets.randbelow(((1 << 30) - (1 << 20)) // slots) * slots + (1 << 20))
        else:
            _UID_BASE.append(config.SANDBOX_UID_BASE)
    return _UID_BASE[0]


def _claim_slot():
    """(slot number, locked fd, the slot's own short folder), or Nones if all are taken.

    The lock files live in one fixed place for the whole machine (not under
    $TMPDIR, which gradings side by side may each set differently); the lock
    lasts as long as this process. The slot's folder holds the grading's unix
    sockets: their paths must stay under 108 bytes, wherever $TMPDIR is.
    """
    folder = next(path for path in SLOT_DIRS if os.path.isdir(os.path.dirname(path)))
    os.makedirs(folder, mode=0o711, exist_ok=True)
    if os.lstat(folder).st_uid != 0 or os.path.islink(folder):
        raise SandboxRefused(f"{folder} is not root's own folder")
    os.chmod(folder, 0o711)  # the sandbox passes through to its slot's sockets
    for slot in range(config.SANDBOX_SLOTS):
        fd = os.open(os.path.join(folder, str(slot)), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        sockets = os.path.join(folder, f"s{slot}")
        if not remove_tree(sockets):  # a crashed grading's, however its sandbox left it
            # Out of the way (root's folder: nothing else can move it), for the next
            # claim of this slot to try again.
            os.rename(sockets, os.path.join(folder, f"s{slot}.stale-{os.getpid()}-{time.time_ns()}"))
        for name in os.listdir(folder):
            if name.startswith(f"s{slot}.stale-"):
                remove_tree(os.path.join(folder, name), seconds=5)
        os.mkdir(sockets, 0o711)
        return slot, fd, sockets
    return None, None, None


class Sandbox:
    def __init__(self, workdir, user=None, slot_fd=None, sockets=None):
        self.workdir = workdir
        self.user = user                  # (uid, gid) or None
        self._slot_fd = slot_fd
        # A short folder for the unix sockets (ipc/, channel/): the slot's, or our own.
        self.sockets = sockets or tempfile.mkdtemp(prefix="grader-s-", dir="/tmp")
        self.namespaces = config.SANDBOX_NAMESPACES   # "try" until the probe settles it
        self.landlock = config.SANDBOX_LANDLOCK
        self.seccomp = config.SANDBOX_SECCOMP
        self.keyrings_at_claim = None
        self.layers = Layers(uid=user[0] if user else None)
        self.group, self.cgroups = None, "off"   # the control group (claim makes it, the probe settles it)
        for name in FOLDERS:
            setattr(self, name, os.path.join(self.sockets if name in ("ipc", "channel") else workdir, name))
        self.data_dir = os.path.join(self.data, "cifar-10-batches-py")  # without the test labels
        self.closed = False

    # --- claiming -----------------------------------------------------------

    @classmethod
    def claim(cls, workdir, hidden=()):
        """The sandbox for one grading in `workdir` (an empty root-only folder).

        hidden: paths student code must not be able to read (the grader's
        sources, the real labels); the probe checks each. Raises SandboxRefused.
        """
        user, slot_fd, sockets, group, why = None, None, None, None, ""
        if os.geteuid() == 0:
            slot, slot_fd, sockets = _claim_slot()
            if slot is None:
                raise SandboxRefused(f"all {config.SANDBOX_SLOTS} sandbox uids are in use: "
                                     "too many gradings at once on this machine")
            user = (uid_base() + slot,) * 2
            processes.kill_uid(user[0])  # anything a crashed earlier grading left
            sweep(user[0], user[1])
            cleared = keyrings.clear(*user)
            if config.SANDBOX_CGROUPS != "off":
                try:
                    group = cgroups.Group(f"grader-s{slot}", config.SANDBOX_GROUP_MEMORY)
                except cgroups.CgroupError as exc:
                    why = str(exc)
        sandbox = cls(workdir, user, slot_fd, sockets)
        if user is not None:
            sandbox.keyrings_at_claim = cleared  # for close()'s outcome, which is logged
        sandbox.group = group
        sandbox.cgroups = "try" if group else "off"
        if why:
            sandbox.layers.why["cgroups"] = why
        try:
            sandbox._make_folders()
            sandbox._probe(hidden)
        except BaseException:
            sandbox.close()
            raise
        return sandbox

    def _make_folders(self):
        os.chmod(self.workdir, 0o711)  # traversable, not listable
        gid = self.user[1] if self.user else None
        modes = {"home": 0o700, "worker": 0o755, "data": 0o755, "kernel": 0o750,
                 "ipc": 0o770, "channel": 0o750, "private": 0o700, "root": 0o700}
        for name, mode in modes.items():
            path = getattr(self, name)
            os.mkdir(path, mode)
            os.chmod(path, mode)  # mkdir's mode is cut by the umask
            if gid is not None and name in ("kernel", "ipc", "channel"):
                os.chown(path, 0, gid)
        self.channel_socket = Channel(os.path.join(self.channel, "grader.sock"), gid)

    def give_home(self):
        """Hand home/ to the sandbox uid. Call once it is filled and before any
        student code runs: root never writes there afterwards."""
        os.makedirs(os.path.join(self.home, ".tmp"), exist_ok=True)
        if self.user is None:
            return
        for dirpath, dirnames, filenames in os.walk(self.home):
            os.chown(dirpath, *self.user, follow_symlinks=False)
            for name in filenames:
                os.chown(os.path.join(dirpath, name), *self.user, follow_symlinks=False)

    def _probe(self, hidden):
        """Find the layers this machine allows, and check they protect what they must.

        One run of a tiny script through the launcher, as student code would
        run. Later launches require exactly the layers found here.
        """
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        try:
            status, report = self._run_probe(hidden, listener.getsockname()[1])
            if status is None and self.namespaces != "off":
                self.layers.why["namespaces"] = report
                self.namespaces = "off"  # e.g. a user namespace that may not mount /proc
                status, report = self._run_probe(hidden, listener.getsockname()[1])
        finally:
            listener.close()
        if status is None:
            raise SandboxRefused(self._cannot_run(report))
        self.namespaces = "require" if status["namespaces"] else "off"
        self.landlock = "require" if status["landlock"] else "off"
        self.cgroups = "require" if status.get("cgroups") else "off"
        self.seccomp = "require" if status.get("seccomp") else "off"
        layers = self.layers
        layers.cgroups = status.get("cgroups", [])
        layers.namespaces, layers.landlock = status["namespaces"], status["landlock"]
        layers.rlimits, layers.no_new_privs = status["rlimits"], status["no_new_privs"]
        layers.seccomp = status.get("seccomp")
        layers.why.update(status["why"])
        layers.network = ("loopback only" if "network" in status["namespaces"] else
                          "no TCP" if not report["tcp"] else "open")
        readable = report["readable"]
        if readable:
            layers.grader_files = "readable"
        elif "mount" in status["namespaces"]:
            layers.grader_files = "not in the sandbox's file system"
        elif status["landlock"]:
            layers.grader_files = "Landlock"
        else:
            layers.grader_files = "file permissions"
        missing = [name for name in config.SANDBOX_REQUIRE
                   if not {"namespaces": status["namespaces"], "landlock": status["landlock"],
                           "cgroups": status.get("cgroups"), "seccomp": status.get("seccomp"),
                           "no network": layers.network != "open"}.get(name)]
        if missing:
            raise SandboxRefused(f"the sandbox layers {', '.join(missing)} are required "
                                 "(config.SANDBOX_REQUIRE) but this machine does not allow them: "
                                 f"{json.dumps(layers.why)}")
        if readable and self.user is not None:
            raise SandboxRefused(
                "student code could read " + ", ".join(readable[:3]) + " (layers in force: "
                + (", ".join(f"{n} namespace" for n in status["namespaces"]) or "no namespaces") + "; "
                + ("Landlock" if status["landlock"] else "no Landlock") + "), and these files are "
                "readable by other users. Make "
                "the grader's folder and the CIFAR-10 folder unreadable by others (e.g. chmod "
                "go-rwx on every entry of the grader's folder except .venv, and on the data "
                "folder), as gradescope/setup.sh does, or run on a kernel with Landlock.")

    def _run_probe(self, hidden, port):
        """(launcher status, probe report) or (None, why it failed)."""
        read_fd, write_fd = os.pipe()
        argv = self.command([sys.executable, "-I", "-c", PROBE, *hidden, str(port)],
                            status_fd=write_fd, cwd=self.worker)
        try:
            proc = subprocess.run(argv, cwd="/", env=self.env(), pass_fds=(write_fd,),
                                  capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired:
            return None, "the sandbox probe did not finish within 60 s"
        finally:
            os.close(write_fd)
        with os.fdopen(read_fd) as f:
            status_line = f.readline()
        if proc.returncode != 0 or not status_line:
            return None, (proc.stderr.strip()[-600:] or f"exit status {proc.returncode}")
        try:
            return json.loads(status_line), json.loads(proc.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return None, f"unreadable probe output: {proc.stdout[-300:]!r} {proc.stderr[-300:]!r}"

    def _cannot_run(self, why):
        who = f"the sandbox user (uid {self.user[0]})" if self.user else "the sandbox"
        return (f"{who} cannot run {sys.executable} with numpy: {why}. Install Python where every "
                "user may run it (e.g. the system's /usr/bin/python3, not one under /root) and "
                "rebuild the grader's environment (rm -rf .venv; make setup).")

    # --- launching ----------------------------------------------------------

    def env(self, **extra):
        """The environment student code runs with: ours scrubbed, threads bounded, plus `extra`."""
        env = {name: os.environ[name] for name in config.PASSED_ENV if name in os.environ}
        env.update(HOME=self.home, USER="student", LOGNAME="student", PYTHONHASHSEED="0",
                   PYTHONDONTWRITEBYTECODE="1", TMPDIR=self._tmp(), CIFAR10_DIR=self.data_dir,
                   OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
        env.update(extra)
        return env

    def _tmp(self):
        # Without a private /tmp, student code's temporary files stay in its own folder.
        return "/tmp" if self.namespaces == "require" else os.path.join(self.home, ".tmp")

    def limits(self):
        """The resource limits for a sandboxed process (see config.SANDBOX_LIMITS)."""
        result = dict(config.SANDBOX_LIMITS)
        if self.user is not None:
            result["processes"] = config.SANDBOX_PROCESSES
        else:
            # The limit counts all of the user's processes: leave room for the ones they have.
            result["processes"] = len(processes.pids_of(os.getuid())) + config.SANDBOX_PROCESSES
        return result

    def command(self, argv, status_fd=None, cwd=None, kernel=False):
        """argv that runs `argv` in the sandbox, in `cwd` (default home/).

        kernel: the notebook's kernel, which alone sees kernel/, ipc/ and channel/.
        """
        spec = {"limits": self.limits(), "user": list(self.user) if self.user else None,
                "cwd": cwd or self.home, "namespaces": self.namespaces, "landlock": self.landlock,
                "status_fd": status_fd, "cgroups": self.cgroups, "seccomp": self.seccomp}
        if self.group is not None and self.cgroups != "off":
            spec.update(cgroup_procs=self.group.procs, cgroup_controllers=self.group.controllers)
        if self.namespaces != "off":
            spec.update(self._mount_spec(kernel))
        if self.landlock != "off":
            spec.update(self._landlock_spec(kernel))
        return [sys.executable, "-I", LAUNCH, "--spec", json.dumps(spec), "--"] + list(argv)

    def _python_dirs(self):
        """Folders of the Python installation and environment the sandbox runs."""
        found = []
        for path in (sys.base_prefix, sys.prefix, os.path.dirname(os.path.realpath(sys.executable))):
            for variant in (path, os.path.realpath(path)):
                if not any(variant == d or variant.startswith(d + "/") for d in SYSTEM_DIRS + tuple(found)):
                    found.append(variant)
        return found

    def _own_dirs(self, kernel):
        """(path, writable) of the grading's folders the sandboxed process sees."""
        own = [(self.home, True), (self.worker, False), (self.data, False)]
        if kernel:
            own += [(self.kernel, False), (self.ipc, True), (self.channel, False)]
        return own

    def _mount_spec(self, kernel):
        binds, symlinks = [], {}
        for path in SYSTEM_DIRS + ETC_FILES:
            if os.path.islink(path):
                symlinks[path] = os.readlink(path)
            elif os.path.exists(path):
                binds.append((path, path, False))
        binds += [(path, path, False) for path in self._python_dirs()]
        if os.path.isdir("/sys/devices/system/cpu"):
            binds.append(("/sys/devices/system/cpu", "/sys/devices/system/cpu", False))
        binds += [(path, path, writable) for path, writable in self._own_dirs(kernel)]
        uid, gid = self.user or (os.getuid(), os.getgid())
        files = {
            "/etc/passwd": f"root:x:0:0:root:/root:/usr/sbin/nologin\n"
                           f"student:x:{uid}:{gid}:student:{self.home}:/usr/sbin/nologin\n",
            "/etc/group": f"root:x:0:\nstudent:x:{gid}:\n",
            "/etc/hosts": "127.0.0.1 localhost\n::1 localhost\n",
            "/etc/hostname": "sandbox\n",
        }
        return {"new_root": self.root, "binds": binds, "symlinks": symlinks, "files": files,
                "tmp_bytes": config.SANDBOX_TMP_BYTES}

    def _landlock_spec(self, kernel):
        read = [p for p in SYSTEM_DIRS + ("/etc", "/proc", "/sys", "/dev") if os.path.exists(p)]
        read += self._python_dirs()
        own = self._own_dirs(kernel)
        return {"landlock_read": read + [p for p, writable in own if not writable],
                "landlock_write": [p for p, writable in own if writable and p != self.ipc],
                "landlock_sockets": [self.ipc] if kernel else [],
                "landlock_private_write": ["/tmp", "/var/tmp", "/dev/shm"],
                "landlock_files": list(DEVICE_FILES)}

    # --- after student code -------------------------------------------------

    def freeze_ipc(self):
        """The kernel has made its sockets: from now on the sandbox cannot replace them."""
        os.chmod(self.ipc, 0o750)

    def close(self):
        """Kill every process of the sandbox uid, remove what it left outside its
        folder (where no mount namespace did it already), release the uid."""
        if self.closed:
            return {}
        self.closed = True
        outcome = {}
        if self.user is not None:
            outcome["killed"] = processes.kill_uid(self.user[0])
            if self.namespaces != "require":
                outcome["swept"] = sweep(self.user[0], self.user[1])
            # Keyrings belong to the uid, not to a namespace: emptied whatever the layers.
            outcome["keyrings"] = {"at claim": self.keyrings_at_claim,
                                   "at close": keyrings.clear(*self.user)}
        if getattr(self, "group", None) is not None:
            outcome["cgroup removed"] = self.group.remove()
        if getattr(self, "channel_socket", None):
            self.channel_socket.close()
        outcome["removed"] = remove_tree(self.sockets)
        if self._slot_fd is not None:
            os.close(self._slot_fd)
            self._slot_fd = None
        return outcome

    def describe(self):
        """The record for results.json's extra_data."""
        return self.layers.as_dict()

    def notice(self):
        """'' when fully protected, else one sentence naming what is off."""
        missing = self.layers.off()
        return ("Sandbox protections off on this machine: " + "; ".join(missing) + ".") if missing else ""



# Runs in the sandbox as student code would (python -I -c PROBE HIDDEN... PORT):
# numpy must import; no HIDDEN path may be readable; reports whether a TCP
# server on 127.0.0.1 of the grader's network is reachable.
PROBE = r'''
import json, os, socket, sys
report = {"readable": [], "tcp": None}
import numpy
# The Python environment is given to student code on purpose; a folder that holds it
# (a checkout's .venv, bound at its own path inside a mount namespace) reveals nothing
# when its listing shows only the way there.
given = {os.path.abspath(p) for p in (sys.prefix, sys.exec_prefix, sys.base_prefix)}
def towards_given(entry):
    return any(g == entry or g.startswith(entry + os.sep) for g in given)
for path in sys.argv[1:-1]:
    try:
        if os.path.isdir(path):
            if all(towards_given(os.path.join(os.path.abspath(path), n)) for n in os.listdir(path)):
                continue
        else:
            open(path, "rb").close()
        report["readable"].append(path)
    except OSError:
        pass
s = socket.socket()
s.settimeout(2)
try:
    s.connect(("127.0.0.1", int(sys.argv[-1])))
    report["tcp"] = True
except OSError:
    report["tcp"] = False
print(json.dumps(report))
'''

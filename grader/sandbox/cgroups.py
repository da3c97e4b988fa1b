"""A control group per grading: one CPU share and one memory limit for everything it runs.

Per-process limits (rlimits) do not bound a grading as a whole: 128 processes
of 4 GiB each, or busy loops each in a session of its own (which defeats the
scheduler's per-session fairness), can starve a classmate graded beside it in
a batch. As root, each sandbox slot gets a group in the cpu and memory
controllers, below the grader's own; the launcher puts itself in it before
anything else, so every process of the grading is inside and none can leave
(the group's files are root's). Under contention each grading gets the same
CPU share however many processes it runs (a share, not a cap: a grading may
use what the others leave idle), and its memory in all is capped: past it the
kernel ends a process of that grading alone.

Works with cgroup v1 (a hierarchy per controller) and v2 (one hierarchy, where
the grader's cgroup must be allowed to delegate cpu and memory). Where neither
can be written (most containers, Gradescope's), the layer is off and results
say so.
"""
import os


class CgroupError(OSError):
    """The group could not be made here; the message says why."""


def _mounts():
    """{controller: mount point} of cgroup v1 hierarchies, and the cgroup2 mount (key "")."""
    found = {}
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            sep = fields.index("-")
            fstype, options = fields[sep + 1], fields[sep + 3].split(",")
            if fstype == "cgroup2":
                found.setdefault("", fields[4])
            elif fstype == "cgroup":
                for option in options:
                    found.setdefault(option, fields[4])
    return found


def _own_paths():
    """{controller: this process's cgroup path}; "" for cgroup v2."""
    paths = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            for controller in controllers.split(",") if controllers else [""]:
                paths[controller] = path
    return paths


def _write(path, value):
    with open(path, "w") as f:
        f.write(str(value))


class Group:
    """The slot's group: `procs` are the files a process writes its pid to, to join."""

    def __init__(self, name, memory_bytes=None):
        self.name, self.dirs, self.procs, self.controllers = name, [], [], []
        mounts, own = _mounts(), _own_paths()
        try:
            if "cpu" in mounts and "memory" in mounts and "cpu" in own:
                self._v1(mounts, own, memory_bytes)
            elif "" in mounts and "" in own:
                self._v2(mounts[""], own[""], memory_bytes)
            else:
                raise CgroupError(0, "no cgroup cpu and memory controllers are mounted")
        except OSError as exc:
            self.remove()
            if isinstance(exc, CgroupError):
                raise
            raise CgroupError(exc.errno or 0, f"cgroups cannot be set up here: {exc}") from None

    def _make(self, parent):
        path = os.path.join(parent, self.name)
        os.makedirs(path, exist_ok=True)  # a crashed grading's group is taken over
        self.dirs.append(path)
        return path

    def _v1(self, mounts, own, memory_bytes):
        cpu = self._make(mounts["cpu"] + own["cpu"])
        _write(os.path.join(cpu, "cpu.shares"), 1024)
        _write(os.path.join(cpu, "cpu.cfs_quota_us"), -1)  # a crashed grading's group may have had one
        memory = self._make(mounts["memory"] + own.get("memory", "/"))
        if memory_bytes:
            _write(os.path.join(memory, "memory.limit_in_bytes"), int(memory_bytes))
        self.procs = [os.path.join(cpu, "cgroup.procs"), os.path.join(memory, "cgroup.procs")]
        self.controllers = ["cpu", "memory"]

    def _v2(self, mount, own, memory_bytes):
        parent = mount + own
        with open(os.path.join(parent, "cgroup.subtree_control")) as f:
            enabled = f.read().split()
        if not {"cpu", "memory"} <= set(enabled):
            try:
                _write(os.path.join(parent, "cgroup.subtree_control"), "+cpu +memory")
            except OSError as exc:
                raise CgroupError(exc.errno or 0, "cgroup v2: the grader's cgroup does not delegate cpu "
                                  f"and memory ({exc.strerror}); run it in a cgroup of its own") from None
        group = self._make(parent)
        _write(os.path.join(group, "cpu.weight"), 100)
        _write(os.path.join(group, "cpu.max"), "max")
        if memory_bytes:
            _write(os.path.join(group, "memory.max"), int(memory_bytes))
        self.procs = [os.path.join(group, "cgroup.procs")]
        self.controllers = ["cpu", "memory"]

    def remove(self):
        """Remove the group's folders (True when gone); after its processes are dead."""
        gone = True
        for path in reversed(self.dirs):
            try:
                os.rmdir(path)
            except FileNotFoundError:
                pass
            except OSError:
                gone = False  # still a process in it: the next claim of the slot takes it over
        self.dirs = [] if gone else self.dirs
        return gone


def join(procs):
    """Put this process (and so everything it starts) in the group: writes its pid to each file."""
    for path in procs:
        _write(path, os.getpid())

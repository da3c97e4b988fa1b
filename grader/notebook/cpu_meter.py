"""CPU seconds the notebook's kernel has used: what the time limits of its cells count.

A limit in seconds of the wall clock moves with the machine: a loaded machine or a
container's CPU quota stretches a cell's wall time while the work it does stays the
same, and the same notebook was stopped on one machine and not on another. The CPU
time of the kernel's processes is the work itself:

    meter = CpuMeter(launcher_pid)
    meter.seconds()    # user + system CPU seconds of launcher_pid and every process
                       # below it, with the children they have reaped, now

read from /proc (every thread of a process counts in its own figures). A process that
leaves the tree (double fork and setsid, then reparented outside it) is not counted:
a cell that hides its work so is still stopped by its limit in wall seconds
(NotebookLimits.wall), only later; so is a child whose parent ignores SIGCHLD (the
kernel reaps it, and its CPU leaves every figure /proc has). Each reading is taken
afresh: a figure that dropped (such a child gone) is not kept as a high-water mark
that would hide a later cell's own work, and a figure that spiked (a child counted
both in its own entry and, reaped during the scan, in its parent's) does not stay.
"""
import os

TICKS = os.sysconf("SC_CLK_TCK")
PROC = "/proc"


def _stat(pid, proc=PROC):
    """(parent pid, CPU ticks of the process and its reaped children), or None if it is gone."""
    try:
        with open(os.path.join(proc, str(pid), "stat"), "rb") as f:
            data = f.read(4096)
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces or ")": the fields follow the last.
    fields = data[data.rfind(b")") + 2:].split()
    try:
        # proc(5): state, ppid, ..., utime (14), stime (15), cutime (16), cstime (17), 1-based
        # counting the pid and the name; here 0-based from the state.
        return int(fields[1]), sum(int(v) for v in fields[11:15])
    except (IndexError, ValueError):
        return None


def tree_ticks(root, proc=PROC):
    """CPU ticks of `root` and its descendants, as /proc shows them now."""
    stats = {}
    try:
        names = os.listdir(proc)
    except OSError:
        return 0
    for name in names:
        if name.isdigit():
            found = _stat(int(name), proc)
            if found is not None:
                stats[int(name)] = found
    children = {}
    for pid, (parent, _) in stats.items():
        children.setdefault(parent, []).append(pid)
    total, todo, seen = 0, [root], set()
    while todo:
        pid = todo.pop()
        if pid in seen or pid not in stats:
            continue
        seen.add(pid)
        total += stats[pid][1]
        todo.extend(children.get(pid, ()))
    return total


class CpuMeter:
    """CPU seconds of a process tree as /proc shows them now (see the module's docstring)."""

    def __init__(self, root, proc=PROC):
        self.root, self.proc = root, proc

    def seconds(self):
        return tree_ticks(self.root, self.proc) / TICKS

"""What this machine gives the grader, read from the kernel, never assumed.

A container's limits are not the host's: Gradescope's default tier runs on a host
of many cores with a CPU quota of half a core and a memory limit of 768 MB, and
`os.sched_getaffinity` still lists every core. The quota (cgroup v1
`cpu.cfs_quota_us` / `cpu.cfs_period_us`, v2 `cpu.max`) and the memory limit (v1
`memory.limit_in_bytes`, v2 `memory.max`) are read for this process's own control
group and each group above it, and where a cgroup namespace hides the path, at the
mount's root; the tightest counts.
"""
import math
import os

CGROUP_ROOT = "/sys/fs/cgroup"
# v1 reports "no limit" as a huge page-aligned number rather than a word.
_UNLIMITED_V1 = 1 << 60


def _own_groups(proc_cgroup="/proc/self/cgroup"):
    """{controller or "" (v2): this process's group path} from /proc/self/cgroup."""
    groups = {}
    try:
        with open(proc_cgroup) as f:
            for line in f:
                parts = line.rstrip("\n").split(":", 2)
                if len(parts) == 3:
                    for controller in parts[1].split(",") if parts[1] else [""]:
                        groups[controller.removeprefix("name=")] = parts[2]
    except OSError:
        pass
    return groups


def _candidate_folders(mount, group):
    """The group's folder under `mount` and each ancestor's, then the mount itself."""
    folders, path = [], group.strip("/")
    while path:
        folders.append(os.path.join(mount, path))
        path = os.path.dirname(path)
    folders.append(mount)
    return [f for f in folders if os.path.isdir(f)]


def _read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def _v1_mount(controller, root):
    for name in os.listdir(root) if os.path.isdir(root) else ():
        if controller in name.split(","):
            return os.path.join(root, name)
    return None


def cpu_quota(root=CGROUP_ROOT, proc_cgroup="/proc/self/cgroup"):
    """The CPUs' worth of time this process's groups may use per period (0.5 on
    Gradescope's default tier), or None where no quota is set."""
    groups, quotas = _own_groups(proc_cgroup), []
    if "" in groups and os.path.exists(os.path.join(root, "cgroup.controllers")):
        for folder in _candidate_folders(root, groups[""]):
            fields = (_read(os.path.join(folder, "cpu.max")) or "").split()
            if len(fields) == 2 and fields[0] != "max":
                quotas.append(int(fields[0]) / int(fields[1]))
    mount = _v1_mount("cpu", root)
    if mount:
        for folder in _candidate_folders(mount, groups.get("cpu", "/")):
            quota, period = _read(os.path.join(folder, "cpu.cfs_quota_us")), _read(os.path.join(folder, "cpu.cfs_period_us"))
            if quota and period and int(quota) > 0 and int(period) > 0:
                quotas.append(int(quota) / int(period))
    return min(quotas) if quotas else None


def memory_limit(root=CGROUP_ROOT, proc_cgroup="/proc/self/cgroup"):
    """Bytes this process's groups may hold (768 MB on Gradescope's default tier), or None."""
    groups, limits = _own_groups(proc_cgroup), []
    if "" in groups and os.path.exists(os.path.join(root, "cgroup.controllers")):
        for folder in _candidate_folders(root, groups[""]):
            value = _read(os.path.join(folder, "memory.max"))
            if value and value.isdigit():
                limits.append(int(value))
    mount = _v1_mount("memory", root)
    if mount:
        for folder in _candidate_folders(mount, groups.get("memory", "/")):
            value = _read(os.path.join(folder, "memory.limit_in_bytes"))
            if value and value.isdigit() and int(value) < _UNLIMITED_V1:
                limits.append(int(value))
    return min(limits) if limits else None


def cores(root=CGROUP_ROOT, proc_cgroup="/proc/self/cgroup"):
    """Whole cores this process may keep busy at once: its CPU set, cut to the quota
    (a quota under one core still gives one; how slow it runs is the speed's business)."""
    count = len(os.sched_getaffinity(0))
    quota = cpu_quota(root, proc_cgroup)
    return max(1, min(count, math.floor(quota))) if quota else count

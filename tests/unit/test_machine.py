"""grader/machine.py: the CPU quota and memory limit read from cgroup files, v1 and v2,
as Docker and Gradescope lay them out (fake trees here; the real one is read last)."""
import os

from grader import machine


def tree(tmp_path, files, proc):
    root = tmp_path / "cgroup"
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text + "\n")
    (tmp_path / "proc").write_text(proc)
    return str(root), str(tmp_path / "proc")


def test_v1_docker_half_a_cpu_and_768_mb_at_the_mount_root(tmp_path):
    # Docker with cgroup v1 and no cgroup namespace: /proc says /docker/ID, the mount is the group.
    root, proc = tree(tmp_path, {"cpu,cpuacct/cpu.cfs_quota_us": "50000", "cpu,cpuacct/cpu.cfs_period_us": "100000",
                                 "memory/memory.limit_in_bytes": str(768 << 20)},
                      "4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n")
    assert machine.cpu_quota(root, proc) == 0.5
    assert machine.memory_limit(root, proc) == 768 << 20
    assert machine.cores(root, proc) == 1


def test_v1_unlimited_is_none(tmp_path):
    root, proc = tree(tmp_path, {"cpu/cpu.cfs_quota_us": "-1", "cpu/cpu.cfs_period_us": "100000",
                                 "memory/memory.limit_in_bytes": "9223372036854771712"}, "2:cpu:/\n1:memory:/\n")
    assert machine.cpu_quota(root, proc) is None and machine.memory_limit(root, proc) is None
    assert machine.cores(root, proc) == len(os.sched_getaffinity(0))


def test_v2_the_tightest_of_the_group_and_its_ancestors(tmp_path):
    root, proc = tree(tmp_path, {"cgroup.controllers": "cpu memory",
                                 "grading/cpu.max": "max 100000", "grading/memory.max": "max",
                                 "grading/student/cpu.max": "150000 100000",
                                 "grading/student/memory.max": str(3 << 30)}, "0::/grading/student\n")
    assert machine.cpu_quota(root, proc) == 1.5
    assert machine.memory_limit(root, proc) == 3 << 30
    assert machine.cores(root, proc) == 1  # 1.5 CPUs keep one core busy, not two


def test_this_machine_reads_without_error():
    quota, limit = machine.cpu_quota(), machine.memory_limit()
    assert quota is None or quota > 0
    assert limit is None or limit > 0
    assert 1 <= machine.cores() <= len(os.sched_getaffinity(0))

"""grader/notebook/cpu_meter.py: the CPU seconds of a process tree, read from /proc."""
import os

from grader.notebook import cpu_meter


def fake_proc(tmp_path, processes):
    """A /proc of {pid: (name, ppid, utime, stime, cutime, cstime)}."""
    for pid, (name, ppid, *ticks) in processes.items():
        folder = tmp_path / str(pid)
        folder.mkdir()
        # pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime ...
        fields = ["S", ppid, pid, pid, 0, -1, 0, 0, 0, 0, 0, *ticks, 20, 0, 1]
        (folder / "stat").write_text(f"{pid} ({name}) " + " ".join(map(str, fields)) + "\n")
    return str(tmp_path)


def test_a_tree_counts_itself_its_descendants_and_their_reaped_children(tmp_path):
    proc = fake_proc(tmp_path, {
        10: ("launcher", 1, 1, 1, 0, 0),
        11: ("python) (x", 10, 100, 20, 30, 0),   # a name with ") (" in it: the fields follow the last ")"
        12: ("child", 11, 5, 5, 0, 0),
        20: ("unrelated", 1, 999, 999, 0, 0),
    })
    assert cpu_meter.tree_ticks(10, proc) == 2 + 150 + 10
    assert cpu_meter.tree_ticks(99, proc) == 0


def test_each_reading_is_afresh(tmp_path):
    # No high-water mark: CPU that left /proc (a child auto-reaped) is not kept to hide what
    # a later cell does; execute.py's limit asks for two readings over it in a row.
    proc = fake_proc(tmp_path, {10: ("launcher", 1, 0, 0, 0, 0), 11: ("child", 10, 300, 0, 0, 0)})
    meter = cpu_meter.CpuMeter(10, proc)
    assert meter.seconds() == 300 / cpu_meter.TICKS
    (tmp_path / "11" / "stat").unlink()
    os.rmdir(tmp_path / "11")
    assert meter.seconds() == 0


def test_this_process_uses_cpu_by_the_meter():
    meter = cpu_meter.CpuMeter(os.getpid())
    before = meter.seconds()
    total = 0
    while meter.seconds() - before < 0.05:
        total += sum(range(10000))
    assert meter.seconds() > before

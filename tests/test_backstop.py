"""grader/backstop.py: the process that ends a grader stuck where its watchdog thread
cannot run, and writes its results; and that leaves a grading that ends alone."""
import json
import os
import subprocess
import sys
import time

from grader.grade import Backstop
from grader.sandbox.processes import SPARED

SCRIPT = Backstop.SCRIPT
STUCK = ("import subprocess, sys, time\n"
         "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
         "time.sleep(120)\n")


def _children_of(pid):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    return found


def test_a_stuck_grader_and_its_children_are_ended_and_its_results_written(tmp_path):
    grader = subprocess.Popen([sys.executable, "-c", STUCK])
    time.sleep(1.0)  # its child has started
    child = _children_of(grader.pid)
    assert child, "the stand-in grader's child did not start"
    path = tmp_path / "results.json"
    prepared = {"score": 0.0, "output": "ended", "tests": [], "extra_data": {"status": "grader error"}}
    backstop = subprocess.Popen([sys.executable, "-I", "-S", SCRIPT, str(grader.pid), "0.5", str(path),
                                 json.dumps(prepared)], stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert backstop.wait(timeout=20) == 1
        assert grader.wait(timeout=10) == -9
        assert json.loads(path.read_text()) == prepared
        assert not os.path.exists(f"/proc/{child[0]}") or open(f"/proc/{child[0]}/stat").read().split()[2] == "Z"
    finally:
        backstop.stdin.close()
        grader.kill()


def test_a_grading_that_ends_alone_ends_its_backstop_and_writes_nothing(tmp_path):
    path = tmp_path / "results.json"
    began = time.monotonic()
    backstop = Backstop(str(path), 60, began)
    assert backstop.proc.pid in SPARED and backstop.proc.poll() is None
    backstop.stop()
    assert backstop.proc.returncode == 0 and backstop.proc.pid not in SPARED
    assert time.monotonic() - began < 10 and not path.exists()


def test_the_watchdog_says_the_phase_and_the_time_left_on_stderr_until_the_grading_ends(
        tmp_path, monkeypatch, capfd):
    # capfd: the watchdog writes to a copy of the file descriptor stderr had, not to sys.stderr
    import io

    from grader import config
    from grader.grade import Watchdog
    monkeypatch.setattr(config, "PROGRESS_SECONDS", 0.05)
    watchdog = Watchdog(str(tmp_path / "results.json"), io.StringIO(), time.monotonic())
    watchdog.phase = "running the notebook"
    time.sleep(0.3)
    assert watchdog.claim()
    time.sleep(0.15)
    lines = capfd.readouterr().err.splitlines()
    assert lines and all(line.startswith("grader: ") for line in lines)
    assert any("running the notebook, 0 s used, " in line and "s left" in line for line in lines)
    time.sleep(0.2)
    assert capfd.readouterr().err == ""  # nothing after the grading ended
    assert not (tmp_path / "results.json").exists()


def test_the_progress_line_names_the_notebooks_running_cell(tmp_path, monkeypatch):
    import io

    from grader.grade import Watchdog

    class Running:   # a NotebookRun's now() while cell 18 runs
        def now(self):
            return "notebook cell 18 running for 40 s (12 code cells run in all)"
    watchdog = Watchdog(str(tmp_path / "results.json"), io.StringIO(), time.monotonic())
    try:
        watchdog.phase, watchdog.notebook = "running the checks", Running()
        assert watchdog.status().startswith("running the checks; notebook cell 18 running for 40 s")
    finally:
        assert watchdog.claim()


def test_a_notebook_run_says_which_cell_runs_and_for_how_long():
    from grader.notebook.run import NotebookRun
    run = NotebookRun.__new__(NotebookRun)   # only its live record, no kernel
    import nbformat
    run.live = {}
    run.cells = [nbformat.v4.new_markdown_cell("# Tuning")] + [
        nbformat.v4.new_code_cell(f"x = {i}") for i in range(11)] + [
        nbformat.v4.new_code_cell("best_trainer.train()")]
    assert run.now() == ""
    run.live.update(cell=12, since=time.monotonic() - 40, cells=12)
    # Named as the student sees it: the 12th code cell (no run count yet while it runs).
    assert run.now() == "notebook code cell 12 (best_trainer.train()) running for 40 s (12 code cells run in all)"

"""Grade one submission folder: prepare the worker, run the checks, write results."""
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import traceback

import pytest
from utils.download_cifar10 import default_dest  # the reference's (see grader/__init__.py)

from . import config
from . import results as results_mod
from .notebook import read
from .notebook.data import without_test_labels
from .notebook.run import NotebookRun
from .notebook import student_training
from .plugin import GradingPlugin
from .runners import ReferenceRunner, WorkerRunner
from .sandbox import Sandbox, SandboxRefused, become_subreaper, kill_descendants, remove_tree
from .sandbox.processes import SPARED
from .submission import NOTEBOOK, REFERENCE, ROOT, build_workdir, inspect

CHECKS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "checks")
NOT_SUBMITTED = "Not graded: you uploaded the notebook without your layer files (layers/)."


class Backstop:
    """grader/backstop.py, watching this process from outside: if the grading (and its
    Watchdog, a thread) is stuck past `seconds`, it ends this process and writes results."""

    SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "backstop.py")

    def __init__(self, results_path, seconds, start):
        why = (f"Not graded: the grader stopped responding and was ended after {seconds:g} s. This is a "
               "problem of the grader, not of your submission; please tell the course staff.")
        results = results_mod.build([], why, seconds, extra_data={"error": "grader hard limit",
                                                                   "status": "grader error"})
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-S", self.SCRIPT, str(os.getpid()), str(seconds),
             os.path.abspath(results_path) if results_path else "", json.dumps(results)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, close_fds=True)
        SPARED.add(self.proc.pid)

    def stop(self):
        """The grading is ending by itself: the backstop exits on its pipe's EOF."""
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
        SPARED.discard(self.proc.pid)


class Watchdog:
    """The last guarantee of a results.json: past config.GRADING_DEADLINE seconds,
    whatever the grading is stuck in, it writes the results of the checks done
    so far (the others score 0, saying why), kills student code and ends the
    process."""

    def __init__(self, results_path, log, start):
        self.results_path, self.log, self.start = results_path, log, start
        self.plugin = None              # set once the checks start
        self.phase = "preparing the grading"
        self.notebook = None            # the NotebookRun, once it starts
        self.workdir = None             # removed before the process ends, once set
        self._lock = threading.Lock()
        self._fired = False
        self._timer = threading.Timer(config.GRADING_DEADLINE, self._expire)
        self._timer.daemon = True
        self._timer.start()
        # Progress goes to the stderr this process started with: pytest, which runs the checks
        # (and waits for the notebook) in this process, captures fd 2 while it does.
        try:
            self._stderr = os.fdopen(os.dup(sys.stderr.fileno()), "w", buffering=1)
        except (OSError, ValueError, AttributeError):  # no usable stderr: progress is a courtesy
            self._stderr = None
        self._ticker = threading.Thread(target=self._progress, daemon=True)
        self._ticker.start()
        self._backstop = Backstop(results_path, config.GRADING_DEADLINE + config.BACKSTOP_GRACE, start)

    def claim(self):
        """Called before writing the normal results: False if the watchdog already has
        (then this thread must not write; the process is about to end)."""
        with self._lock:
            if self._fired:
                return False
            self._timer.cancel()
            self._fired = True
        self._backstop.stop()
        return True

    def _progress(self):
        """Every PROGRESS_SECONDS, one line on stderr: what the grading is doing, the time
        used and the time left (our own words only; a grading takes minutes)."""
        while not self._fired:
            time.sleep(config.PROGRESS_SECONDS)
            if self._fired:
                return
            line = self.status()
            try:
                print(f"{config.PROGRESS_PREFIX}{line}", file=self._stderr, flush=True)
            except (OSError, ValueError, AttributeError):  # stderr closed: progress is a courtesy
                return

    def status(self):
        """What the grading is doing, the notebook's cell if it runs, the time used and left:
        the grader's own words and numbers only."""
        used = time.monotonic() - self.start
        cell = self.notebook.now() if self.notebook is not None else ""
        return (f"{self.phase}{'; ' + cell if cell else ''}, {used:.0f} s used, "
                f"{config.GRADING_DEADLINE - used:.0f} s left before the grader's own time limit")

    def _expire(self):
        with self._lock:
            if self._fired:
                return
            self._fired = True
        kill_descendants()
        why = (f"Not graded: the grader stopped at its overall time limit of {config.GRADING_DEADLINE:g} s "
               f"while {self.phase}. This limit is for the grader itself, not your code's time "
               "(your code has limits of its own, which say so when hit); please tell the course staff.")
        checks = (self.plugin.results + self.plugin.unfinished(why)) if self.plugin else []
        results = results_mod.build(checks, why, time.monotonic() - self.start,
                                    extra_data={"error": "grader time limit", "status": "grader error"})
        try:
            self.log.write(f"--- watchdog: {why}\n")
            self.log.flush()
        except Exception:
            pass
        if self.workdir:
            remove_tree(self.workdir, seconds=20)
        if self.results_path:  # last, as always
            results_mod.write(results, self.results_path)
        os._exit(1)  # upload.EXIT["grader error"]


def run_checks(student, reference, run_notebook, log, skip_notebook=False, watchdog=None,
               layers_not_submitted=False):
    """Run every hidden check; returns (list of plugin.CheckResult, the NotebookResult or None).

    pytest runs on our checks folder only, with no conftest, ini file or
    plugin from anywhere else; its own output goes to `log`.
    layers_not_submitted: every check but the notebook's scores 0, saying why.
    """
    plugin = GradingPlugin(student, reference, run_notebook,
                           not_submitted=NOT_SUBMITTED if layers_not_submitted else "")
    if watchdog is not None:
        watchdog.plugin, watchdog.phase = plugin, "running the checks"
    args = [CHECKS_DIR, "--rootdir", CHECKS_DIR, "-c", os.devnull, "--noconftest",
            "-p", "no:cacheprovider", "-q", "-o", "addopts="]
    if skip_notebook:
        args += ["--ignore", os.path.join(CHECKS_DIR, "test_notebook.py")]
    # Only our plugin: none that happens to be installed, none a submission names.
    # pytest reads this switch from the environment alone; it is set for the call.
    with contextlib.redirect_stdout(io.StringIO()) as out, _environment(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1"):
        code = pytest.main(args, plugins=[plugin])
    log.write(out.getvalue())
    if plugin.sandbox_broken:
        raise SandboxRefused(plugin.sandbox_broken)
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) or not plugin.results:
        raise RuntimeError(f"pytest could not run the checks (exit code {int(code)}):\n"
                           f"{out.getvalue()[-3000:]}")
    return plugin.results, plugin.notebook_result


@contextlib.contextmanager
def _environment(**values):
    """Set environment variables for the duration of a `with`, then restore them."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _cell_timing(notebook):
    """{"cell N": seconds} of the executed notebook, and the extractions' total."""
    execution = notebook.execution
    if execution is None:
        return {}
    cells = execution.notebook.cells
    return {read.cell_name(cells, index): seconds for index, seconds in execution.cell_seconds.items()}


def _tail(path, limit):
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - limit))
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def cifar10_dir():
    """The real CIFAR-10 folder: $CIFAR10_DIR, else `make data`'s data/, else the course's path."""
    if os.environ.get("CIFAR10_DIR"):
        return os.environ["CIFAR10_DIR"]
    ours = os.path.join(ROOT, "data", "cifar-10-batches-py")
    return ours if os.path.isdir(ours) else default_dest()


def _hidden(real_data):
    """Paths student code must not be able to read: the probe checks each."""
    return [ROOT, os.path.join(ROOT, "grader", "checks"), os.path.join(REFERENCE, "layers", "linear.py"),
            real_data, os.path.join(real_data, "test_batch")]


def _run_sandboxed(sub, workdir, log, skip_notebook, extra, watchdog, notebook_only=False, cores=None):
    """Claim the sandbox in `workdir`, lay it out, run the checks; returns (checks, NotebookResult or None)."""
    real_data = cifar10_dir()
    timing = extra.setdefault("timing", {})
    began = time.monotonic()
    sandbox = Sandbox.claim(workdir, hidden=_hidden(real_data))
    timing["sandbox (claim and probe)"] = time.monotonic() - began
    extra["sandbox"] = {**sandbox.describe(), "off": sandbox.layers.off()}
    worker_log = open(os.path.join(sandbox.private, "worker.log"), "ab")
    student = pending = None
    try:
        log.write(f"--- sandbox: {json.dumps(sandbox.describe())}\n")
        began = time.monotonic()
        worker_main = build_workdir(sub, sandbox)
        without_test_labels(real_data, sandbox.data_dir)
        sandbox.give_home()
        timing["student folder and data"] = time.monotonic() - began
        student = WorkerRunner(sandbox, worker_main, worker_log)
        notebook_path = os.path.join(sub.root, NOTEBOOK) if NOTEBOOK in sub.used else None
        # The notebook starts now, in a thread of its own: it runs while the layer checks do.
        pending = None if skip_notebook else NotebookRun(notebook_path, sandbox, worker_log, real_data, cores)
        watchdog.notebook = pending
        if pending is not None:
            # The worker runs student code in the folder the kernel starts in: not before the
            # kernel is up (a few seconds), so nothing it plants there runs at the kernel's start.
            watchdog.phase = "starting the notebook's kernel"
            began = time.monotonic()
            if not pending.kernel_started.wait(config.KERNEL_START_WAIT):
                raise RuntimeError("the notebook's kernel neither started nor failed in time")
            timing["waiting for the kernel to start"] = time.monotonic() - began

        def notebook(layers_failed):
            watchdog.phase = "running the notebook"
            timing["layer checks"] = time.monotonic() - checks_began
            began = time.monotonic()
            try:
                return pending.finish(layers_failed, student_training=lambda hyperparams:
                                      student_training.attempt(student, ReferenceRunner(), hyperparams))
            finally:
                timing["waiting for the notebook"] = time.monotonic() - began
                watchdog.phase = "running the checks"
        checks_began = time.monotonic()
        found = run_checks(student, ReferenceRunner(), notebook, log, skip_notebook, watchdog,
                           layers_not_submitted=notebook_only)
        timing["checks"] = time.monotonic() - checks_began
        return found
    finally:
        if student is not None:
            student.close()
        leftovers = kill_descendants()
        if pending is not None:
            pending.stop()
        outcome = sandbox.close()
        worker_log.close()
        log.write(f"--- processes left behind by student code, killed: {leftovers}; "
                  f"sandbox clean-up: {outcome}\n")
        log.write("--- worker and kernel output (student prints, last 64 KB) ---\n")
        log.write(_tail(os.path.join(sandbox.private, "worker.log"), 64 * 1024) + "\n")


def grade(submission_path, results_path=None, log=None, skip_notebook=False, notebook_only=False,
          notes=(), cores=None):
    """Grade the folder `submission_path`; return the results dict (and write it if asked).

    skip_notebook: run the layer checks only, not the notebook's.
    notebook_only: the notebook was uploaded without layer files (grader/upload.py):
    it runs on the reference's layers, and the layer checks score 0.
    notes: sentences for the student put before the output (what the intake did).
    cores: how many cores this grading may use (a batch's share; default all of its CPU set).

    Whatever happens, a valid results dict comes back and is written last, by
    this process: a grader failure scores 0 with a message rather than leaving
    no results, and nothing student code wrote survives.
    """
    log = log or io.StringIO()
    start = time.monotonic()
    become_subreaper()
    watchdog = Watchdog(results_path, log, start)
    try:
        if not os.path.isdir(submission_path):
            raise FileNotFoundError(f"submission folder not found: {submission_path}")
        sub = inspect(submission_path, notebook_only=notebook_only)
        extra = {"used": sub.used, "missing": sub.missing, "ignored": sub.ignored,
                 "notebook_only": bool(notebook_only)}
        if not sub.used:
            extra["status"] = "nothing to grade"  # graded all the same: the output lists what is missing
        workdir = watchdog.workdir = tempfile.mkdtemp(prefix="grader-")
        try:
            checks, notebook = _run_sandboxed(sub, workdir, log, skip_notebook, extra, watchdog,
                                              notebook_only, cores)
        finally:
            watchdog.phase = "cleaning up after student code"
            if not remove_tree(workdir):  # the grading stands; the folder is the machine's problem
                log.write(f"--- could not remove {workdir} within {config.REMOVE_SECONDS} s: "
                          "remove it by hand\n")
        output = "\n".join(list(notes) + [sub.summary()])
        if os.geteuid() != 0 and extra["sandbox"]["off"]:
            output += "\nNot run as root, so some protections were off: " + "; ".join(extra["sandbox"]["off"]) + "."
        if notebook is not None:
            extra["notebook"] = {"accuracy": notebook.accuracy, "claims": notebook.claims,
                                 "integrity": notebook.integrity(), "retrain": notebook.retrain,
                                 "over_budget": notebook.advice is not None and not notebook.advice.fits,
                                 "stopped_by_grader": bool(notebook.stopped_by_grader),
                                 "timing": {**notebook.timing, **_cell_timing(notebook)}}
            verdict = getattr(notebook, "verdict", None)
            if verdict is not None and verdict.grader_fault:
                # Scored without 6.3-6.5 rather than for or against the student: the staff regrade.
                extra["status"], extra["error"] = "grader error", verdict.why_not
            if notebook.integrity():
                output += "\nNote: " + "; ".join(notebook.integrity()) + "."
        results = results_mod.build(checks, output, time.monotonic() - start, extra_data=extra)
    except SandboxRefused as exc:
        log.write(traceback.format_exc())
        message = (f"The autograder is misconfigured, so your submission was not run (this is not "
                   f"a problem with your submission; please tell the course staff). For the "
                   f"instructor: {exc}")
        results = results_mod.build([], message, time.monotonic() - start,
                                    extra_data={"error": f"sandbox refused: {exc}", "status": "misconfigured"})
    except Exception as exc:
        log.write(traceback.format_exc())
        results = results_mod.build([], f"The grader could not grade this submission: {exc}",
                                    time.monotonic() - start, extra_data={"error": str(exc),
                                                                          "status": "grader error"})
    if not watchdog.claim():
        threading.Event().wait()  # the watchdog is writing the results and ending the process
    if results_path:
        results_mod.write(results, results_path)
    return results

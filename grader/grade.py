"""Grade one submission folder: prepare the worker, run the checks, write results."""
import contextlib
import io
import os
import tempfile
import time
import traceback

import pytest
from utils.download_cifar10 import default_dest  # the reference's (see grader/__init__.py)

from . import results as results_mod
from . import sandbox
from .notebook.data import without_test_labels
from .notebook.execute import sandbox_kernel
from .notebook.run import run as run_notebook
from .plugin import GradingPlugin
from .runners import ReferenceRunner, WorkerRunner, worker_env
from .submission import NOTEBOOK, ROOT, build_workdir, inspect

CHECKS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "checks")


def run_checks(student, reference, run_notebook, log, skip_notebook=False):
    """Run every hidden check; returns (list of plugin.CheckResult, the NotebookResult or None).

    pytest runs on our checks folder only, with no conftest, ini file or
    plugin from anywhere else; its own output goes to `log`.
    """
    plugin = GradingPlugin(student, reference, run_notebook)
    # Only our plugin: none that happens to be installed, none a submission names.
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    args = [CHECKS_DIR, "--rootdir", CHECKS_DIR, "-c", os.devnull, "--noconftest",
            "-p", "no:cacheprovider", "-q", "-o", "addopts="]
    if skip_notebook:
        args += ["--ignore", os.path.join(CHECKS_DIR, "test_notebook.py")]
    with contextlib.redirect_stdout(io.StringIO()) as out:
        code = pytest.main(args, plugins=[plugin])
    log.write(out.getvalue())
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) or not plugin.results:
        raise RuntimeError(f"pytest could not run the checks (exit code {int(code)}):\n"
                           f"{out.getvalue()[-3000:]}")
    return plugin.results, plugin.notebook_result


def _tail(path, limit=4000):
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


def _run_sandboxed(sub, workdir, log, skip_notebook):
    """Lay out the sandbox in `workdir` and run the checks; returns (checks, NotebookResult or None)."""
    sub_dir, worker_main = build_workdir(sub, workdir)
    real_data = cifar10_dir()
    os.environ["CIFAR10_DIR"] = real_data  # for the grader's own accuracy measurements
    data_dir = without_test_labels(real_data, os.path.join(workdir, "cifar-10-batches-py"))
    sandbox.prepare(workdir, sub_dir, real_data)
    env = worker_env(sub_dir, CIFAR10_DIR=data_dir)
    worker_log = os.path.join(workdir, "worker.log")
    student = WorkerRunner(sub_dir, worker_log, worker_main, env=env)
    notebook_path = os.path.join(sub.root, NOTEBOOK) if NOTEBOOK in sub.used else None

    def launch(copies=()):
        return sandbox.launcher(sandbox.sandbox_user(), sandbox.limits(), copies)

    try:
        with open(worker_log, "ab") as kernel_log:
            def notebook():
                km = sandbox_kernel(os.path.join(workdir, "kernels"), launch,
                                    os.path.join(sub_dir, ".kernel-connection.json"))
                return run_notebook(notebook_path, sub_dir, env, kernel_log, km=km)
            return run_checks(student, ReferenceRunner(), notebook, log, skip_notebook)
    finally:
        student.close()
        leftovers = sandbox.kill_descendants()
        if sandbox.why_no_user:
            log.write(f"--- sandbox: no user switch: {sandbox.why_no_user[0]}\n")
        log.write(f"--- processes left behind by student code, killed: {leftovers}\n")
        log.write("--- worker and kernel output (student prints, last 4000 bytes) ---\n")
        log.write(_tail(worker_log) + "\n")


def grade(submission_path, results_path=None, log=None, skip_notebook=False):
    """Grade the folder `submission_path`; return the results dict (and write it if asked).

    skip_notebook: run the layer checks only, not the notebook's.

    Whatever happens, a valid results dict comes back and is written last, by
    this process: a grader failure scores 0 with a message rather than leaving
    no results, and nothing student code wrote survives.
    """
    log = log or io.StringIO()
    start = time.monotonic()
    sandbox.become_subreaper()
    try:
        if not os.path.isdir(submission_path):
            raise FileNotFoundError(f"submission folder not found: {submission_path}")
        sub = inspect(submission_path)
        with tempfile.TemporaryDirectory(prefix="grader-") as workdir:
            checks, notebook = _run_sandboxed(sub, workdir, log, skip_notebook)
        output, extra = sub.summary(), {"used": sub.used, "missing": sub.missing,
                                        "ignored": sub.ignored}
        if notebook is not None:
            extra["notebook"] = {"accuracy": notebook.accuracy, "claims": notebook.claims,
                                 "integrity": notebook.integrity()}
            if notebook.integrity():
                output += "\nNote: " + "; ".join(notebook.integrity()) + "."
        results = results_mod.build(checks, output, time.monotonic() - start, extra_data=extra)
    except Exception as exc:
        log.write(traceback.format_exc())
        results = results_mod.build([], f"The grader could not grade this submission: {exc}",
                                    time.monotonic() - start, extra_data={"error": str(exc)})
    if results_path:
        results_mod.write(results, results_path)
    return results

"""How long grading takes, how much memory it needs, and how big its environment is.

    python benchmarks/bench_grading.py [--only single,batch,venv] [--layers-batch 8] [--full-batch 2]

(`make bench-grading`; CIFAR-10 must be in $CIFAR10_DIR.) Prints:

ratio   The master notebook executed alone (jupyter nbconvert --execute, the
        reference's layers), then graded (python -m grader), in the same run on
        the whole machine (and graded by --baseline, another checkout, if given):
        wall time, peak memory (tree PSS), the ratio to the notebook alone, and
        the grading's phases from results.json (sandbox, layer checks, kernel
        and each cell, the grader's own training of best_net).
single  One submission (reference layers + the master notebook) graded as on
        Gradescope (python -m gradescope.autograde), pinned to one core (CPU
        affinity of the whole process tree, like Gradescope's default 1 CPU):
        wall time, and peak memory measured two ways:
          - tree PSS: every 0.1 s, the proportional set size of every process
            in the grading's tree (/proc/PID/smaps_rollup) is summed; the peak
            of that sum. Shared pages (numpy, Python) are split between the
            processes sharing them, so the sum is what the tree really uses.
          - largest process: resource.getrusage(RUSAGE_CHILDREN).ru_maxrss,
            the peak RSS of the biggest single process among the descendants
            (Linux reports a max, not a sum).
batch   `python -m grader batch --jobs 2` over copies of the reference: with
        --skip-notebook (layer checks only) and in full; submissions per minute.
venv    The built autograder.zip's setup.sh run for real in a temporary
        /autograder (packages from the index, CIFAR-10 from $CIFAR10_SOURCE or
        $CIFAR10_DIR): its time, `du` of the .venv it made, and a grading with
        that venv to show it works.
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from gradescope import build  # noqa: E402

NOTEBOOK = os.path.join(ROOT, "notebooks", "classification_nn.ipynb")
SAMPLE_SECONDS = 0.1


def reference_submission(dest, notebook=True):
    """A submission folder: the reference's layers/ and utils/, and the master notebook."""
    for folder in ("layers", "utils"):
        shutil.copytree(os.path.join(ROOT, "reference", folder), os.path.join(dest, folder),
                        ignore=shutil.ignore_patterns("__pycache__"))
    if notebook:
        shutil.copy(NOTEBOOK, dest)
    return dest


# --- memory of a process tree ----------------------------------------------

def tree(pid):
    """`pid` and its descendants, via /proc/PID/task/TID/children."""
    pids, i = [pid], 0
    while i < len(pids):
        try:
            for tid in os.listdir(f"/proc/{pids[i]}/task"):
                with open(f"/proc/{pids[i]}/task/{tid}/children") as f:
                    pids += [int(c) for c in f.read().split()]
        except OSError:
            pass  # it ended meanwhile
        i += 1
    return pids


def pss_bytes(pid):
    """Proportional set size of one process (0 if it is gone or unreadable)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class TreeMemory(threading.Thread):
    """Samples the summed PSS of a process tree until the process ends; keeps the peak."""

    def __init__(self, proc):
        super().__init__(daemon=True)
        self.proc, self.peak, self.processes = proc, 0, 0

    def run(self):
        while self.proc.poll() is None:
            pids = tree(self.proc.pid)
            self.peak = max(self.peak, sum(pss_bytes(p) for p in pids))
            self.processes = max(self.processes, len(pids))
            time.sleep(SAMPLE_SECONDS)


def measure(command, core=None, env=None, cwd=ROOT):
    """Run `command`; (wall seconds, peak tree PSS, largest process RSS, most processes at once)."""
    # The child inherits this process's CPU affinity, and its children in turn.
    everywhere = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {core} if core is not None else everywhere)
    start = time.monotonic()
    try:
        proc = subprocess.Popen(command, cwd=cwd, env={**os.environ, **(env or {})},
                                stdout=subprocess.DEVNULL)
    finally:
        os.sched_setaffinity(0, everywhere)
    sampler = TreeMemory(proc)
    sampler.start()
    proc.wait()
    wall = time.monotonic() - start
    sampler.join()
    if proc.returncode:
        raise SystemExit(f"{' '.join(command[:4])} ... failed with status {proc.returncode}")
    largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # kB on Linux
    return wall, sampler.peak, largest, sampler.processes


# --- the notebook alone against its grading ------------------------------------

def run_notebook_alone(folder):
    """jupyter nbconvert --execute of the master notebook in a folder of the reference."""
    jupyter = os.path.join(os.path.dirname(sys.executable), "jupyter")
    return [jupyter, "nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=-1",
            "--output", os.path.join(folder, "executed.ipynb"), os.path.join(folder, "classification_nn.ipynb")]


def bench_ratio(tmp, baseline=None):
    """The master notebook executed alone, then graded (and graded by `baseline`, another
    checkout of the grader, if given), same run, whole machine: wall, peak memory, the
    ratio, and the grading's phases (results.json's extra_data.timing)."""
    folder = reference_submission(os.path.join(tmp, "alone"))
    alone = measure(run_notebook_alone(folder), cwd=folder)
    rows = [("notebook alone (nbconvert --execute)", alone, None)]
    graders = [("grading", ROOT)] + ([("grading by the baseline", baseline)] if baseline else [])
    for label, checkout in graders:
        submission = reference_submission(os.path.join(tmp, label.replace(" ", "-")))
        results_path = os.path.join(tmp, label.replace(" ", "-") + ".json")
        numbers = measure([sys.executable, "-m", "grader", submission, "--results", results_path],
                          cwd=checkout)
        with open(results_path) as f:
            results = json.load(f)
        rows.append((label, numbers, results))
    print("\nthe master notebook alone and graded, same run, whole machine:")
    for label, (wall, peak, largest, _), results in rows:
        ratio = wall / alone[0]
        score = f", score {results['score']:g}" if results else ""
        print(f"  {label:38s} {wall:6.1f} s wall ({ratio:.2f}x the notebook alone), peak "
              f"{peak / 2**20:.0f} MiB tree PSS, largest process {largest / 2**20:.0f} MiB{score}")
    for label, _, results in rows[1:]:
        extra = results.get("extra_data", {})
        phases = {**extra.get("timing", {}), **(extra.get("notebook", {}).get("timing", {}))}
        if phases:
            print(f"  phases of the {label} (s): " + ", ".join(f"{k} {v:.1f}" for k, v in phases.items()))
    return {label: {"wall_s": n[0], "peak_tree_pss_mib": n[1] / 2**20, "ratio": n[0] / alone[0],
                    "timing": (r or {}).get("extra_data", {}).get("timing")} for label, n, r in rows}


# --- the three measurements ----------------------------------------------------

def bench_single(tmp):
    submission = reference_submission(os.path.join(tmp, "single"))
    results = os.path.join(tmp, "single.json")
    wall, peak, largest, processes = measure(
        [sys.executable, "-m", "gradescope.autograde", submission, "--results", results], core=0)
    with open(results) as f:
        score = json.load(f)["score"]
    print(f"single submission, one core: {wall:.1f} s wall, score {score:g}; peak memory "
          f"{peak / 2**20:.0f} MiB (tree PSS, {processes} processes at most), "
          f"largest process {largest / 2**20:.0f} MiB RSS")
    return {"wall_s": wall, "peak_tree_pss_mib": peak / 2**20, "largest_rss_mib": largest / 2**20}


def bench_batch(tmp, count, full):
    if not count:
        return None
    subs = os.path.join(tmp, f"class-{'full' if full else 'layers'}")
    for i in range(count):
        reference_submission(os.path.join(subs, f"student{i:02d}"), notebook=full)
    command = [sys.executable, "-m", "grader", "batch", subs, "--out", subs + "-out", "--jobs", "2"]
    if not full:
        command.append("--skip-notebook")
    wall, peak, _, _ = measure(command)
    rate = count / wall * 60
    kind = "full (notebook included)" if full else "layer checks only"
    print(f"batch, {kind}, 2 jobs: {count} submissions in {wall:.1f} s = {rate:.1f} per minute; "
          f"peak memory {peak / 2**20:.0f} MiB")
    return {"submissions": count, "wall_s": wall, "per_minute": rate, "peak_tree_pss_mib": peak / 2**20}


def _cifar10_source():
    return os.environ.get("CIFAR10_SOURCE") or os.environ.get("CIFAR10_DIR")


def bench_venv(tmp):
    """Run setup.sh of a freshly built zip in tmp/autograder; size of the venv it makes."""
    root = os.path.join(tmp, "autograder")
    source = os.path.join(root, "source")
    archive = os.path.join(tmp, "autograder.zip")
    build.build(archive)
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            os.chmod(zf.extract(info, source), (info.external_attr >> 16) & 0o777)
    start = time.monotonic()
    env = {**os.environ, "CIFAR10_SOURCE": _cifar10_source() or ""}
    subprocess.run(["bash", os.path.join(source, "setup.sh")], cwd=source, env=env, check=True)
    setup_s = time.monotonic() - start
    venv = os.path.join(source, ".venv")
    size = int(subprocess.run(["du", "-sb", venv], capture_output=True, text=True,
                              check=True).stdout.split()[0])
    human = subprocess.run(["du", "-sh", venv], capture_output=True, text=True, check=True).stdout.split()[0]
    print(f"fresh autograder venv: {human} (du -sh; {size / 1e6:.0f} MB), setup.sh took {setup_s:.0f} s "
          "(leading peer's environment: 666 MB)")
    # The fresh venv grades: run_autograder with its defaults, on the reference layers.
    shutil.copy(os.path.join(source, "run_autograder"), root)
    reference_submission(os.path.join(root, "submission"), notebook=False)
    env = {k: v for k, v in os.environ.items() if k not in ("AUTOGRADER_PYTHON", "CIFAR10_DIR")}
    subprocess.run([os.path.join(root, "run_autograder")], cwd=root, check=True, capture_output=True,
                   env={**env, "AUTOGRADER_ROOT": root, "GRADER_SKIP_NOTEBOOK": "1"})
    with open(os.path.join(root, "results", "results.json")) as f:
        score = json.load(f)["score"]
    print(f"  graded with it (layer checks): score {score:g}")
    return {"venv_bytes": size, "venv_du_h": human, "setup_s": setup_s, "smoke_score": score}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="ratio,single,batch,venv",
                        help="comma-separated: ratio,single,batch,venv")
    parser.add_argument("--baseline", help="another checkout of the grader to time in the same run "
                                           "(e.g. a git worktree of an earlier commit), for 'ratio'")
    parser.add_argument("--layers-batch", type=int, default=8, help="submissions in the layer-only batch")
    parser.add_argument("--full-batch", type=int, default=2, help="submissions in the full batch (0: skip)")
    parser.add_argument("--json", help="also write the numbers here")
    args = parser.parse_args(argv)
    parts = set(args.only.split(","))
    numbers = {"cpus": len(os.sched_getaffinity(0)), "load_before": os.getloadavg()[0]}
    print(f"{numbers['cpus']} cores available, load average {numbers['load_before']:.2f}")
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        os.chmod(tmp, 0o711)  # the grader's sandbox user must pass through
        if "single" in parts:  # first: RUSAGE_CHILDREN must see this grading alone
            numbers["single"] = bench_single(tmp)
        if "ratio" in parts:
            numbers["ratio"] = bench_ratio(tmp, args.baseline)
        if "batch" in parts:
            numbers["batch_layers"] = bench_batch(tmp, args.layers_batch, full=False)
            numbers["batch_full"] = bench_batch(tmp, args.full_batch, full=True)
        if "venv" in parts:
            numbers["venv"] = bench_venv(tmp)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(numbers, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())

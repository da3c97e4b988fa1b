"""python scripts/grade_under_load.py [--only NAME,...] [--conditions quiet,load,quota]

The same submissions graded on this machine as it is, under a load that keeps
every core busy (one spinning process per core, as `stress --cpu N` does), and
inside a control group whose CPU quota is one core (what `docker run --cpus 1`
sets; root only, cgroup v1 or v2): the scores must not move (issue 20).

The submissions: the reference (its layers and utils with the master notebook)
and real-pattern notebooks from tests/realistic/notebooks.py (by default a search
left in, a transposed dw beside a good notebook, the three-cell best_net layout).
Each condition grades them one after another. Prints each grading's score, its
notebook checks and wall time, and the load average when it ended; exit status 1
if any score differs between conditions. About 10 minutes a condition.
"""
import argparse
import json
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "reference")]
from tests.grading import copy_reference, run_grader  # noqa: E402
from tests.realistic.notebooks import BY_NAME  # noqa: E402
from tests.realistic.report import build  # noqa: E402

REAL_PATTERNS = ("grid_search_left_in", "transposed_dw_good_notebook", "three_cell_best_net")
CONDITIONS = ("quiet", "load", "quota")
QUOTA_CORES = 1


def reference_submission(folder):
    submission = folder / "submission"
    copy_reference(submission)
    shutil.copy(ROOT / "notebooks" / "classification_nn.ipynb", submission)
    return submission


def spin():
    while True:
        pass


class Load:
    """One spinning process per core this process may use, for the `with` block."""

    def __enter__(self):
        self.procs = [multiprocessing.Process(target=spin, daemon=True)
                      for _ in range(len(os.sched_getaffinity(0)))]
        for proc in self.procs:
            proc.start()
        return self

    def __exit__(self, *exc):
        for proc in self.procs:
            proc.kill()
            proc.join()


def quota_group(cores):
    """A control group limited to `cores` CPUs: (path of its cgroup.procs, remove()), or
    (None, why not)."""
    name = f"grade-under-load-{os.getpid()}"
    v1 = Path("/sys/fs/cgroup/cpu")
    v2 = Path("/sys/fs/cgroup")
    period = 100_000
    try:
        if (v1 / "cpu.cfs_quota_us").exists():
            group = v1 / name
            group.mkdir()
            (group / "cpu.cfs_period_us").write_text(str(period))
            (group / "cpu.cfs_quota_us").write_text(str(int(cores * period)))
        elif (v2 / "cgroup.controllers").exists():
            group = v2 / name
            group.mkdir()
            (group / "cpu.max").write_text(f"{int(cores * period)} {period}")
        else:
            return None, "no cgroup cpu controller is mounted here"
    except OSError as exc:
        return None, f"a control group could not be made ({exc}; run as root)"
    return group / "cgroup.procs", lambda: group.rmdir()


def grade_in(condition, entries, root, procs_file):
    rows = []
    for name in entries:
        folder = root / condition / name
        folder.mkdir(parents=True)
        if name == "reference":
            submission, env = reference_submission(folder), {}
        else:
            submission, env = build(BY_NAME[name], folder), BY_NAME[name].env
        prefix = ()
        if procs_file is not None:
            # The grader and everything it starts run inside the group, as in a container.
            prefix = ("sh", "-c", f'echo $$ > "{procs_file}" && exec "$0" "$@"')
        start = time.monotonic()
        proc, results = run_grader(submission, folder / "results.json", timeout=1800, env=env, prefix=prefix)
        seconds = time.monotonic() - start
        notebook = {t["number"]: t["score"] for t in (results or {}).get("tests", []) if t["number"].startswith("6.")}
        rows.append({"name": name, "score": results["score"] if results else None, "notebook": notebook,
                     "seconds": seconds, "load": os.getloadavg()[0],
                     "problem": "" if results else f"exit {proc.returncode}: {proc.stderr[-300:]}"})
        print(f"  {condition:6} {name:30} {rows[-1]['score']}  {seconds:.0f} s  load {rows[-1]['load']:.1f}",
              file=sys.stderr, flush=True)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python scripts/grade_under_load.py", description=__doc__.split("\n")[2])
    parser.add_argument("--only", help="comma-separated: reference and/or tests/realistic entry names")
    parser.add_argument("--conditions", default=",".join(CONDITIONS))
    args = parser.parse_args(argv)
    entries = args.only.split(",") if args.only else ["reference", *REAL_PATTERNS]
    conditions = args.conditions.split(",")
    root = Path(tempfile.mkdtemp(prefix="grade-under-load-"))
    graded, skipped = {}, {}
    for condition in conditions:
        if condition == "quiet":
            graded[condition] = grade_in(condition, entries, root, None)
        elif condition == "load":
            with Load():
                graded[condition] = grade_in(condition, entries, root, None)
        elif condition == "quota":
            procs_file, remove = quota_group(QUOTA_CORES)
            if procs_file is None:
                skipped[condition] = remove
                continue
            try:
                graded[condition] = grade_in(condition, entries, root, procs_file)
            finally:
                remove()
        else:
            parser.error(f"unknown condition {condition!r}")
    done = [c for c in conditions if c in graded]
    header = ["submission", *[f"{c} (score, 6.x, wall s, load)" for c in done]]
    print("  |  ".join(header))
    differ = False
    for i, name in enumerate(entries):
        cells = []
        for condition in done:
            row = graded[condition][i]
            notebook = " ".join(f"{v:g}" for _, v in sorted(row["notebook"].items()))
            cells.append(f"{row['score']}  [{notebook}]  {row['seconds']:.0f} s  {row['load']:.1f}"
                         + (f"  {row['problem']}" if row["problem"] else ""))
        scores = {json.dumps([graded[c][i]["score"], graded[c][i]["notebook"]], sort_keys=True) for c in done}
        differ |= len(scores) > 1
        print("  |  ".join([name, *cells]) + ("" if len(scores) == 1 else "   <- DIFFERS"))
    for condition, why in skipped.items():
        print(f"{condition}: skipped, {why}")
    if "quota" in graded:
        print(f"quota: a control group of {QUOTA_CORES} CPU ({'cgroup v1' if Path('/sys/fs/cgroup/cpu/cpu.cfs_quota_us').exists() else 'cgroup v2'})")
    print(f"cores here: {len(os.sched_getaffinity(0))}; results under {root}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())

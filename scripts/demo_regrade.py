"""python scripts/demo_regrade.py DEST: a class graded, one submission replaced, graded again.

The class of eight from `scripts/demo_class.py --small` (the reference, a weak
setting, two one-bug students, the untouched template, a notebook uploaded alone,
a zip and a broken zip) in DEST/class, graded into DEST/out by

    python -m grader batch DEST/class --out DEST/out

then: one student (bug1) replaces the submission with a fixed one, and the same
command grades only that student; `--only ref_ada` grades ref_ada again; `--force`
grades everyone again. After each run it prints the batch's own summary line and
which students' results.json were written by that run (their grading's start time
in the results changes), with the scores. About 25 minutes on two cores.
"""
import csv
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from scripts.demo_class import make_small_class  # noqa: E402

REPLACED = "bug1_linear_db_never_set"


def stamps(out):
    """student -> (results.json's inode and mtime, total) for each graded student."""
    seen = {}
    for name in sorted(os.listdir(out)):
        path = os.path.join(out, name, "results.json")
        if os.path.isfile(path):
            st = os.stat(path)
            seen[name] = (st.st_ino, st.st_mtime_ns)
    return seen


def totals(out):
    with open(os.path.join(out, "gradebook.csv"), newline="") as f:
        rows = list(csv.reader(f))
    return {row[0]: row[4] for row in rows[1:]}


def batch(klass, out, *extra):
    command = [sys.executable, "-m", "grader", "batch", klass, "--out", out, "--timeout", "600", *extra]
    print(f"\n$ python -m grader batch class --out out {' '.join(extra)}".rstrip())
    before = stamps(out) if os.path.isdir(out) else {}
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    lines = proc.stderr.splitlines()
    print("  " + next((l for l in lines if " submissions: " in l), "(no summary line)"))
    running = [l for l in lines if "] grading " in l]
    if running:  # the batch's progress on the gradings running (every PROGRESS_SECONDS)
        print(f"  ({len(running)} progress lines on running gradings, e.g.)")
        for line in running[len(running) // 2:len(running) // 2 + 2]:
            print("    " + line)
    print("  " + (lines[-1] if lines else "") + f"   (exit {proc.returncode})")
    after, scores = stamps(out), totals(out)
    regraded = [s for s in after if before.get(s) != after[s]]
    print(f"  results written this run: {', '.join(regraded) or 'none'}")
    print("  totals: " + ", ".join(f"{s} {scores.get(s, '-')}" for s in sorted(after)))
    return regraded


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print(__doc__.split("\n\n")[0], file=sys.stderr)
        return 2
    dest = os.path.abspath(argv[0])
    shutil.rmtree(dest, ignore_errors=True)
    klass, out = os.path.join(dest, "class"), os.path.join(dest, "out")
    names = make_small_class(klass)
    print(f"{len(names)} submissions: {', '.join(names)}")
    first = batch(klass, out)
    # bug1 hands in again, its Linear fixed: the reference's layers.
    shutil.copy(os.path.join(ROOT, "reference", "layers", "linear.py"),
                os.path.join(klass, REPLACED, "layers", "linear.py"))
    print(f"\n{REPLACED} replaced its layers/linear.py (a fixed one)")
    again = batch(klass, out)
    only = batch(klass, out, "--only", "ref_ada")
    force = batch(klass, out, "--force")
    everyone = sorted(n[:-4] if n.endswith(".zip") else n for n in names)
    ok = first == everyone and again == [REPLACED] and only == ["ref_ada"] and force == everyone
    print("\n" + ("as expected" if ok else "NOT as expected") +
          f": all {len(names)} graded (the broken zip too: its results say why it scores 0), "
          "then only the replaced one, then only --only's, then all again with --force")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Hostile submissions in a class, graded two at a time beside a correct one.

`python -m grader batch --jobs 2` on a class of three: a correct submission
with the master notebook (it must score 100), a notebook that hunts for its
classmates' kernels, keys and layer files while they run (tests/hostile's
reads_classmates), and layer code that plants links where the old grader, as
root, copied the kernel's key (plants_links_where_the_grader_looks). The two
attackers must score what their correct parts deserve, and reach nothing.
"""
import csv
import os
import shutil
import site
import subprocess
import sys
import tempfile

import pytest

from grading import ROOT, copy_reference
from tests.hostile.attacks import BY_NAME, Context, build

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox's user switch needs root")]


def _attack(name, folder):
    attack = BY_NAME[name]
    ctx = Context(name=name, marker=f"hostile-batch-{name}", base=str(folder), tmp=str(folder),
                  cifar10=os.environ.get("CIFAR10_DIR", ""))
    build(attack, ctx)
    shutil.move(ctx.submission, str(folder) + ".tmp")
    shutil.rmtree(folder)
    shutil.move(str(folder) + ".tmp", folder)
    return attack


def test_attackers_in_a_batch_reach_nothing_and_a_classmate_scores_100(tmp_path):
    klass = tmp_path / "class"
    klass.mkdir()
    alice = copy_reference(klass / "alice")
    shutil.copy(os.path.join(ROOT, "notebooks", "classification_nn.ipynb"), alice)
    _attack("reads_classmates", klass / "mallory")
    _attack("plants_links_where_the_grader_looks", klass / "trudy")
    scratch = tempfile.mkdtemp(prefix="batch-hostile-")
    os.chmod(scratch, 0o711)
    out = tmp_path / "out"
    try:
        proc = subprocess.run([sys.executable, "-m", "grader", "batch", str(klass), "--out", str(out),
                               "--jobs", "2"], cwd=ROOT, capture_output=True, text=True, timeout=1500,
                              env={**os.environ, "TMPDIR": scratch})
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    with open(out / "gradebook.csv") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    total = next(key for key in rows["alice"] if key.startswith("total"))
    assert float(rows["alice"][total]) == 100, (out / "alice" / "feedback.txt").read_text()
    # What each attacker's correct parts deserve: the weak notebook's network loses
    # 6.3 and 6.4 (20 points); trudy's bias bug loses 1.1, 5.1 and 5.2 (20 points).
    assert float(rows["mallory"][total]) == 80, (out / "mallory" / "feedback.txt").read_text()
    assert float(rows["trudy"][total]) == 60, (out / "trudy" / "feedback.txt").read_text()
    log = (out / "mallory" / "grader.log").read_text(errors="replace")
    reached = [line for line in log.splitlines()
               if line.startswith("ATTACK_EVIDENCE classmates: ") and (" read " in line or " sent " in line)]
    assert not reached, reached
    assert "ATTACK_EVIDENCE background: looked" in log, "the hunt did not run"
    for folder in site.getsitepackages():
        assert not os.path.lexists(os.path.join(folder, "zz_hostile_root.pth"))

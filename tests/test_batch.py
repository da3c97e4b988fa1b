"""python -m grader batch: a class graded into a gradebook, time limits, resuming.

One class of about forty generated submissions (reference copies, the
template, every single-bug entry of the corpus that loses points, a zip, a
broken folder, a file that is not a zip, one that hangs) is graded once with --skip-notebook; the tests read what
it wrote. Smaller classes check resuming after deleted results and after a
SIGTERM. The number of gradings is counted independently of the batch: it
runs through a wrapper interpreter that logs each start.
"""
import csv
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter

import pytest

from gradescope_schema import validate
from grading import ROOT, copy_reference

from grader.batch import finished
from grader import export
from tests.corpus.bugs import BUGS
from tests.corpus.build import build_submission

TIMEOUT = 15  # seconds per submission; the others take about 3
HANG = "\ndef _hang(self, x):\n    while True:\n        pass\nReLU.forward = _hang\n"
# Every bug of the corpus that costs points: each must cost exactly its own.
BUG_SAMPLE = [bug for bug in BUGS if bug.fails]


@pytest.fixture(scope="module")
def scratch_tmp():
    """TMPDIR for the batches: every grading's folders land here, and must be gone after.
    Made like the system's /tmp, passable for the grader's sandbox user."""
    path = tempfile.mkdtemp(prefix="batch-test-")
    os.chmod(path, 0o711)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def run_batch(submissions, out, *options, python=None, env=None, timeout=300):
    command = [sys.executable, "-m", "grader", "batch", str(submissions), "--out", str(out), *options]
    if python:
        command += ["--python", str(python)]
    return subprocess.run(command, check=False, cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def counting_python(folder):
    """(an interpreter that logs the submission each grading is for, then is this Python; the log)."""
    log = folder / "invocations.txt"
    wrapper = folder / "python"
    # Called as: python -m grader SUBMISSION --cores N --results ...
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$3" >> "{log}"\nexec "{sys.executable}" "$@"\n')
    wrapper.chmod(0o755)
    return wrapper, log


def invocations(log):
    """{student: number of gradings started} from a counting_python log."""
    if not log.exists():
        return Counter()
    return Counter(re.sub(r"\.zip$", "", os.path.basename(line)) for line in log.read_text().split())


def gradebook(out):
    with open(out / "gradebook.csv", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}


def leftovers(folder):
    """Pids of processes whose working folder or command line is under `folder`."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read().decode(errors="replace")
        except OSError:
            continue
        if cwd.startswith(folder) or folder in cmdline:
            found.append(int(pid))
    return found


def zip_folder(folder, archive):
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(folder.rglob("*")):
            zf.write(path, path.relative_to(folder.parent))


# --- one class, graded once -----------------------------------------------

@pytest.fixture(scope="module")
def graded(tmp_path_factory, scratch_tmp):
    """(submissions, out, expectations {student: "full" | "zero" | Bug | "timeout"}, process)."""
    base = tmp_path_factory.mktemp("class")
    subs = base / "submissions"
    subs.mkdir()
    expect = {"ref_alice": "full", "ref_bob": "full", "zip_dave": "full", "template_carol": "zero",
              "broken_erin": "zero", "badzip_frank": "zero", "hang_gina": "timeout"}
    copy_reference(subs / "ref_alice")
    copy_reference(subs / "ref_bob")
    shutil.copytree(os.path.join(ROOT, "student_template"), subs / "template_carol")
    for bug in BUG_SAMPLE:
        build_submission(bug, subs / f"bug_{bug.name}")
        expect[f"bug_{bug.name}"] = bug
    zip_folder(copy_reference(base / "dave" / "hw2"), subs / "zip_dave.zip")
    (subs / "broken_erin" / "layers").mkdir(parents=True)
    for name in ("linear.py", "relu.py", "softmax.py", "loss_func.py"):
        (subs / "broken_erin" / "layers" / name).write_bytes(b"\x00\xff\xfe not python")
    (subs / "badzip_frank.zip").write_bytes(b"PK\x03\x04 but not really a zip")
    copy_reference(subs / "hang_gina")
    with open(subs / "hang_gina" / "layers" / "relu.py", "a") as f:
        f.write(HANG)
    out = base / "out"
    # Each hanging call may take 120 s: only the batch's time limit stops it.
    proc = run_batch(subs, out, "--jobs", "2", "--timeout", str(TIMEOUT), "--skip-notebook",
                     env={"TMPDIR": scratch_tmp, "GRADER_CALL_TIMEOUT": "120"})
    assert proc.returncode == 0, proc.stderr
    return subs, out, expect, proc


def check_columns(out, header):
    """{gradebook column: check id}, read from the results.json files."""
    columns = {}
    for student in os.listdir(out):
        results = finished(out / student)
        for test in (results or {}).get("tests", []):
            label = f"{test['number']} {test['name']} (/{test['max_score']:g})"
            columns[label] = test["extra_data"]["check"]
    assert set(columns) == set(header[5:-2])
    return columns


@pytest.mark.slow
def test_every_submission_gets_results_feedback_and_a_row(graded):
    subs, out, expect, proc = graded
    header, rows = gradebook(out)
    assert sorted(rows) == sorted(expect) and list(rows) == sorted(rows)
    assert header[:4] == ["student", "name", "sid", "email"] and header[4].startswith("total")
    assert header[-2:] == ["wall_time_s", "error"]
    for student in expect:
        results = finished(out / student)
        validate(results)
        assert results["output"] in (out / student / "feedback.txt").read_text()
    assert f"[{len(expect)}/{len(expect)}] 100%" in proc.stderr


@pytest.mark.slow
def test_gradebook_agrees_with_each_results_json(graded):
    subs, out, expect, _ = graded
    header, rows = gradebook(out)
    columns = check_columns(out, header)
    numbers = [column.split()[0] for column in header[5:-2]]
    assert numbers == sorted(numbers, key=lambda n: [int(p) for p in n.split(".")])
    for student, row in rows.items():
        results = finished(out / student)
        assert float(row[header[4]]) == results["score"]
        scores = {t["extra_data"]["check"]: t["score"] for t in results["tests"]}
        for column, check in columns.items():
            assert row[column] == (f"{scores[check]:g}" if check in scores else "")
        assert float(row["wall_time_s"]) == pytest.approx(results["extra_data"]["batch"]["wall_time"], abs=0.06)


@pytest.mark.slow
def test_scores_are_what_each_submission_deserves(graded):
    subs, out, expect, _ = graded
    header, rows = gradebook(out)
    columns = check_columns(out, header)
    top = float(header[4].split("/")[1].rstrip(")"))
    for student, kind in expect.items():
        row = rows[student]
        if kind == "full":
            assert float(row[header[4]]) == top, (student, row)
        elif kind in ("zero", "timeout"):
            assert float(row[header[4]]) == 0, (student, row)
        else:  # a corpus bug: exactly its checks lose points
            lost = {check for column, check in columns.items()
                    if float(row[column]) < float(column.rsplit("/", 1)[1].rstrip(")"))}
            assert lost == kind.fails, student
    assert "not a readable zip" in rows["badzip_frank"]["error"]
    assert "Graded the contents of zip_dave.zip" in finished(out / "zip_dave")["output"]


@pytest.mark.slow
def test_a_hanging_submission_is_killed_at_the_time_limit_and_leaves_nothing(graded, scratch_tmp):
    subs, out, expect, _ = graded
    header, rows = gradebook(out)
    row = rows["hang_gina"]
    assert row["error"] == "time limit"
    assert TIMEOUT <= float(row["wall_time_s"]) < TIMEOUT + 10
    assert "time limit" in (out / "hang_gina" / "feedback.txt").read_text()
    assert not leftovers(scratch_tmp), "a grading's processes survived the batch"
    assert not os.listdir(scratch_tmp), "a grading's temporary folder was left behind"


@pytest.mark.slow
def test_rerun_grades_nothing_and_rewrites_the_same_gradebook(graded, tmp_path):
    subs, out, expect, _ = graded
    before = (out / "gradebook.csv").read_bytes()
    stamps = {s: os.stat(out / s / "results.json").st_mtime_ns for s in expect}
    wrapper, log = counting_python(tmp_path)
    proc = run_batch(subs, out, "--skip-notebook", python=wrapper)
    assert proc.returncode == 0, proc.stderr
    assert not invocations(log)
    assert (out / "gradebook.csv").read_bytes() == before
    assert stamps == {s: os.stat(out / s / "results.json").st_mtime_ns for s in expect}


# --- resuming ---------------------------------------------------------------

@pytest.fixture
def small_class(tmp_path):
    subs = tmp_path / "submissions"
    for name in ("s1", "s2", "s3", "s4", "s5"):
        copy_reference(subs / name)
    return subs


def test_deleted_results_are_graded_again_and_only_they(small_class, tmp_path, scratch_tmp):
    wrapper, log = counting_python(tmp_path)
    out = tmp_path / "out"
    env = {"TMPDIR": scratch_tmp}
    assert run_batch(small_class, out, "--skip-notebook", python=wrapper, env=env).returncode == 0
    assert invocations(log) == Counter({s: 1 for s in ("s1", "s2", "s3", "s4", "s5")})
    (out / "s2" / "results.json").unlink()
    (out / "s4" / "results.json").write_text('{"score": 60')  # torn by hand: not complete
    stamp = os.stat(out / "s1" / "results.json").st_mtime_ns
    proc = run_batch(small_class, out, "--skip-notebook", python=wrapper, env=env)
    assert proc.returncode == 0, proc.stderr
    assert invocations(log) == Counter({"s1": 1, "s2": 2, "s3": 1, "s4": 2, "s5": 1})
    assert os.stat(out / "s1" / "results.json").st_mtime_ns == stamp
    assert len(gradebook(out)[1]) == 5


@pytest.mark.slow
def test_sigterm_midway_keeps_what_finished_and_resume_grades_the_rest_once(
        small_class, tmp_path, scratch_tmp):
    wrapper, log = counting_python(tmp_path)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "grader", "batch", str(small_class), "--out", str(out),
               "--jobs", "1", "--skip-notebook", "--python", str(wrapper)]
    batch = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "TMPDIR": scratch_tmp},
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while sum(invocations(log).values()) < 3:  # two finished, the third under way
        assert batch.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    batch.send_signal(signal.SIGTERM)
    assert batch.wait(timeout=60) == 130, batch.stderr.read()
    assert "interrupted" in batch.stderr.read()
    in_flight = log.read_text().split()[2]
    done = {s for s in os.listdir(small_class) if finished(out / s)}
    assert len(done) == 2 and os.path.basename(in_flight) not in done
    assert not leftovers(scratch_tmp) and not os.listdir(scratch_tmp)
    stamps = {s: os.stat(out / s / "results.json").st_mtime_ns for s in done}

    proc = run_batch(small_class, out, "--jobs", "1", "--skip-notebook", python=wrapper,
                     env={"TMPDIR": scratch_tmp})
    assert proc.returncode == 0, proc.stderr
    counts = invocations(log)
    assert {s: counts[s] for s in done} == {s: 1 for s in done}
    assert counts[os.path.basename(in_flight)] == 2  # killed once, graded on resuming
    assert sum(counts.values()) == 5 + 1
    assert stamps == {s: os.stat(out / s / "results.json").st_mtime_ns for s in done}
    assert all(finished(out / s) for s in os.listdir(small_class))


# --- a Gradescope export ------------------------------------------------------

METADATA = """\
submission_101:
  :submitters:
  - :name: Ada O'Neil
    :sid: '9001'
    :email: ada@example.edu
  :created_at: 2026-03-01 10:00:00.000000000 -08:00
  :score: 0.0
submission_102:
  :submitters:
  - :name: "Grace \\"G\\" Hopper"
    :sid: '9002'
  - :name: 'Alan ''T'' Turing'
    :sid: '9003'
  :history:
  - :name: not a submitter
"""


def test_metadata_parser_reads_names_and_tolerates_the_rest():
    parsed = export.parse(METADATA)
    assert parsed["submission_101"] == [{"name": "Ada O'Neil", "sid": "9001", "email": "ada@example.edu"}]
    assert export.submitters(parsed, "submission_102") == {
        "name": "Grace \"G\" Hopper; Alan 'T' Turing", "sid": "9002; 9003", "email": ""}
    assert export.parse("{not: [yaml") == {} and export.parse("") == {}


def test_gradescope_export_is_graded_with_names(tmp_path, scratch_tmp):
    export_dir = tmp_path / "assignment_1_export"
    copy_reference(export_dir / "submission_101")
    (export_dir / "submission_102").mkdir()
    shutil.copy(os.path.join(ROOT, "notebooks", "classification_nn.ipynb"),
                export_dir / "submission_102")
    (export_dir / "submission_metadata.yml").write_text(METADATA)
    proc = run_batch(export_dir, tmp_path / "out", "--skip-notebook", env={"TMPDIR": scratch_tmp})
    assert proc.returncode == 0, proc.stderr
    header, rows = gradebook(tmp_path / "out")
    assert sorted(rows) == ["submission_101", "submission_102"]
    assert rows["submission_101"]["name"] == "Ada O'Neil" and rows["submission_101"]["sid"] == "9001"
    assert rows["submission_102"]["sid"] == "9002; 9003"
    assert float(rows["submission_102"][header[4]]) == 0  # the notebook alone: no layer points


# --- regrading ----------------------------------------------------------------

def test_a_replaced_submission_only_it_then_only_and_force_regrade(small_class, tmp_path, scratch_tmp):
    wrapper, log = counting_python(tmp_path)
    out = tmp_path / "out"
    env = {"TMPDIR": scratch_tmp}
    assert run_batch(small_class, out, "--skip-notebook", python=wrapper, env=env).returncode == 0
    # s3 replaced by a buggy Linear: the next run grades it, and only it.
    linear = small_class / "s3" / "layers" / "linear.py"
    source = linear.read_text()
    assert "return input_x @ self.w + self.b" in source
    linear.write_text(source.replace("return input_x @ self.w + self.b", "return input_x @ self.w", 1))
    proc = run_batch(small_class, out, "--skip-notebook", python=wrapper, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "4 kept as graded before, 1 to grade" in proc.stderr
    assert invocations(log) == Counter({"s1": 1, "s2": 1, "s3": 2, "s4": 1, "s5": 1})
    assert finished(out / "s3")["score"] < finished(out / "s1")["score"]  # the replacement's grade
    proc = run_batch(small_class, out, "--skip-notebook", "--only", "s1", "s5", python=wrapper, env=env)
    assert proc.returncode == 0, proc.stderr
    assert invocations(log) == Counter({"s1": 2, "s2": 1, "s3": 2, "s4": 1, "s5": 2})
    proc = run_batch(small_class, out, "--skip-notebook", "--force", python=wrapper, env=env)
    assert proc.returncode == 0, proc.stderr
    assert invocations(log) == Counter({"s1": 3, "s2": 2, "s3": 3, "s4": 2, "s5": 3})
    assert len(gradebook(out)[1]) == 5
    proc = run_batch(small_class, out, "--skip-notebook", "--only", "nobody", python=wrapper, env=env)
    assert proc.returncode == 2 and "no submission for nobody" in proc.stderr


def test_a_folder_with_nothing_to_grade_exits_2_naming_what_it_skipped(tmp_path):
    subs = tmp_path / "pdfs"
    subs.mkdir()
    for name in ("alice.pdf", "bob.pdf", "notes.txt"):
        (subs / name).write_bytes(b"%PDF-1.4\n")
    proc = run_batch(subs, tmp_path / "out", "--skip-notebook")
    assert proc.returncode == 2, proc.stderr
    assert "nothing to grade" in proc.stderr
    assert all(name in proc.stderr for name in ("alice.pdf", "bob.pdf", "notes.txt"))


def test_each_submission_is_graded_from_a_root_only_copy_and_outputs_are_closed(small_class, tmp_path, scratch_tmp):
    # Where neither namespaces nor Landlock hold, permissions alone keep classmates apart:
    # a grading never names the class folder, and what the batch writes is not others'.
    log = tmp_path / "paths.txt"
    wrapper = tmp_path / "python"
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$3" >> "{log}"\n'
                       f'stat -c "%a %u" "$(dirname "$3")" >> "{log}"\nexec "{sys.executable}" "$@"\n')
    wrapper.chmod(0o755)
    out = tmp_path / "out"
    proc = run_batch(small_class, out, "--skip-notebook", "--jobs", "1", python=wrapper, env={"TMPDIR": scratch_tmp})
    assert proc.returncode == 0, proc.stderr
    lines = log.read_text().split("\n")
    paths, modes = lines[0:-1:2], lines[1:-1:2]
    assert len(paths) == 5 and not any(str(small_class) in p for p in paths)
    assert all(p.startswith(scratch_tmp) and os.path.basename(p) in os.listdir(small_class) for p in paths)
    if os.geteuid() == 0:
        assert set(modes) == {"700 0"}
        assert (out.stat().st_mode & 0o777) == 0o700
    assert all((out / s).stat().st_mode & 0o077 == 0 for s in os.listdir(small_class))
    assert all(finished(out / s)["score"] == 60 for s in os.listdir(small_class))
    assert not os.listdir(scratch_tmp)  # the copies went with their gradings

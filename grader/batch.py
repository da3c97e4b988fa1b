"""python -m grader batch SUBMISSIONS_DIR --out OUT_DIR [--jobs N] [--timeout S] [--skip-notebook]
                         [--only STUDENT ...] [--force]

Grades a whole class. SUBMISSIONS_DIR holds one folder or .zip per student,
named after the student, or is a Gradescope export: submission_<id>/ folders
beside a submission_metadata.yml, whose names, SIDs and emails go into the
gradebook.

Each submission is graded as Gradescope grades an upload (python -m grader,
grader/upload.py: zips opened, subfolders found, the notebook alone run on
the reference layers), in its own process tree, N at a time, and is killed
after S seconds of wall clock (it then scores 0, with a message saying so).

For each student OUT_DIR/<student>/ gets results.json (Gradescope's format,
plus extra_data.batch: wall time and error), feedback.txt (what the student
would read), grader.log and stdout.txt; OUT_DIR/gradebook.csv has one row per
graded student: identity, total, each check's score (columns ordered by check
number), wall time and error.

Interrupted (Ctrl-C, SIGTERM), it kills the gradings in progress and keeps the
finished ones; run it again and only the rest are graded. results.json is a
student's last file, written atomically: its presence means the student is done.

Regrading: a submission whose content changed since it was graded (its sha256,
kept in results.json) is graded again on the next run; --only STUDENT ... grades
just those students, again; --force grades everyone again. A folder holding no
student folder or .zip at all exits 2, naming what it skipped.
"""
import argparse
import csv
import hashlib
import io
import json
import math
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

from . import config, inert, machine
from . import results as results_mod
from .sandbox import descendants, remove_tree, signal_each
from .submission import NOISE, ROOT

GRADEBOOK = "gradebook.csv"
# Past the grader's own deadline (it then writes what it has), with room to end.
DEFAULT_TIMEOUT = config.GRADING_DEADLINE + 60
IDENTITY = ("name", "sid", "email")


@dataclass
class Entry:
    """One student's submission."""
    student: str      # the output folder's name and the gradebook's key
    path: str         # the folder or .zip to grade
    name: str = ""
    sid: str = ""
    email: str = ""
    sha256: str = ""  # the submission's content_hash, set when the batch looks at it


def find_entries(folder, skipped=None):
    """The Entries of SUBMISSIONS_DIR `folder`, sorted by student; the names of what
    is neither a student folder nor a .zip are appended to `skipped`."""
    from . import export  # the batch tool only: plain grading never needs it

    metadata = export.read(folder)
    entries, taken = [], {GRADEBOOK}
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if name.startswith(".") or name in NOISE or os.path.islink(path):
            continue
        if os.path.isdir(path):
            student = name
        elif os.path.isfile(path) and name.lower().endswith(".zip"):
            student = name[:-4]
        else:  # submission_metadata.yml, stray files
            if skipped is not None and name != export.METADATA:
                skipped.append(name)
            continue
        if student in taken:  # alice/ beside alice.zip
            student = name
        taken.add(student)
        entries.append(Entry(student, path, **export.submitters(metadata, name)))
    return entries


def content_hash(path):
    """sha256 of a submission as the instructor's folder holds it: a .zip's bytes, or a
    folder's regular files (relative path and content, in order); links are not followed.
    How a regrade tells that a submission was replaced since it was graded."""
    digest = hashlib.sha256()

    def add(file_path):
        fd = os.open(file_path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)

    if not os.path.isdir(path):
        add(path)
        return digest.hexdigest()
    for top, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            file_path = os.path.join(top, name)
            if os.path.isfile(file_path) and not os.path.islink(file_path):
                digest.update(os.path.relpath(file_path, path).encode("utf-8", "surrogateescape") + b"\0")
                add(file_path)
    return digest.hexdigest()


PRIVATE_COPY_FILES = 10_000  # an assignment folder holds dozens; a flood of empty files costs no bytes


def private_copy(path, work):
    """A copy of the submission at `path` in a root-only folder under `work`, its path.

    Graded from there, a submission is never passed by its place in the class folder
    (which every process's command line shows, and which, where neither namespaces nor
    Landlock hold, only the class folder's own permissions would keep from classmates'
    code). Regular files only, no link followed, EXTRACT_MAX_BYTES in all.
    """
    private = os.path.join(work, "private")
    os.mkdir(private, 0o700)
    target = os.path.join(private, os.path.basename(os.path.normpath(path)))
    budget, files_left = [config.EXTRACT_MAX_BYTES], [PRIVATE_COPY_FILES]

    def copy(source, dest):
        files_left[0] -= 1
        if files_left[0] < 0:
            raise ValueError(f"the submission holds more than {PRIVATE_COPY_FILES} files")
        fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                return
            with open(dest, "xb") as out:
                for block in iter(lambda: f.read(1 << 20), b""):
                    budget[0] -= len(block)
                    if budget[0] < 0:
                        raise ValueError(f"the submission is larger than {config.EXTRACT_MAX_BYTES} bytes")
                    out.write(block)

    if not os.path.isdir(path):
        copy(path, target)
        return target
    for top, dirs, files in os.walk(path):
        here = os.path.join(target, os.path.relpath(top, path))
        os.makedirs(here, exist_ok=True)
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(top, d))]
        for name in files:
            if not os.path.islink(os.path.join(top, name)):
                copy(os.path.join(top, name), os.path.join(here, name))
    return target


def finished(student_dir):
    """The results a batch wrote for this student before, or None if there are none."""
    try:
        with open(os.path.join(student_dir, "results.json")) as f:
            results = json.load(f)
    except (OSError, ValueError):
        return None
    complete = isinstance(results, dict) and isinstance(results.get("tests"), list) \
        and "batch" in (results.get("extra_data") or {})
    return results if complete else None


# --- stopping a grading, whatever it started -------------------------------

def kill_tree(pid):
    """SIGKILL `pid` and everything below it, sessions of their own included.

    The grader starts the student's worker and kernel in new sessions, so
    killing a process group is not enough. The tree is frozen first (SIGSTOP,
    until no new process appears), so nothing forks away while it is killed.
    """
    stopped = set()
    while True:
        fresh = [p for p in [pid] + descendants(pid) if p not in stopped]
        if not fresh:
            break
        signal_each(fresh, signal.SIGSTOP)
        stopped.update(fresh)
    signal_each(stopped, signal.SIGKILL)


# --- grading one student ---------------------------------------------------

STATUS_LINE_BYTES = 400        # a progress line is shorter; anything past it is cut


@dataclass
class Status:
    """A grading in progress: when it started and what its grader last said it was doing."""
    start: float
    line: str = "starting"


class Batch:
    """The gradings of one run: what they share, and how to stop them all."""

    def __init__(self, out, python, timeout, skip_notebook, jobs=1):
        self.out = out
        self.jobs = jobs
        self.python = python
        self.timeout = timeout
        self.skip_notebook = skip_notebook
        self.stopping = threading.Event()
        self._running = set()
        self.status = {}                # student -> Status, while their grading runs
        self._lock = threading.Lock()

    def stop(self):
        """Kill every grading in progress; none of them will write results."""
        self.stopping.set()
        with self._lock:
            for proc in list(self._running):
                kill_tree(proc.pid)

    def grade(self, entry):
        """Grade `entry` and write its files; its results, or None if the batch is stopping."""
        student_dir = os.path.join(self.out, entry.student)
        os.makedirs(student_dir, exist_ok=True)
        os.chmod(student_dir, 0o700)  # feedback and logs: the instructor's, no classmate's
        # TMPDIR of the grading and its unfinished results: removed even if it is killed.
        # In the system's temporary folder, which the grader's sandbox user can reach.
        work = tempfile.mkdtemp(prefix="grader-batch-")
        os.chmod(work, 0o711)  # like the grader's own folder: the sandbox user passes through
        start = time.monotonic()
        try:
            upload = private_copy(entry.path, work)
            code, timed_out = self._run(entry, upload, student_dir, work)
            if self.stopping.is_set():
                return None
            results = self._results(work, code, timed_out, time.monotonic() - start)
        except Exception as exc:  # a fault of ours: this student gets a reason, the batch goes on
            results = results_mod.build([], f"The batch could not grade this submission: {exc!r}",
                                        time.monotonic() - start, extra_data={"error": repr(exc)})
        finally:
            remove_tree(work)
        if self.stopping.is_set():
            return None
        extra = results.setdefault("extra_data", {})
        extra["batch"] = {"student": entry.student, "wall_time": round(time.monotonic() - start, 3),
                          "error": extra.get("error", ""), "sha256": entry.sha256}
        _write_text(os.path.join(student_dir, "feedback.txt"), results_mod.feedback(results))
        results_mod.write(results, os.path.join(student_dir, "results.json"))  # last: marks done
        return results

    def _run(self, entry, upload, student_dir, work):
        """Run the grading subprocess on `upload`; (exit code, whether it ran out of time)."""
        share = max(1, machine.cores() // self.jobs)  # each grading's share of the cores
        command = [self.python, "-m", "grader", upload, "--cores", str(share),
                   "--results", os.path.join(work, "results.json"),
                   "--log", os.path.join(student_dir, "grader.log")]
        if self.skip_notebook:
            command.append("--skip-notebook")
        env = {**os.environ, "TMPDIR": work}
        # stdout and stderr both go to stdout.txt; stderr passes through a pipe so that
        # the grader's progress lines ("grader: ...") become this grading's status.
        with open(os.path.join(student_dir, "stdout.txt"), "ab") as stdout:
            stdout.truncate(0)
            proc = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                    stdout=stdout, stderr=subprocess.PIPE, start_new_session=True)
            reader = threading.Thread(target=self._relay, args=(entry.student, proc.stderr, stdout),
                                      daemon=True)
            reader.start()
            with self._lock:
                self._running.add(proc)
                self.status[entry.student] = Status(time.monotonic())
            if self.stopping.is_set():  # stop() ran before this process was registered
                kill_tree(proc.pid)
            try:
                return proc.wait(timeout=self.timeout), False
            except subprocess.TimeoutExpired:
                kill_tree(proc.pid)
                return proc.wait(), True
            finally:
                reader.join(timeout=5)  # the pipe closes when the grading's tree is gone
                proc.stderr.close()
                with self._lock:
                    self._running.discard(proc)
                    self.status.pop(entry.student, None)

    def _relay(self, student, pipe, out):
        """Copy the grading's stderr to `out`; its latest progress line is the student's status.

        The grader writes these lines in its own words (grade.Watchdog.status); they
        are still made inert and cut to one line, since a terminal shows them.
        """
        try:
            for raw in iter(lambda: pipe.readline(STATUS_LINE_BYTES), b""):
                out.write(raw)
                out.flush()
                line = raw.decode("utf-8", "replace").strip()
                if line.startswith(config.PROGRESS_PREFIX):
                    with self._lock:
                        status = self.status.get(student)
                        if status is not None:
                            status.line = inert.text(line[len(config.PROGRESS_PREFIX):])[:STATUS_LINE_BYTES]
        except (OSError, ValueError):  # the grading ended and its pipe closed
            pass

    def running(self):
        """(student, seconds since its grading started, its latest status) for each grading now running."""
        now = time.monotonic()
        with self._lock:
            return [(student, now - s.start, s.line) for student, s in sorted(self.status.items())]

    def _results(self, work, code, timed_out, seconds):
        if timed_out:
            message = (f"Grading was stopped after {self.timeout:g} s, the time limit for one "
                       "submission (an endless loop, or code far too slow), so it scores 0.")
            return results_mod.build([], message, seconds, extra_data={"error": "time limit"})
        try:
            with open(os.path.join(work, "results.json")) as f:
                return json.load(f)
        except (OSError, ValueError):
            message = f"The grader ended (exit status {code}) without results; see stdout.txt."
            return results_mod.build([], message, seconds, extra_data={"error": message})


def _write_text(path, text):
    """Write `text` to `path` atomically."""
    tmp = f"{path}.partial"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


# --- the gradebook ---------------------------------------------------------

def gradebook(entries, out):
    """The CSV text: one row per student with results, columns in a stable order.

    The check columns are every check any student's results hold, ordered by
    check number; a check missing from a student's results is left blank.
    """
    graded = [(e, finished(os.path.join(out, e.student))) for e in entries]
    graded = [(e, r) for e, r in graded if r is not None]
    checks = {}
    for _, results in graded:
        for test in results["tests"]:
            checks.setdefault(results_mod.check_id(test), (test.get("number", ""), test["name"], test["max_score"]))
    order = sorted(checks, key=lambda c: (results_mod.number_key(checks[c][0]), c))
    total = sum(checks[c][2] for c in order)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(["student", *IDENTITY, f"total (/{total:g})",
                     *[f"{checks[c][0]} {checks[c][1]} (/{checks[c][2]:g})".strip() for c in order],
                     "wall_time_s", "error"])
    for entry, results in graded:
        scores = {results_mod.check_id(t): t["score"] for t in results["tests"]}
        batch = results["extra_data"]["batch"]
        writer.writerow([_cell(entry.student), *(_cell(getattr(entry, key)) for key in IDENTITY),
                         f"{results['score']:g}",
                         *[f"{scores[c]:g}" if c in scores else "" for c in order],
                         f"{batch['wall_time']:.1f}", _cell(batch.get("error", ""))])
    return buffer.getvalue()


def _cell(text):
    """Text for a gradebook cell that a spreadsheet shows as text (grader/inert.py)."""
    return inert.cell(text or "")


# --- progress and the command ----------------------------------------------

class Progress:
    """Progress on stderr: a line per finished submission, and every PROGRESS_SECONDS
    what each running grading is doing (its grader's latest progress line).

    On a terminal the running gradings share one line, redrawn; in a log each
    gets a line of its own.
    """

    def __init__(self, total, running=list, stream=sys.stderr, every=config.PROGRESS_SECONDS):
        self.total, self.done, self.stream, self.running = total, 0, stream, running
        self.start = time.monotonic()
        self.tty = stream.isatty()
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._ticker = threading.Thread(target=self._tick, args=(every,), daemon=True)
        self._ticker.start()

    def step(self, student, results):
        self.done += 1
        elapsed = time.monotonic() - self.start
        left = elapsed / self.done * (self.total - self.done)
        batch = results["extra_data"]["batch"]
        error = f", {inert.text(batch['error'][:60])}" if batch["error"] else ""
        self._write([f"[{self.done}/{self.total}] {100 * self.done / self.total:3.0f}%  "
                     f"{inert.text(student)}: {results['score']:g} in {batch['wall_time']:.1f} s"
                     f"{error}; {left / 60:.1f} min left"])

    def show_running(self):
        """One line (a terminal) or a line each (a log) on the gradings running now."""
        rows = [f"{inert.text(student)} ({seconds / 60:.1f} min): {status}"
                for student, seconds, status in self.running()]
        if not rows:
            return
        head = f"[{self.done}/{self.total}] grading "
        if self.tty:
            width = shutil.get_terminal_size((100, 20)).columns - 1
            self._write([], (head + " | ".join(rows))[:width])
        else:
            self._write([head + row for row in rows])

    def _write(self, lines, redrawn=""):
        with self._lock:
            if self._closed.is_set():
                return
            clear = "\r\033[K" if self.tty else ""
            self.stream.write(clear + "".join(f"{line}\n" for line in lines) + redrawn)
            self.stream.flush()

    def _tick(self, every):
        while not self._closed.wait(every):
            try:
                self.show_running()
            except (OSError, ValueError):  # stderr closed: progress is a courtesy
                return

    def close(self):
        with self._lock:
            if self.tty:
                self.stream.write("\r\033[K")
                self.stream.flush()
            self._closed.set()


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _notebook_of(path):
    """The submission's notebook as a dict (from a folder, or a zip's member), or None.

    For the time estimate only, so best effort: a notebook larger than the grader
    reads (submission.MAX_FILE_BYTES, counted in bytes read, whatever a zip's
    header claims), not UTF-8, not JSON, not a JSON object, nested past the
    recursion limit, or a damaged zip, is None.
    """
    from .submission import MAX_FILE_BYTES, NOTEBOOK, find_root, plain_file
    limit = MAX_FILE_BYTES[".ipynb"]
    try:
        if os.path.isdir(path):
            root = find_root(path)
            if not plain_file(root, NOTEBOOK):
                return None
            with open(os.path.join(root, NOTEBOOK), "rb") as f:
                data = f.read(limit + 1)
        else:
            with zipfile.ZipFile(path) as zf:
                member = next((m for m in zf.infolist() if m.filename.endswith(NOTEBOOK)
                               and m.file_size <= limit), None)
                if member is None:
                    return None
                with zf.open(member) as f:
                    data = f.read(limit + 1)  # bounded, even for a member that lies about its size
        if len(data) > limit:
            return None
        notebook = json.loads(data.decode("utf-8"))
        return notebook if isinstance(notebook, dict) else None
    except Exception:  # RecursionError, MemoryError, UnicodeDecodeError, zlib.error, ...
        return None


def _training_seconds(path, alongside):
    """Seconds the grading of the submission at `path` spends training best_net: the
    notebook's training, and the grader's own where it cannot run beside it; 0 when
    the notebook's best_net_hyperparams cannot be read, or the grader would refuse them."""
    from utils import budget

    from .notebook.run import check_hyperparams
    try:
        found = budget.notebook_hyperparams(_notebook_of(path) or {})
        values, _ = check_hyperparams(found if isinstance(found, (list, tuple)) else None)
        if values is None:
            return 0.0
        advice = budget.advise(values, config.BEST_NET_BUDGET)
        train = min(advice.seconds, config.BEST_NET_MARGIN * config.BEST_NET_BUDGET)
        return train * (1 if alongside else 2) if math.isfinite(train) and train > 0 else 0.0
    except Exception:  # one student's notebook never stops the batch: no prediction for it
        return 0.0


def predicted_seconds(entries, jobs, skip_notebook):
    """The batch's expected wall time by the cost model: for each submission the grader's
    own work and best_net's training (twice where the grader's training cannot run
    beside the notebook's), on this machine, shared among `jobs` at a time."""
    from . import cost, predict
    alongside = max(1, machine.cores() // jobs) >= config.RETRAIN_ALONGSIDE_CORES
    speed = max(1.0, cost.speed())
    # Notebooks are read in bounded children (grader/predict.py), never in this process.
    training = [0.0] * len(entries) if skip_notebook else predict.training_seconds(
        [e.path for e in entries], alongside)
    total = 0.0
    for seconds in training:
        seconds += config.GRADING_OVERHEAD_LAYERS
        if not skip_notebook:
            seconds += config.GRADING_OVERHEAD_NOTEBOOK
        total += seconds * speed
    return total / jobs


def to_grade(entries, out, only=(), force=False):
    """The entries a run grades, and why each: never graded, changed since, asked for."""
    todo = []
    for entry in entries:
        entry.sha256 = entry.sha256 or content_hash(entry.path)
        before = finished(os.path.join(out, entry.student))
        if only and entry.student not in only:
            continue
        if force or only:
            todo.append((entry, "asked for"))
        elif before is None:
            todo.append((entry, "not graded yet"))
        elif before["extra_data"]["batch"].get("sha256", entry.sha256) != entry.sha256:
            todo.append((entry, "changed since it was graded"))
    return todo


def run(entries, batch, jobs, only=(), force=False):
    """Grade `entries` (those not finished before, changed since, or asked for);
    returns False if interrupted."""
    todo = [e for e, _ in to_grade(entries, batch.out, only, force)]
    if todo and not batch.skip_notebook:
        from . import cost
        cost.calibrate(fresh=True)  # while nothing of ours runs; the gradings read it from the cache
    expected = predicted_seconds(todo, jobs, batch.skip_notebook) if todo else 0.0
    print(f"{len(entries)} submissions: {len(entries) - len(todo)} kept as graded before, "
          f"{len(todo)} to grade, {jobs} at a time; expected to take about "
          f"{expected / 60:.1f} min", file=sys.stderr)
    progress = Progress(len(todo), batch.running)
    pool = ThreadPoolExecutor(max_workers=jobs)
    futures = {pool.submit(batch.grade, e): e for e in todo}
    try:
        for future in as_completed(futures):
            entry = futures[future]
            try:
                results = future.result()
            except Exception as exc:  # e.g. the disk is full: report it and go on
                print(f"\n{entry.student}: not graded ({exc!r})", file=sys.stderr)
                continue
            if results is not None:
                progress.step(entry.student, results)
        return True
    except KeyboardInterrupt:
        for future in futures:
            future.cancel()
        batch.stop()
        print("\ninterrupted: gradings in progress were stopped; run again to resume",
              file=sys.stderr)
        return False
    finally:
        pool.shutdown(wait=True)
        progress.close()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m grader batch", description=__doc__.split("\n\n")[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("submissions", help="a folder of student folders/zips, or a Gradescope export")
    parser.add_argument("--out", required=True, help="where results and gradebook.csv go")
    parser.add_argument("--jobs", type=int, default=machine.cores(),
                        help="submissions graded at once (default: the cores available, CPU quota included)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"seconds of wall clock per submission (default {DEFAULT_TIMEOUT})")
    parser.add_argument("--skip-notebook", action="store_true", help="run the layer checks only")
    parser.add_argument("--python", default=sys.executable,
                        help="the interpreter that grades (default: this one)")
    parser.add_argument("--only", nargs="+", metavar="STUDENT", default=[],
                        help="grade only these students (their folder or zip name), again")
    parser.add_argument("--force", action="store_true",
                        help="grade every student again (otherwise only new or changed submissions)")
    args = parser.parse_args(argv)
    if not os.path.isdir(args.submissions):
        parser.error(f"not a folder: {args.submissions}")
    skipped = []
    entries = find_entries(args.submissions, skipped)
    if not entries:
        shown = ", ".join(skipped[:10]) + (f" and {len(skipped) - 10} more" if len(skipped) > 10 else "")
        print(f"nothing to grade in {args.submissions}: no student folder or .zip"
              + (f" (skipped: {inert.text(shown)})" if skipped else " (it is empty)"), file=sys.stderr)
        return 2
    unknown = sorted(set(args.only) - {e.student for e in entries})
    if unknown:
        parser.error(f"--only: no submission for {', '.join(map(inert.text, unknown))}")
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    if os.geteuid() == 0:  # the gradebook and every student's feedback: root's alone
        os.chmod(out, 0o700)
    batch = Batch(out, args.python, args.timeout, args.skip_notebook, max(1, args.jobs))
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        complete = run(entries, batch, max(1, args.jobs), set(args.only), args.force)
    finally:
        signal.signal(signal.SIGTERM, previous)
    _write_text(os.path.join(out, GRADEBOOK), gradebook(entries, out))
    from .class_report import write_report  # matplotlib, only now that grading is over
    write_report(entries, out)
    done = sum(1 for e in entries if finished(os.path.join(out, e.student)))
    print(f"{done}/{len(entries)} graded; gradebook: {os.path.join(out, GRADEBOOK)}", file=sys.stderr)
    return 0 if complete else 130

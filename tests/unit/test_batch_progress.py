"""The batch's progress: what each running grading is doing, from its grader's own lines."""
import io
import os
import threading
import time

from grader import batch, config
from grader.batch import Batch, Progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def results(score=100.0, error=""):
    return {"score": score, "extra_data": {"batch": {"wall_time": 12.5, "error": error}}}


def test_running_gradings_are_shown_with_their_latest_status_a_line_each_in_a_log():
    stream = io.StringIO()
    running = lambda: [("alice", 90.0, "running the checks; notebook cell 18 running for 40 s"),
                       ("bob", 30.0, "starting")]
    progress = Progress(3, running, stream, every=3600)
    progress.show_running()
    progress.step("carol", results(81.5))
    progress.close()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "[0/3] grading alice (1.5 min): running the checks; notebook cell 18 running for 40 s"
    assert lines[1] == "[0/3] grading bob (0.5 min): starting"
    assert lines[2].startswith("[1/3]  33%  carol: 81.5 in 12.5 s;")


def test_on_a_terminal_running_gradings_share_one_redrawn_line_cut_to_its_width(monkeypatch):
    stream = Terminal()
    monkeypatch.setattr(batch.shutil, "get_terminal_size", lambda fallback: os.terminal_size((40, 20)))
    progress = Progress(2, lambda: [("alice", 60.0, "x" * 100)], stream, every=3600)
    progress.show_running()
    progress.step("bob", results())
    progress.close()
    text = stream.getvalue()
    redrawn = text.split("\r\033[K")[1]
    assert redrawn.startswith("[0/2] grading alice (1.0 min): ") and len(redrawn) == 39
    assert "\n" not in redrawn
    assert "bob: 100 in 12.5 s" in text.split("\r\033[K")[2]


def test_the_ticker_shows_running_gradings_every_period_and_stops_when_closed():
    stream = io.StringIO()
    progress = Progress(1, lambda: [("alice", 1.0, "preparing the grading")], stream, every=0.05)
    time.sleep(0.5)
    progress.close()
    shown = stream.getvalue().count("grading alice")
    assert shown >= 3
    time.sleep(0.2)
    assert stream.getvalue().count("grading alice") == shown


def test_a_gradings_status_is_its_graders_latest_progress_line_made_inert(tmp_path):
    b = Batch(str(tmp_path), "python", 60, False)
    read, write = os.pipe()
    b.status["alice"] = batch.Status(time.monotonic())
    copy = open(tmp_path / "stdout.txt", "ab")
    relay = threading.Thread(target=b._relay, args=("alice", os.fdopen(read, "rb"), copy))
    relay.start()
    os.write(write, f"{config.PROGRESS_PREFIX}preparing the grading, 1 s used\n".encode())
    os.write(write, b"a student's print that is not a progress line\n")
    os.write(write, f"{config.PROGRESS_PREFIX}running the checks \x1b]0;owned\x07\n".encode())
    os.close(write)
    relay.join(5)
    copy.close()
    (student, seconds, line), = b.running()
    assert student == "alice" and seconds >= 0
    assert line.startswith("running the checks") and "\x1b" not in line and "\x07" not in line
    # everything the grader wrote on stderr is kept in stdout.txt, as before
    assert (tmp_path / "stdout.txt").read_bytes().count(b"\n") == 3


def test_an_overlong_line_is_cut_and_does_not_become_a_status(tmp_path):
    b = Batch(str(tmp_path), "python", 60, False)
    read, write = os.pipe()
    b.status["alice"] = batch.Status(time.monotonic())
    with open(tmp_path / "stdout.txt", "ab") as copy:
        relay = threading.Thread(target=b._relay, args=("alice", os.fdopen(read, "rb"), copy))
        relay.start()
        os.write(write, b"z" * 5000 + f"\n{config.PROGRESS_PREFIX}".encode() + b"y" * 5000 + b"\n")
        os.close(write)
        relay.join(5)
    (_, _, line), = b.running()
    assert len(line) <= batch.STATUS_LINE_BYTES and set(line) == {"y"}

"""Grade every hostile submission with `python -m grader` and tabulate what happened.

    python -m tests.hostile.report [--workers 2] [--only NAME,...] [--keep DIR] [--out FILE]

(from the repository root). tests/test_hostile.py uses the same functions.
Each attack is graded in a fresh folder, the grader in its own session, with a
wall-clock limit; afterwards every process carrying the attack's marker is
counted (and killed). Exit status 1 if an outcome is neither as expected, nor a
known hole behaving as recorded, nor an attack that only the user switch
stops graded without it.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from tests.corpus.bugs import CHECKS
from tests.gradescope_schema import validate

from .attacks import ATTACKS, KNOWN_HOLES, NOTEBOOK_CHECKS, ROOT, Context, build

FILE_SIZE_LIMIT = 256 * 1024 ** 2   # grader/config.py SANDBOX_LIMITS["file_size"]
SANDBOX_MEMORY = 4 * 1024 ** 3      # grader/config.py SANDBOX_LIMITS["address_space"]
# The grader's own (trusted) process legitimately holds one answer of up to
# wire.MAX_MESSAGE_BYTES (512 MiB) about three times over while decoding it.
GRADER_MEMORY_LIMIT = 1.5 * 1024 ** 3
NOTEBOOK_CELL_TIMEOUT = "90"  # roomy: two gradings share two loaded cores


def user_switch():
    """(True, "") if the grader run by this interpreter switches to the sandbox user,
    else (False, why not)."""
    from grader.sandbox import Sandbox, SandboxRefused, remove_tree
    if os.geteuid() != 0:
        return False, "the grader does not run as root, so it has no user to switch to"
    workdir = tempfile.mkdtemp(prefix="grader-switch-")
    try:
        sandbox = Sandbox.claim(workdir)
        sandbox.close()
        return sandbox.layers.uid is not None, ""
    except SandboxRefused as exc:
        return False, " ".join(str(exc).split())
    finally:
        remove_tree(workdir)


def cifar10_dir():
    return os.environ.get("CIFAR10_DIR") or os.path.join(ROOT, "data", "cifar-10-batches-py")


@dataclass
class Outcome:
    attack: object
    switch: bool                          # graded with the user switch
    returncode: int = None
    seconds: float = 0.0
    timed_out: bool = False
    results: dict = None
    lost: frozenset = None                # checks below max_score
    peak_rss: int = 0                     # bytes, the grader and what it waited for
    problems: list = field(default_factory=list)   # (kind, message)
    notes: list = field(default_factory=list)
    victim: object = None                 # the clean grading beside it (victim attacks)
    reported: set = field(default_factory=set)     # survivor pids already reported

    @property
    def kinds(self):
        return frozenset(kind for kind, _ in self.problems)

    @property
    def score(self):
        if not self.results:
            return "no results"
        top = sum(t["max_score"] for t in self.results.get("tests", []))
        return f"{self.results['score']:g}/{top:g}"

    @property
    def hole(self):
        """The KNOWN_HOLES record if the attack fails exactly as recorded."""
        hole = KNOWN_HOLES.get(self.attack.name)
        if hole and hole.kinds <= self.kinds <= hole.kinds | hole.also:
            return hole
        return None

    @property
    def status(self):
        """'held', 'KNOWN HOLE', 'gets through (no switch)' (an attack only the user switch
        stops, graded without it) or 'UNEXPECTED'."""
        if not self.problems:
            return "held"
        if self.hole:
            return "KNOWN HOLE"
        if self.attack.user_switch and not self.switch:
            return "gets through (no switch)"
        return "UNEXPECTED"

    @property
    def acceptable(self):
        return self.status != "UNEXPECTED"


# ---------------------------------------------------------------------------
# Running the grader.

def _marked_processes(marker):
    """Pids of processes whose command line contains `marker`."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if marker.encode() in f.read():
                        found.append(int(entry))
            except OSError:
                pass
    return found


def _run_grader(ctx, options, env, budget):
    """`python -m grader` on ctx's submission in its own session; returns
    (exit code, seconds, timed out, peak RSS in bytes)."""
    argv = [sys.executable, "-m", "grader", ctx.submission, "--results", ctx.results,
            "--log", ctx.log, *options]
    limit = budget + 30  # past its budget the grading has failed anyway
    start = time.monotonic()
    with open(ctx.stdout, "w") as out:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    timed_out = False
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() - start > limit and not timed_out:
            timed_out = True
            os.killpg(proc.pid, signal.SIGKILL)
        time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, time.monotonic() - start, timed_out, usage.ru_maxrss * 1024


def _context(attack, workdir, marker=None, tmp=None):
    marker = marker or f"hostile-{attack.name}-{uuid.uuid4().hex[:8]}"
    base = tempfile.mkdtemp(prefix=marker + "-", dir=workdir)
    if tmp is None:
        tmp = base + "-tmp"
        os.makedirs(tmp)
        os.chmod(tmp, 0o711)  # the grader's workdir goes here; the sandbox user must reach it
    return Context(name=attack.name, marker=marker, base=base, tmp=tmp,
                   cifar10=cifar10_dir())


def _env(ctx, attack):
    env = dict(os.environ, TMPDIR=ctx.tmp, CIFAR10_DIR=cifar10_dir(), **attack.env)
    if attack.notebook is not None:
        env["GRADER_NOTEBOOK_CELL_TIMEOUT"] = NOTEBOOK_CELL_TIMEOUT
    return env


def _grade(attack, ctx, switch, outcome=None):
    """Grade ctx's (built) submission and check the generic expectations."""
    outcome = outcome or Outcome(attack=attack, switch=switch)
    options = [] if attack.notebook is not None else ["--skip-notebook"]
    (outcome.returncode, outcome.seconds, outcome.timed_out,
     outcome.peak_rss) = _run_grader(ctx, options, _env(ctx, attack), attack.budget)
    return outcome


def _judge(attack, ctx, outcome, expected=None, checks=None):
    """Generic expectations: the attack's exit status in time, valid results, exactly the
    expected checks lost."""
    expected = attack.expected() if expected is None else expected
    checks = attack.checks() if checks is None else checks
    if outcome.timed_out:
        outcome.problems.append(("crash", f"the grader was still running after {outcome.seconds:.0f} s "
                                          "and was killed"))
    elif outcome.returncode != attack.exit:
        outcome.problems.append(("crash", f"the grader exited with {outcome.returncode} "
                                          f"(expected {attack.exit}): "
                                          f"{_tail(ctx.stdout, 600)}"))
    if outcome.seconds > attack.budget:
        outcome.problems.append(("time", f"the grader took {outcome.seconds:.1f} s "
                                         f"(budget {attack.budget:g} s)"))
    try:
        with open(ctx.results) as f:
            outcome.results = json.load(f)
    except (OSError, ValueError) as exc:
        outcome.problems.append(("results", f"no readable results.json: {exc!r}"))
        return outcome
    try:
        validate(outcome.results)
    except Exception as exc:  # jsonschema.ValidationError, AssertionError
        outcome.problems.append(("results", f"results.json is not valid: {str(exc)[:300]}"))
        return outcome
    tests = outcome.results["tests"]
    ids = {_check_id(t) for t in tests}
    if ids != checks:
        outcome.problems.append(("results", f"checks reported: {sorted(ids)}, expected {sorted(checks)}"))
    outcome.lost = frozenset(_check_id(t) for t in tests if t["score"] < t["max_score"])
    if outcome.lost != expected:
        outcome.problems.append(("score", f"lost points in {_codes(outcome.lost)}, expected exactly "
                                          f"{_codes(expected)} (more lost: "
                                          f"{_codes(outcome.lost - expected)}; undeserved points: "
                                          f"{_codes(expected - outcome.lost)})"))
    return outcome


def _check_id(test):
    return test["number"] if test["number"] in NOTEBOOK_CHECKS else test["extra_data"]["check"]


def _codes(checks):
    order = list(CHECKS) + list(NOTEBOOK_CHECKS)
    return " ".join(sorted(checks, key=order.index)) or "-"


def _tail(path, limit):
    try:
        with open(path, errors="replace") as f:
            return f.read()[-limit:].strip().replace("\n", " | ")
    except OSError:
        return ""


def _survivors(ctx, outcome, wait=0.0):
    """Processes carrying the marker after grading: counted, reported, killed."""
    time.sleep(wait)
    pids = [pid for pid in _marked_processes(ctx.marker) if pid not in outcome.reported]
    outcome.reported.update(pids)
    if pids:
        outcome.problems.append(("survivors", f"{len(pids)} process(es) of the attack outlived "
                                              f"the grader (pids {pids[:10]})"))
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    match = re.search(r"processes left behind by student code, killed: (\d+)", _read(ctx.log))
    if match and int(match.group(1)) and not wait:
        outcome.notes.append(f"the grader killed {match.group(1)} process(es) left behind")


def _read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


# ---------------------------------------------------------------------------
# Postconditions: (ctx, outcome) -> None, adding problems ("post") and notes.

def _results_text(ctx):
    return _read(ctx.results)


def post_not_forged(ctx, outcome):
    if "FORGED" in _results_text(ctx):
        outcome.problems.append(("post", "results.json holds the attack's forged results"))
    writes = ctx.evidence("writes") + ctx.evidence("forge")
    wrote = sum(1 for line in writes if line.startswith("wrote"))
    denied = sum(1 for line in writes if line.startswith("denied"))
    outcome.notes.append(f"during grading the attack overwrote results.json {wrote} time(s) and was "
                         f"denied {denied} time(s)")


def post_results_stable(ctx, outcome):
    before = _results_text(ctx)
    time.sleep(1.5)
    if _results_text(ctx) != before:
        outcome.problems.append(("post", "results.json changed after the grader exited"))


def post_file_bounded(ctx, outcome):
    sizes = [int(line) for line in ctx.evidence("huge") if line.strip().isdigit()]
    size = max(sizes, default=0)
    outcome.notes.append(f"the file reached {size / 2 ** 20:.0f} MiB")
    if not sizes:
        outcome.problems.append(("post", "the attack did not report the size its file reached"))
    if size > FILE_SIZE_LIMIT:
        outcome.problems.append(("post", f"the file grew to {size} bytes, past the "
                                         f"{FILE_SIZE_LIMIT}-byte limit"))


def post_banner_hidden(ctx, outcome):
    from .attacks import FAKE_BANNER
    if FAKE_BANNER in _results_text(ctx):
        outcome.problems.append(("post", "the fake banner is in results.json"))
    if FAKE_BANNER in _read(ctx.stdout):
        outcome.problems.append(("post", "the fake banner is in the grader's own output"))
    if FAKE_BANNER not in _read(ctx.log):
        outcome.problems.append(("post", "the fake banner is not in the instructor log"))


def post_extras_ignored(ctx, outcome):
    attack = outcome.attack
    ignored = set((outcome.results or {}).get("extra_data", {}).get("ignored", []))
    missing = sorted(set(attack.extra) - ignored)
    if missing:
        outcome.problems.append(("post", f"not listed as ignored: {missing}"))


def post_memory_bounded(ctx, outcome):
    """The address-space limit (4 GiB) stopped the hoarding: no process of the grading grew past it."""
    tests = {t["extra_data"]["check"]: t for t in (outcome.results or {}).get("tests", [])}
    feedback = tests.get("softmax_forward", {}).get("output", "")
    outcome.notes.append(f"peak memory of the grader's process tree {outcome.peak_rss / 2 ** 30:.1f} GiB")
    if "MemoryError" not in feedback:
        outcome.problems.append(("post", f"softmax_forward's feedback does not say MemoryError: {feedback[:200]}"))
    if outcome.peak_rss > SANDBOX_MEMORY + 0.25 * 1024 ** 3:
        outcome.problems.append(("post", f"a process of the grading grew to {outcome.peak_rss / 2 ** 30:.1f} GiB"))


def post_claim_flagged(ctx, outcome):
    notebook = (outcome.results or {}).get("extra_data", {}).get("notebook", {})
    flags = notebook.get("integrity", [])
    if not any("test accuracy of 1.000" in flag and "when run" in flag for flag in flags):
        outcome.problems.append(("post", f"the printed 100% test accuracy is not flagged: {flags}"))
    measured = (notebook.get("accuracy") or {}).get("test")
    outcome.notes.append(f"measured test accuracy {measured}")


def post_labels_unread_with_switch(ctx, outcome):
    read = ctx.evidence("labels")
    real = any(line.startswith("real") for line in read)
    if real and outcome.switch:
        outcome.problems.append(("post", "the kernel read the real test labels despite the user switch"))
    outcome.notes.append("the kernel read the real test labels" if real else
                         "the kernel could not read the real test labels")


def post_grading_folder_removed(ctx, outcome):
    """No folder of the grading (grader-*) is left in its TMPDIR, however the attack shaped it."""
    left = sorted(name for name in os.listdir(ctx.tmp) if name.startswith("grader-"))
    depth = ctx.evidence("deep")
    outcome.notes.append(f"the attack made: {'; '.join(depth) or 'nothing it reported'}")
    if not any(line.startswith("made") for line in depth):
        outcome.problems.append(("post", "the attack did not report the tree it made"))
    if left:
        outcome.problems.append(("post", f"left in the grading's TMPDIR: {left}"))


def post_notebook_ran_once(ctx, outcome):
    runs = len(ctx.evidence("runs"))
    if runs != 1:
        outcome.problems.append(("post", f"the notebook was executed {runs} times, not once"))


def post_grader_files_closed(ctx, outcome):
    writable = [line for line in ctx.evidence("open") if line.startswith("writable")]
    if writable:
        outcome.problems.append(("post", f"student code could open for writing: {writable}"))


def post_hidden_checks_not_shown(ctx, outcome):
    if "def test_linear_forward" in _results_text(ctx):
        outcome.problems.append(("post", "the source of grader/checks/test_linear.py is in results.json"))


def post_grader_memory(ctx, outcome):
    outcome.notes.append(f"peak memory of the grader's process tree {outcome.peak_rss / 2 ** 30:.2f} GiB")
    if outcome.peak_rss > GRADER_MEMORY_LIMIT:
        outcome.problems.append(("post", f"the grader's peak memory was {outcome.peak_rss / 2 ** 30:.2f} GiB "
                                         f"(over {GRADER_MEMORY_LIMIT / 2 ** 30:g} GiB)"))


def post_victim_unharmed(ctx, outcome):
    victim = outcome.victim
    if victim is None:
        outcome.problems.append(("post", "the victim was not graded"))
        return
    killed = [line for line in ctx.evidence("killed") if line.startswith("killed")]
    outcome.notes.append(f"the attack killed {len(killed)} worker(s) of the other grading")
    if victim.problems:
        outcome.problems.append(("post", "the clean submission graded beside it was harmed: "
                                         + "; ".join(m for _, m in victim.problems)))
    outcome.notes.append(f"the clean submission beside it scored {victim.score}")


def post_venv_untouched(ctx, outcome):
    import site
    for folder in site.getsitepackages():
        path = os.path.join(folder, "zz_hostile_root.pth")
        if os.path.lexists(path):
            outcome.problems.append(("post", f"root wrote {path}, a file student code chose"))
            os.remove(path)
    planted = [line for line in ctx.evidence("planted") if not line.startswith("denied")]
    outcome.notes.append(f"planted {len(planted)} link(s) in its own folder; the grader followed none")


def post_classmates_unread(ctx, outcome):
    read = [line for line in ctx.evidence("classmates") if line.startswith(("read", "sent"))]
    outcome.notes.append(f"read or drove {len(read)} thing(s) of other gradings")
    if read:
        outcome.problems.append(("post", f"student code reached another grading: {read[:5]}"))


def post_decoy_not_shown(ctx, outcome):
    from .attacks import DECOY_TEXT
    if DECOY_TEXT in _results_text(ctx):
        outcome.problems.append(("post", "a world-readable file outside the sandbox reached results.json"))
    outcome.notes.append("; ".join(ctx.evidence("decoy")[:1]) or "the decoy was not tried")


def post_nothing_left_outside(ctx, outcome):
    """No file of a sandbox uid in the world-writable folders, and pytest under /tmp
    still fails a failing test."""
    from grader import config
    from grader.sandbox.sweep import WORLD_WRITABLE
    uids = range(config.SANDBOX_UID_BASE, config.SANDBOX_UID_BASE + config.SANDBOX_SLOTS)
    left = []
    for top in WORLD_WRITABLE:
        try:
            names = os.listdir(top)
        except OSError:
            continue
        for name in names:
            try:
                if os.lstat(os.path.join(top, name)).st_uid in uids:
                    left.append(os.path.join(top, name))
            except OSError:
                pass
    if left:
        outcome.problems.append(("post", f"files of a sandbox uid survived the grading: {left[:5]}"))
    check = tempfile.mkdtemp(prefix="zz-pytest-under-tmp-", dir="/tmp")
    try:
        with open(os.path.join(check, "test_fails.py"), "w") as f:
            f.write("def test_fails():\n    assert False\n")
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", check],
                              cwd=check, capture_output=True, text=True, timeout=120)
        if proc.returncode != 1:
            outcome.problems.append(("post", f"a failing pytest test under /tmp did not fail after the "
                                             f"grading (exit {proc.returncode}): {proc.stdout[-300:]}"))
    finally:
        shutil.rmtree(check, ignore_errors=True)
    outcome.notes.append("; ".join(ctx.evidence("left")[:4]))


POSTCONDITIONS = {name[len("post_"):]: value for name, value in globals().items()
                  if name.startswith("post_")}


# ---------------------------------------------------------------------------

def grade_attack(attack, workdir, switch):
    """Build `attack` in `workdir`, grade it, and return its Outcome."""
    unknown = set(attack.post) - set(POSTCONDITIONS)
    if unknown:
        raise ValueError(f"{attack.name}: unknown postconditions {sorted(unknown)}")
    ctx = _context(attack, workdir)
    build(attack, ctx)
    outcome = Outcome(attack=attack, switch=switch)
    if attack.victim:
        _grade_beside_victim(attack, ctx, outcome, workdir, switch)
    else:
        _grade(attack, ctx, switch, outcome)
    _judge(attack, ctx, outcome)
    _survivors(ctx, outcome)
    for name in attack.post:
        POSTCONDITIONS[name](ctx, outcome)
    _survivors(ctx, outcome, wait=0.2)  # after the postconditions: anything appearing late
    return outcome


def _grade_beside_victim(attack, ctx, outcome, workdir, switch):
    """Grade the attack and, in the same TMPDIR, a clean copy of the reference: once the
    attack's background process is out, or (a notebook attack) at once, the victim's own
    weak notebook keeping its kernel alive while the attack looks for it."""
    from tests.grading import copy_reference
    from .attacks import WEAK_NOTEBOOK, Attack, build, weak_notebook

    if attack.notebook is not None:
        victim_attack = Attack(f"{attack.name}__victim", "the reference with a weak notebook, graded "
                               "beside the attack", fails=WEAK_NOTEBOOK, budget=attack.budget,
                               notebook=lambda c: weak_notebook(c, after_test=["import time\ntime.sleep(30)"]))
    else:
        victim_attack = Attack(f"{attack.name}__victim", "the reference, graded beside the attack",
                               budget=attack.budget)
    victim_ctx = _context(victim_attack, workdir, marker=ctx.marker + "-victim", tmp=ctx.tmp)
    if attack.notebook is not None:
        build(victim_attack, victim_ctx)
    else:
        copy_reference(victim_ctx.submission)
    victim = Outcome(attack=victim_attack, switch=switch)
    thread = threading.Thread(target=_grade, args=(attack, ctx, switch, outcome))
    thread.start()
    deadline = time.monotonic() + attack.budget
    while (attack.notebook is None and not ctx.evidence("background") and thread.is_alive()
           and time.monotonic() < deadline):
        time.sleep(0.05)  # the victim starts once the attack's process is out
    _grade(victim_attack, victim_ctx, switch, victim)
    thread.join()
    _judge(victim_attack, victim_ctx, victim)
    outcome.victim = victim


def _write_decoy():
    """The world-readable file attacks look for outside the sandbox (attacks.DECOY)."""
    from .attacks import DECOY, DECOY_TEXT
    os.makedirs(os.path.dirname(DECOY), exist_ok=True)
    os.chmod(os.path.dirname(DECOY), 0o755)
    with open(DECOY, "w") as f:
        f.write(f"SECRET = {DECOY_TEXT!r}\n")
    os.chmod(DECOY, 0o644)


def grade_all(attacks, workdir, workers=2):
    """Outcomes in the order of `attacks`: the `alone` ones after all others, one at a time."""
    switch, _ = user_switch()
    _write_decoy()
    shared = [a for a in attacks if not a.alone]
    alone = [a for a in attacks if a.alone]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {a.name: pool.submit(grade_attack, a, workdir, switch) for a in shared}
        outcomes = {name: future.result() for name, future in futures.items()}
    for attack in alone:
        outcomes[attack.name] = grade_attack(attack, workdir, switch)
    return [outcomes[a.name] for a in attacks]


def format_table(outcomes, wall_time=None):
    """The table (attack, needs user switch, outcome, score / max, time / budget), then details."""
    switch = outcomes[0].switch if outcomes else False
    header = ("attack", "needs switch", "outcome", "score", "time / budget")
    rows = [(o.attack.name, "yes" if o.attack.user_switch else "", o.status,
             o.score, f"{o.seconds:.1f} / {o.attack.budget:g} s") for o in outcomes]
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = lambda r: "  ".join(str(v).ljust(w) for v, w in zip(r, widths)).rstrip()
    why = user_switch()[1]
    lines = [f"user switch: {'yes' if switch else 'NO (' + why[:60] + ' ... ' + why[-80:] + ')'}",
             line(header), "  ".join("-" * w for w in widths)] + [line(r) for r in rows]
    counts = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    lines += ["", "outcomes: " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))]
    if wall_time is not None:
        lines.append(f"wall time: {wall_time:.1f} s")
    for o in outcomes:
        if o.problems or o.notes:
            lines += ["", f"{o.attack.name} [{o.status}]: {o.attack.what}",
                      f"   expected to lose: {_codes(o.attack.expected())}; "
                      f"lost: {_codes(o.lost) if o.lost is not None else 'n/a'}"]
            if o.hole:
                lines.append(f"   known hole: {o.hole.what}")
            lines += [f"   problem ({kind}): {message}" for kind, message in o.problems]
            lines += [f"   note: {note}" for note in o.notes]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.hostile.report",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="gradings run at once (default 2)")
    parser.add_argument("--only", help="comma-separated attack names")
    parser.add_argument("--keep", help="build and grade in this folder, and keep it")
    parser.add_argument("--out", help="also write the table to this file")
    args = parser.parse_args(argv)
    attacks = ATTACKS
    if args.only:
        names = args.only.split(",")
        attacks = [a for a in ATTACKS if a.name in names]
        if len(attacks) != len(names):
            parser.error(f"unknown attacks: {sorted(set(names) - {a.name for a in attacks})}")
    start = time.monotonic()
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
        outcomes = grade_all(attacks, args.keep, args.workers)
    else:
        workdir = tempfile.mkdtemp(prefix="grader-hostile-")
        os.chmod(workdir, 0o711)  # the sandbox user reaches the world-writable folders inside
        try:
            outcomes = grade_all(attacks, workdir, args.workers)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    table = format_table(outcomes, time.monotonic() - start)
    print(table)
    if args.out:
        with open(args.out, "w") as f:
            f.write(table + "\n")
    return 0 if all(o.acceptable for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())

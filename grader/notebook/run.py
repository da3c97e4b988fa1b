"""Run the submitted notebook once and gather what the notebook checks judge.

    result = run(notebook_path, sandbox, log, layers_failed)

The notebook runs in the sandbox's kernel with a time limit per cell
(NotebookLimits: best_net's cell gets the budget, the others share a pool).
While it runs, as soon as best_net_hyperparams is known and fits the budget,
the grader starts training best_net itself with the reference layers
(retrain.py), beside the notebook where a core is free for it, else after.
Then judge.py decides what the accuracy checks judge; NotebookResult holds it
all for grader/checks/test_notebook.py.
"""
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np
from utils import budget

from .. import config, cost
from ..surface import BEST_NET_SEED
from . import evaluate, judge, read
from .execute import CellLimits, Execution, execute
from .retrain import Retrain, RetrainFailed

PROBLEMS_MEANING_NO_BEST_NET = ("best_net is not defined",)


@dataclass
class NotebookResult:
    """What the notebook checks look at. `problem` says why best_net could not be evaluated."""
    submitted: bool
    execution: Optional[Execution] = None      # if it ran
    claims: Dict[str, dict] = field(default_factory=dict)   # {"stored"|"executed": read.claimed(...)}
    pairs: Optional[List[Tuple[np.ndarray, np.ndarray]]] = None   # best_net's (w, b) per Linear
    moved: bool = False               # some weight left the course's initial range (evaluate.moved)
    problem: str = ""                 # why best_net could not be evaluated
    accuracy: Dict[str, float] = field(default_factory=dict)  # the notebook's best_net, on the grader's labels
    hyperparams: Optional[List[float]] = None  # best_net_hyperparams, if sane
    hyperparams_problem: str = ""
    advice: Optional[budget.Advice] = None     # what the budget says of best_net_hyperparams
    best_net_cell: Optional[int] = None        # index of the cell that trains best_net
    stopped_by_grader: str = ""       # that cell was stopped by the grader's limit, which training needed: said
    stop_charged: str = ""            # that cell was stopped, though training fitted: why it is charged
    retrain: Dict[str, float] = field(default_factory=dict)   # accuracies of the grader's own best_net
    retrain_problem: str = ""
    retrain_seconds: Optional[float] = None   # the grader's own training's CPU seconds, on this machine
    retrain_checkpoints: List[dict] = field(default_factory=list)  # its accuracies part way (retrain.py)
    # When the grader's stop of best_net's cell is excused: the least an honest training stopped
    # there reaches, {"epochs", "of", "validation", "test"} (a checkpoint of the grader's own), or None.
    partial: Optional[dict] = None
    verdict: Optional[judge.Verdict] = None
    layers_failed: List[str] = field(default_factory=list)   # layer checks that lost points
    # The grader's own steps of best_net's network with the student's layers (student_training.py):
    # "" they ran, else the error they raise, None not run; trains_alike: as the reference's do.
    student_training: Optional[str] = None
    trains_alike: Optional[bool] = None
    trains_mismatch: str = ""
    timing: Dict[str, float] = field(default_factory=dict)   # seconds of each phase

    def integrity(self):
        """Printed accuracies of best_net that beat what the grader measured by more than
        two honest runs differ (config.CLAIM_TOLERANCE, from the measured seed spread).

        "stored": the outputs saved in the submitted file (edited by hand?);
        "executed": what the notebook printed when the grader ran it (labels
        overwritten with predictions?). Nothing is said after a stop the grader
        made: a network it stopped halfway is not the one the student ran.
        """
        if self.stopped_by_grader or self.stop_charged:
            return []
        where = {"stored": "the submitted notebook's saved outputs claim",
                 "executed": "when run, the notebook prints"}
        flags = []
        for source, claims in self.claims.items():
            for split in ("validation", "test"):
                measured = self.accuracy.get(split)
                # The last number printed is best_net's: earlier ones are of
                # epochs that validation went up and down in.
                claimed = claims.get(split)
                if claimed and measured is not None and claimed[-1] > measured + config.CLAIM_TOLERANCE:
                    flags.append(f"{where[source]} a {split} accuracy of {claimed[-1]:.3f}, but the "
                                 f"grader measures best_net at {measured:.3f} on its own labels")
        return flags


class NotebookLimits(CellLimits):
    """best_net's cell: the budget (BEST_NET_BUDGET on the grading machine, with margin);
    every other cell: NOTEBOOK_CELL_TIMEOUT, from a pool of NOTEBOOK_OTHER_CELLS_TIMEOUT
    shared by all, and never less than NOTEBOOK_CELL_MIN_TIMEOUT. All are seconds of the
    grading machine's one core, told in CPU seconds of this machine by its slowness
    (`speed`, in CPU time: between 1 and SLOWEST_MACHINE), and counted in CPU seconds of
    the kernel's processes (execute.py): a search stopped here is one the grading machine
    stops too, loaded or not, and utils/check_notebook.py tells students the same on
    their own machine. A cell that waits is stopped at CELL_WALL_SLACK times its limit of
    the wall clock, stretched by a CPU quota under one core (`quota`, in CPUs)."""

    def __init__(self, best_net_cell, speed, quota=None):
        self.best_net_cell = best_net_cell
        self.best_net_seconds = best_net_limit(speed)
        self.scale = slowness(speed)
        self.stretch = config.CELL_WALL_SLACK / min(1.0, quota or 1.0)
        self.pool = config.NOTEBOOK_OTHER_CELLS_TIMEOUT   # grading-machine seconds left

    def limit(self, index):
        if index == self.best_net_cell:
            return self.best_net_seconds
        return self.scale * max(config.NOTEBOOK_CELL_MIN_TIMEOUT, min(config.NOTEBOOK_CELL_TIMEOUT, self.pool))

    def wall(self, index):
        return self.stretch * self.limit(index)

    def record(self, index, seconds):
        if index != self.best_net_cell:
            self.pool = max(0.0, self.pool - seconds / self.scale)


def slowness(speed):
    """How many times the grading machine's seconds the limits allow here: this machine's
    slowness, never below 1 (a faster machine keeps the stated limits) nor above
    SLOWEST_MACHINE (the bounds are sized for it)."""
    return min(max(1.0, speed), config.SLOWEST_MACHINE)


def best_net_limit(speed):
    """Seconds best_net's cell (and the grader's own training of best_net) may take here."""
    return config.BEST_NET_MARGIN * config.BEST_NET_BUDGET * slowness(speed) + config.BEST_NET_CELL_EXTRA


def check_hyperparams(values):
    """(values, "") if best_net_hyperparams are four sane numbers, else (None, why)."""
    if values is None:
        return None, "best_net_hyperparams is not defined"
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        return None, f"best_net_hyperparams is {values}: expected four numbers [lr, weight_decay, epoch, hidden_size]"
    problems = []
    for (name, (low, high)), value in zip(config.HYPERPARAM_RANGES.items(), values):
        if name in ("epoch", "hidden_size") and value != int(value):
            problems.append(f"{name} = {value:g} is not a whole number")
        elif not low <= value <= high or (name == "lr" and value == 0):
            problems.append(f"{name} = {value:g} is outside {'(' if name == 'lr' else '['}{low:g}, {high:g}]")
    return (None, "; ".join(problems)) if problems else (list(values), "")


class _Retrainer:
    """Starts the grader's own training once best_net_hyperparams is known (and restarts
    it if they change), beside the notebook when allowed."""

    def __init__(self, seed, alongside, data_dir):
        self.seed, self.alongside, self.data_dir = seed, alongside, data_dir
        self.current = None

    def offer(self, extracted):
        values, _ = check_hyperparams((extracted or {}).get("hyperparams"))
        if values is None or not budget.advise(values, config.BEST_NET_BUDGET).fits:
            return
        if self.current is not None and self.current.hyperparams == values:
            return
        if self.current is not None:
            self.current.stop()
        self.current = Retrain.start(values, self.seed, self.data_dir)

    def result(self, values, timeout):
        if self.current is None or self.current.hyperparams != values:
            if self.current is not None:
                self.current.stop()
            self.current = Retrain.start(values, self.seed, self.data_dir)
        return self.current.result(timeout)

    def stop(self):
        if self.current is not None:
            self.current.stop()


def cores_available():
    """The cores this process may keep busy: its CPU set cut to its CPU quota."""
    from .. import machine
    return machine.cores()


class NotebookRun:
    """The notebook running in its own thread, started as soon as the sandbox is ready, so
    that it overlaps the layer checks; finish() waits for it and judges.

        pending = NotebookRun(notebook_path, sandbox, log)     # starts
        result = pending.finish(layers_failed)                  # NotebookResult

    The file is read here, by the grader, from the submission (which student
    code never had access to); the kernel runs with sandbox.home as its folder.
    """

    def __init__(self, notebook_path, sandbox, log, data_dir, cores=None):
        """data_dir: the real CIFAR-10 folder, for the grader's own measurements; cores:
        how many this grading may use (a batch's share; default all of the CPU set)."""
        self.notebook_path, self.sandbox, self.log = notebook_path, sandbox, log
        self.data_dir = data_dir
        self.cores = max(1, cores or cores_available())
        self.result, self.seed, self.error = None, None, None
        self.started = time.monotonic()
        # Set once the kernel is connected (or the run ended without one): until then no
        # other student code may run, so nothing can be planted for the kernel's start.
        self.kernel_started = threading.Event()
        self.live = {}   # the cell running now (execute.py's `live`)
        self.cells = []  # the notebook's cells, once read (to name the running one)
        self._thread = threading.Thread(target=self._run, name="notebook", daemon=True)
        self._thread.start()

    def now(self):
        """'notebook In [9] (best_net = ...) running for 40 s (12 code cells run in all)', or ""
        between cells. Cells are named as the feedback names them."""
        live = dict(self.live)
        if "cell" not in live:
            return ""
        return (f"notebook {read.cell_name(self.cells, live['cell'])} running for {time.monotonic() - live['since']:.0f} s "
                f"({live['cells']} code cells run in all)")

    def _run(self):
        try:
            self.result = self._execute()
        except BaseException as exc:  # handed to finish(), in the checks' thread
            self.error = exc
        finally:
            self.kernel_started.set()

    def _execute(self):
        if not self.notebook_path:
            return NotebookResult(submitted=False, problem="classification_nn.ipynb was not in your submission")
        result = NotebookResult(submitted=True)
        try:
            nb = read.load(self.notebook_path)
            result.claims["stored"] = read.claimed(nb)
        except Exception as exc:  # not JSON, not a notebook
            result.problem = f"classification_nn.ipynb could not be read as a notebook ({exc})"
            return result
        self.cells = nb.cells
        result.best_net_cell = read.best_net_cell(nb)
        cell = (nb.cells[read.best_net_created(nb, result.best_net_cell)]
                if result.best_net_cell is not None else None)
        self.seed = read.seed_of(cell) if cell is not None else None
        began = time.monotonic()
        from .. import machine
        quota = machine.cpu_quota()
        # CPU time: the limits count the kernel's CPU seconds, which a quota does not stretch.
        speed = cost.speed(quota=1.0)
        result.timing["calibration"] = time.monotonic() - began
        limits = NotebookLimits(result.best_net_cell, speed, quota)
        cores = self.cores
        alongside = cores >= config.RETRAIN_ALONGSIDE_CORES
        retrainer = _Retrainer(BEST_NET_SEED, alongside, self.data_dir)
        # One BLAS thread, as the budget's grading machine: CPU seconds are then the work
        # (threads that spin while they wait would count, more on more cores).
        env = self.sandbox.env(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
        try:
            began = time.monotonic()
            result.execution = execution = execute(
                nb, self.sandbox, total_timeout=config.NOTEBOOK_TIMEOUT, log=self.log, limits=limits,
                env=env, on_extract=retrainer.offer if alongside else None,
                on_started=self.kernel_started.set, live=self.live)
            result.timing["notebook"] = time.monotonic() - began
            _read_best_net(result, execution, self.data_dir)
            _read_hyperparams(result, execution)
            if result.hyperparams is not None and result.advice.fits:
                began = time.monotonic()
                try:
                    result.retrain = retrainer.result(result.hyperparams, limits.stretch * best_net_limit(speed))
                    result.retrain_seconds = retrainer.current.seconds
                    result.retrain_checkpoints = retrainer.current.checkpoints
                except RetrainFailed as exc:
                    result.retrain_problem = str(exc)
                result.timing["waiting for the grader's training"] = time.monotonic() - began
            result.stopped_by_grader, result.stop_charged = _stopped(result, execution, limits.best_net_seconds)
            if result.stopped_by_grader:
                result.partial = _partial(result, execution)
        finally:
            retrainer.stop()
        result.claims["executed"] = read.claimed(execution.notebook)
        return result

    def finish(self, layers_failed=(), student_training=None):
        """The NotebookResult, judged knowing which layer checks failed. student_training:
        a function of best_net_hyperparams running student_training.attempt (the grader's
        own steps of best_net's network with the student's layers and the reference's)."""
        self._thread.join()
        if self.error is not None:
            raise self.error
        result = self.result
        result.layers_failed = list(layers_failed)
        if student_training is not None and result.hyperparams:
            outcome = student_training(result.hyperparams)
            result.student_training, result.trains_alike = outcome.error, outcome.alike
            result.trains_mismatch = outcome.mismatch
        if result.execution is not None:
            result.verdict = judge.judge(_evidence(result, result.execution, self.seed, layers_failed),
                                         config.SEED_SPREAD)
        result.timing["total"] = time.monotonic() - self.started
        return result

    def stop(self, timeout=10.0):
        """Wait a little for the thread (the caller has killed the kernel)."""
        self._thread.join(timeout)


def run(notebook_path, sandbox, log, data_dir, layers_failed=()):
    """Execute the submitted notebook in `sandbox` and gather what the notebook checks need."""
    return NotebookRun(notebook_path, sandbox, log, data_dir).finish(layers_failed)


def _read_best_net(result, execution, data_dir):
    """The notebook's best_net, measured on the grader's labels, or why not."""
    extracted = execution.extracted
    if not extracted:
        result.problem = f"the notebook did not get far enough to be read: {execution.stopped}"
        return
    problems = extracted.get("problems", [])
    if any(p in problems for p in PROBLEMS_MEANING_NO_BEST_NET):
        result.problem = "the notebook never defines best_net" + _cell_error(result, execution)
        return
    if problems and not (extracted.get("layers") and execution.arrays):  # nothing to measure, and why
        result.problem = "; ".join(problems)
        return
    try:
        result.pairs = evaluate.weights_of(extracted.get("layers", []), execution.arrays)
    except evaluate.ArchitectureError as exc:
        result.problem = str(exc) + _cell_error(result, execution)
        return
    if not evaluate.finite(result.pairs):
        result.pairs, result.problem = None, "best_net's weights contain NaN or inf (training diverged)"
        return
    result.moved = evaluate.moved(result.pairs)
    result.accuracy = evaluate.accuracies(result.pairs, data_dir)


def _cell_error(result, execution):
    """'; the best_net cell (In [n] (...)) raised X' when it did."""
    raised = best_net_cell_raised(result, execution)
    return f"; {raised}" if raised else ""


def best_net_cell_raised(result, execution):
    """'the best_net cell (In [n] (...)) raised X' when it raised (not stopped by us), else ""."""
    index = result.best_net_cell
    for cell, error in execution.errors:
        if cell == index and index not in execution.timed_out:
            return f"the best_net cell ({read.cell_name(execution.notebook.cells, index)}) raised {error}"
    return ""


def _read_hyperparams(result, execution):
    values = (execution.extracted or {}).get("hyperparams")
    result.hyperparams, result.hyperparams_problem = check_hyperparams(values)
    if result.hyperparams is not None:
        result.advice = budget.advise(result.hyperparams, config.BEST_NET_BUDGET)


def _stopped(result, execution, limit):
    """(excused, charged): what to say of best_net's cell when the grader stopped it.

    The grader's own training of best_net_hyperparams (reference layers, this machine,
    this grading) is the evidence: when it took at least limit / STOP_EXCUSED_SLOWDOWN,
    the notebook's training of the setting may well have needed the whole limit, and
    the stop is ours (excused). When it took less, training best_net alone would have
    finished with time to spare: the cell spent the time on more than that (a search,
    another network, a wait), so the stop is charged and best_net is judged as the
    cell left it. Nothing the notebook printed counts."""
    index = result.best_net_cell
    if index is None:
        return "", ""
    stopped = index in execution.timed_out or (execution.stopped_by_time and execution.running == index)
    if not stopped:
        return "", ""
    name = read.cell_name(execution.notebook.cells, index)
    cpu, wall = execution.cell_cpu.get(index, 0.0), execution.cell_seconds.get(index, 0.0)
    own = result.retrain_seconds
    if (index in execution.wall_stopped or index not in execution.timed_out) and (
            cpu < wall / (2 * config.CELL_WALL_SLACK)):
        # Stopped by the wall clock with under 1 / (2 x CELL_WALL_SLACK) of a core: the cell
        # waited (or worked out of the kernel's sight), which no training of best_net_hyperparams
        # needs. A cell that did work, on a machine too loaded to give it 1 / CELL_WALL_SLACK,
        # is judged as a stop by its CPU limit, below (its CPU seconds tell how far it got).
        return "", (f"the best_net cell ({name}) was stopped by the grader after {wall:.0f} s of the "
                    f"wall clock in which it used only {cpu:.0f} s of CPU time (its limit: {limit:.0f} s "
                    "of CPU): it waited, or worked outside the notebook's kernel, and best_net is "
                    "judged as the cell left it")
    if own is not None and own * config.STOP_EXCUSED_SLOWDOWN < limit:
        return "", (f"the best_net cell ({name}) was stopped by the grader's time limit after "
                    f"{cpu:.0f} s of CPU time, though the grader's own training of best_net_hyperparams took "
                    f"{own:.0f} s on the same machine (a stop is excused from "
                    f"{limit / config.STOP_EXCUSED_SLOWDOWN:.0f} s): the cell spent its time on more than "
                    "training best_net once (a search, another network, a wait), or your layers are "
                    f"more than {config.STOP_EXCUSED_SLOWDOWN:g} times slower than the course's (a Python loop "
                    "where a matrix product would do); best_net is judged as the cell left it")
    said = (f"training best_net ({name}) was stopped"
            f" by the grader's time limit after {cpu:.0f} s of CPU time")
    if own is not None:
        said += f" (the grader's own training of best_net_hyperparams took {own:.0f} s here)"
    if result.advice is not None:
        said += f"; {result.advice.message()}"
    return said, ""


def _partial(result, execution):
    """The least an honest training of best_net_hyperparams, stopped where the grader stopped
    best_net's cell, reaches: the grader's own network at the last checkpoint such a training
    has certainly passed, or None when it may not have passed the first.

    In the cell's CPU seconds an honest training does at least seconds / (own x
    STOP_EXCUSED_SLOWDOWN) of its epochs: `own` is the grader's own training of the same
    setting in the same grading (so the machine's load and quota weigh on both), and the
    student's layers may be up to STOP_EXCUSED_SLOWDOWN times slower than the course's. A
    cell that waited, or trained something else, has not got that far."""
    index, own = result.best_net_cell, result.retrain_seconds
    if index is None or not own or not result.hyperparams:
        return None
    epochs = int(result.hyperparams[2])
    seconds = execution.cell_cpu.get(index, 0.0)
    least = epochs * seconds / (own * config.STOP_EXCUSED_SLOWDOWN)
    passed = [c for c in result.retrain_checkpoints if c["epochs"] <= least]
    return {**passed[-1], "of": epochs} if passed else None


def _attempted(execution):
    """Whether a cell that assigns best_net ran (read as code, grader/notebook/read.py)."""
    return any(i in execution.cell_seconds and read.assigns_best_net(cell)
               for i, cell in enumerate(execution.notebook.cells))


def _trained(result, execution):
    """Whether best_net could be measured and a cell whose code trains (a .train(), .train_epoch() or step, or a function of the notebook's
    that does; code, not a comment) ran, even if it raised later. Needed only where the
    accuracy cannot tell: layers that train best_net's network unlike correct ones, whose
    best_net need only not be better than the grader's. Nothing printed counts."""
    # Not its weights' moving: a learning rate at the bottom of the sane range, one epoch,
    # leaves them inside the initial range, and that is training (the hostile corpus's weak notebook).
    if result is None or not result.pairs:
        return False
    cells = execution.notebook.cells
    ran = [cell for i, cell in enumerate(cells) if i in execution.cell_seconds]
    helpers = read.trainers(ran)
    return any(read.trains_code(cell, helpers) for cell in ran)


def _evidence(result, execution, seed, layers_failed):
    over = ""
    if result.advice is not None and not result.advice.fits:
        over = result.advice.message()
    notebook_problem = result.problem
    if result.stopped_by_grader:
        notebook_problem = ""
    return judge.Evidence(
        hyperparams=result.hyperparams, hyperparams_problem=result.hyperparams_problem,
        over_budget=over,
        notebook=result.accuracy or None if not result.stopped_by_grader else None,
        notebook_problem=notebook_problem, stopped_by_grader=result.stopped_by_grader,
        stop_charged=result.stop_charged, cell_raised=best_net_cell_raised(result, execution),
        attempted=_attempted(execution),
        partial=result.partial, as_left=result.accuracy or None,
        trained=_trained(result, execution),
        retrain=result.retrain or None, retrain_problem=result.retrain_problem,
        same_seed=seed == BEST_NET_SEED, layers_failed=list(layers_failed),
        student_training=result.student_training, trains_alike=result.trains_alike,
        trains_mismatch=result.trains_mismatch, policy=config.ACCURACY_POLICY)
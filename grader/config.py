"""Every threshold and budget the grader uses, in one place.

Time limits can be changed without editing code through GRADER_<NAME>
environment variables (e.g. GRADER_NOTEBOOK_TIMEOUT=900 for a slow machine).
"""
import os


def _seconds(name, default):
    return float(os.environ.get(f"GRADER_{name}", default))


# Relative error ||got - want|| / (||got|| + ||want||) allowed between a
# submission's output and the reference's on the same float64 inputs. Both are
# exact formulas, so they agree to rounding (~1e-15); 1e-6 leaves room for a
# different but equivalent order of operations.
FORWARD_RTOL = 1e-6
BACKWARD_RTOL = 1e-6
# A submission's analytic gradient against the centred numerical gradient of its
# own forward (step NUMERIC_STEP, float64): the usual practice is < 1e-7 for a
# correct layer; 1e-5 tolerates kinks near zero without hiding real errors.
NUMERIC_STEP = 1e-5
NUMERIC_RTOL = 1e-5
# Loss values: a small epsilon inside the log (up to about 1e-8, common in
# student code) is fine; a wrong formula is off by far more than this.
LOSS_RTOL = 1e-4
# The loss when the true class has probability 1e-6: the course's real notebooks
# add epsilons of 1e-7 to 1e-15 inside the log (COURSE_INTERFACE.md), and the course
# never asks for less, so every one of them passes (1e-7 moves this loss by a
# relative 3.3e-3); 1e-6, as large as the probability itself, does not (2.4e-2).
LOSS_TINY_PROB = 1e-6
LOSS_TINY_RTOL = 5e-3
# Parameters after SGD steps on a small network, against the reference's.
TRAIN_RTOL = 1e-6

# Seconds one worker call may take before the worker is killed. Layer calls
# get tiny arrays: even a loop-per-sample implementation needs well under 1 s.
CALL_TIMEOUT = _seconds("CALL_TIMEOUT", 5)
# Seconds for the training probes (a few hundred steps of a tiny network).
TRAIN_TIMEOUT = _seconds("TRAIN_TIMEOUT", 10)

# The notebook's accuracy targets.
VAL_ACCURACY_THRESHOLD = 0.40
TEST_ACCURACY_THRESHOLD = 0.35
# The toy 4-10-3 network: after TOY_STEPS full-batch steps the reference's loss
# is about 0.01 from about 1.3; a working submission must get below this.
TOY_STEPS = 300
TOY_FINAL_LOSS = 0.1

# ---- Time: what the notebook may take (the student README and utils/budget.py say it) ----
# Training best_net: BEST_NET_BUDGET seconds on the grading machine, as the
# reference's utils/budget.py predicts them from best_net_hyperparams (whose
# BUDGET_SECONDS must equal this default: a test checks). Whether a setting fits
# is decided on the grading machine's figures, so it is the same answer on every
# machine; over it, best_net is not graded (6.3-6.5 say why, once). The model came
# within 10 % of measured training (docs/cost_model.md); the cell's own limit
# allows BEST_NET_MARGIN for its error, times how much slower this machine is
# than the grading machine (grader/cost.py, never less than 1), plus
# BEST_NET_CELL_EXTRA for the rest of the cell (building the network, printing).
#
# The arithmetic for Gradescope's default of 600 s on one core: the kernel,
# imports and data 10 s, the other cells at most NOTEBOOK_OTHER_CELLS_TIMEOUT
# (the course's first network of 30 epochs takes 9 s of it), best_net at most
# 1.3 * 150 + 15 = 210 s, the grader's own training of best_net (reference
# layers) as long again, the layer checks and the grader's work 20 s:
# 10 + 120 + 210 + 210 + 20 = 570 s. The reference's best_net takes 31 s and a
# grading of it about a minute. Where two cores are free the grader trains its
# own best_net beside the notebook's (config.RETRAIN_ALONGSIDE_CORES).
BEST_NET_BUDGET = _seconds("BEST_NET_BUDGET", 150)
BEST_NET_MARGIN = 1.3
BEST_NET_CELL_EXTRA = 15
# A best_net cell stopped at its limit (our policy): the stop is the grader's, not
# counted, when training best_net_hyperparams may really need that long in the
# notebook: when the grader's own training of them (reference layers, the same
# machine, the same grading, its training loop alone) took at least the cell's
# limit / STOP_EXCUSED_SLOWDOWN. The notebook's training may so be up to this many
# times slower than the grader's (layers written less efficiently, a kernel beside
# it) and still be excused. Otherwise the cell spent its time on more than
# training best_net once (a search, a second network, a wait): the stop is charged
# where it shows, in best_net judged as the cell left it (6.5, and 6.3-6.4 when it
# is not credible). What the notebook prints never decides it.
STOP_EXCUSED_SLOWDOWN = 2.0
# best_net's limits scale with this machine's slowness against the grading
# machine (grader/cost.py), up to this factor: the bounds below (NOTEBOOK_TIMEOUT,
# GRADING_DEADLINE) are sized for it, so no student's choice of epochs can push a
# grading past them on a slower machine.
SLOWEST_MACHINE = 2.0
# Every other cell: at most NOTEBOOK_CELL_TIMEOUT each and NOTEBOOK_OTHER_CELLS_TIMEOUT
# in all (a search left in the notebook is stopped, and said to be, at no cost);
# once the pool is spent each later cell still gets NOTEBOOK_CELL_MIN_TIMEOUT
# (evaluating and plotting take seconds). Seconds of the grading machine, like the
# budget: a slower machine (or a loaded one) allows as many times more, up to
# SLOWEST_MACHINE (grader/notebook/run.py's NotebookLimits).
NOTEBOOK_CELL_TIMEOUT = _seconds("NOTEBOOK_CELL_TIMEOUT", 90)
NOTEBOOK_OTHER_CELLS_TIMEOUT = _seconds("NOTEBOOK_OTHER_CELLS_TIMEOUT", 120)
NOTEBOOK_CELL_MIN_TIMEOUT = _seconds("NOTEBOOK_CELL_MIN_TIMEOUT", 20)
# These limits count CPU seconds of the kernel's processes (grader/notebook/cpu_meter.py),
# not of the wall clock: a loaded machine or a CPU quota stretches a cell's wall time,
# not the work it does, so the same cell is stopped, or not, wherever it runs. The
# kernel's numpy runs one BLAS thread, as the budget's grading machine (one core), so
# that its CPU time is the work too (threads that spin while they wait would count).
# A cell that uses no CPU (it waits) or hides its work outside the kernel's processes
# is stopped at CELL_WALL_SLACK times its limit of the wall clock (divided by the CPU
# quota, where it is below one core); a machine so loaded that the kernel gets less
# than 1 / CELL_WALL_SLACK of a core stops cells there too.
CELL_WALL_SLACK = 3.0
# The whole notebook, as a last bound: the pool, best_net's cell at the budget on
# the slowest machine, and the minimum for ten more cells.
NOTEBOOK_TIMEOUT = _seconds("NOTEBOOK_TIMEOUT", SLOWEST_MACHINE * (
    NOTEBOOK_OTHER_CELLS_TIMEOUT + BEST_NET_MARGIN * BEST_NET_BUDGET + BEST_NET_CELL_EXTRA
    + 10 * NOTEBOOK_CELL_MIN_TIMEOUT))
# A grading's own work besides training best_net, on the grading machine, for the
# batch's prediction of its total time (benchmarks/bench_grading.py measures it):
# the sandbox, the worker and the layer checks; the kernel, imports, data, the
# notebook's cells other than best_net's (the course's first network: 9 s), the
# grader's accuracy measurements.
GRADING_OVERHEAD_LAYERS = 5
GRADING_OVERHEAD_NOTEBOOK = 25
# The grader's own training of best_net beside the notebook's needs a core of its
# own: with fewer cores free for the grading, it runs after the notebook.
RETRAIN_ALONGSIDE_CORES = 2
# Which network the accuracy checks 6.3 and 6.4 judge (grader/notebook/judge.py):
# "isolate" (default): best_net_hyperparams trained by the grader with the
#   reference layers, so that a layer bug costs its layer checks only (one cause,
#   one deduction), and what is graded cannot depend on anything the student's
#   code does; the notebook's best_net must agree with it (6.5).
# "cascade": the notebook's own best_net, so a layer bug also costs the accuracy
#   checks (their message names the failed layer checks).
ACCURACY_POLICY = os.environ.get("GRADER_ACCURACY_POLICY", "isolate")
# A notebook uploaded without layers/ (grader/upload.py) runs with layer files that
# are (its layer checks score 0 either way, saying so):
# "stub" (default): ones that raise NotImplementedError naming the missing file.
#   The notebook stops where it first uses a layer; nothing of the reference's
#   solution is where student code can read it.
# "reference": the course's reference layers, so the notebook's training and
#   accuracy checks can still earn points. Student code can then read, print
#   and show in its outputs the reference solution: only for after the deadline.
NOTEBOOK_ONLY_LAYERS = os.environ.get("GRADER_NOTEBOOK_ONLY_LAYERS", "stub")
# Sane best_net_hyperparams = [lr, weight_decay, epoch, hidden_size]: whole,
# positive sizes and finite rates. Not a time limit (that is the budget).
HYPERPARAM_RANGES = {"lr": (0.0, 1e3), "weight_decay": (0.0, 1e3),
                     "epoch": (1, 10 ** 6), "hidden_size": (1, 10 ** 5)}
# How far best_net's accuracy moves between two trainings of the same
# best_net_hyperparams from different seeds (initial weights, minibatch order),
# on the notebook's 250 validation and 500 test images: the largest max - min
# over 10 seeds of each of four settings (the reference's and three like
# students'), plus 0.0005 for an accuracy printed with three decimals, rounded
# up (scripts/seed_spread.py, docs/seed_spread.md: largest ranges 0.112 and
# 0.118, both from one seed of [0.1, 0.001, 150, 100] whose training stalled;
# the other settings' ranges are 0.064-0.100). A retrain of best_net from
# another seed may differ from the notebook's by this much.
SEED_SPREAD = {"validation": 0.113, "test": 0.119}
# A stored output may claim up to this much more accuracy than the grader
# measures before it is reported: the notebook runs without a seed, so the
# student's run and the grader's are two seeds, and no two honest runs measured
# differed by more than SEED_SPREAD (one tolerance serves both splits: the larger).
CLAIM_TOLERANCE = max(SEED_SPREAD.values())

# How much of a notebook the grader reads (grader/notebook/read.py), so that a
# notebook of any size is read in bounded time. Each is far above real notebooks:
# the course's has about 40 cells, students' with tuning loops a few hundred; a
# cell's outputs are a few streams (the kernel sends prints in batches, a few a
# second) and figures, a grid search with a plot per setting makes dozens; 1500
# epochs of Trainer output are about 3000 lines, 75,000 characters. Cut: cells past
# the first NOTEBOOK_MAX_CELLS, all but a cell's last NOTEBOOK_MAX_OUTPUTS outputs
# (an error and the final prints come last), all but an output's last
# NOTEBOOK_MAX_TEXT characters (the accuracy printed last is the one read); the
# inline answer is read up to reference/utils/inline_answer.py's ANSWER_CHARS.
NOTEBOOK_MAX_CELLS = 5000
NOTEBOOK_MAX_OUTPUTS = 500
NOTEBOOK_MAX_TEXT = 200_000

# Resource limits of every process that runs student code (worker and kernel),
# set soft = hard so student code cannot raise them. Wall-clock time limits
# above do most of the work; these stop what a clock cannot: memory and disk
# bombs, fork bombs, runaway CPU in a detached child.
SANDBOX_LIMITS = {
    "address_space": 4 * 1024 ** 3,   # virtual memory: numpy, BLAS and the data fit in 4 GiB
    "file_size": 256 * 1024 ** 2,     # a best_net of 4096 hidden units saves ~100 MB
    "open_files": 512,
    "core_size": 0,
    "cpu_seconds": int(NOTEBOOK_TIMEOUT + 60),
}
# Processes the sandbox user may have: a Jupyter kernel needs a few dozen threads.
SANDBOX_PROCESSES = 128
# Layers of the sandbox beyond the user switch and the limits (grader/sandbox/):
# "try" sets one up where the machine allows it and records whether it was in
# force; "off" never does. Namespaces need root or user namespaces (Gradescope's
# containers forbid them); Landlock needs Linux 5.13+ (TCP rules 6.7+).
SANDBOX_NAMESPACES = os.environ.get("GRADER_SANDBOX_NAMESPACES", "try")
SANDBOX_LANDLOCK = os.environ.get("GRADER_SANDBOX_LANDLOCK", "try")
# A seccomp filter (grader/sandbox/seccomp.py): EPERM for the kernel's keyring
# calls (per uid, not namespaced, they outlive a grading). "try" / "off" /
# "require", like Landlock; "seccomp" may also be named in SANDBOX_REQUIRE.
SANDBOX_SECCOMP = os.environ.get("GRADER_SANDBOX_SECCOMP", "try")
# A control group per grading (grader/sandbox/cgroups.py), as root where cgroups
# can be written: one CPU share (equal between gradings under contention, not a
# cap) and one memory limit for all its processes, so a grading cannot starve a
# classmate's beside it however many processes it starts.
SANDBOX_CGROUPS = os.environ.get("GRADER_SANDBOX_CGROUPS", "try")
# All of a grading's student processes together: the kernel with the notebook's
# data and a network well past the budget's, the worker, what they start.
SANDBOX_GROUP_MEMORY = 6 * 1024 ** 3
# Layers without which no student code runs here: any of "namespaces",
# "landlock", "cgroups", "no network" (comma-separated in GRADER_SANDBOX_REQUIRE). As root
# the user switch, and student code being unable to read the grader's files and
# the real labels (by whichever layer), are always required.
SANDBOX_REQUIRE = tuple(filter(None, os.environ.get("GRADER_SANDBOX_REQUIRE", "").split(",")))
# The private /tmp and /dev/shm inside the namespaces (memory-backed), each.
SANDBOX_TMP_BYTES = 256 * 1024 ** 2
# Removing what student code left (grader/sandbox/remove.py): past this, the
# folder is left behind and logged rather than holding up the grading. A disk
# full of small files (the file-size and process limits allow) goes in ~10 s.
REMOVE_SECONDS = 60
# What student code inherits from the grader's environment; everything else is dropped.
PASSED_ENV = ("PATH", "LANG", "LC_ALL", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
# Running as root, student code runs as an unprivileged uid of its own: one of
# SANDBOX_SLOTS uids from SANDBOX_UID_BASE, never shared by two gradings at once
# (gradings side by side must not be able to signal or read each other).
SANDBOX_UID_BASE = 61000
SANDBOX_SLOTS = 64
# Where the slot locks are not shared by everything that shares the kernel's uids, a
# fixed base is not private: Docker without user-namespace remapping (Gradescope) gives
# every container on a host the same uid 61000, so containers count one RLIMIT_NPROC
# together and can signal each other's student code. "random" draws the base per
# grading, a multiple of SANDBOX_SLOTS in [2**20, 2**30) (16 million bases: two
# gradings on a host collide with odds about 1 in 16 million per pair); "fixed" always
# uses SANDBOX_UID_BASE (its slot locks keep one machine's gradings apart, and a claim
# kills what a crashed grading of the slot left); "auto" is random inside a container
# whose uids are the host's (/.dockerenv or /run/.containerenv, and an identity
# /proc/self/uid_map), else fixed. Gradescope's entry (gradescope/autograde.py) sets
# "random": one grading per container, every container on a host sharing its uids.
SANDBOX_UID_POLICY = "fixed"

# Code cells of a notebook the grader runs (the rest are not run, and 6.1 says
# so): real notebooks have well under 200; a cell costs the grader a round trip.
NOTEBOOK_MAX_RUN_CELLS = 1000
# The notebook's kernel, seen from the grader: seconds it may take to start,
# the largest message the grader accepts from it (a figure is well under 1 MB),
# and the outputs kept, per cell (its last ones) and in all.
KERNEL_START_TIMEOUT = _seconds("KERNEL_START_TIMEOUT", 60)
# The layer checks wait for the kernel to be up (grade.py): its start, and the
# machine's calibration before it (grader/cost.py, cached after the first grading).
KERNEL_START_WAIT = KERNEL_START_TIMEOUT + 60
NOTEBOOK_MESSAGE_BYTES = 16 * 1024 ** 2
NOTEBOOK_OUTPUT_BYTES_PER_CELL = 8 * 1024 ** 2
NOTEBOOK_OUTPUT_BYTES = 64 * 1024 ** 2
# best_net as the kernel sends it after a cell: seconds allowed, and its size
# (a best_net of 4096 hidden units is about 100 MB of float64).
EXTRACT_TIMEOUT = _seconds("EXTRACT_TIMEOUT", 15)
EXTRACT_MAX_BYTES = 160 * 1024 ** 2
# Worker calls the layer checks make at most, each up to CALL_TIMEOUT (the two
# training probes TRAIN_TIMEOUT): 31 for the reference, a few more for the notes
# on a wrong gradient (tests/unit/test_deadline.py counts them).
LAYER_CHECK_CALLS = 40
# The grader's own last resort: past this many seconds a grading writes the
# results of the checks it finished (the rest score 0, saying the grader ran
# out of time) and ends. Above the longest student code can make a grading
# take: the kernel's start, then the layer checks side by side with the
# notebook, then the grader's own training of best_net on the slowest machine,
# plus room for the grader's own work. So no submission can make it fire.
GRADING_DEADLINE = _seconds("GRADING_DEADLINE", KERNEL_START_WAIT + max(
    NOTEBOOK_TIMEOUT, LAYER_CHECK_CALLS * CALL_TIMEOUT + 2 * TRAIN_TIMEOUT)
    + SLOWEST_MACHINE * (BEST_NET_MARGIN * BEST_NET_BUDGET + BEST_NET_CELL_EXTRA) + 180)
# The backstop (grader/backstop.py), a process of its own, ends a grader still
# running this long after GRADING_DEADLINE and writes its results: for a grader
# stuck where its watchdog thread cannot run. The watchdog needs seconds to kill
# student code and write; the rest is margin for a loaded machine.
BACKSTOP_GRACE = _seconds("BACKSTOP_GRACE", 120)
# How often `python -m grader` says on stderr what it is doing and the time left;
# its lines start with PROGRESS_PREFIX, by which the batch finds them (its progress
# names each running grading's latest).
PROGRESS_SECONDS = _seconds("PROGRESS_SECONDS", 15)
PROGRESS_PREFIX = "grader: "
# A platform that ends a whole grading itself (Gradescope's autograder timeout: 600 s
# by default, up to 40 min, set in the assignment's settings and given to the build,
# `python -m gradescope.build --platform-timeout S`) shows the student 0 and no tests
# when it fires. fit_platform() brings the grader's deadline and its backstop in
# under it, PLATFORM_MARGIN before, so results.json is always ours: the checks done,
# and "grader error" for the rest, for the staff to regrade on a larger tier.
PLATFORM_TIMEOUT = 600
PLATFORM_MARGIN = 20


def fit_platform(timeout):
    """Size GRADING_DEADLINE and BACKSTOP_GRACE to end `timeout` seconds' platform limit
    PLATFORM_MARGIN early (the backstop's grace at most a tenth of it)."""
    global GRADING_DEADLINE, BACKSTOP_GRACE
    BACKSTOP_GRACE = min(BACKSTOP_GRACE, 0.1 * timeout)
    GRADING_DEADLINE = min(GRADING_DEADLINE, timeout - BACKSTOP_GRACE - PLATFORM_MARGIN)

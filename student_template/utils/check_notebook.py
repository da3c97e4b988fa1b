"""Check classification_nn.ipynb before you submit: run it as the grader will, here.

    python -m utils.check_notebook              # run it, then train best_net at the grader's seed
    python -m utils.check_notebook --no-train   # run it only
    python -m utils.check_notebook --quick      # read the saved file only (a second)

Run it in the assignment folder. The grader runs your notebook again, top to
bottom in a fresh kernel, with time limits (utils/budget.py holds them, in
seconds on the grading machine). This command does the same on your machine:
it runs the notebook in a fresh kernel (your file is not changed), times every
cell, and tells each cell's time in the grading machine's seconds, by timing
the same replica of a training step that the grader uses to measure its own
machine (utils/budget.py's measure()). It reports what can be judged here:

  - cells that raise, and cells the grader would stop at its limit for cells
    other than best_net's (a search left in the notebook, say), and what that
    stop leaves undefined later;
  - best_net_hyperparams against the time budget;
  - the validation accuracy of best_net_hyperparams trained at the grader's
    seed (0), with your layers, against the grader's 40%;
  - the loss and weights plots, the printed test accuracy, the inline
    answer's form.

Only the grader judges: your layers against the hidden checks, best_net as it
trains it with the course's layers, the test accuracy on its own labels, whether
your notebook's best_net agrees with its training (6.5), and which inline
options are right. Times here are estimates: a busy laptop reads slower.

`--quick` (what `python -m utils.pack_submission` runs before it packs) reads
the saved notebook without running it: best_net_hyperparams and the budget,
whether it was run top to bottom, errors saved in it, the answer's form.
Exit status: 0 when nothing was found, 1 when a problem was, 2 when the
notebook could not be read or run.
"""
import argparse
import contextlib
import io
import json
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import budget, inline_answer, notebook_code

ASSIGNMENT = Path(__file__).resolve().parent.parent
NOTEBOOK = "classification_nn.ipynb"
# The grader's accuracy targets (grader/config.py; a test checks they agree).
VAL_ACCURACY_THRESHOLD = 0.40
TEST_ACCURACY_THRESHOLD = 0.35
# How the template's best_net cell trains (and so the grader's own training).
SEED, BATCH_SIZE = 0, budget.BATCH
SUBSETS = {"subset_train": budget.TRAIN, "subset_val": budget.VAL, "subset_test": budget.TEST}
# The kernel gets one BLAS thread: the budget and the speed measurement are one core's.
ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


def missing_notebook(folder):
    """What to say when `folder` has no classification_nn.ipynb: the notebook under another
    name (a browser saves a second download as "classification_nn (1).ipynb") is named."""
    others = sorted(p.name for p in Path(folder).glob("*.ipynb") if p.is_file() and p.name != NOTEBOOK)
    if others:
        return (f"{NOTEBOOK} is not in {folder}, but {', '.join(others)} is: rename the notebook you "
                f"submit to {NOTEBOOK} (the name the grader looks for) and run this again.")
    return (f"{NOTEBOOK} is not in {folder}: run this in your assignment folder, the one holding "
            f"layers/ and the notebook.")


@dataclass
class Finding:
    """One line of the report: `problem` costs points at grading, `ok` and `note` do not."""
    level: str   # "problem", "ok" or "note"
    text: str

    def __str__(self):
        return f"{self.level}: {self.text}"


def _source(cell):
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def best_net_cell(cells):
    """Index of best_net's cell, found as the grader finds it (utils/notebook_code.py)."""
    return notebook_code.best_net_cell(cells)


def _error(output):
    """'NameError: name 'y' is not defined', without a final period (the sentence adds one)."""
    return f"{output.get('ename', 'Error')}: {str(output.get('evalue', ''))[:200]}".rstrip(" .")


def _errors(cell):
    return [_error(o) for o in cell.get("outputs", []) if o.get("output_type") == "error"]


def _name(index, cells):
    return notebook_code.cell_name(cells, index)


# ---- What the saved file tells, without running it ----

def hyperparams_findings(notebook):
    values = budget.notebook_hyperparams(notebook)
    if values is None:
        return [Finding("problem", "best_net_hyperparams is not set: checks 6.2-6.5 need "
                                   "best_net_hyperparams = [lr, weight_decay, epoch, hidden_size].")]
    if values == "computed":
        return [Finding("note", "best_net_hyperparams is computed, not written as numbers: only "
                                "running the notebook tells its value and its time.")]
    if not (isinstance(values, (list, tuple)) and len(values) == 4
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)):
        return [Finding("problem", f"best_net_hyperparams is {values!r}: the grader expects four "
                                   "numbers [lr, weight_decay, epoch, hidden_size].")]
    advice = budget.advise(values)
    if not advice.fits:
        return [Finding("problem", advice.message() + " Over the budget, best_net is not graded "
                                   "(6.3-6.5).")]
    return [Finding("ok", advice.message())]


def answer_findings(cells):
    """The inline answer as the grader reads it (utils/inline_answer.py: the same reader)."""
    text = inline_answer.inline_answer(cells)
    if text is None:
        return [Finding("problem", "no answer to the inline question was found: write it in the markdown "
                                   "cell under the question, starting with the numbers of your choices "
                                   "('Your answer: <numbers>'), then explain.")]
    picked = inline_answer.choices(text)
    if not picked:
        return [Finding("problem", "the inline answer names no option the grader can read: start it with "
                                   "the numbers of your choices ('Your answer: <numbers>'), then explain.")]
    return [Finding("ok", f"the grader reads your inline answer as option(s) "
                          f"{', '.join(map(str, sorted(picked)))}; if you meant others, start the answer "
                          "with their numbers. Whether they are the right ones only the grader judges.")]


def saved_findings(notebook):
    """Whether the saved notebook was run top to bottom, and the errors saved in it."""
    cells = notebook.get("cells", [])
    code = [(i, c) for i, c in enumerate(cells) if c.get("cell_type") == "code" and _source(c).strip()]
    counts = [c.get("execution_count") for _, c in code]
    findings = []
    if code and not any(counts):
        findings.append(Finding("note", "the notebook was saved without being run: the grader runs it "
                                        "anyway, but you have not seen what it does there: run it top "
                                        "to bottom in Jupyter (Kernel > Restart Kernel and Run All "
                                        "Cells) and save it (python -m utils.check_notebook runs it as "
                                        "the grader will, without changing the file)."))
    elif code and counts != list(range(1, len(code) + 1)):
        findings.append(Finding("note", "the notebook was not saved right after one run from a fresh "
                                        "start (its cells' run counts are not 1, 2, 3, ...): the "
                                        "grader runs it that way; check it does what you saw."))
    for index, cell in code:
        for error in _errors(cell)[:1]:
            findings.append(Finding("problem", f"{_name(index, cells)} raised {error} when you last "
                                               "ran it."))
    return findings


def search_findings(cells):
    """Cells other than best_net's that train in a loop: a search left in, which the grader
    runs again and stops at its limit for such cells."""
    codes = notebook_code.codes(cells)
    helpers = notebook_code.trainers(codes)
    best = best_net_cell(cells)
    return [Finding("note", f"{_name(index, cells)} trains in a loop (a search?): the grader runs it "
                            f"again and stops a cell other than best_net's after about "
                            f"{budget.CELL_SECONDS} s on the grading machine ({budget.OTHER_CELLS_SECONDS} s "
                            "for all such cells together). python -m utils.check_notebook tells whether "
                            "it would be; leave searches out of the notebook you submit.")
            for index, code in enumerate(codes) if index != best and notebook_code.searches(code, helpers)]


def _admit(cells):
    """The grader's bound on reading a notebook's code (notebook_code.admit), here too."""
    notebook_code.admit(c.get("source", "") for c in cells if isinstance(c, dict) and c.get("cell_type") == "code")


def quick(notebook):
    """Findings from the saved notebook (a dict, json.load of the file), without running it."""
    cells = notebook.get("cells", [])
    _admit(cells)
    return (hyperparams_findings(notebook) + saved_findings(notebook) + search_findings(cells)
            + answer_findings(cells))


# ---- Running it as the grader does ----

@dataclass
class Limits:
    """The grader's limits told in this machine's seconds: `slowness` times the grading machine's."""
    slowness: float

    def best_net(self):
        return (budget.BEST_NET_MARGIN * budget.BUDGET_SECONDS + budget.BEST_NET_CELL_EXTRA) * self.slowness

    def other(self, pool_left):
        """A cell other than best_net's: CELL_SECONDS, from what is left of the pool, at least
        MIN_CELL_SECONDS."""
        return max(budget.MIN_CELL_SECONDS, min(budget.CELL_SECONDS, pool_left)) * self.slowness


def execute(notebook, folder, limits, log=print):
    """Run `notebook` (an nbformat node) in a fresh kernel in `folder`, each cell under the
    grader's limit for it (the kernel is interrupted there, as the grader stops it). Returns
    ({index: seconds}, [indices stopped])."""
    from nbclient import NotebookClient

    client = NotebookClient(notebook, timeout=600, kernel_name="python3", allow_errors=True,
                            interrupt_on_timeout=True, resources={"metadata": {"path": str(folder)}})
    best = best_net_cell(notebook.cells)
    seconds, stopped, pool = {}, [], float(budget.OTHER_CELLS_SECONDS)
    saved = {k: os.environ.get(k) for k in ONE_THREAD}
    os.environ.update(ONE_THREAD)  # the kernel inherits them
    try:
        with client.setup_kernel():
            for index, cell in enumerate(notebook.cells):
                if cell.cell_type != "code":
                    continue
                limit = limits.best_net() if index == best else limits.other(pool)
                client.timeout = max(1, int(limit + 0.999))
                log(f"  {_name(index, notebook.cells)} ...", end="", flush=True)
                start = time.monotonic()
                client.execute_cell(cell, index)
                seconds[index] = time.monotonic() - start
                if seconds[index] >= limit:
                    stopped.append(index)
                if index != best:
                    pool = max(0.0, pool - seconds[index] / limits.slowness)
                log(f" {seconds[index]:.1f} s here, about {seconds[index] / limits.slowness:.0f} s on "
                    "the grading machine")
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return seconds, stopped


def run_findings(notebook, seconds, stopped, limits):
    """What the run shows: errors, stops and what they leave undefined, the plots, the test print."""
    cells, findings = notebook.cells, []
    best = best_net_cell(cells)
    unfinished = {}   # index of a cell that did not finish -> (how, the names it binds)
    for index in sorted(seconds):
        grading = seconds[index] / limits.slowness
        binds = notebook_code.read_cell(_source(cells[index])).binds
        if index in stopped:
            what = "best_net's cell" if index == best else "a cell other than best_net's"
            allowed = (budget.BEST_NET_MARGIN * budget.BUDGET_SECONDS + budget.BEST_NET_CELL_EXTRA
                       if index == best else budget.CELL_SECONDS)
            if index == best:
                consequence = (f"it ran past the limit for {what} (about {allowed:.0f} s on the grading "
                               "machine). The grader then judges best_net as the cell left it, unless its "
                               "own training of best_net_hyperparams takes at least "
                               f"{allowed / budget.STOP_EXCUSED_SLOWDOWN:.0f} s there (then the stop is "
                               "its own, not counted). Keep only best_net's training in that "
                               "cell; leave searches out of the notebook you submit.")
            else:
                consequence = (f"it ran past the limit for {what} (about {allowed:.0f} s on the grading "
                               f"machine, all such cells {budget.OTHER_CELLS_SECONDS} s together). Leave "
                               "searches out of the notebook you submit; keep their result in "
                               "best_net_hyperparams.")
            findings.append(Finding("problem", f"{_name(index, cells)} would be stopped by the grader: "
                                               + consequence))
            unfinished[index] = ("was stopped", binds)
            continue
        errors = _errors(cells[index])
        if errors:
            error = errors[0]
            name = re.match(r"NameError: name '(\w+)'", error)
            cause = next((i for i, (_, names) in unfinished.items() if name and name.group(1) in names), None)
            if cause is not None:
                findings.append(Finding("problem", f"{_name(index, cells)} raised {error}: "
                                                   f"{_name(cause, cells)}, which sets it, "
                                                   f"{unfinished[cause][0]} (above)."))
            else:
                findings.append(Finding("problem", f"{_name(index, cells)} raised {error}."))
            unfinished[index] = ("raised", binds)
        elif grading > budget.CELL_SECONDS / 2 and index != best:
            findings.append(Finding("note", f"{_name(index, cells)} took {seconds[index]:.0f} s here, about "
                                            f"{grading:.0f} s on the grading machine, of the "
                                            f"{budget.CELL_SECONDS} s it allows."))
    findings += _output_findings(cells)
    return findings


def _images(cell):
    return any("image/png" in o.get("data", {}) for o in cell.get("outputs", []))


def _output_findings(cells):
    """The plots and the test print, in the cells the grader reads (notebook_code.find)."""
    found = []
    for what, (tag, fragments) in (("loss plot", notebook_code.LOSS_PLOT),
                                   ("weights plot", notebook_code.WEIGHTS_PLOT)):
        drawn = any(_images(c) for c in notebook_code.find(cells, tag, fragments))
        found.append(Finding("ok", f"the {what} was drawn.") if drawn else
                     Finding("problem", f"the {what} produced no image."))
    tests = notebook_code.find(cells, *notebook_code.TEST_ACCURACY)
    printed = any(re.search(r"\d\.\d", "".join(o.get("text", "") for o in c.get("outputs", [])))
                  for c in tests)
    found.append(Finding("ok", "best_net's test accuracy was printed (the grader measures it on its "
                               "own labels).") if printed else
                 Finding("problem", "best_net's test accuracy was not printed."))
    return found


def grader_seed_accuracy(notebook, folder):
    """The validation accuracy of best_net_hyperparams trained as the template's best_net cell
    does (seed 0, batch 200, the notebook's 5000 training images), with the layers in `folder`."""
    values = budget.notebook_hyperparams(notebook)
    if not (isinstance(values, (list, tuple)) and len(values) == 4) or not budget.advise(values).fits:
        return []
    sys.path.insert(0, str(folder))
    import numpy as np
    from layers.linear import Linear
    from layers.loss_func import CrossEntropyLoss
    from layers.relu import ReLU
    from layers.sequential import Sequential
    from layers.softmax import Softmax
    from utils.data_processing import get_cifar10_data
    from utils.dataset import DataLoader
    from utils.evaluation import get_classification_accuracy
    from utils.optimizer import SGD
    from utils.trainer import Trainer

    lr, weight_decay, epoch, hidden = values
    try:
        data = get_cifar10_data(**SUBSETS)
        loader = DataLoader(data["x_train"], data["y_train"], data["x_val"], data["y_val"],
                            data["x_test"], data["y_test"])
        np.random.seed(SEED)
        net = Sequential([Linear(budget.D, int(hidden)), ReLU(), Linear(int(hidden), budget.C), Softmax()])
        with contextlib.redirect_stdout(io.StringIO()):
            Trainer(loader, SGD(net, lr, weight_decay), net, CrossEntropyLoss(), epoch=int(epoch),
                    batch_size=BATCH_SIZE, validate_interval=budget.VALIDATE_INTERVAL).train()
        accuracy = get_classification_accuracy(net.predict(data["x_val"]), data["y_val"])
    except Exception as exc:  # the student's layers: any error is theirs to see
        return [Finding("problem", f"training best_net_hyperparams at seed {SEED} with your layers "
                                   f"raised {type(exc).__name__}: {exc}")]
    said = (f"best_net_hyperparams trained at the grader's seed ({SEED}) with your layers reach "
            f"{accuracy:.3f} on the validation images")
    if accuracy > VAL_ACCURACY_THRESHOLD:
        return [Finding("ok", f"{said}, over the {VAL_ACCURACY_THRESHOLD:.0%} the grader asks (it trains "
                              "them with the course's layers; the test accuracy over "
                              f"{TEST_ACCURACY_THRESHOLD:.0%} it judges on its own labels).")]
    return [Finding("problem", f"{said}, not over the {VAL_ACCURACY_THRESHOLD:.0%} the grader asks: "
                               "tune best_net_hyperparams further (or fix your layers first, if "
                               "python -m pytest tests fails).")]


def check(folder, train=True, log=print):
    """Every finding of the full check of `folder`'s notebook; raises OSError/ValueError when it
    cannot be read."""
    import nbformat

    path = Path(folder) / NOTEBOOK
    with open(path, encoding="utf-8") as f:
        saved = json.load(f)
    _admit(saved.get("cells", []))
    findings = hyperparams_findings(saved) + answer_findings(saved.get("cells", []))
    log("Measuring this machine against the grading machine ...")
    limits = Limits(max(0.05, budget.slowness(budget.measure())))
    log(f"  training here takes about {limits.slowness:.2f} times as long as on the grading machine.")
    log(f"Running {NOTEBOOK} in a fresh kernel, as the grader does (your file is not changed):")
    notebook = nbformat.reads(json.dumps(saved), as_version=4)
    seconds, stopped = execute(notebook, folder, limits, log)
    findings += run_findings(notebook, seconds, stopped, limits)
    values = budget.notebook_hyperparams(saved)
    if train and isinstance(values, (list, tuple)) and len(values) == 4 and budget.advise(values).fits:
        log(f"Training best_net_hyperparams at the grader's seed ({SEED}) with your layers ...")
        findings += grader_seed_accuracy(saved, folder)
    return findings


def report(findings):
    """The findings, problems first, and a closing line."""
    order = {"problem": 0, "note": 1, "ok": 2}
    lines = [str(f) for f in sorted(findings, key=lambda f: order[f.level])]
    problems = sum(f.level == "problem" for f in findings)
    lines.append(f"{problems} problem(s) found here." if problems else "No problem found here.")
    lines.append("Only the grader judges: your layers against its hidden checks, best_net trained with "
                 "the course's layers, the test accuracy on its own labels, whether your best_net "
                 "agrees with that training (6.5), and which inline options are right.")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--quick", action="store_true", help="read the saved notebook only")
    parser.add_argument("--no-train", action="store_true", help="skip the training at the grader's seed")
    parser.add_argument("--folder", type=Path, default=ASSIGNMENT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not (args.folder / NOTEBOOK).is_file():
        print(f"error: {missing_notebook(args.folder)}", file=sys.stderr)
        return 2
    try:
        if args.quick:
            with open(args.folder / NOTEBOOK, encoding="utf-8") as f:
                findings = quick(json.load(f))
        else:
            findings = check(args.folder, train=not args.no_train)
    except (OSError, ValueError) as exc:
        print(f"error: cannot check {NOTEBOOK}: {exc}", file=sys.stderr)
        return 2
    print(report(findings))
    return 1 if any(f.level == "problem" for f in findings) else 0


if __name__ == "__main__":
    sys.exit(main())

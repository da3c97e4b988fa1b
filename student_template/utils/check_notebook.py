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
import ast
import contextlib
import io
import json
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import budget

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
ANSWER = re.compile(r"your\s+answer\s*:?\**\s*:?\s*(.*)", re.IGNORECASE | re.DOTALL)


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


def _tree(cell):
    """The cell's code as an ast (IPython's %magics and !commands blanked), or None."""
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in _source(cell).splitlines()]
    try:
        return ast.parse("\n".join(lines))
    except (SyntaxError, ValueError):
        return None


def _assigned(tree):
    """Names a cell binds at any depth (assignments, for targets, with ... as, imports)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def _calls_train(tree):
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "train"
               for n in ast.walk(tree))


def best_net_cell(cells):
    """Index of best_net's cell, found as the grader finds it: the cell tagged grader:best_net,
    else the first code cell that assigns best_net and trains, else the first that assigns it."""
    first = None
    for index, cell in enumerate(cells):
        if "grader:best_net" in cell.get("metadata", {}).get("tags", []):
            return index
        tree = _tree(cell) if cell.get("cell_type") == "code" else None
        if tree is not None and "best_net" in _assigned(tree):
            if _calls_train(tree):
                return index
            first = index if first is None else first
    return first


def _error(output):
    return f"{output.get('ename', 'Error')}: {str(output.get('evalue', ''))[:200]}"


def _errors(cell):
    return [_error(o) for o in cell.get("outputs", []) if o.get("output_type") == "error"]


def _first_line(cell):
    return next((line.strip() for line in _source(cell).splitlines() if line.strip()), "")[:60]


def _name(index, cells):
    return f"cell {index + 1} ({_first_line(cells[index])!r})"


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
    """The inline answer's form: numbers of options after 'Your answer:'."""
    for cell in cells:
        if cell.get("cell_type") != "markdown":
            continue
        found = ANSWER.search(_source(cell))
        if found is None:
            continue
        options = re.findall(r"(?<![\d.])[1-4](?![\d.])", found.group(1).split("\n\n")[0])
        if options:
            return [Finding("ok", f"the inline answer names option(s) {', '.join(options)} (which "
                                  "are right, only the grader judges).")]
        return [Finding("problem", "the inline answer names no option: start it with the numbers "
                                   "of your choices ('Your answer: <numbers>'), then explain.")]
    return [Finding("problem", "no 'Your answer:' found for the inline question.")]


def saved_findings(notebook):
    """Whether the saved notebook was run top to bottom, and the errors saved in it."""
    cells = notebook.get("cells", [])
    code = [(i, c) for i, c in enumerate(cells) if c.get("cell_type") == "code" and _source(c).strip()]
    counts = [c.get("execution_count") for _, c in code]
    findings = []
    if code and not any(counts):
        findings.append(Finding("note", "the notebook was saved without being run: the grader runs it "
                                        "anyway, but you have not seen what it does there: run it top "
                                        "to bottom (python -m utils.check_notebook, or Kernel > Restart "
                                        "Kernel and Run All Cells) and save it."))
    elif code and counts != list(range(1, len(code) + 1)):
        findings.append(Finding("note", "the notebook was not saved right after one run from a fresh "
                                        "start (its cells' run counts are not 1, 2, 3, ...): the "
                                        "grader runs it that way; check it does what you saw."))
    for index, cell in code:
        for error in _errors(cell)[:1]:
            findings.append(Finding("problem", f"{_name(index, cells)} raised {error} when you last "
                                               "ran it."))
    return findings


def quick(notebook):
    """Findings from the saved notebook (a dict, json.load of the file), without running it."""
    return (hyperparams_findings(notebook) + saved_findings(notebook)
            + answer_findings(notebook.get("cells", [])))


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
                log(f"  cell {index + 1} ({_first_line(cell)!r}) ...", end="", flush=True)
                start = time.monotonic()
                client.execute_cell(cell, index)
                seconds[index] = time.monotonic() - start
                if seconds[index] >= limit:
                    stopped.append(index)
                if index != best:
                    pool = max(0.0, pool - seconds[index] / limits.slowness)
                log(f" {seconds[index]:.1f} s")
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
        tree = _tree(cells[index])
        binds = _assigned(tree) if tree is not None else set()
        if index in stopped:
            what = "best_net's cell" if index == best else "a cell other than best_net's"
            allowed = (budget.BEST_NET_MARGIN * budget.BUDGET_SECONDS + budget.BEST_NET_CELL_EXTRA
                       if index == best else budget.CELL_SECONDS)
            findings.append(Finding("problem", f"{_name(index, cells)} would be stopped by the grader: "
                                               f"it ran past the limit for {what} (about {allowed:.0f} s on "
                                               "the grading machine, all such cells "
                                               f"{budget.OTHER_CELLS_SECONDS} s together). Leave searches "
                                               "out of the notebook you submit; keep their result in "
                                               "best_net_hyperparams."))
            unfinished[index] = ("was stopped", binds)
            continue
        errors = _errors(cells[index])
        if errors:
            error = errors[0]
            name = re.match(r"NameError: name '(\w+)'", error)
            cause = next((i for i, (_, names) in unfinished.items() if name and name.group(1) in names), None)
            if cause is not None:
                findings.append(Finding("problem", f"{_name(index, cells)} raised {error}: cell {cause + 1}, "
                                                   f"which sets it, {unfinished[cause][0]} (above)."))
            else:
                findings.append(Finding("problem", f"{_name(index, cells)} raised {error}."))
            unfinished[index] = ("raised", binds)
        elif grading > budget.CELL_SECONDS / 2 and index != best:
            findings.append(Finding("note", f"{_name(index, cells)} took {seconds[index]:.0f} s here, about "
                                            f"{grading:.0f} s on the grading machine, of the "
                                            f"{budget.CELL_SECONDS} s it allows."))
    findings += _output_findings(cells)
    return findings


def _names(cell):
    """The names a cell's code uses or binds (not its imports, strings or comments)."""
    tree = _tree(cell)
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} if tree is not None else set()


def _images(cell):
    return any("image/png" in o.get("data", {}) for o in cell.get("outputs", []))


def _output_findings(cells):
    code = [c for c in cells if c.cell_type == "code"]
    found = []
    for what, wanted in (("loss plot", lambda names: "plt" in names and any("loss" in n for n in names)),
                         ("weights plot", lambda names: "visualize_grid" in names)):
        plots = [c for c in code if wanted(_names(c))]
        drawn = any(_images(c) for c in plots)
        found.append(Finding("ok", f"the {what} was drawn.") if drawn else
                     Finding("problem", f"the {what} produced no image."))
    tests = [c for c in code if {"best_net", "x_test"} <= _names(c)]
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
    findings = hyperparams_findings(saved) + answer_findings(saved.get("cells", []))
    log("Measuring this machine against the grading machine ...")
    limits = Limits(max(0.05, budget.slowness(budget.measure())))
    log(f"  training here takes about {limits.slowness:.2f} times as long as on the grading machine.")
    log(f"Running {NOTEBOOK} in a fresh kernel, as the grader does (your file is not changed):")
    notebook = nbformat.reads(json.dumps(saved), as_version=4)
    seconds, stopped = execute(notebook, folder, limits, log)
    findings += run_findings(notebook, seconds, stopped, limits)
    if train:
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

"""Finding things in a notebook: the cells the grader reads, their outputs, the answer.

Our notebook tags the cells the grader reads (notebooks/README.md); a course
notebook from before the tags is read by what its cells contain instead.

Every function here is linear in the size of the notebook: whatever needs the
whole notebook (which training cells ran, where each cell is) is found in one
pass and kept for the next call. What is read is capped (grader/config.py,
NOTEBOOK_MAX_*): the first cells, the last outputs of a cell, the last
characters of an output, so a notebook of any size is read in bounded time.
"""
import itertools
import json
import re
from dataclasses import dataclass

import nbformat
from utils import inline_answer as inline_answer_mod
from utils import notebook_code

from .. import config

FLOAT = r"([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)"


# ---- cells and their outputs ------------------------------------------------

def cells(nb):
    """The cells the grader reads: the first config.NOTEBOOK_MAX_CELLS."""
    return itertools.islice(nb.cells, config.NOTEBOOK_MAX_CELLS)


def source(cell):
    """A cell's source as one string (a notebook file may store it as a list of lines)."""
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else text


def outputs(cell):
    """The last config.NOTEBOOK_MAX_OUTPUTS outputs of a cell: an error, and the final prints, come last."""
    return (cell.get("outputs") or [])[-config.NOTEBOOK_MAX_OUTPUTS:]


def tagged(nb, tag):
    """Cells carrying `tag` in their metadata."""
    return [c for c in cells(nb) if tag in c.get("metadata", {}).get("tags", [])]


def find_cells(nb, tag, uses=()):
    """The cells tagged `tag`, else the code cells whose code uses every fragment of `uses`
    (notebook_code.find)."""
    return notebook_code.find(list(cells(nb)), tag, uses)


# Tags the grader reads (grader:best_net, ...) are a few short strings; anything else is
# dropped before the notebook is parsed: nbformat's schema checks that a cell's tags are
# unique, in time quadratic in their number when they do not sort (60,000 mixed tags
# took the grader past the kernel's start-up wait), and a tag list that is a number or a
# string broke the readers below.
MAX_TAGS, MAX_TAG_CHARS = 64, 200


def load(path):
    """The notebook at `path` (a file the grader holds, not student-writable) as an nbformat
    v4 node, with malformed cell tags dropped. Raises ValueError if it is no notebook."""
    with open(path, "rb") as f:
        raw = json.loads(f.read().decode("utf-8"))
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        raise ValueError("it is not a notebook (no list of cells)")
    for cell in raw["cells"]:
        if not isinstance(cell, dict):
            raise ValueError("a cell is not a JSON object")
        if not isinstance(cell.get("metadata"), dict):
            cell["metadata"] = {}
        tags = cell["metadata"].get("tags")
        if tags is not None and not (isinstance(tags, list) and len(tags) <= MAX_TAGS and all(
                isinstance(t, str) and len(t) <= MAX_TAG_CHARS for t in tags)):
            del cell["metadata"]["tags"]
        elif tags is not None:
            cell["metadata"]["tags"] = list(dict.fromkeys(tags))
    nb = nbformat.reads(json.dumps(raw), as_version=4)
    notebook_code.admit(c.source for c in nb.cells if c.cell_type == "code")
    return nb


def failed(cell):
    return any(o.get("output_type") == "error" for o in outputs(cell))


# Errors of plt.savefig writing to a folder that existed only on the student's
# machine: the figure was drawn before it was saved.
_SAVE_ERRORS = {"FileNotFoundError", "NotADirectoryError", "IsADirectoryError",
                "PermissionError", "OSError"}


def _failed_saving(output):
    """True for an error output raised by savefig failing to write its file."""
    return (output.get("ename") in _SAVE_ERRORS
            and any("savefig" in line for line in output.get("traceback", [])))


def images(cell):
    """Number of PNG images in a code cell's outputs; 0 if the cell raised.

    A cell that fails half-way still shows the figure it had begun (empty axes,
    say): that is not the plot asked for. The exception is a cell that failed
    only in savefig, writing to a folder of the student's machine.
    """
    errors = [o for o in outputs(cell) if o.get("output_type") == "error"]
    if errors and not all(_failed_saving(o) for o in errors):
        return 0
    return sum(1 for o in outputs(cell) if "image/png" in o.get("data", {}))


def ran(cell):
    """True if the cell was executed: it has an execution count or outputs."""
    return cell.get("execution_count") is not None or bool(cell.get("outputs"))


@dataclass(frozen=True)
class Layout:
    """What plotted() needs to know about the whole notebook, found in one pass.

    position: id(cell) -> its index; first_failed / first_trained: index of the
    first training cell that raised / that ran without raising (None if none).
    """
    position: dict
    first_failed: int = None
    first_trained: int = None


def layout(nb):
    """The notebook's Layout, computed once per notebook and reused while its cell list is unchanged."""
    key = (id(nb), id(nb.cells), len(nb.cells))
    if _last_layout[0] is nb and _last_layout[1] == key:
        return _last_layout[2]
    position, first_failed, first_trained = {}, None, None
    helpers = trainers(cells(nb))
    for index, cell in enumerate(cells(nb)):
        position[id(cell)] = index
        if trains_code(cell, helpers):  # the Trainer's train() or train_epoch(), a step, a helper
            # Whatever it printed: a cell that raised is not evidence of a training that finished.
            if failed(cell):
                first_failed = index if first_failed is None else first_failed
            elif ran(cell):
                first_trained = index if first_trained is None else first_trained
    found = Layout(position, first_failed, first_trained)
    # The notebook itself is kept so that its id cannot be reused by another.
    _last_layout[:] = [nb, key, found]
    return found


_last_layout = [None, None, None]


def plotted(nb, cell):
    """True if `cell` showed an image, a training cell at or before it ran, and none before it failed.

    A plot before any training shows an untrained network (the course's
    template plots before the student has written anything); a plot after a
    failed training shows nothing learned.
    """
    found = layout(nb)
    index = found.position.get(id(cell))
    if index is None or images(cell) == 0:
        return False
    trained = found.first_trained is not None and found.first_trained <= index
    return trained and (found.first_failed is None or found.first_failed > index)


def _output_text(output):
    """The text of one output, cut to its last config.NOTEBOOK_MAX_TEXT characters."""
    if output.get("output_type") == "stream":
        value = output.get("text", "")
    else:
        value = output.get("data", {}).get("text/plain", "")
    value = "".join(value) if isinstance(value, list) else value
    if len(value) > config.NOTEBOOK_MAX_TEXT:
        value = value[-config.NOTEBOOK_MAX_TEXT:]
        # The cut may split a line (and a number in it): start at the next whole line.
        value = value[value.find("\n") + 1:] if "\n" in value else ""
    return value


def text(cell):
    """Everything a code cell printed or displayed as text."""
    return "".join(_output_text(o) for o in outputs(cell))


def accuracies(output, word):
    """Numbers printed on lines that mention `word` (e.g. 'test'), as fractions in [0, 1]."""
    found = []
    word = word.lower()
    for line in output.splitlines():
        if word in line.lower():
            for value in re.findall(FLOAT, line):
                number = float(value)
                number = number / 100 if 1 < number <= 100 else number
                if 0 <= number <= 1:
                    found.append(number)
    return found


def claimed(nb):
    """Accuracies a notebook's outputs claim for best_net: {'validation': [...], 'test': [...]},
    from the code cells that name best_net (the others print other networks' accuracies)."""
    claims = {"validation": [], "test": []}
    for cell in cells(nb):
        if cell.get("cell_type") != "code" or "best_net" not in source(cell):
            continue
        output = text(cell)
        claims["test"] += accuracies(output, "test")
        claims["validation"] += accuracies(output, "validat")
    return claims


# ---- best_net's cell ----------------------------------------------------------
#
# Read as code, by the same module as the students' utils.check_notebook
# (reference/utils/notebook_code.py): one definition of what assigns best_net, what trains
# and which seed counts.

SEED_MAX = notebook_code.SEED_MAX


def assigns_best_net(cell):
    return cell.get("cell_type") == "code" and notebook_code.read_cell(source(cell)).assigns_best_net


def trains_code(cell, trainers=()):
    """True for a code cell whose code trains a network: .train(), .train_epoch(), .step(),
    or a call of one of `trainers` (functions of the notebook that do)."""
    return cell.get("cell_type") == "code" and notebook_code.trains(
        notebook_code.read_cell(source(cell)), frozenset(trainers))


def trainers(cells):
    """Names of the notebook's functions that train when called (a helper such as
    `def train_net(...)` around the Trainer, and those that call it)."""
    return sorted(notebook_code.trainers(notebook_code.codes(list(cells))))


def best_net_cell(nb):
    """Index of the cell that trains best_net, or None (notebook_code.best_net_cell)."""
    return notebook_code.best_net_cell(list(cells(nb)))


def best_net_created(nb, index):
    """Index of the cell that creates best_net for best_net's cell `index`."""
    return notebook_code.best_net_created(list(cells(nb)), index)


def seed_of(cell):
    """The seed the cell sets before it assigns best_net (np.random.seed(k)), or None."""
    return notebook_code.seed_of(cell)


def cell_name(nb_cells, index):
    """A cell as the student sees it: "In [7] (best_net = ...)"."""
    return notebook_code.cell_name(nb_cells, index)


# ---- the inline question ----------------------------------------------------
#
# Read by reference/utils/inline_answer.py, the module the students' check_notebook uses
# too: what the grader reads as the answer is what the student is told before submitting.

def inline_answer(nb):
    """The text of the inline question's answer, or None (inline_answer.inline_answer)."""
    return inline_answer_mod.inline_answer(list(cells(nb)))


choices = inline_answer_mod.choices
answer_part = inline_answer_mod.answer_part
statement = inline_answer_mod.statement

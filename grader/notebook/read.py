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


def find_cells(nb, tag, cell_type="code", contains=()):
    """The cells tagged `tag`, else the `cell_type` cells whose source has every word of `contains`."""
    found = tagged(nb, tag)
    if found or not contains:
        return found
    words = [word.lower() for word in contains]
    return [c for c in cells(nb) if c.get("cell_type") == cell_type
            and all(word in source(c).lower() for word in words)]


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
    return nbformat.reads(json.dumps(raw), as_version=4)


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
            if failed(cell) and not epochs_printed(cell):  # an error after the epochs undoes nothing
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

# Matched from a line's first non-blank character only (re.match, one start per line):
# searched over the whole text, `^[ \t]*` and `[\w, ]*` both took the same blanks and a
# line of two million spaces backtracked for hours while holding the GIL.
_ASSIGNS_BEST_NET = re.compile(r"(?:[\w, ]*,\s*)?best_net\s*(?::[^=\n]*)?=(?!=)")
# A cell that trains: the Trainer (train, train_epoch), or a step of its own.
_TRAINS = re.compile(r"\.(?:train\w*|step)\s*\(")
_SEED = re.compile(r"\b(?:np|numpy)\.random\.seed\(\s*(\d{1,10})\s*\)")
SEED_MAX = 2 ** 32 - 1   # what np.random.seed accepts
EPOCH_LINE = "Epoch Average Loss"


def _code_lines(text):
    """(offset, line) of each line, without its comment (a '#' outside quotes is close
    enough here) or leading blanks: linear in the text."""
    offset = 0
    for line in text.split("\n"):
        code = line.split("#", 1)[0].lstrip(" \t")
        if code:
            yield offset + len(line) - len(line.lstrip(" \t")), code
        offset += len(line) + 1


def _best_net_assignment(text):
    """Offset of the first line that assigns best_net, or None."""
    if "best_net" not in text:
        return None
    for offset, code in _code_lines(text):
        if "best_net" in code and _ASSIGNS_BEST_NET.match(code):
            return offset
    return None


def assigns_best_net(cell):
    return cell.get("cell_type") == "code" and _best_net_assignment(source(cell)) is not None


def trains_code(cell, trainers=()):
    """True for a code cell whose code (comments aside) trains a network: .train(),
    .train_epoch(), .step(), or a call of one of `trainers` (functions that do)."""
    if cell.get("cell_type") != "code":
        return False
    trainers = set(trainers)
    return any(_TRAINS.search(code) or (trainers and any(m.group(1) in trainers for m in _CALLS.finditer(code)))
               for _, code in _code_lines(source(cell)))


_CALLS = re.compile(r"(?<![\w.])(\w+)\s*\(")  # a call of a plain name: one pass, however many names


_DEFINES = re.compile(r"def\s+(\w+)\s*\(")
MAX_TRAINERS = 100


def trainers(cells):
    """Names of the functions the notebook defines in cells that train (a helper such as
    `def train_net(...)` around the Trainer), and those that call them: so that
    `best_net = train_net(...)` counts as training."""
    found = set()
    defining = [(cell, [m.group(1) for _, code in _code_lines(source(cell)) for m in [_DEFINES.match(code)] if m])
                for cell in cells if cell.get("cell_type") == "code" and "def " in source(cell)]
    for _ in range(3):  # a helper calling a helper calling the Trainer, no deeper
        new = {name for cell, names in defining if trains_code(cell, sorted(found)) for name in names}
        if new <= found or len(new) > MAX_TRAINERS:
            break
        found |= new
    return sorted(found)[:MAX_TRAINERS]


def best_net_cell(nb):
    """Index of the cell that trains best_net, or None.

    The cell tagged grader:best_net; else the first code cell that both assigns
    best_net and trains; else the first that assigns it.
    """
    first = None
    for index, cell in enumerate(cells(nb)):
        if "grader:best_net" in cell.get("metadata", {}).get("tags", []):
            return index
        if assigns_best_net(cell):
            if trains_code(cell):
                return index
            first = index if first is None else first
    return first


def seed_of(cell):
    """The seed the cell sets before it assigns best_net (np.random.seed(k)), or None."""
    text = source(cell)
    assignment = _best_net_assignment(text)
    seeds = [int(m.group(1)) for offset, code in _code_lines(text)
             if assignment is None or offset < assignment for m in _SEED.finditer(code)]
    seeds = [seed for seed in seeds if seed <= SEED_MAX]  # another would raise in the notebook too
    return seeds[-1] if seeds else None


def epochs_printed(cell):
    """How many epochs the cell's training reported ("Epoch Average Loss" lines), read from its outputs."""
    return sum(_output_text(o).count(EPOCH_LINE) for o in outputs(cell))


# ---- the inline question ----------------------------------------------------
#
# The question lists 1 larger dataset, 2 more hidden units, 3 stronger
# regularization, 4 none of the above. Students answer in the question's own
# cell after "Your Answer:", in the next markdown cell, or (our notebook) in the
# cell tagged grader:inline_answer; with numbers ("1, 3", "(1) and (3)"), with
# the options' words ("a larger dataset; stronger regularization"), or both; and
# usually go on to explain, discussing the options they did not pick. Only the
# answer part is read: the text before any "Explanation", and in it the leading
# statements that name options, not the sentences after them.

# A label before the answer: "Your Answer:", "**Your answer**:", "Your answer is",
# "Answer:" at the start of a line, or a line holding only "Your Answer".
_ANSWER_LABEL = re.compile(
    r"your[\s*_]+answers?[\s*_]*(?:[:：\-–—]|\b(?:is|are|would be)\b)"
    r"|^[^\w\n]*answers?[\s*_]*[:：]"
    r"|^[^\w\n]*your[\s*_]+answers?[^\w\n]*$", re.IGNORECASE | re.MULTILINE)
# Where the explanation starts: "Your Explanation", "Reason:", "Why:".
_EXPLANATION_LABEL = re.compile(
    r"(?:your[\s*_]+)?explanation|^[^\w\n]*(?:reasons?|reasoning|justification|why)[\s*_]*[:：]",
    re.IGNORECASE | re.MULTILINE)
# Markdown and HTML that carry no words: emphasis, code, maths, tags.
_MARKUP = re.compile(r"[*_`~$]|<[^<>\n]{0,40}>")
# A line that is a list item or continues the answer: "- ", "1. ", "(3) ", "and ...".
_LIST_ITEM = re.compile(r"^\s*(?:[-+•*]\s|\(?[1-4]\s*[.):\-–]|\(?[a-d][.)]\s)")
_CONTINUES = re.compile(r"^\W*(?:and|also|plus|as well as|or)\b|^\s*[&+,]", re.IGNORECASE)
# "option1", "choice3": the number glued to its word.
_GLUED_NUMBER = re.compile(r"\b(options?|choices?)(?=[1-4]\b)", re.IGNORECASE)
# "1. Train ..." at the start of a line is a list number, not the end of a sentence.
_LIST_NUMBER = re.compile(r"^(\s*(?:[-+•*]\s+)?\(?[1-4])\.(?=\s)")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")
# A word that starts an explanation inside a statement ("1 and 3 because ...").
_EXPLAINS = re.compile(
    r"\b(?:because|since|so that|so|which|would|will|could|might|can|helps?|reduces?|"
    r"prevents?|makes?|means|therefore|thus|hence|due to|while|whereas|otherwise|"
    r"this|these|it|as (?:it|they|this|that|these|we|a|the|more|less))\b", re.IGNORECASE)
# A statement that rejects what it names ("2 does not help", "widens the gap").
_REJECTS = re.compile(
    r"\b(?:not|no|never|wrong|incorrect|false|worse|hurts?|widens?)\b|n't\b"
    r"|increases? the gap|overfit\w* more|more overfitting", re.IGNORECASE)

# An option number: a lone digit 1-4, not part of a number ("0.1", "3072",
# "1e-3"), a word ("L2", "1st") or a decimal ("1.5").
_NUMBER = re.compile(r"(?<![\w.])(?<!\d[eE][-+])([1-4])(?!\w|\.\d)")
# Each option's words, loosely: what students write instead of the number.
_PHRASES = (
    (1, re.compile(r"(?:larger|bigger|more|increas\w*(?:\s+the)?(?:\s+size\s+of(?:\s+the)?)?)\s+"
                   r"(?:training\s+)?(?:data\s*sets?|data|samples|images|examples|training\s+(?:set|data))"
                   r"|(?:data\s*set|training\s+set)\s+size", re.IGNORECASE)),
    (2, re.compile(r"hidden\s*(?:units?|size|layer|neurons?|nodes?|dim\w*)"
                   r"|more\s+(?:neurons|units|nodes|parameters|layers)"
                   r"|(?:bigger|larger|wider|deeper)\s+(?:network|model|net\b|hidden)", re.IGNORECASE)),
    (3, re.compile(r"regulari[sz]\w*|weight\s+decay|l2\s+penalty|penali[sz]\w*", re.IGNORECASE)),
    (4, re.compile(r"none\s+of\s+(?:the\s+)?(?:above|them|these|options|choices)", re.IGNORECASE)),
)
# "All of the above" picks every remedy listed, 1-3.
_ALL = re.compile(r"\ball\s+(?:of\s+)?(?:the\s+)?(?:above|options|choices)\b|\ball\s+of\s+them\b",
                  re.IGNORECASE)
# A negation covers the options named after it up to the end of its clause:
# "1 and 3, not 2 or 4"; "all of the above except 2".
_NEGATION = re.compile(r"\b(?:not|except|excluding|without|nor|never|no)\b|n't\b", re.IGNORECASE)
_CLAUSE_END = re.compile(r"[.;:!?]|\b(?:but|only|instead|rather|however)\b", re.IGNORECASE)
# The opposite of an option's remedy names it without choosing it:
# "fewer hidden units", "less regularization", "reduce the weight decay".
_DIMINISHED = re.compile(r"\b(?:fewer|less|reduc\w*|decreas\w*|smaller|lower|weaker|remov\w*)\s+"
                         r"(?:(?:the|a|number|amount|size|of)\s+){0,3}$", re.IGNORECASE)
# Words that may stand beside the options in a line that only states choices.
_FILLER = frozenset("""a an the and or also plus option options choice choices answer answers
my is are be both on to of with train training trained use using increase increasing increased
add adding more larger bigger stronger higher greater dataset data set strength size i choose
chose select selected pick correct right number numbers only""".split())
# The option a leading list number names: "2. Increase the regularization" is
# a student's own list numbering when the words name another option.
_LEADING_NUMBER = re.compile(r"^\s*(?:[-+•]\s*)?\(?([1-4])\s*[.):\-–]")


def answer_part(text):
    """The answer part of an answer cell: after its answer label, before its explanation."""
    label = _ANSWER_LABEL.search(text)
    if label:
        text = text[label.end():]
    text = text[:config.INLINE_ANSWER_CHARS]
    explanation = _EXPLANATION_LABEL.search(text)
    return text[:explanation.start()] if explanation else text


def _statements(part):
    """(statement, continues) for each line and sentence of `part`, markup removed.

    continues: the statement is a list item or starts with "and", "&", ... so
    it can carry on the answer of the statement before it.
    """
    for raw in part.splitlines():
        line = _LIST_NUMBER.sub(r"\1:", raw)
        line = _MARKUP.sub(" ", line.replace("&amp;", "&"))
        line = _GLUED_NUMBER.sub(r"\1 ", line)
        first = True
        for sentence in _SENTENCE_END.split(line):
            if sentence.strip():
                listed = first and bool(_LIST_ITEM.match(raw))
                yield sentence.strip(), listed or bool(_CONTINUES.match(sentence))
                first = False


@dataclass
class Statement:
    """The options one statement names, split by whether it chooses them.

    chosen / rejected: options named, and named under a negation. words: how
    many words are neither options nor filler. phrased: an option was named by
    its words, not only its number. explained: the statement went on to explain
    (cut at "because", "would", ...). rejects: it judges what it names as bad.
    """
    chosen: set
    rejected: set
    words: int
    phrased: bool
    explained: bool
    rejects: bool


def _negated(text, start):
    """True if the option named at text[start:] is under a negation or a "fewer"/"less"."""
    before = text[:start]
    if _DIMINISHED.search(before[-60:]):
        return True
    clause = before[max((m.end() for m in _CLAUSE_END.finditer(before)), default=0):]
    return bool(_NEGATION.search(clause))


# Words that may introduce an answer before its first option number ("I would choose 1
# and 3", "It is 1 and 3", "Options that help: 1, 3"): explainers among them ("would",
# "it", "help") then end the statement only after that number.
_INTRO = frozenset("""i we would will should could can choose chose pick select go with say
    use it is this that be the answer answers option options choice choices help helps so
    are my correct right ones both think""".split())


def statement(text):
    """What one statement of an answer says about the options (see Statement)."""
    explains = _EXPLAINS.search(text)
    first = _NUMBER.search(text) if explains else None
    if first and first.start() > explains.start():
        lead = re.findall(r"[a-z]+", text[:first.start()].lower())
        if len(lead) <= 6 and all(word in _INTRO for word in lead):
            explains = _EXPLAINS.search(text, first.end())
    head = text[:explains.start()] if explains else text
    named = []  # (option, start, end, by words)
    for option, pattern in _PHRASES:
        named += [(option, m.start(), m.end(), True) for m in pattern.finditer(head)]
    named += [(option, m.start(), m.end(), True) for m in _ALL.finditer(head) for option in (1, 2, 3)]
    spans = [(start, end) for _, start, end, _ in named]
    for m in _NUMBER.finditer(head):
        if not any(start <= m.start() < end for start, end in spans):
            named.append((int(m.group(1)), m.start(), m.end(), False))
    phrased = {option for option, *_, words in named if words}
    leading = _LEADING_NUMBER.match(head)
    if leading and phrased and int(leading.group(1)) not in phrased:
        named = [n for n in named if n[1] != leading.start(1)]
    chosen, rejected = set(), set()
    for option, start, _, _ in named:
        (rejected if _negated(head, start) else chosen).add(option)
    rest = list(head)  # the statement with every option reference blanked out
    for _, start, end, _ in named:
        rest[start:end] = " " * (end - start)
    words = [w for w in re.findall(r"[a-z]+", "".join(rest).lower()) if w not in _FILLER]
    return Statement(chosen, rejected, len(words), bool(phrased), explains is not None,
                     bool(_REJECTS.search(text)))


def _continues_answer(said, continues):
    """Whether a statement after the first choice still belongs to the answer.

    It must be a list item or start with "and"/"&", or hold nothing but option
    references; and state choices rather than explain: a bare number followed by
    an explanation ("2 would increase capacity") discusses an option.
    """
    if said.rejects or not (continues or said.words == 0):
        return False
    if said.explained:
        return said.phrased
    return said.words <= 3


def choices(answer):
    """The options 1-4 an answer picks, read from its answer part only.

    The first statement that names an option gives the choice; the statements
    right after it add to it while they are list items or "and ..." lines that
    only name options. The first statement that explains ends the answer. An
    option named after "not" or "except" is not picked.
    """
    chosen, rejected, started = set(), set(), False
    for text, continues in _statements(answer_part(answer)):
        said = statement(text)
        if not started:
            chosen |= said.chosen
            rejected |= said.rejected
            started = bool(said.chosen or said.rejected)
        elif _continues_answer(said, continues):
            chosen |= said.chosen
            rejected |= said.rejected
        elif said.chosen or said.words:
            break
    return chosen - rejected


def _is_question(text):
    lowered = text.lower()
    return "inline question" in lowered or ("hidden units" in lowered and "none of the above" in lowered)


def _after_options(text):
    """The text after the question's last option ("None of the above."), where an answer may be appended."""
    last = None
    for last in _PHRASES[3][1].finditer(text):
        pass
    return text[last.end():].split("\n", 1)[-1] if last else ""


def _answer_places(nb):
    """Texts that may hold the inline answer, most specific first.

    The cell tagged grader:inline_answer; the question cell's text after its
    "Your Answer" label; the next markdown cell after the question; text the
    student appended after the question's options; any markdown cell with a
    "Your Answer" label.
    """
    places, question, labelled = [], None, []
    markdown = [c for c in cells(nb) if c.get("cell_type") == "markdown"]
    for index, cell in enumerate(markdown):
        text = source(cell)
        if "grader:inline_answer" in cell.get("metadata", {}).get("tags", []):
            places.insert(0, text)
        if question is None and _is_question(text):
            question = index
        elif _ANSWER_LABEL.search(text):
            labelled.append(text)
    if question is not None:
        text = source(markdown[question])
        label = _ANSWER_LABEL.search(text)
        if label:
            places.append(text[label.start():])
        if question + 1 < len(markdown):
            places.append(source(markdown[question + 1]))
        if not label:
            places.append(_after_options(text))
    return places + labelled


def inline_answer(nb):
    """The text of the inline question's answer, or None if there is none.

    The first place (see _answer_places) whose answer picks an option; else the
    first place with any text, so that feedback can say the answer names no option.
    """
    places = [text for text in _answer_places(nb) if text.strip()]
    return next((text for text in places if choices(text)), places[0] if places else None)

"""The inline question's answer as the grader reads it, and as utils.check_notebook tells it.

    text = inline_answer(notebook_cells)   # the answer cell's text, or None
    choices(text)                          # {1, 3}

Which options are right is the grader's alone; this module only reads which ones an
answer picks. Bounded: an answer is read up to ANSWER_CHARS characters, and every
pattern here is matched in time linear in the text.
"""
import re
from dataclasses import dataclass

ANSWER_CHARS = 5000   # an answer is a line or a paragraph; past this is not read


def _source(cell):
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else text


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
# An aside ends the choice as well: "1, 3 (2 widens the gap)", "1,3 -- 2 would overfit"
# (not an option's own parentheses, "(1) and (3)").
_EXPLAINS = re.compile(
    r"\b(?:because|since|so that|so|which|would|will|could|might|can|helps?|reduces?|"
    r"prevents?|makes?|means|therefore|thus|hence|due to|while|whereas|otherwise|"
    r"this|these|it|as (?:it|they|this|that|these|we|a|the|more|less))\b"
    r"|\((?!\s*[1-4]\s*\))|\s(?:--?|–|—)\s|\s[–—]|[–—]\s", re.IGNORECASE)
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
# "All of the above" picks every remedy listed, 1-3; so does "all" before "except"/"but".
_ALL = re.compile(r"\ball\s+(?:of\s+)?(?:the\s+)?(?:above|options|choices)\b|\ball\s+of\s+them\b"
                  r"|\ball\b(?=\s+(?:except|but)\b)", re.IGNORECASE)
# An option named, then judged in the same breath: "2 is wrong", "2 does not help".
_JUDGED_BAD = re.compile(r"^[\s)\]]*(?:is|are|does|do|would|will|wo|was)?\s*(?:n't|not|wrong|incorrect|false|"
                         r"never|useless|bad)\b", re.IGNORECASE)
# Options written as words, read only where no option is named otherwise ("Options one and three").
_NUMBER_WORDS = re.compile(r"\b(one|two|three|four)\b", re.IGNORECASE)
_WORD_VALUES = {"one": "1", "two": "2", "three": "3", "four": "4"}
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
    text = text[:ANSWER_CHARS]
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
    said = _statement(text)
    if not (said.chosen or said.rejected) and _NUMBER_WORDS.search(text):
        worded = _statement(_NUMBER_WORDS.sub(lambda m: _WORD_VALUES[m.group(1).lower()], text))
        if worded.chosen and worded.words <= 2:   # only a statement of choices, in words
            return worded
    return said


def _statement(text):
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
    for option, start, end, _ in named:
        bad = _negated(head, start) or _JUDGED_BAD.match(text[end:])
        (rejected if bad else chosen).add(option)
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


# A statement that declares the answer: "The best options are 1 and 3", "My answer is 1, 3",
# "I choose 1 and 3". An answer that discusses the options first ends with one.
_DECLARES = re.compile(
    r"\b(?:best|correct|right)\s+(?:options?|choices?|answers?)\s+(?:are|is|would\s+be)\b"
    r"|\b(?:my|the)\s+(?:final\s+)?answers?\s+(?:is|are|would\s+be)\b"
    r"|^\W*I\s+(?:would\s+)?(?:choose|pick|select)\b", re.IGNORECASE)


def choices(answer):
    """The options 1-4 an answer picks, read from its answer part only.

    The first statement that names an option gives the choice; the statements
    right after it add to it while they are list items or "and ..." lines that
    only name options. The first statement that explains ends the answer. An
    option named after "not" or "except" is not picked. When that first
    statement discusses an option ("Adding hidden units (2) makes it overfit
    more") and a later one declares the answer ("The best options are 1 and 3"),
    the declaration is the answer.
    """
    statements = [(text, continues, statement(text)) for text, continues in _statements(answer_part(answer))]
    chosen, rejected, started, discussed = set(), set(), False, False
    for text, continues, said in statements:
        if not started:
            chosen |= said.chosen
            rejected |= said.rejected
            started = bool(said.chosen or said.rejected)
            discussed = started and (said.explained or said.rejects)
        elif _continues_answer(said, continues):
            chosen |= said.chosen
            rejected |= said.rejected
        elif said.chosen or said.words:
            break
    if discussed:
        declared = next((said for text, _, said in statements if _DECLARES.search(text)
                         and said.chosen - said.rejected), None)
        if declared is not None:
            return declared.chosen - declared.rejected
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


def _answer_places(cells):
    """Texts that may hold the inline answer, most specific first.

    The cell tagged grader:inline_answer; the question cell's text after its
    "Your Answer" label; the next markdown cell after the question; text the
    student appended after the question's options; any markdown cell with a
    "Your Answer" label.
    """
    places, question, labelled = [], None, []
    markdown = [c for c in cells if c.get("cell_type") == "markdown"]
    for index, cell in enumerate(markdown):
        text = _source(cell)
        if "grader:inline_answer" in ((cell.get("metadata") or {}).get("tags") or []):
            places.insert(0, text)
        if question is None and _is_question(text):
            question = index
        elif _ANSWER_LABEL.search(text):
            labelled.append(text)
    if question is not None:
        text = _source(markdown[question])
        label = _ANSWER_LABEL.search(text)
        if label:
            places.append(text[label.start():])
        if question + 1 < len(markdown):
            places.append(_source(markdown[question + 1]))
        if not label:
            places.append(_after_options(text))
    return places + labelled


def inline_answer(cells):
    """The text of the inline question's answer, or None if there is none.

    The first place (see _answer_places) whose answer picks an option; else the
    first place with any text, so that feedback can say the answer names no option.
    """
    places = [text for text in _answer_places(cells) if text.strip()]
    return next((text for text in places if choices(text)), places[0] if places else None)

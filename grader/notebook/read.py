"""Finding things in a notebook: the cells the grader reads, their outputs, the answer.

Our notebook tags the cells the grader reads (notebooks/README.md); a course
notebook from before the tags is read by what its cells contain instead.
"""
import re

FLOAT = r"([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)"


def tagged(nb, tag):
    """Cells carrying `tag` in their metadata."""
    return [c for c in nb.cells if tag in c.get("metadata", {}).get("tags", [])]


def find_cells(nb, tag, cell_type="code", contains=()):
    """The cells tagged `tag`, else the `cell_type` cells whose source has every word of `contains`."""
    cells = tagged(nb, tag)
    if cells or not contains:
        return cells
    return [c for c in nb.cells if c.cell_type == cell_type
            and all(word.lower() in c.source.lower() for word in contains)]


def images(cell):
    """Number of PNG images in a code cell's outputs; 0 if the cell raised.

    A cell that fails half-way still shows the figure it had begun (empty axes,
    say): that is not the plot asked for.
    """
    if failed(cell):
        return 0
    return sum(1 for o in cell.get("outputs", []) if "image/png" in o.get("data", {}))


def failed(cell):
    return any(o.get("output_type") == "error" for o in cell.get("outputs", []))


def plotted(nb, cell):
    """True if `cell` showed an image and every training cell before it (one
    calling .train()) ran without error: a plot of a network whose training
    failed shows nothing learned."""
    before = nb.cells[:next(i for i, c in enumerate(nb.cells) if c is cell)]
    trained = not any(c.cell_type == "code" and ".train(" in c.source and failed(c) for c in before)
    return trained and images(cell) > 0


def text(cell):
    """Everything a code cell printed or displayed as text."""
    parts = []
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream":
            parts.append(o.get("text", ""))
        elif "text/plain" in o.get("data", {}):
            parts.append(o["data"]["text/plain"])
    return "".join(parts)


def accuracies(output, word):
    """Numbers printed on lines that mention `word` (e.g. 'test'), as fractions in [0, 1]."""
    found = []
    for line in output.splitlines():
        if word.lower() in line.lower():
            for value in re.findall(FLOAT, line):
                number = float(value)
                number = number / 100 if 1 < number <= 100 else number
                if 0 <= number <= 1:
                    found.append(number)
    return found


def claimed(nb):
    """Accuracies a notebook's stored outputs claim: {'validation': [...], 'test': [...]}."""
    claims = {"validation": [], "test": []}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        output = text(cell)
        claims["test"] += accuracies(output, "test")
        claims["validation"] += accuracies(output, "validat")
    return claims


def inline_answer(nb):
    """The text of the inline question's answer cell, or None if there is none."""
    cells = tagged(nb, "grader:inline_answer")
    if cells:
        return cells[0].source
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and "inline question" in cell.source.lower():
            for later in nb.cells[index + 1:]:
                if later.cell_type == "markdown":
                    return later.source
    return None


def choices(answer):
    """The options 1-4 an answer picks, read from its 'answer' part (before any explanation)."""
    part = re.split(r"explanation", answer, flags=re.IGNORECASE)[0]
    part = re.sub(r"(?i)your answer\s*:?", "", part)
    part = re.sub(r"\*\*|__", "", part)
    return {int(d) for d in re.findall(r"(?<![\d.])([1-4])(?![\d.])", part)}

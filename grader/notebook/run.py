"""Run the submitted notebook once and gather what the notebook checks judge."""
from dataclasses import dataclass, field

import nbformat

from .. import config
from . import evaluate, read
from .execute import execute


@dataclass
class NotebookResult:
    """What the notebook checks look at. `problem` says why something is missing."""
    submitted: bool
    execution: object = None          # execute.Execution, if it ran
    claims: dict = field(default_factory=dict)   # {"stored"|"executed": read.claimed(...)}
    pairs: list = None                # best_net's (w, b) per Linear, if usable
    problem: str = ""                 # why best_net could not be evaluated
    accuracy: dict = field(default_factory=dict)  # the grader's train/validation/test

    def integrity(self):
        """Printed accuracies that beat what the grader measured by more than noise.

        "stored": the outputs saved in the submitted file (edited by hand?);
        "executed": what the notebook printed when the grader ran it (labels
        overwritten with predictions?).
        """
        where = {"stored": "the submitted notebook's saved outputs claim",
                 "executed": "when run, the notebook prints"}
        flags = []
        for source, claims in self.claims.items():
            for split in ("validation", "test"):
                measured = self.accuracy.get(split)
                # The last number printed is best_net's: earlier ones are of
                # other networks, or of epochs that validation went up and down in.
                claimed = claims.get(split)
                if claimed and measured is not None and claimed[-1] > measured + config.CLAIM_TOLERANCE:
                    flags.append(f"{where[source]} a {split} accuracy of {claimed[-1]:.3f}, but the "
                                 f"grader measures best_net at {measured:.3f} on its own labels")
        return flags


def run(notebook_path, sandbox, log):
    """Execute the submitted notebook in `sandbox` and evaluate its best_net.

    The file is read here, by the grader, from the submission (which student
    code never had access to); the kernel runs with sandbox.home as its folder.
    """
    if not notebook_path:
        return NotebookResult(submitted=False, problem="classification_nn.ipynb was not in your submission")
    result = NotebookResult(submitted=True)
    try:
        nb = nbformat.read(notebook_path, as_version=4)
        result.claims["stored"] = read.claimed(nb)
    except Exception as exc:  # not JSON, not a notebook
        result.problem = f"classification_nn.ipynb could not be read as a notebook ({exc})"
        return result
    result.execution = execution = execute(
        nb, sandbox, cell_timeout=config.NOTEBOOK_CELL_TIMEOUT,
        total_timeout=config.NOTEBOOK_TIMEOUT, log=log)
    result.claims["executed"] = read.claimed(execution.notebook)
    if not execution.extracted:
        result.problem = f"the notebook did not get far enough to be read: {execution.stopped}"
        return result
    problems = execution.extracted.get("problems", [])
    if "best_net is not defined" in problems:
        result.problem = "the notebook never defines best_net"
        return result
    if problems and not execution.extracted.get("layers"):
        result.problem = "; ".join(problems)
        return result
    try:
        result.pairs = evaluate.weights_of(execution.extracted.get("layers", []), execution.arrays)
    except evaluate.ArchitectureError as exc:
        result.problem = str(exc)
        return result
    if not evaluate.finite(result.pairs):
        result.problem = "best_net's weights contain NaN or inf"
        return result
    result.accuracy = evaluate.accuracies(result.pairs)
    return result

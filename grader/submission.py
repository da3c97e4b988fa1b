"""What the grader takes from a submission, and the folder the worker runs in.

Only the files students are meant to edit are taken; the rest of the course
scaffold comes from the reference, so an edited trainer or a copy of the
course's utils/ (which imports scikit-image) cannot change the grade.
"""
import os
import shutil
import stat
from dataclasses import dataclass, field
from typing import List

from . import config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REFERENCE = os.path.join(ROOT, "reference")
WORKER_FILES = ("main.py", "probes.py", "wire.py")   # and surface.py, beside them

# The graded surface (surface.py): which files are the student's, folders never worth listing.
from .surface import NOISE, NOTEBOOK, SCAFFOLD_DIRS, STUDENT_FILES, STUDENT_LAYER_FILES  # noqa: F401
@dataclass
class Submission:
    """Where the student's files are, and which of them the grader uses."""
    root: str                     # the folder holding layers/ or the notebook
    used: List[str] = field(default_factory=list)      # relative paths taken from the student
    missing: List[str] = field(default_factory=list)   # expected files not found
    ignored: List[str] = field(default_factory=list)   # submitted files the grader does not use
    from_reference: List[str] = field(default_factory=list)  # missing layer files replaced by the reference's
    refused: List[str] = field(default_factory=list)   # there, but a link or too large (also in missing)

    def summary(self):
        lines = [f"Graded from your submission: {', '.join(self.used) or 'nothing'}."]
        if self.refused:
            lines.append(f"Refused, as symbolic links or files too large (submit the files "
                         f"themselves): {', '.join(self.refused)}.")
        if self.missing:
            lines.append(f"Not found (graded as not implemented): {', '.join(self.missing)}.")
        if self.from_reference:
            lines.append("Not found, so the reference's copy was used in its place: "
                         f"{', '.join(self.from_reference)}.")
        if self.ignored:
            shown = self.ignored[:12]
            more = f" and {len(self.ignored) - len(shown)} more" if len(self.ignored) > len(shown) else ""
            lines.append("Ignored (the course's own copies are used instead): "
                         f"{', '.join(shown)}{more}.")
        return "\n".join(lines)


# Larger files are refused: a layer needs a few kilobytes, a notebook with its
# outputs a few megabytes; these only bound what the grader copies.
MAX_FILE_BYTES = {".py": 8 * 1024 ** 2, ".ipynb": 64 * 1024 ** 2}


def plain_file(root, rel):
    """True if root/rel is a regular file reached through no symbolic link, and not huge.

    A link could point the grader, which copies the file before any sandbox
    exists, at the reference's solution or the hidden checks.
    """
    path = root
    for part in rel.split("/"):
        path = os.path.join(path, part)
        if os.path.islink(path):
            return False
    try:
        info = os.lstat(path)
    except OSError:
        return False
    limit = MAX_FILE_BYTES[os.path.splitext(rel)[1]]
    return stat.S_ISREG(info.st_mode) and info.st_size <= limit


def _real_dir(path):
    return os.path.isdir(path) and not os.path.islink(path)


def find_root(path, max_depth=3):
    """The shallowest folder at or below `path` holding layers/ or the notebook
    (a zip's top folder, say); `path` itself if there is none."""
    level = [path]
    for _ in range(max_depth + 1):
        for folder in level:
            if _real_dir(os.path.join(folder, "layers")) or plain_file(folder, NOTEBOOK):
                return folder
        level = [os.path.join(folder, name) for folder in level
                 for name in sorted(os.listdir(folder))
                 if name not in NOISE and _real_dir(os.path.join(folder, name))]
    return path


def inspect(path, notebook_only=False, layers_policy=None):
    """A Submission describing the student folder `path` (it must exist).

    A layer file the submission lacks is graded as not implemented, unless
    `notebook_only` (the notebook was uploaded alone) and the policy
    (config.NOTEBOOK_ONLY_LAYERS, or `layers_policy`) is "reference": then the
    reference's copy takes its place, so that the notebook can run, and the
    summary says so.
    """
    policy = config.NOTEBOOK_ONLY_LAYERS if layers_policy is None else layers_policy
    if policy not in ("stub", "reference"):
        raise ValueError(f"NOTEBOOK_ONLY_LAYERS is {policy!r}: 'stub' or 'reference'")
    root = find_root(os.path.abspath(path))
    sub = Submission(root=root)
    replace = notebook_only and policy == "reference"
    for rel in STUDENT_FILES:
        if plain_file(root, rel):
            sub.used.append(rel)
        elif os.path.lexists(os.path.join(root, rel)):
            sub.refused.append(rel)
            sub.missing.append(rel)
        elif replace and rel in STUDENT_LAYER_FILES:
            sub.from_reference.append(rel)
        else:
            sub.missing.append(rel)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in NOISE)
        for name in sorted(filenames):
            rel = os.path.relpath(os.path.join(dirpath, name), root)
            if rel not in STUDENT_FILES and name not in NOISE and not name.endswith(".pyc"):
                sub.ignored.append(rel)
    return sub


MISSING_STUB = '''raise NotImplementedError(
    "{rel} was {why}, so it is graded as not implemented")
'''


def build_workdir(sub, sandbox):
    """Fill the sandbox's folders for this submission; return the worker's main.py.

    sandbox.home gets the reference scaffold with the student's layer files
    over it; sandbox.worker the worker's own code. Both are written before
    any student code runs (sandbox.give_home hands home over afterwards).
    """
    target = sandbox.home
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "tests", "datasets")
    for folder in SCAFFOLD_DIRS:
        shutil.copytree(os.path.join(REFERENCE, folder), os.path.join(target, folder), ignore=ignore)
    for rel in STUDENT_LAYER_FILES:
        dest = os.path.join(target, rel)
        if rel in sub.used:
            shutil.copyfile(os.path.join(sub.root, rel), dest, follow_symlinks=False)
        elif rel not in sub.from_reference:  # those keep the reference's copy made above
            why = ("refused (a symbolic link, or too large)" if rel in sub.refused
                   else "not in your submission")
            with open(dest, "w") as f:
                f.write(MISSING_STUB.format(rel=rel, why=why))
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker")
    for name in WORKER_FILES:
        shutil.copyfile(os.path.join(here, name), os.path.join(sandbox.worker, name))
    shutil.copyfile(os.path.join(os.path.dirname(here), "surface.py"), os.path.join(sandbox.worker, "surface.py"))
    return os.path.join(sandbox.worker, "main.py")

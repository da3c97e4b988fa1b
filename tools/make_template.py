"""Write the student template from the reference.

    python -m tools.make_template [--check] [--reference DIR] [--notebook PATH] [--dest DIR]

Ships the folders in SHIPPED_DIRS (Python files with their solution regions
stubbed, everything else copied), the ROOT_FILES (the student README, its
`{{NAME}}` placeholders filled with the grader's numbers by tools.student_readme,
and the requirements file) and the stubbed notebook.
Nothing else in the reference is copied, so local material such as datasets/
never reaches students. The template is built in a temporary folder that
replaces DEST only once everything succeeded: an error leaves DEST untouched.

--check builds the template in a temporary folder and compares it with DEST:
exit 1 and the list of differing files if someone edited the template by hand
or forgot to regenerate it. A problem in a source file exits with 2 and its
file:line (a missing source file, 2 and its name).
"""
import argparse
import filecmp
import os
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat

from .errors import TemplateError
from .markers import contains_marker
from .stub_notebook import student_notebook
from .stub_python import stub_python
from .student_readme import fill

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_DIRS = ("layers", "utils", "tests")
# Files at the template's root: (name in the reference, name in the template, fill placeholders).
ROOT_FILES = (("STUDENT_README.md", "README.md", True),
              ("STUDENT_REQUIREMENTS.txt", "requirements.txt", False))
NOTEBOOK = "classification_nn.ipynb"
# Never shipped, wherever they appear: caches and editor litter, not sources.
IGNORED_NAMES = ("__pycache__", ".pytest_cache", ".ipynb_checkpoints")
IGNORED_SUFFIXES = (".pyc",)


def _ignored(path):
    return any(part in IGNORED_NAMES for part in path.parts) or path.suffix in IGNORED_SUFFIXES


def _files(folder):
    """Paths of the files under `folder`, relative to it, sorted, ignored ones left out."""
    return sorted(p.relative_to(folder) for p in folder.rglob("*")
                  if p.is_file() and not _ignored(p.relative_to(folder)))


def _read(path):
    # newline="" keeps the file's own line endings, so output is the same on every OS.
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def _ship_file(source, target, shown_as, placeholders=False):
    """Copy one file, stubbing solutions in Python and refusing markers anywhere else.

    placeholders: fill the file's `{{NAME}}` placeholders with the grader's values.
    """
    text = _read(source)
    if placeholders:
        text = fill(text, shown_as)
    if source.suffix == ".py":
        text = stub_python(text, shown_as)
    elif contains_marker(text):
        raise TemplateError(shown_as, 1, "solution markers are only understood in .py files "
                            "and in the notebook's code cells")
    _write(target, text)


def build(reference, notebook, dest):
    """Write the template into the empty or missing folder `dest`."""
    for folder in SHIPPED_DIRS:
        if not (reference / folder).is_dir():
            raise FileNotFoundError(f"{_display(reference / folder)} is missing: "
                                    "the template ships it")
        for relative in _files(reference / folder):
            _ship_file(reference / folder / relative, dest / folder / relative,
                       shown_as=_display(reference / folder / relative))
    for source, target, placeholders in ROOT_FILES:
        if not (reference / source).is_file():
            raise FileNotFoundError(f"{_display(reference / source)} is missing: "
                                    f"the template ships it as {target}")
        _ship_file(reference / source, dest / target, _display(reference / source), placeholders)
    master = nbformat.read(notebook, as_version=4)
    stubbed = student_notebook(master, _display(notebook))
    nbformat.validate(stubbed)
    _write(dest / NOTEBOOK, nbformat.writes(stubbed) + "\n")


def _display(path):
    """`path` relative to the project when it is inside it (shorter error messages)."""
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def generate(reference, notebook, dest):
    """Build the template next to `dest`, then swap it in."""
    dest = Path(dest).resolve()
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}-new-", dir=dest.parent))
    try:
        build(Path(reference), Path(notebook), staging)
        if dest.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{dest.name}-old-", dir=dest.parent))
            os.replace(dest, retired / dest.name)
            shutil.rmtree(retired)
        os.replace(staging, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def differences(expected, actual):
    """Sorted lines 'changed: x', 'missing: x', 'unexpected: x' between two template folders."""
    expected_files = set(_files(expected))
    actual_files = set(_files(actual)) if actual.is_dir() else set()
    lines = [f"missing: {p}" for p in expected_files - actual_files]
    lines += [f"unexpected: {p}" for p in actual_files - expected_files]
    lines += [f"changed: {p}" for p in expected_files & actual_files
              if not filecmp.cmp(expected / p, actual / p, shallow=False)]
    return sorted(lines, key=lambda line: line.split(": ", 1)[1])


def check(reference, notebook, dest):
    """Differences between a fresh build and the template in `dest` (empty when up to date)."""
    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch) / "template"
        build(Path(reference), Path(notebook), fresh)
        return differences(fresh, Path(dest))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--check", action="store_true",
                        help="compare a fresh build with DEST instead of writing it")
    parser.add_argument("--reference", default=ROOT / "reference", type=Path,
                        help="the complete solution (default: reference/)")
    parser.add_argument("--notebook", default=ROOT / "notebooks" / NOTEBOOK, type=Path,
                        help=f"the master notebook (default: notebooks/{NOTEBOOK})")
    parser.add_argument("--dest", default=ROOT / "student_template", type=Path,
                        help="the template folder (default: student_template/)")
    args = parser.parse_args(argv)
    try:
        if not args.check:
            generate(args.reference, args.notebook, args.dest)
            print(f"wrote {_display(args.dest)}/")
            return 0
        drift = check(args.reference, args.notebook, args.dest)
    except (TemplateError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if drift:
        print(f"{_display(args.dest)}/ is not what the generator writes (run `make template`):")
        print("\n".join(f"  {line}" for line in drift))
        return 1
    print(f"{_display(args.dest)}/ is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())

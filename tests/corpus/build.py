"""Turn a corpus entry into a submission folder: the reference with one patch applied."""
import os
import shutil

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REFERENCE = os.path.join(ROOT, "reference")
SCAFFOLD = ("layers", "utils")


class StalePatch(Exception):
    """A corpus entry's `old` snippet is not in the current reference exactly once."""


def patched(text, bug):
    """`text` (the reference's `bug.file`) with `bug.old` replaced by `bug.new`.

    Raises StalePatch unless `bug.old` occurs exactly once: a patch that no
    longer applies must fail loudly, not grade the unpatched reference.
    """
    count = text.count(bug.old)
    if count != 1:
        where = "not found" if count == 0 else f"found {count} times"
        raise StalePatch(f"corpus entry {bug.name!r}: the snippet to replace is {where} in "
                         f"reference/{bug.file}; update tests/corpus/bugs.py.\n"
                         f"snippet:\n{bug.old}")
    result = text.replace(bug.old, bug.new)
    if result == text:
        raise StalePatch(f"corpus entry {bug.name!r}: the patch changes nothing")
    return result


def build_submission(bug, dest_dir):
    """Copy reference/layers and reference/utils into `dest_dir` and apply `bug`'s patch.

    Returns dest_dir. Raises StalePatch if the patch does not apply exactly once.
    """
    dest_dir = str(dest_dir)
    source = os.path.join(REFERENCE, bug.file)
    with open(source) as f:
        text = patched(f.read(), bug)  # before copying: fail before leaving anything behind
    for folder in SCAFFOLD:
        shutil.copytree(os.path.join(REFERENCE, folder), os.path.join(dest_dir, folder),
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    with open(os.path.join(dest_dir, bug.file), "w") as f:
        f.write(text)
    return dest_dir

"""python -m gradescope.build [--out autograder.zip]: the zip to upload to Gradescope.

Gradescope unpacks it into /autograder/source, runs setup.sh there once, and
runs run_autograder (copied to /autograder/run_autograder) per submission.

    setup.sh, run_autograder   the two scripts, rendered from gradescope/
    requirements.txt           exact pins, generated from pyproject.toml
    grader/                    the grader (checks, worker, notebook runner)
    gradescope/                the upload intake and the entry point run_autograder calls
                               (without this builder)
    reference/layers/, reference/utils/
                               the scaffold the grader copies for the worker and imports
    notebooks/classification_nn.ipynb, scripts/reference_selfcheck.py
                               the master notebook and the script setup.sh grades the
                               reference submission with, at the end of the build
    scripts/check_pins.py      setup.sh's check that the interpreter satisfies the pins

Nothing else: not the reference's public tests, the student notebook or this
project's tests. The zip is reproducible: the same files give the same bytes.
"""
import argparse
import fnmatch
import os
import re
import sys
import zipfile

from .requirements import ROOT, minimum_python, requirements, requirements_txt

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = ("setup.sh", "run_autograder")
# Folders copied whole (relative to the repository and to the zip's root).
TREES = ("grader", "gradescope", "reference/layers", "reference/utils")
# Single files, for setup.sh: its interpreter check and its self-check (which
# grades the reference with the master notebook). Student code cannot read them:
# setup.sh closes every entry of the source but .venv to other users, and the
# sandbox's namespaces or Landlock, where the kernel allows them, hide the rest.
FILES = ("notebooks/classification_nn.ipynb", "scripts/check_pins.py",
         "scripts/reference_selfcheck.py")
SKIP = ("__pycache__", "*.pyc", ".ipynb_checkpoints", ".pytest_cache", ".DS_Store")
# Used here, at build time, and never on Gradescope (the scripts go in rendered).
BUILD_ONLY = ("gradescope/build.py", "gradescope/requirements.py",
              "gradescope/setup.sh", "gradescope/run_autograder")
# Zip entries carry this date, not the files' mtimes, for reproducible bytes.
EPOCH = (1980, 1, 1, 0, 0, 0)


def _tree_files(tree):
    """Relative paths of the files under the repository folder `tree`, sorted."""
    found = []
    for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, tree)):
        dirnames[:] = sorted(d for d in dirnames if not _skipped(d))
        for name in filenames:
            rel = os.path.relpath(os.path.join(dirpath, name), ROOT)
            if not _skipped(name) and rel.replace(os.sep, "/") not in BUILD_ONLY:
                found.append(rel)
    return sorted(found)


def _skipped(name):
    return any(fnmatch.fnmatch(name, pattern) for pattern in SKIP)


def render(script, min_python, platform_timeout=None):
    """The text of gradescope/`script` with its @PLACEHOLDERS@ filled in."""
    from grader import config
    timeout = config.PLATFORM_TIMEOUT if platform_timeout is None else platform_timeout
    with open(os.path.join(HERE, script)) as f:
        text = f.read().replace("@MIN_PYTHON@", min_python).replace("@PLATFORM_TIMEOUT@", f"{timeout:g}")
    left = re.findall(r"@[A-Z_]+@", text)
    if left:
        raise ValueError(f"{script}: placeholders left unfilled: {', '.join(left)}")
    return text


def contents(platform_timeout=None):
    """[(name in the zip, bytes, executable?)] of the autograder, sorted by name."""
    lines = requirements()
    entries = [(script, render(script, minimum_python(lines), platform_timeout).encode(), True)
               for script in SCRIPTS]
    entries.append(("requirements.txt", requirements_txt().encode(), False))
    for rel in [rel for tree in TREES for rel in _tree_files(tree)] + list(FILES):
        with open(os.path.join(ROOT, rel), "rb") as f:
            entries.append((rel.replace(os.sep, "/"), f.read(), False))
    return sorted(entries)


def build(out, platform_timeout=None):
    """Write the autograder zip to `out` (atomically); return the names it holds."""
    entries = contents(platform_timeout)
    tmp = f"{out}.partial"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data, executable in entries:
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o100755 if executable else 0o100644) << 16
            info.create_system = 3  # Unix, so unzip honours the modes above
            zf.writestr(info, data)
    os.replace(tmp, out)
    return [name for name, _, _ in entries]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m gradescope.build",
                                     description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(ROOT, "autograder.zip"),
                        help="where to write the zip (default: autograder.zip in the repository)")
    parser.add_argument("--platform-timeout", type=float, default=None,
                        help="the assignment's autograder timeout on Gradescope, in seconds "
                             "(default 600, Gradescope's own); the grader writes its results before it")
    args = parser.parse_args(argv)
    from grader import config
    timeout = config.PLATFORM_TIMEOUT if args.platform_timeout is None else args.platform_timeout
    names = build(args.out, timeout)
    size = os.path.getsize(args.out)
    print(f"wrote {args.out}: {len(names)} files, {size / 1024:.0f} KiB "
          f"(Python >= {minimum_python(requirements())}); set the assignment's autograder "
          f"timeout to {timeout:g} s on Gradescope (--platform-timeout)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Pack what the grader needs into submission.zip, ready to upload.

    python -m utils.pack_submission [--out PATH]

Run it in the assignment folder. The zip holds, at its root, the .py files
directly in layers/ and utils/ (your four layers and the scaffold around them)
and classification_nn.ipynb with its outputs: a few hundred KB. Nothing else
goes in: not the dataset, its caches (.npy), checkpoints, __pycache__ or
.ipynb_checkpoints, which would make the upload hundreds of MB.

It refuses, and writes nothing, when a file the grader needs is missing, or
the notebook is unreadable or too large to upload. It warns, and packs, when
something left in the files costs points at grading: a function still raising
NotImplementedError, and what `python -m utils.check_notebook --quick` finds in
the saved notebook (best_net_hyperparams over the time budget, a notebook never
run, errors saved in it, an inline answer naming no option). Running the whole
notebook as the grader does is `python -m utils.check_notebook`.
"""
import argparse
import json
import os
import re
import sys
import tempfile
import zipfile
from pathlib import Path

ASSIGNMENT = Path(__file__).resolve().parent.parent
NOTEBOOK = "classification_nn.ipynb"
LAYER_FILES = ("layers/linear.py", "layers/relu.py", "layers/softmax.py", "layers/loss_func.py")
REQUIRED = LAYER_FILES + (NOTEBOOK,)
PACKED_FOLDERS = ("layers", "utils")  # only the .py files directly inside them
# A notebook is a few hundred KB with its plots; tens of MB means a cell printed
# whole arrays or plotted inside a search loop, which nobody needs to upload.
MAX_NOTEBOOK_BYTES = 10 * 1024 ** 2
# A stub's message starts with what is unwritten: "ReLU.forward: ...", "Tuning: ...".
STUB = re.compile(r"""raise NotImplementedError\(\s*["']([^"':]*)""")


class PackError(Exception):
    """The submission cannot be packed; the message says what to do."""


def _size(n_bytes):
    """A size the way a file browser shows it: '412.3 KB', '1.2 MB'."""
    if n_bytes < 1024 ** 2:
        return f"{n_bytes / 1024:.1f} KB"
    return f"{n_bytes / 1024 ** 2:.1f} MB"


def files_to_pack(folder):
    """Paths relative to `folder`, sorted, of what goes into the zip; raises PackError.

    The required files must exist; the rest of layers/ and utils/ comes along
    if it is there.
    """
    missing = [name for name in REQUIRED if not (folder / name).is_file()]
    if missing == [NOTEBOOK]:
        from .check_notebook import missing_notebook
        raise PackError(f"cannot pack: {missing_notebook(folder)}")
    if missing:
        raise PackError(f"cannot pack: {', '.join(missing)} not found in {folder}. Run this "
                        f"command in your assignment folder, the one holding layers/ and {NOTEBOOK}.")
    names = set(REQUIRED)
    for sub in PACKED_FOLDERS:
        if (folder / sub).is_dir():
            names.update(f"{sub}/{path.name}" for path in (folder / sub).glob("*.py")
                         if path.is_file())
    return sorted(names)


def check_notebook(path):
    """The parsed notebook at `path`; raises PackError if it is too large or unreadable."""
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        raise PackError(f"cannot pack: {path.name} is {_size(size)}, more than the "
                        f"{_size(MAX_NOTEBOOK_BYTES)} this command accepts. Some cell prints or "
                        "plots far too much (a whole array, a plot per try of a search): clear "
                        "that cell's output (Edit > Clear Outputs of Selected Cells), save, and "
                        "pack again.")
    try:
        with open(path, encoding="utf-8") as f:
            notebook = json.load(f)
        if not isinstance(notebook.get("cells"), list):
            raise ValueError("it has no list of cells")
    except (ValueError, UnicodeDecodeError) as exc:
        raise PackError(f"cannot pack: {path.name} is not a readable notebook ({exc}). Open it "
                        "in Jupyter, check it shows your work, and save it again.") from None
    return notebook


def unfinished(folder):
    """Lines naming what still raises NotImplementedError: an unwritten layer or notebook cell."""
    notes = []
    for name in LAYER_FILES:
        for what in STUB.findall((folder / name).read_text(encoding="utf-8", errors="replace")):
            notes.append(f"{name}: {what} still raises NotImplementedError (not written yet?)")
    notebook = check_notebook(folder / NOTEBOOK)
    for cell in notebook["cells"]:
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        for what in STUB.findall(source) if cell.get("cell_type") == "code" else ():
            notes.append(f"{NOTEBOOK}: the {what} cell still raises NotImplementedError "
                         "(not answered yet?)")
    from . import check_notebook as local_check
    notes += [f"{NOTEBOOK}: {f.text}" for f in local_check.quick(notebook) if f.level != "ok"]
    return notes


def pack(folder, out):
    """Write the zip `out` from assignment `folder`; return the packed names.

    The zip is written beside `out` and renamed into place at the end, so a
    failure never leaves a half-written submission.zip behind.
    """
    names = files_to_pack(folder)
    check_notebook(folder / NOTEBOOK)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(prefix=".submission-", suffix=".zip", dir=out.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name in names:
                archive.write(folder / name, arcname=name)
        os.replace(partial, out)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    return names


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--out", type=Path, default=ASSIGNMENT / "submission.zip",
                        help="where to write the zip (default: submission.zip in the assignment folder)")
    args = parser.parse_args(argv)
    try:
        names = pack(ASSIGNMENT, args.out)
        notes = unfinished(ASSIGNMENT)
    except (PackError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for note in notes:
        print(f"warning: {note}")
    if notes:
        print("warning: the zip was written anyway; python -m utils.check_notebook runs the notebook "
              "as the grader does and says more.")
    for name in names:
        print(f"  {name}")
    print(f"wrote {args.out} ({_size(args.out.stat().st_size)}, {len(names)} files): "
          "upload this file to Gradescope.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

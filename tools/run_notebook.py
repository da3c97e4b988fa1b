"""Execute a notebook top to bottom in a Jupyter kernel and save the executed copy.

    python -m tools.run_notebook NOTEBOOK --cwd DIR [--output PATH] [--timeout SECONDS]

The kernel is the `python3` kernelspec, which Jupyter resolves to the Python
running this command (the virtualenv's, whose ipykernel installs the spec).
It starts in DIR, so the notebook imports `layers` and `utils` from there; the
environment, $CIFAR10_DIR included, is passed on. Prints the elapsed time.
Exit 1 if a cell raised; the executed copy then shows where.
"""
import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent
KERNEL = "python3"
DEFAULT_TIMEOUT = 1800  # seconds per cell: training on a busy machine is slow


def execute(notebook, cwd, timeout=DEFAULT_TIMEOUT):
    """Run every cell of `notebook` (modified in place) from folder `cwd`; return seconds taken.

    A failing cell raises CellExecutionError; the cells run so far keep their outputs.
    """
    client = NotebookClient(notebook, timeout=timeout, kernel_name=KERNEL,
                            resources={"metadata": {"path": str(cwd)}})
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--cwd", type=Path, required=True,
                        help="working directory of the kernel (the assignment folder)")
    parser.add_argument("--output", type=Path,
                        help="where to write the executed copy (default: "
                             "out/NAME.executed.ipynb, out/ being ignored by git)")
    parser.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT,
                        help="seconds allowed per cell (default: %(default)s)")
    args = parser.parse_args(argv)
    output = args.output or ROOT / "out" / f"{args.notebook.stem}.executed.ipynb"
    output.parent.mkdir(parents=True, exist_ok=True)
    notebook = nbformat.read(args.notebook, as_version=4)
    start = time.perf_counter()
    try:
        seconds = execute(notebook, args.cwd.resolve(), args.timeout)
    except CellExecutionError as exc:
        nbformat.write(notebook, output)
        print(f"{args.notebook}: a cell failed after {time.perf_counter() - start:.1f} s; "
              f"the executed copy is {output}\n{exc}", file=sys.stderr)
        return 1
    nbformat.write(notebook, output)
    print(f"executed {args.notebook} in {seconds:.1f} s; wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

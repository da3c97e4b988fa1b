"""Execute a notebook headless in a real Jupyter kernel, then pull plain arrays out of it.

nbclient runs here, in the trusted process; the kernel (all student code) is a
separate process started in the sandbox folder with a scrubbed environment.
Only JSON (the kernel's messages) and an .npz read with allow_pickle=False come
back.
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

import nbformat
import numpy as np
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_core.utils import run_sync
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from ..runners import worker_env
from ..worker import wire

# Runs in the student's kernel after their cells: saves best_net's Linear
# weights and best_net_hyperparams as plain arrays/JSON. Student code could
# forge the file, but only weights that really classify score anything.
EXTRACT = '''
def __grader_extract(path):
    import json as _json, numpy as _np
    found = {"hyperparams": None, "layers": [], "problems": []}
    arrays = {}
    g = globals()
    try:
        hp = g.get("best_net_hyperparams")
        found["hyperparams"] = [float(v) for v in hp] if hp is not None else None
    except Exception as exc:
        found["problems"].append(f"best_net_hyperparams is not a list of numbers ({exc})")
    net = g.get("best_net")
    if net is None:
        found["problems"].append("best_net is not defined")
    else:
        for i, module in enumerate(getattr(net, "_modules", None) or []):
            kind = type(module).__name__
            found["layers"].append(kind)
            if hasattr(module, "w") and hasattr(module, "b"):
                arrays[f"w{i}"] = _np.array(module.w, dtype=_np.float64)
                arrays[f"b{i}"] = _np.array(module.b, dtype=_np.float64)
    _np.savez(path + ".npz", **arrays)
    with open(path + ".json", "w") as f:
        _json.dump(found, f)
__grader_extract(__PATH__)
del __grader_extract
'''


@dataclass
class Execution:
    """What running the notebook produced."""
    notebook: object                    # the executed nbformat notebook
    seconds: float = 0.0
    errors: list = field(default_factory=list)   # (cell index, "ErrorName: message")
    stopped: str = ""                   # why execution ended early, if it did
    extracted: dict = field(default_factory=dict)  # hyperparams, layers, problems
    arrays: dict = field(default_factory=dict)     # w0, b0, w2, b2, ... plain float64


def clear_outputs(nb):
    """Drop stored outputs: the grader believes only what it executes."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None


def _read_extracted(base):
    """(extracted dict, arrays) from the last extraction; empty if there was none.

    The files come from the student's kernel: anything not of the expected
    shape (a forged JSON, a compressed or huge npz) is reported, not trusted.
    """
    if not os.path.exists(base + ".json"):
        return {}, {}
    forged = {"problems": ["the grader's record of best_net was tampered with"]}
    try:
        with open(base + ".json") as f:
            extracted = json.load(f)
        with open(base + ".npz", "rb") as f:
            wire.check_npz(f)
            with np.load(f, allow_pickle=False) as npz:
                arrays = {name: npz[name] for name in npz.files}
    except (OSError, ValueError, RecursionError, wire.WireError) as exc:
        return {"problems": [f"could not read best_net from the kernel ({exc})"]}, {}
    if not _well_formed(extracted):
        return forged, {}
    return extracted, {k: v for k, v in arrays.items() if v.dtype == np.float64}


def _well_formed(extracted):
    """True if `extracted` has the shape EXTRACT writes."""
    if not isinstance(extracted, dict):
        return False
    hyperparams, layers = extracted.get("hyperparams"), extracted.get("layers")
    problems = extracted.get("problems")
    return ((hyperparams is None or (isinstance(hyperparams, list) and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in hyperparams)))
            and isinstance(layers, list) and all(isinstance(v, str) for v in layers)
            and isinstance(problems, list) and all(isinstance(v, str) for v in problems))


def sandbox_kernel(kernels_dir, launcher, connection_copy):
    """A KernelManager whose kernel starts through `launcher` (an argv prefix).

    The kernelspec lives in `kernels_dir`, a folder of the grader's. The
    connection file is copied to `connection_copy` first, where a kernel
    running as another user can read it.
    """
    spec_dir = os.path.join(kernels_dir, "grader-sandbox")
    os.makedirs(spec_dir, exist_ok=True)
    argv = launcher([("{connection_file}", connection_copy)]) + [
        sys.executable, "-m", "ipykernel_launcher", "-f", connection_copy]
    with open(os.path.join(spec_dir, "kernel.json"), "w") as f:
        json.dump({"argv": argv, "display_name": "grader sandbox", "language": "python"}, f)
    # Async, as nbclient makes its own: a blocking client would stall nbclient's
    # event loop and with it the check that notices a dead kernel.
    return AsyncKernelManager(kernel_name="grader-sandbox",
                              kernel_spec_manager=KernelSpecManager(kernel_dirs=[kernels_dir]))


def execute(path, workdir, cell_timeout=600, total_timeout=1800, env=None, log=None, km=None):
    """Run the notebook at `path` with `workdir` as working directory; return an Execution.

    Every cell runs even after an error (later cells may still earn credit). A
    cell past `cell_timeout` is interrupted and counts as an error; the whole
    run past `total_timeout`, or the kernel dying (os._exit, a crash, the
    memory limit), stops execution. best_net is extracted after every cell, so
    what a notebook had built before it stopped still counts.
    The kernel's own stdout/stderr go to the file object `log` (default: discarded).
    km: the KernelManager to use (see sandbox_kernel); default: a plain python3 kernel.
    """
    nb = nbformat.read(path, as_version=4)
    clear_outputs(nb)
    result = Execution(notebook=nb)
    client = NotebookClient(
        nb, km=km, timeout=cell_timeout, kernel_name="python3", allow_errors=True,
        interrupt_on_timeout=True,
        error_on_timeout={"ename": "CellTimeoutError", "traceback": [],
                          "evalue": f"the cell ran longer than {cell_timeout:g} s and was interrupted"},
        resources={"metadata": {"path": workdir}})
    base = os.path.join(workdir, ".grader_extract")
    extract = nbformat.v4.new_code_cell(EXTRACT.replace("__PATH__", repr(base)))
    start = time.monotonic()
    watchdog = None
    try:
        with client.setup_kernel(cwd=workdir, env=env or worker_env(workdir),
                                 stdout=log or subprocess.DEVNULL, stderr=log or subprocess.DEVNULL):
            watchdog = threading.Timer(total_timeout, _kill, args=(client.km,))
            watchdog.start()
            for index, cell in enumerate(list(nb.cells)):
                if cell.cell_type != "code":
                    continue
                client.execute_cell(cell, index)
                result.errors += [(index, _describe(o, cell_timeout)) for o in cell.outputs
                                  if o.output_type == "error"]
                _run_extraction(client, nb, extract)
    except DeadKernelError:
        if time.monotonic() - start >= total_timeout:
            result.stopped = f"the notebook ran longer than {total_timeout:g} s"
        else:
            result.stopped = "the kernel died (os._exit, exit(), a crash, or the memory limit)"
    except CellTimeoutError:  # the kernel would not even take the interrupt
        result.stopped = f"a cell ran longer than {cell_timeout:g} s and could not be interrupted"
    finally:
        if watchdog:
            watchdog.cancel()
        if km is not None and km.has_kernel:
            run_sync(km.shutdown_kernel)(now=True)  # nbclient leaves a km passed in running
    result.seconds = time.monotonic() - start
    result.extracted, result.arrays = _read_extracted(base)
    return result


def _describe(error, cell_timeout):
    if error.ename in ("KeyboardInterrupt", "CellTimeoutError"):
        # Nothing interrupts the kernel but our time limit.
        return f"the cell ran longer than {cell_timeout:g} s and was interrupted"
    return f"{error.ename}: {error.evalue}"


def _run_extraction(client, nb, cell):
    """Save best_net and best_net_hyperparams as they are now (see EXTRACT)."""
    # nbclient stores each executed cell back into the notebook, so the
    # extraction cell is appended for the call and removed after it.
    nb.cells.append(cell)
    try:
        client.execute_cell(cell, len(nb.cells) - 1)
    finally:
        nb.cells.pop()


def _kill(kernel_manager):
    """Kill the kernel's whole process group (it runs in its own session)."""
    process = getattr(kernel_manager.provisioner, "process", None)
    if process is None:
        return
    try:
        group = os.getpgid(process.pid)
        if group != os.getpgrp():  # never our own group
            os.killpg(group, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass

"""Execute a notebook headless in the sandbox's Jupyter kernel, then pull plain arrays out of it.

nbclient runs here, in the trusted process; the kernel (all student code) is
a separate process in the sandbox (grader/notebook/kernel.py). What comes
back is bounded: kernel messages are capped in size (kernel.py), the outputs
kept per cell and in all are capped (BoundedNotebookClient), and best_net
comes over the grader's own channel (grader/sandbox/channel.py) as an npz
read with allow_pickle=False, under a size cap and a deadline.
"""
import json
import math
import os
import signal
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import nbformat
import numpy as np
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from .. import config
from ..runners import SandboxBroken
from ..sandbox import SETUP_FAILED
from ..worker import wire
from .cpu_meter import CpuMeter
from .kernel import SandboxKernelManager

# Runs in the student's kernel after their cells that name best_net: sends best_net's
# Linear weights and best_net_hyperparams as plain arrays/JSON to the grader's
# channel, the weights only when they changed. Student code could forge the
# message, but only weights that really classify score anything.
EXTRACT = '''
def __grader_extract(address, nonce):
    import hashlib as _hashlib, io as _io, json as _json, socket as _socket, struct as _struct
    import numpy as _np
    found = {"nonce": nonce, "hyperparams": None, "layers": [], "problems": [], "unchanged": False}
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
            found["layers"].append(type(module).__name__)
            if hasattr(module, "w") and hasattr(module, "b"):
                arrays[f"w{i}"] = _np.array(module.w, dtype=_np.float64)
                arrays[f"b{i}"] = _np.array(module.b, dtype=_np.float64)
    digest = _hashlib.blake2b(digest_size=16)
    for name in sorted(arrays):
        digest.update(f"{name}{arrays[name].shape}".encode())
        digest.update(arrays[name].tobytes())
    found["digest"] = digest.hexdigest()
    sent = g.setdefault("__grader_sent", {})
    if sent.get("digest") == found["digest"]:
        found["unchanged"], arrays = True, {}
    size = sum(a.nbytes for a in arrays.values())
    if size > __LIMIT__:
        found["problems"].append(f"best_net's weights are {size / 2**20:.0f} MB, over the grader's "
                                 f"limit of {__LIMIT__ / 2**20:.0f} MB (is hidden_size that large?)")
        arrays, found["digest"] = {}, ""
    buffer = _io.BytesIO()
    _np.savez(buffer, __json__=_np.frombuffer(_json.dumps(found).encode(), dtype=_np.uint8), **arrays)
    data = buffer.getvalue()
    with _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM) as s:
        s.connect(address)
        s.sendall(_struct.pack(">Q", len(data)) + data)
    sent["digest"] = found["digest"]
__grader_extract(__ADDRESS__, __NONCE__)
del __grader_extract
'''


# Runs in the kernel before the notebook's first cell. The random numbers of a
# notebook that sets no seed are the same in every grading (so is its grade):
# numpy's and random's generators start from seed 0, as a fresh kernel would
# from some seed. And plt.savefig into a relative folder that existed only on
# the student's machine ("result/loss.png") makes that folder first, in the
# student's own sandbox folder, instead of failing the cell (the figure, the
# grader's evidence, is drawn either way).
PRELUDE = '''
def __grader_prelude():
    import os, random
    random.seed(0)
    try:
        import numpy
        numpy.random.seed(0)
    except ImportError:
        pass
    try:
        import matplotlib.figure
    except ImportError:
        return
    save = matplotlib.figure.Figure.savefig

    def savefig(self, fname, *args, **kwargs):
        if isinstance(fname, (str, os.PathLike)):
            folder = os.path.dirname(os.fspath(fname))
            if folder and not os.path.isabs(folder):
                os.makedirs(folder, exist_ok=True)
        return save(self, fname, *args, **kwargs)
    matplotlib.figure.Figure.savefig = savefig
__grader_prelude()
del __grader_prelude
'''


@dataclass
class Execution:
    """What running the notebook produced."""
    notebook: "nbformat.NotebookNode"   # the executed notebook
    seconds: float = 0.0
    errors: List[Tuple[int, str]] = field(default_factory=list)   # (cell index, "ErrorName: message")
    stopped: str = ""                   # why execution ended early, if it did
    timed_out: List[int] = field(default_factory=list)  # cells stopped by their time limit
    # ... of those, the ones stopped by the wall clock before their CPU limit: they waited,
    # or worked outside the kernel's processes (or the machine gave them under
    # 1 / CELL_WALL_SLACK of a core)
    wall_stopped: List[int] = field(default_factory=list)
    cell_seconds: Dict[int, float] = field(default_factory=dict)  # cell index -> seconds it ran (wall)
    cell_cpu: Dict[int, float] = field(default_factory=dict)   # cell index -> CPU seconds the kernel used
    extracted: dict = field(default_factory=dict)  # hyperparams, layers, problems (EXTRACT)
    arrays: Dict[str, np.ndarray] = field(default_factory=dict)   # w0, b0, w2, b2, ... plain float64
    truncated: List[int] = field(default_factory=list)  # cells whose outputs were cut to the caps
    limits: Dict[int, float] = field(default_factory=dict)  # cell index -> its limit in CPU seconds
    running: Optional[int] = None       # the cell that was running when execution stopped
    stopped_by_time: bool = False       # the stop was the notebook's overall time limit
    history: List[Tuple[int, dict]] = field(default_factory=list)  # (cell index, _Extraction.summary())
    skipped_cells: int = 0              # code cells past config.NOTEBOOK_MAX_RUN_CELLS, not run


def clear_outputs(nb):
    """Drop stored outputs: the grader believes only what it executes."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None


class BoundedNotebookClient(NotebookClient):
    """nbclient, keeping at most a cell's last NOTEBOOK_OUTPUT_BYTES_PER_CELL of
    output and NOTEBOOK_OUTPUT_BYTES in all, in time linear in the messages.

    Display ids are dropped, and with them update_display_data and the rewrite
    of every earlier output that shares an id (nbclient does it for a plain
    display_data too): an output changes only by its own cell's messages, so
    what is counted is what is kept. Widget (comm) messages are ignored. An
    error is always kept (the checks cite it), cut to ERROR_CHARS.
    """

    ERROR_CHARS = 4000

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.total_bytes = 0
        self.cell_bytes = {}     # cell index -> [bytes of each kept output]
        self.cell_total = {}     # cell index -> their sum
        self.truncated = set()
        self.interrupted = False  # the running cell was stopped by its time limit

    def process_message(self, msg, cell, cell_index):
        kind = msg["msg_type"]
        if kind.startswith("comm") or kind == "update_display_data":
            return None
        content = msg.get("content")
        if isinstance(content, dict):
            content.pop("transient", None)
        if kind == "clear_output":
            out = super().process_message(msg, cell, cell_index)
            if not cell.outputs:  # cleared now (with wait=True: at the cell's next output)
                self._forget(cell_index)
            return out
        if kind not in ("stream", "display_data", "execute_result", "error"):
            return super().process_message(msg, cell, cell_index)
        if kind == "error":
            _cut_error(content, self.ERROR_CHARS)
        size = len(json.dumps(content, default=str))
        if self.total_bytes + size > config.NOTEBOOK_OUTPUT_BYTES and kind != "error":
            self.truncated.add(cell_index)
            return None
        if getattr(self, "clear_before_next_output", False) or not cell.outputs:
            self._forget(cell_index)  # nbclient empties the cell before this output, or did (a rerun)
        sizes = self.cell_bytes.setdefault(cell_index, [])
        out = super().process_message(msg, cell, cell_index)
        if len(cell.outputs) == len(sizes) + 1:
            sizes.append(size)
            self.total_bytes += size
            self.cell_total[cell_index] = self.cell_total.get(cell_index, 0) + size
        elif len(cell.outputs) != len(sizes):  # not what nbclient does today: count afresh
            self._forget(cell_index)
            sizes = self.cell_bytes[cell_index] = [len(json.dumps(o, default=str)) for o in cell.outputs]
            self.cell_total[cell_index] = sum(sizes)
            self.total_bytes += self.cell_total[cell_index]
        if self.cell_total[cell_index] > config.NOTEBOOK_OUTPUT_BYTES_PER_CELL and len(sizes) > 1:
            self._trim(cell, cell_index)
        return out

    async def _async_handle_timeout(self, timeout, cell=None):
        # The only record that the grader stopped a cell: an error named KeyboardInterrupt
        # or CellTimeoutError can be raised by the student's own code.
        self.interrupted = True
        return await super()._async_handle_timeout(timeout, cell)

    def _forget(self, cell_index):
        self.total_bytes -= self.cell_total.pop(cell_index, 0)
        self.cell_bytes[cell_index] = []

    def _trim(self, cell, cell_index):
        """Drop the cell's first outputs down to three quarters of its cap (the last matter:
        final prints, the error), in one cut, so that a flood costs linear time."""
        sizes, kept, cut = self.cell_bytes[cell_index], self.cell_total[cell_index], 0
        while cut < len(sizes) - 1 and kept > 0.75 * config.NOTEBOOK_OUTPUT_BYTES_PER_CELL:
            kept -= sizes[cut]
            cut += 1
        del cell.outputs[:cut]
        self.cell_bytes[cell_index] = sizes[cut:]
        self.total_bytes -= self.cell_total[cell_index] - kept
        self.cell_total[cell_index] = kept
        self.truncated.add(cell_index)


def _cut_error(content, chars):
    """An error message's fields cut to `chars` characters each (the traceback: its last lines)."""
    if not isinstance(content, dict):
        return
    for key in ("ename", "evalue"):
        if isinstance(content.get(key), str) and len(content[key]) > chars:
            content[key] = content[key][:chars] + " [cut]"
    trace = content.get("traceback")
    if isinstance(trace, list):
        kept, total = [], 0
        for line in reversed(trace[-50:]):
            line = str(line)[:chars]
            total += len(line)
            if total > 4 * chars:
                break
            kept.append(line)
        content["traceback"] = kept[::-1]


class CellLimits:
    """CPU seconds of the kernel's processes a cell may use: `seconds` for every cell, and
    wall seconds, for a cell that waits: CELL_WALL_SLACK times as many. run.py's
    NotebookLimits gives best_net's cell its budget and the others a shared pool."""

    def __init__(self, seconds):
        self.seconds = seconds

    def limit(self, index):
        return self.seconds

    def wall(self, index):
        return config.CELL_WALL_SLACK * self.limit(index)

    def record(self, index, seconds):
        """Cell `index` used `seconds` of CPU (called after each cell)."""


class _CpuLimit:
    """Interrupts the running cell once the kernel has used `limit` CPU seconds in it, read
    over the limit twice in a row (a reading can spike, cpu_meter.py): `interrupt()`, again
    every REPEAT seconds for a cell that catches the interrupt; its wall limit, nbclient's
    timeout, ends it at last."""

    POLL = 0.5
    REPEAT = 5.0

    def __init__(self, meter, limit, interrupt):
        self.meter, self.limit, self.interrupt = meter, limit, interrupt
        self.began = meter.seconds() if meter else 0.0
        self.fired = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="cell-cpu-limit", daemon=True)
        if meter is not None:
            self._thread.start()

    def used(self):
        return max(0.0, self.meter.seconds() - self.began) if self.meter else 0.0

    def _watch(self):
        over = 0
        while not self._done.wait(self.POLL):
            over = over + 1 if self.used() >= self.limit else 0
            if over >= 2:
                self.fired = True
                self.interrupt()
                if self._done.wait(self.REPEAT):
                    return

    def stop(self):
        """The CPU seconds the cell used."""
        self._done.set()
        if self._thread.is_alive():
            self._thread.join()
        return self.used()


def execute(nb, sandbox, cell_timeout=600, total_timeout=1800, env=None, log=None,
            limits=None, on_extract=None, on_started=None, live=None):
    """Run notebook `nb` (an nbformat node, changed in place) in `sandbox` (a
    grader.sandbox.Sandbox); return an Execution.

    The kernel's working directory is sandbox.home. Every cell runs even after
    an error (later cells may still earn credit). A cell past its limit
    (`limits`, a CellLimits; default `cell_timeout` for each) is interrupted;
    the whole run past `total_timeout`, or the kernel dying (os._exit, a
    crash, the memory limit), stops execution. best_net is extracted after
    every cell that names it and after the last one, so what a notebook had
    built before it stopped still counts; `on_extract(extracted)` is called
    with each extraction (to start work that needs best_net_hyperparams early),
    `on_started()` once the kernel is up and connected, before any cell. `live` (a
    dict) holds, while a cell runs, its index ("cell"), when it began ("since") and
    the number of code cells run ("cells"), for progress lines.
    The kernel's own stdout/stderr go to the file object `log`.
    """
    clear_outputs(nb)
    limits = limits or CellLimits(cell_timeout)
    result = Execution(notebook=nb)
    km = SandboxKernelManager(sandbox)
    client = BoundedNotebookClient(
        nb, km=km, timeout=cell_timeout, kernel_name="python3", allow_errors=True,
        interrupt_on_timeout=True,  # not coalesce_streams: its regexes are quadratic in a long line
        error_on_timeout={"ename": "CellTimeoutError", "traceback": [],
                          "evalue": "the cell ran past its time limit and was interrupted"},
        resources={"metadata": {"path": sandbox.home}})
    extraction = _Extraction(sandbox.channel_socket)
    start = time.monotonic()
    watchdog = None
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    run = code_cells[:config.NOTEBOOK_MAX_RUN_CELLS] or [None]
    result.skipped_cells = len(code_cells) - len(code_cells[:config.NOTEBOOK_MAX_RUN_CELLS])
    try:
        with client.setup_kernel(cwd=sandbox.home, env=env or sandbox.env(),
                                 stdout=log, stderr=log):
            watchdog = threading.Timer(total_timeout, _kill, args=(client.km,))
            watchdog.start()
            if on_started is not None:
                on_started()
            launcher = getattr(km.provisioner, "process", None)
            meter = CpuMeter(launcher.pid) if launcher is not None else None
            _run_hidden(client, nb, PRELUDE, config.EXTRACT_TIMEOUT)
            for index in code_cells[:config.NOTEBOOK_MAX_RUN_CELLS]:
                cell = nb.cells[index]
                result.running = index
                if live is not None:
                    live.update(cell=index, since=time.monotonic(), cells=len(run))
                limit = limits.limit(index)
                client.timeout = int(math.ceil(limits.wall(index)))  # nbclient takes whole seconds
                result.limits[index] = limit
                began = time.monotonic()
                client.interrupted = False
                cpu = _CpuLimit(meter, limit, lambda: _interrupt(client))
                try:
                    client.execute_cell(cell, index)
                finally:
                    result.cell_cpu[index] = cpu.stop()
                result.cell_seconds[index] = time.monotonic() - began
                limits.record(index, result.cell_cpu[index])
                result.running = None
                if live is not None:
                    live.clear()
                if client.interrupted:
                    result.timed_out.append(index)
                    if not cpu.fired:
                        result.wall_stopped.append(index)
                for output in cell.outputs:
                    if output.output_type == "error":
                        result.errors.append((index, _describe(output, limit, client.timeout, client.interrupted,
                                                               cpu.fired)))
                if "best_net" in cell.source or index == run[-1]:
                    extraction.run(client, nb)
                    result.history.append((index, extraction.summary()))
                    if on_extract is not None:
                        on_extract(extraction.extracted)
    except DeadKernelError:
        if time.monotonic() - start >= total_timeout:
            result.stopped = f"the notebook ran longer than {total_timeout:g} s"
            result.stopped_by_time = True
        else:
            result.stopped = "the kernel died (os._exit, exit(), a crash, or the memory limit)"
    except CellTimeoutError:  # the kernel would not even take the interrupt
        result.stopped = "a cell ran past its time limit and could not be interrupted"
        result.stopped_by_time = True
    except Exception as exc:  # the kernel could not start, or its sockets were tampered with
        process = getattr(km.provisioner, "process", None)
        if process is not None and process.poll() == SETUP_FAILED and not km.sandbox_was_ready():
            raise SandboxBroken("the sandbox could not be set up for the notebook's kernel "
                                "(see the grader's log)") from None
        result.stopped = f"the notebook's kernel failed: {exc}"
    finally:
        if watchdog:
            watchdog.cancel()
        if km.has_kernel:
            try:
                run_sync(km.shutdown_kernel)(now=True)  # nbclient leaves a km passed in running
            except Exception:
                _kill(km)
        km.close_status()
    if result.running is not None:
        result.cell_seconds[result.running] = time.monotonic() - began
    result.seconds = time.monotonic() - start
    result.extracted, result.arrays = extraction.extracted, extraction.arrays
    result.truncated = sorted(client.truncated)
    return result


def _run_hidden(client, nb, source, timeout):
    """Run `source` in the kernel as a cell of the grader's own (not kept in the notebook)."""
    cell = nbformat.v4.new_code_cell(source)
    nb.cells.append(cell)
    previous, client.timeout = client.timeout, int(math.ceil(timeout))
    try:
        client.execute_cell(cell, len(nb.cells) - 1)
    finally:
        client.timeout = previous
        nb.cells.pop()


def _describe(error, limit, wall, interrupted, by_cpu):
    if interrupted and error.ename in ("KeyboardInterrupt", "CellTimeoutError"):
        if by_cpu:
            return (f"the cell used {limit:.3g} s of CPU time, its time limit on the grader, and was "
                    "interrupted")
        return (f"the cell ran {wall:g} s of the wall clock, the grader's limit for a cell that "
                "uses little CPU (it waits, or works outside the notebook's kernel), and was interrupted")
    return f"{error.ename}: {error.evalue}"[:2000]


class _Extraction:
    """best_net as the kernel last reported it, received on the grader's channel."""

    def __init__(self, channel):
        self.channel = channel
        self.extracted, self.arrays, self.digest = {}, {}, None

    def run(self, client, nb):
        """Run EXTRACT in the kernel (appended to the notebook for the call) and take its message."""
        nonce = uuid.uuid4().hex
        source = (EXTRACT.replace("__ADDRESS__", repr(self.channel.path)).replace("__NONCE__", repr(nonce))
                  .replace("__LIMIT__", str(config.EXTRACT_MAX_BYTES - (1 << 20))))  # 1 MB for the rest
        finished = threading.Event()
        with ThreadPoolExecutor(1) as pool:
            # Received while the cell runs: the kernel's send waits for our read.
            incoming = pool.submit(self._receive, nonce, finished)
            try:
                _run_hidden(client, nb, source, config.EXTRACT_TIMEOUT)
            finally:
                finished.set()
            message = incoming.result()
        if message is not None:
            self._take(*message)
        elif not self.arrays:  # nothing earlier to fall back on: say why there is nothing
            self.extracted = {"problems": [
                f"best_net's record did not reach the grader within {config.EXTRACT_TIMEOUT:g} s "
                "(the kernel was busy or its connections to the grader were used up)"]}

    def _receive(self, nonce, finished):
        """The message carrying `nonce`, waiting while the cell runs and a moment after."""
        deadline = time.monotonic() + config.EXTRACT_TIMEOUT
        while time.monotonic() < deadline:
            if finished.is_set():
                # What the cell sent is on its way already: a moment more, no longer.
                deadline = min(deadline, time.monotonic() + 2.0)
            body = self.channel.receive(0.2, config.EXTRACT_MAX_BYTES,
                                        read_timeout=max(0.1, deadline - time.monotonic()))
            if body is None:
                continue
            try:
                meta, arrays = wire.decode(body)
            except wire.WireError:
                continue
            if isinstance(meta, dict) and meta.get("nonce") == nonce:
                return meta, arrays
        return None

    def summary(self):
        """What an extraction found, small: hyperparameters, layers, problems, and the weights' digest."""
        return {**self.extracted, "digest": self.digest}

    def _take(self, meta, arrays):
        if not _well_formed(meta):
            self.extracted = {"problems": ["the grader's record of best_net was tampered with"]}
            self.arrays, self.digest = {}, None
            return
        if meta["unchanged"]:
            if meta["digest"] != self.digest:  # "unchanged" from what we never received
                self.extracted = {**meta, "problems": meta["problems"] + ["best_net could not be read"]}
                self.arrays = {}
                return
        else:
            self.arrays = {k: v for k, v in arrays.items() if v.dtype == np.float64}
            self.digest = meta["digest"]
        self.extracted = {k: meta[k] for k in ("hyperparams", "layers", "problems")}


def _well_formed(meta):
    """True if `meta` has the shape EXTRACT sends."""
    if not isinstance(meta, dict):
        return False
    hyperparams, layers = meta.get("hyperparams"), meta.get("layers")
    problems = meta.get("problems")
    return ((hyperparams is None or (isinstance(hyperparams, list) and len(hyperparams) <= 16 and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in hyperparams)))
            and isinstance(layers, list) and len(layers) <= 1000
            and all(isinstance(v, str) and len(v) <= 200 for v in layers)
            and isinstance(problems, list) and len(problems) <= 10
            and all(isinstance(v, str) and len(v) <= 2000 for v in problems)
            and isinstance(meta.get("unchanged"), bool) and isinstance(meta.get("digest"), str))


def _interrupt(client):
    """Interrupt the kernel's running cell, as nbclient does at its timeout (SIGINT to the
    kernel's process group), marking it stopped by the grader."""
    client.interrupted = True
    _signal_group(client.km, signal.SIGINT)


def _kill(kernel_manager):
    """Kill the kernel's launcher, and with it everything in its sandbox."""
    _signal_group(kernel_manager, signal.SIGKILL)


def _signal_group(kernel_manager, signum):
    """Send `signum` to the process group of the kernel's launcher (never to our own)."""
    process = getattr(kernel_manager.provisioner, "process", None)
    if process is None:
        return
    try:
        group = os.getpgid(process.pid)
        if group != os.getpgrp():
            os.killpg(group, signum)
    except (ProcessLookupError, PermissionError):
        pass

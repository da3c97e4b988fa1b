"""Two ways to run a probe: on the reference in this process, or on a
submission in a worker process. Checks call both the same way and compare.

    runner.run("layer", {"layer": "Linear"}, x=x, w=w, b=b, dout=dout)
    -> {"out": ..., "dx": ..., "dw": ..., "db": ...}
"""
import os
import selectors
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING, BinaryIO, Dict, Optional

import numpy as np

from . import config
from .sandbox import SETUP_FAILED, descendants, signal_each
from .worker import probes, wire

if TYPE_CHECKING:
    from .sandbox import Sandbox


class StudentError(Exception):
    """Student code raised an exception; the message names the call and the cause."""

    def __init__(self, error):
        # The worker cuts these already; student code in its process could forge them.
        error = error if isinstance(error, dict) else {}
        self.type = str(error.get("type", "Exception"))[:200]
        self.phase = str(error["phase"])[:200] if error.get("phase") else None
        self.trace = str(error.get("trace", ""))[-4000:]
        where = f"{self.phase} raised" if self.phase else "your code raised"
        super().__init__(f"{where} {self.type}: {str(error.get('message', ''))[:2000]}")


class WorkerFailure(Exception):
    """The worker died or ran out of time; the message says which and where."""


class SandboxBroken(RuntimeError):
    """A sandbox layer that was in force when grading began could not be set up for a
    later process: the grading stops rather than run student code unprotected."""


Arrays = Dict[str, np.ndarray]


class ReferenceRunner:
    """Runs probes on the reference layers, imported in this (trusted) process."""

    def run(self, probe: str, args: Optional[dict] = None, timeout: Optional[float] = None,
            **arrays: np.ndarray) -> Arrays:
        return probes.run(probe, dict(args or {}), arrays)[1]

    def close(self):
        pass


class WorkerRunner:
    """Runs probes on the student's folder in a separate process, in the sandbox.

    The process starts on first use and again after it dies or times out, so
    one bad call costs only that call. Its stdout and stderr go to `log`, a
    file object of the grader's.
    """

    def __init__(self, sandbox: "Sandbox", worker_main: str, log: BinaryIO):
        self.sandbox = sandbox
        self.worker_main = worker_main
        self.log = log
        self.proc = None
        self._status = None  # the launcher's status pipe (see _start)

    def _start(self):
        # The launcher writes a line here once every layer is in place, just before
        # it runs the worker: an exit without that line is a sandbox that failed to
        # come up; with it, whatever the exit status, it is the student's code.
        status_read, status_write = os.pipe()
        try:
            self.proc = subprocess.Popen(
                self.sandbox.command([sys.executable, "-I", self.worker_main, self.sandbox.home],
                                     status_fd=status_write),
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
                cwd="/", env=self.sandbox.env(), pass_fds=(status_write,),
                start_new_session=True)  # its own process group, killed as one
        except BaseException:
            os.close(status_read)
            raise
        finally:
            os.close(status_write)
        self._status = os.fdopen(status_read, "rb", buffering=0)
        os.set_blocking(self.proc.stdin.fileno(), False)
        os.set_blocking(self.proc.stdout.fileno(), False)

    def _sandbox_was_ready(self):
        """Did the launcher report its layers in place (before the worker ran)?"""
        try:
            os.set_blocking(self._status.fileno(), False)
            return bool(self._status.read(1))  # None: nothing written (yet)
        except (OSError, ValueError):
            return False

    def close(self):
        """Kill the worker and everything in its process group."""
        if self.proc is None:
            return
        # The launcher and, below it, the sandbox's init and the worker (each in a
        # group of its own): all at once, not left for the clean-up to find.
        signal_each(descendants(self.proc.pid), signal.SIGKILL)
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self._status):
            try:
                stream.close()
            except (OSError, AttributeError):
                pass
        self.proc = self._status = None

    def run(self, probe: str, args: Optional[dict] = None, timeout: float = config.CALL_TIMEOUT,
            **arrays: np.ndarray) -> Arrays:
        """The probe's arrays out (grader/worker/probes.py lists them); StudentError when the
        student's code raised, WorkerFailure when the worker died or ran out of time."""
        if self.proc is None or self.proc.poll() is not None:
            self.close()
            self._start()
        request = wire.encode({"probe": probe, "args": dict(args or {})}, arrays)
        try:
            body = self._exchange(request, time.monotonic() + timeout)
        except TimeoutError:
            self.close()
            raise WorkerFailure(f"your code did not finish within {timeout:.0f} s "
                                "(an infinite loop, or far too slow)") from None
        except EOFError:
            code = self.proc.wait()
            ready = self._sandbox_was_ready()
            self.close()
            if code == SETUP_FAILED and not ready:
                raise SandboxBroken("the sandbox for student code could not be set up again "
                                    "(see the grader's log)") from None
            raise WorkerFailure(f"the process running your code ended (exit code {code}) "
                                "before answering: do not call exit(), os._exit() or "
                                "kill the process, and stay within the memory limit") from None
        try:
            meta, out = wire.decode(body)
        except wire.WireError as exc:
            self.close()
            raise WorkerFailure(f"the answer from your code's process was unreadable ({exc})") from None
        if not isinstance(meta, dict):
            self.close()
            raise WorkerFailure("the answer from your code's process was not the worker's") from None
        if not meta.get("ok"):
            raise StudentError(meta.get("error", {}))
        return out

    def _exchange(self, request, deadline):
        """Send `request`, return the answer's body; TimeoutError past `deadline`."""
        selector = selectors.DefaultSelector()
        selector.register(self.proc.stdin, selectors.EVENT_WRITE)
        selector.register(self.proc.stdout, selectors.EVENT_READ)
        received, expected = bytearray(), None
        try:
            while expected is None or len(received) < expected:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError
                for key, _ in selector.select(remaining):
                    if key.fileobj is self.proc.stdin:
                        try:
                            sent = os.write(self.proc.stdin.fileno(), request)
                        except BrokenPipeError:
                            raise EOFError from None
                        request = request[sent:]
                        if not request:
                            selector.unregister(self.proc.stdin)
                    else:
                        chunk = os.read(self.proc.stdout.fileno(), 1 << 20)
                        if not chunk:
                            raise EOFError
                        received += chunk
                if expected is None and len(received) >= wire.HEADER.size:
                    (size,) = wire.HEADER.unpack(received[:wire.HEADER.size])
                    if size > wire.MAX_MESSAGE_BYTES:
                        raise EOFError
                    expected = wire.HEADER.size + size
        finally:
            selector.close()
        return bytes(received[wire.HEADER.size:expected])

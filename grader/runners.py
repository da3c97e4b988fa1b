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

from . import config, sandbox
from .worker import probes, wire

WORKER_MAIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker", "main.py")
# What the worker inherits from our environment; everything else is dropped.
PASSED_ENV = ("PATH", "LANG", "LC_ALL", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


class StudentError(Exception):
    """Student code raised an exception; the message names the call and the cause."""

    def __init__(self, error):
        self.type = error.get("type", "Exception")
        self.phase = error.get("phase")
        self.trace = error.get("trace", "")
        where = f"{self.phase} raised" if self.phase else "your code raised"
        super().__init__(f"{where} {self.type}: {error.get('message', '')}")


class WorkerFailure(Exception):
    """The worker died or ran out of time; the message says which and where."""


class ReferenceRunner:
    """Runs probes on the reference layers, imported in this (trusted) process."""

    def run(self, probe, args=None, timeout=None, **arrays):
        return probes.run(probe, dict(args or {}), arrays)[1]

    def close(self):
        pass


def worker_env(home, **extra):
    """The environment student code runs with: ours scrubbed, threads bounded, plus `extra`."""
    env = {name: os.environ[name] for name in PASSED_ENV if name in os.environ}
    # USER too: the sandbox uid has no passwd entry for getpass to find.
    env.update(HOME=home, USER="student", LOGNAME="student", PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1",
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", **extra)
    return env


class WorkerRunner:
    """Runs probes on a prepared submission folder in a separate process.

    The process starts on first use and again after it dies or times out, so
    one bad call costs only that call. Its stdout and stderr go to `log_path`.
    """

    def __init__(self, submission_dir, log_path, worker_main=WORKER_MAIN, env=None):
        self.submission_dir = submission_dir
        self.log_path = log_path
        self.worker_main = worker_main
        self.env = env or worker_env(submission_dir)
        self.proc = None

    def _start(self):
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                sandbox.launcher(sandbox.sandbox_user(), sandbox.limits())
                + [sys.executable, "-I", self.worker_main, self.submission_dir],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                cwd=self.submission_dir, env=self.env,
                start_new_session=True)  # its own process group, killed as one
        os.set_blocking(self.proc.stdin.fileno(), False)
        os.set_blocking(self.proc.stdout.fileno(), False)

    def close(self):
        """Kill the worker and everything in its process group."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.proc = None

    def run(self, probe, args=None, timeout=config.CALL_TIMEOUT, **arrays):
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
            self.close()
            raise WorkerFailure(f"the process running your code ended (exit code {code}) "
                                "before answering: do not call exit(), os._exit() or "
                                "kill the process, and stay within the memory limit") from None
        try:
            meta, out = wire.decode(body)
        except wire.WireError as exc:
            self.close()
            raise WorkerFailure(f"the answer from your code's process was unreadable ({exc})") from None
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

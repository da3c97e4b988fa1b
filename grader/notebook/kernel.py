"""A Jupyter kernel inside the sandbox, reached without trusting it.

- The kernel starts through the sandbox's launcher (grader/sandbox/launch.py),
  as the grading's own uid, with its layers.
- Its channels are unix sockets (ZeroMQ's ipc transport) in the grading's
  ipc/ folder, which only root and the grading's sandbox group may enter: a
  classmate's kernel, or anyone else on the machine, cannot connect to it,
  even knowing its key. Nothing secret is on a command line: the key is in
  the connection file, readable by the grading's sandbox group only.
- Once the kernel has bound its sockets, ipc/ is frozen (the sandbox may no
  longer add, remove or replace entries), each socket is checked to be a
  socket the sandbox uid made, and only then does the grader connect: root
  never follows a link student code planted there.
- Every socket of ours caps the size of a message it accepts, so a kernel
  cannot fill the grader's memory with one huge reply.
"""
import asyncio
import json
import os
import stat
import sys
import time

import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.connect import channel_socket_types
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager

from .. import config

CHANNELS = ("shell", "iopub", "stdin", "control", "hb")
KERNEL_NAME = "grader-sandbox"


class KernelTampered(RuntimeError):
    """The kernel's sockets are not what the kernel should have made."""


class _CappedSockets:
    """Connect to the kernel with sockets that refuse messages over the cap."""

    def _create_connected_socket(self, channel, identity=None):
        sock = self.context.socket(channel_socket_types[channel])
        sock.linger = 1000
        sock.setsockopt(zmq.MAXMSGSIZE, config.NOTEBOOK_MESSAGE_BYTES)
        if identity:
            sock.identity = identity
        sock.connect(self._make_url(channel))
        return sock


class CappedKernelClient(_CappedSockets, AsyncKernelClient):
    pass


class SandboxKernelManager(_CappedSockets, AsyncKernelManager):
    """AsyncKernelManager(sandbox=...): the kernel of one grading's sandbox.

    Async, as nbclient makes its own: a blocking client would stall nbclient's
    event loop and with it the check that notices a dead kernel.
    """

    def __init__(self, sandbox, **kwargs):
        spec_dir = os.path.join(sandbox.private, "kernels")
        # The launcher writes a line here once every layer is in place, just before it
        # runs the kernel: an exit without it is a sandbox that failed to come up.
        status_read, self._status_write = os.pipe()
        self._status = os.fdopen(status_read, "rb", buffering=0)
        os.set_blocking(status_read, False)
        _write_kernelspec(spec_dir, sandbox, self._status_write)
        super().__init__(kernel_name=KERNEL_NAME,
                         kernel_spec_manager=KernelSpecManager(kernel_dirs=[spec_dir]),
                         transport="ipc", ip=os.path.join(sandbox.ipc, "kernel"),
                         connection_file=os.path.join(sandbox.kernel, "connection.json"),
                         client_class="grader.notebook.kernel.CappedKernelClient", **kwargs)
        self.sandbox = sandbox

    def sandbox_was_ready(self):
        """Did the launcher report its layers in place (before the kernel ran)?"""
        try:
            return bool(self._status.read(1))  # None: nothing written
        except (OSError, ValueError):
            return False

    def close_status(self):
        for close in (self._status.close, lambda: os.close(self._status_write)):
            try:
                close()
            except OSError:
                pass

    async def _async_pre_start_kernel(self, **kw):
        cmd, kw = await super()._async_pre_start_kernel(**kw)
        # Written by jupyter_client for root alone; the sandbox group may read it.
        _share(self.connection_file, self.sandbox.user)
        kw["pass_fds"] = (self._status_write,)
        return cmd, kw

    async def _async_post_start_kernel(self, **kw):
        os.close(self._status_write)  # the launcher has its own copy now
        self._status_write = -1
        await self._await_sockets()
        self.sandbox.freeze_ipc()
        self._check_sockets()  # after the freeze: what is checked now stays so
        await super()._async_post_start_kernel(**kw)

    def _socket_paths(self):
        return [f"{self.ip}-{getattr(self, f'{name}_port')}" for name in CHANNELS]

    async def _await_sockets(self):
        deadline = time.monotonic() + config.KERNEL_START_TIMEOUT
        while not all(os.path.lexists(p) for p in self._socket_paths()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the kernel did not start within {config.KERNEL_START_TIMEOUT:g} s")
            if not await self.is_alive():
                raise RuntimeError("the kernel ended while starting")
            await asyncio.sleep(0.05)

    def _check_sockets(self):
        uid = self.sandbox.user[0] if self.sandbox.user else os.getuid()
        expected = {os.path.basename(p) for p in self._socket_paths()}
        extra = sorted(set(os.listdir(self.sandbox.ipc)) - expected)
        if extra:  # anything else there is not the kernel's, and nothing of ours may need it
            raise KernelTampered(f"ipc/ holds {len(extra)} entries besides the kernel's sockets")
        for path in self._socket_paths():
            info = os.lstat(path)
            if not stat.S_ISSOCK(info.st_mode) or info.st_uid != uid:
                raise KernelTampered(f"{os.path.basename(path)} is not a socket made by the kernel")


def _share(path, user):
    """Let the sandbox group read `path`, a file root just wrote in a root-only folder."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        if user is not None:
            os.fchown(fd, 0, user[1])
        os.fchmod(fd, 0o640 if user is not None else 0o600)
    finally:
        os.close(fd)


def _write_kernelspec(spec_dir, sandbox, status_fd):
    """kernel.json of a kernel that starts in the sandbox ({connection_file} is filled in by jupyter).

    -s: no user site-packages (a .pth there would run before the grader connects).
    """
    folder = os.path.join(spec_dir, KERNEL_NAME)
    os.makedirs(folder, exist_ok=True)
    argv = sandbox.command([sys.executable, "-s", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                           status_fd=status_fd, kernel=True)
    with open(os.path.join(folder, "kernel.json"), "w") as f:
        json.dump({"argv": argv, "display_name": "grader sandbox", "language": "python",
                   "interrupt_mode": "signal"}, f)

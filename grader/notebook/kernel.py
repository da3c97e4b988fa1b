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
        _write_kernelspec(spec_dir, sandbox)
        super().__init__(kernel_name=KERNEL_NAME,
                         kernel_spec_manager=KernelSpecManager(kernel_dirs=[spec_dir]),
                         transport="ipc", ip=os.path.join(sandbox.ipc, "kernel"),
                         connection_file=os.path.join(sandbox.kernel, "connection.json"),
                         client_class="grader.notebook.kernel.CappedKernelClient", **kwargs)
        self.sandbox = sandbox

    async def _async_pre_start_kernel(self, **kw):
        cmd, kw = await super()._async_pre_start_kernel(**kw)
        # Written by jupyter_client for root alone; the sandbox group may read it.
        _share(self.connection_file, self.sandbox.user)
        return cmd, kw

    async def _async_post_start_kernel(self, **kw):
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


def _write_kernelspec(spec_dir, sandbox):
    """kernel.json of a kernel that starts in the sandbox ({connection_file} is filled in by jupyter)."""
    folder = os.path.join(spec_dir, KERNEL_NAME)
    os.makedirs(folder, exist_ok=True)
    argv = sandbox.command([sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                           kernel=True)
    with open(os.path.join(folder, "kernel.json"), "w") as f:
        json.dump({"argv": argv, "display_name": "grader sandbox", "language": "python",
                   "interrupt_mode": "signal"}, f)

"""A channel the grader holds, for data coming back from student code.

The grader listens on a unix socket in a folder that only root writes (and
only the grading's own sandbox group may enter); sandboxed code connects and
sends one message per connection: an 8-byte big-endian length, then the
message (grader/worker/wire.py's format). The grader never opens a path that
student code could have replaced, and reads under a size cap and a deadline,
so a silent, slow or endless sender costs it a few seconds, not a hang.
"""
import os
import select
import socket
import struct
import time

HEADER = struct.Struct(">Q")


class Channel:
    def __init__(self, path, gid=None):
        """Listen at `path` (a new name in a root-only folder); `gid` may connect."""
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        os.chmod(path, 0o660 if gid is not None else 0o600)
        if gid is not None:
            os.chown(path, 0, gid)
        self.sock.listen(8)
        self.sock.setblocking(False)

    def receive(self, wait, max_bytes, read_timeout=30.0):
        """The next message (bytes) from a connection made within `wait` seconds, or None.

        The message must arrive whole within `read_timeout` seconds and be at
        most `max_bytes` long; a connection that sends nothing, too much or
        too slowly is dropped (None).
        """
        if not select.select([self.sock], [], [], max(0.0, wait))[0]:
            return None
        try:
            conn, _ = self.sock.accept()
        except (BlockingIOError, InterruptedError):
            return None
        with conn:
            return _read(conn, time.monotonic() + read_timeout, max_bytes)

    def close(self):
        self.sock.close()


def _read(conn, deadline, max_bytes):
    conn.setblocking(False)
    data, expected = bytearray(), None
    while expected is None or len(data) < expected:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([conn], [], [], remaining)[0]:
            return None
        try:
            chunk = conn.recv(1 << 20)
        except (BlockingIOError, InterruptedError):
            continue
        except OSError:
            return None
        if not chunk:
            return None
        data += chunk
        if expected is None and len(data) >= HEADER.size:
            (size,) = HEADER.unpack(data[:HEADER.size])
            if size > max_bytes:
                return None
            expected = HEADER.size + size
    return bytes(data[HEADER.size:expected])

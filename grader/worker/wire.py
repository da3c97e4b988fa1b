"""The message format between the grader and its worker.

A message is an 8-byte big-endian length followed by an uncompressed .npz whose
entries are plain numeric arrays plus `__json__`, a uint8 array holding UTF-8
JSON. Reading never unpickles (`allow_pickle=False`), so a message from student
code can carry numbers and text, never objects.

This module is imported by both sides; it must need nothing but numpy.
"""
import io
import json
import struct
import zipfile

import numpy as np

HEADER = struct.Struct(">Q")
MAX_MESSAGE_BYTES = 512 * 1024 * 1024
# The JSON part: the worker sends a result's few fields, or an error whose message
# and trace it cut to 2,000 and 4,000 characters; more is a forged message.
MAX_META_BYTES = 64 * 1024
JSON_KEY = "__json__"


class WireError(Exception):
    """A message that is malformed, too large, or holds something other than plain arrays."""


def encode(meta, arrays=None):
    """Bytes of one message: JSON-able `meta` and a dict of numeric arrays."""
    buf = io.BytesIO()
    payload = {JSON_KEY: np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)}
    for name, value in (arrays or {}).items():
        if name == JSON_KEY:
            raise WireError(f"array name {name!r} is reserved")
        payload[name] = np.asarray(value)
    np.savez(buf, **payload)
    body = buf.getvalue()
    return HEADER.pack(len(body)) + body


def check_npz(fileobj, max_bytes=MAX_MESSAGE_BYTES):
    """Raise WireError unless `fileobj` is an .npz as np.savez writes it: stored, not
    compressed, and at most `max_bytes` unpacked. A forged, compressed one could
    inflate a few megabytes into gigabytes in the reader's memory."""
    try:
        with zipfile.ZipFile(fileobj) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise WireError(f"not an npz archive ({exc})") from None
    if any(m.compress_type != zipfile.ZIP_STORED for m in members):
        raise WireError("compressed npz members are not accepted")
    if sum(m.file_size for m in members) > max_bytes:
        raise WireError(f"npz unpacks to more than {max_bytes} bytes")
    if any(m.filename == JSON_KEY + ".npy" and m.file_size > MAX_META_BYTES for m in members):
        raise WireError(f"its JSON part is over {MAX_META_BYTES} bytes")
    fileobj.seek(0)


def decode(body):
    """(meta, arrays) from the bytes after the length header."""
    buffer = io.BytesIO(body)
    check_npz(buffer)
    try:
        with np.load(buffer, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
        meta = json.loads(arrays.pop(JSON_KEY).tobytes().decode())
    except Exception as exc:  # anything odd in a message is the sender's fault
        raise WireError(f"unreadable message: {type(exc).__name__}: {exc}") from None
    for name, value in arrays.items():
        if value.dtype.kind not in "biuf":
            raise WireError(f"array {name!r} has dtype {value.dtype}, not a plain number type")
    return meta, arrays


def write_message(fileobj, meta, arrays=None):
    fileobj.write(encode(meta, arrays))
    fileobj.flush()


def read_exactly(fileobj, size):
    """`size` bytes from a blocking file object; EOFError if it ends first."""
    chunks, remaining = [], size
    while remaining:
        chunk = fileobj.read(remaining)
        if not chunk:
            raise EOFError("the other side closed the channel")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_message(fileobj):
    (size,) = HEADER.unpack(read_exactly(fileobj, HEADER.size))
    if size > MAX_MESSAGE_BYTES:
        raise WireError(f"message of {size} bytes is over the limit")
    return decode(read_exactly(fileobj, size))

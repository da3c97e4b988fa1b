"""grader/worker/wire.py: the only format in which answers from student code reach the
grader. Plain numbers and JSON go through; objects, compressed or oversized archives and
damaged bytes raise WireError, never anything the grader would not catch."""
import io
import zipfile

import numpy as np
import pytest

from grader.worker import wire

ARRAYS = {
    "f64": np.arange(6, dtype=np.float64).reshape(2, 3) / 7,
    "f32": np.array([1.5, -2.25], dtype=np.float32),
    "i64": np.array([-(2 ** 62), 0, 2 ** 62], dtype=np.int64),
    "u8": np.array([0, 255], dtype=np.uint8),
    "bool": np.array([True, False]),
    "scalar": np.float64(3.25),
    "empty": np.zeros((0, 4)),
}
META = {"probe": "layer", "args": {"layer": "Linear", "lr": 0.1}, "text": "é ✓"}


def body(message):
    """The bytes after the 8-byte length header."""
    (size,) = wire.HEADER.unpack(message[:wire.HEADER.size])
    assert size == len(message) - wire.HEADER.size
    return message[wire.HEADER.size:]


def npz_bytes(save=np.savez, **arrays):
    buffer = io.BytesIO()
    save(buffer, **arrays)
    return buffer.getvalue()


def json_array(meta="{}"):
    return np.frombuffer(meta.encode(), dtype=np.uint8)


def test_encode_then_decode_gives_back_meta_and_every_array_exactly():
    meta, arrays = wire.decode(body(wire.encode(META, ARRAYS)))
    assert meta == META
    assert set(arrays) == set(ARRAYS)
    for name, value in ARRAYS.items():
        assert arrays[name].dtype == np.asarray(value).dtype, name
        assert arrays[name].shape == np.shape(value), name
        np.testing.assert_array_equal(arrays[name], value)


def test_a_message_without_arrays_carries_only_the_meta():
    assert wire.decode(body(wire.encode({"ok": True}))) == ({"ok": True}, {})


def test_the_json_array_name_is_reserved():
    with pytest.raises(wire.WireError, match="reserved"):
        wire.encode({}, {wire.JSON_KEY: np.zeros(1)})


def test_object_arrays_are_refused_without_unpickling():
    message = wire.encode({}, {"evil": np.array([{"a": 1}, None], dtype=object)})
    with pytest.raises(wire.WireError, match="unreadable message"):
        wire.decode(body(message))


@pytest.mark.parametrize("value", [
    np.array(["text"]),
    np.array([1 + 2j]),
    np.zeros(2, dtype=[("a", np.float64), ("b", np.int32)]),
    np.array(["2024-01-01"], dtype="datetime64[D]"),
], ids=["str", "complex", "structured", "datetime"])
def test_arrays_of_other_than_plain_number_types_are_refused(value):
    with pytest.raises(wire.WireError, match="not a plain number type"):
        wire.decode(npz_bytes(**{wire.JSON_KEY: json_array(), "x": value}))


def test_a_compressed_npz_is_refused():
    data = npz_bytes(np.savez_compressed, **{wire.JSON_KEY: json_array(), "x": np.zeros(1000)})
    with pytest.raises(wire.WireError, match="compressed"):
        wire.decode(data)


def test_check_npz_refuses_an_archive_that_unpacks_past_max_bytes():
    data = npz_bytes(x=np.zeros(1000))  # 8000 bytes of data plus the .npy header
    wire.check_npz(io.BytesIO(data), max_bytes=9000)
    with pytest.raises(wire.WireError, match="more than 8000 bytes"):
        wire.check_npz(io.BytesIO(data), max_bytes=8000)


def test_check_npz_rewinds_an_accepted_archive():
    buffer = io.BytesIO(npz_bytes(x=np.zeros(3)))
    wire.check_npz(buffer)
    assert buffer.tell() == 0


def test_the_declared_sizes_count_not_the_bytes_sent():
    # A forged central directory claiming a huge member is refused before anything is read.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("x.npy", b"\0" * 100)
    data = bytearray(buffer.getvalue())
    directory = data.rindex(b"PK\x01\x02")
    data[directory + 24:directory + 28] = (2 ** 32 - 1).to_bytes(4, "little")  # uncompressed size
    with pytest.raises(wire.WireError, match="more than"):
        wire.check_npz(io.BytesIO(bytes(data)), max_bytes=10 ** 6)


@pytest.mark.parametrize("data", [
    b"",
    b"garbage, not a zip at all",
    b"PK\x03\x04" + b"\0" * 40,
], ids=["empty", "garbage", "zip-magic-only"])
def test_garbage_bodies_raise_wire_error(data):
    with pytest.raises(wire.WireError, match="not an npz archive"):
        wire.decode(data)


def test_a_truncated_body_raises_wire_error():
    data = body(wire.encode(META, ARRAYS))
    for cut in (len(data) // 3, len(data) // 2, len(data) - 1):
        with pytest.raises(wire.WireError):
            wire.decode(data[:cut])


def test_a_body_damaged_inside_an_array_raises_wire_error():
    data = bytearray(body(wire.encode({}, {"x": np.zeros(64)})))
    data[data.index(b"\0" * 64) + 10] ^= 0xFF  # one byte of x's data: the CRC no longer matches
    with pytest.raises(wire.WireError, match="unreadable message"):
        wire.decode(bytes(data))


def test_an_archive_without_the_json_entry_raises_wire_error():
    with pytest.raises(wire.WireError, match="unreadable message"):
        wire.decode(npz_bytes(x=np.zeros(2)))


def test_invalid_json_raises_wire_error():
    with pytest.raises(wire.WireError, match="unreadable message"):
        wire.decode(npz_bytes(**{wire.JSON_KEY: json_array("{not json")}))


def test_write_message_then_read_message_round_trips_two_messages_in_a_row():
    stream = io.BytesIO()
    wire.write_message(stream, {"n": 1}, {"x": np.arange(3.0)})
    wire.write_message(stream, {"n": 2})
    stream.seek(0)
    meta, arrays = wire.read_message(stream)
    assert meta == {"n": 1}
    np.testing.assert_array_equal(arrays["x"], [0.0, 1.0, 2.0])
    assert wire.read_message(stream) == ({"n": 2}, {})
    with pytest.raises(EOFError):
        wire.read_message(stream)


def test_read_message_raises_eof_when_the_stream_ends_inside_the_header_or_body():
    message = wire.encode({"n": 1})
    with pytest.raises(EOFError):
        wire.read_message(io.BytesIO(message[:5]))
    with pytest.raises(EOFError):
        wire.read_message(io.BytesIO(message[:-1]))


def test_read_message_refuses_an_oversized_length_before_reading_the_body():
    stream = io.BytesIO(wire.HEADER.pack(wire.MAX_MESSAGE_BYTES + 1) + b"x" * 16)
    with pytest.raises(wire.WireError, match="over the limit"):
        wire.read_message(stream)
    assert stream.tell() == wire.HEADER.size


class Trickle(io.RawIOBase):
    """A stream that hands out at most `chunk` bytes per read, like a pipe."""

    def __init__(self, data, chunk):
        self.data, self.chunk = data, chunk

    def readable(self):
        return True

    def read(self, size=-1):
        size = self.chunk if size < 0 else min(size, self.chunk)
        piece, self.data = self.data[:size], self.data[size:]
        return piece


def test_read_exactly_assembles_short_reads():
    assert wire.read_exactly(Trickle(b"abcdefghij", 3), 10) == b"abcdefghij"
    stream = Trickle(wire.encode({"n": 1}, {"x": np.ones(5)}), 7)
    meta, arrays = wire.read_message(stream)
    assert meta == {"n": 1} and arrays["x"].tolist() == [1.0] * 5


def test_read_exactly_of_zero_bytes_reads_nothing():
    assert wire.read_exactly(io.BytesIO(b""), 0) == b""


def test_read_exactly_raises_eof_when_the_stream_ends_first():
    stream = io.BytesIO(b"abc")
    with pytest.raises(EOFError):
        wire.read_exactly(stream, 4)

"""A damaged zip is the upload's fault (grader/unpack.py): whatever reading it
raises becomes an UnsafeArchive that names the member and says what is wrong,
which intake turns into "Your zip could not be used: ..." (exit status 2), never
a traceback blamed on the staff. The broken zips are built here by patching
the bytes of good ones."""
import errno
import io
import lzma
import struct
import zipfile
import zlib

import pytest

from grader import intake, unpack

MEMBER = "hw/layers/linear.py"
PAYLOAD = bytes(range(256)) * 40  # compresses, but not to nothing
LOCAL, CENTRAL = b"PK\x03\x04", b"PK\x01\x02"


def zip_bytes(members, compression=zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return bytearray(buf.getvalue())


def header(data, signature, name):
    """The offset of the `signature` header (local or central) of member `name`."""
    at = data.find(signature)
    while at != -1:
        name_at = at + (30 if signature == LOCAL else 46)
        if data[name_at:name_at + len(name)] == name.encode():
            return at
        at = data.find(signature, at + 1)
    raise AssertionError(f"no header for {name}")


def set_u16(data, offset, value):
    struct.pack_into("<H", data, offset, value)


def extract(tmp_path, data, name="upload.zip"):
    archive = tmp_path / name
    archive.write_bytes(bytes(data))
    dest = tmp_path / "dest"
    dest.mkdir(exist_ok=True)
    return unpack.extract(str(archive), str(dest))


def refused(tmp_path, data):
    with pytest.raises(unpack.UnsafeArchive) as raised:
        extract(tmp_path, data)
    return str(raised.value)


def test_a_good_zip_still_extracts(tmp_path):
    assert extract(tmp_path, zip_bytes({MEMBER: PAYLOAD})) == [MEMBER]
    assert (tmp_path / "dest" / MEMBER).read_bytes() == PAYLOAD


def test_a_name_flagged_utf8_that_is_not_utf8_in_the_central_directory(tmp_path):
    data = zip_bytes({MEMBER: b"x = 1\n", "hw/ab.py": b"y = 2\n"})
    central = header(data, CENTRAL, "hw/ab.py")
    data[central + 46 + 3:central + 46 + 5] = b"\xff\xfe"
    set_u16(data, central + 8, struct.unpack_from("<H", data, central + 8)[0] | 0x800)
    message = refused(tmp_path, data)
    assert "upload.zip is not a readable zip file" in message and "not valid UTF-8" in message


def test_a_name_flagged_utf8_that_is_not_utf8_in_a_local_header_names_the_member(tmp_path):
    data = zip_bytes({MEMBER: b"x = 1\n", "hw/ab.py": b"y = 2\n"})
    local = header(data, LOCAL, "hw/ab.py")
    data[local + 30 + 3:local + 30 + 5] = b"\xff\xfe"
    set_u16(data, local + 6, struct.unpack_from("<H", data, local + 6)[0] | 0x800)
    message = refused(tmp_path, data)
    assert "'hw/ab.py' could not be extracted" in message and "not valid UTF-8" in message


def test_corrupt_deflate_data_names_the_member(tmp_path):
    data = zip_bytes({MEMBER: PAYLOAD})
    data[header(data, LOCAL, MEMBER) + 30 + len(MEMBER)] = 0xFF  # block type 3: invalid
    message = refused(tmp_path, data)
    assert f"{MEMBER!r} could not be extracted" in message and "compressed data is damaged" in message


@pytest.mark.parametrize("compression", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_corrupt_bzip2_and_lzma_data_name_the_member(tmp_path, compression):
    data = zip_bytes({MEMBER: PAYLOAD}, compression)
    start = header(data, LOCAL, MEMBER) + 30 + len(MEMBER)
    for at in range(start + 4, start + 30):
        data[at] ^= 0x5A
    message = refused(tmp_path, data)
    assert f"{MEMBER!r} could not be extracted" in message and "damaged" in message


@pytest.mark.parametrize("method", [6, 97, 99])  # implode, WavPack, AES
def test_an_unsupported_compression_method_names_the_member(tmp_path, method):
    data = zip_bytes({MEMBER: b"x = 1\n"}, zipfile.ZIP_STORED)
    set_u16(data, header(data, CENTRAL, MEMBER) + 10, method)
    message = refused(tmp_path, data)
    assert f"{MEMBER!r} could not be extracted" in message and "compression method" in message


def test_an_encrypted_member_is_refused(tmp_path):
    data = zip_bytes({MEMBER: b"x = 1\n"})
    central = header(data, CENTRAL, MEMBER)
    set_u16(data, central + 8, struct.unpack_from("<H", data, central + 8)[0] | 0x1)
    message = refused(tmp_path, data)
    assert "password-protected" in message and MEMBER in message


def test_a_truncated_archive_is_refused(tmp_path):
    data = zip_bytes({MEMBER: PAYLOAD, "hw/classification_nn.ipynb": b"{}"})
    assert "upload.zip is not a readable zip file" in refused(tmp_path, data[:len(data) // 2])


def test_a_zip_cut_anywhere_is_refused_or_extracted_never_a_crash(tmp_path):
    data = zip_bytes({MEMBER: PAYLOAD[:500], "hw/classification_nn.ipynb": b"{}"})
    for size in range(len(data)):
        try:
            extract(tmp_path, data[:size])
        except unpack.UnsafeArchive:
            pass


def test_an_offset_past_the_end_names_the_member(tmp_path):
    data = zip_bytes({MEMBER: b"x = 1\n"})
    struct.pack_into("<I", data, header(data, CENTRAL, MEMBER) + 42, 0xFFFFFF00)  # the local header
    message = refused(tmp_path, data)
    assert f"{MEMBER!r} could not be extracted" in message


# Whatever a decompressor or zipfile raises mid-member, in this Python or another.
@pytest.mark.parametrize("error, says", [
    (EOFError(), "cut short"),
    (zlib.error("Error -3 while decompressing data"), "compressed data is damaged"),
    (lzma.LZMAError("Corrupt input data"), "compressed data is damaged"),
    (OSError("Invalid data stream"), "compressed data is damaged"),  # bz2
    (RuntimeError("File 'x' is encrypted, password required for extraction"), "password-protected"),
    (NotImplementedError("That compression method is not supported"), "compression method"),
    (struct.error("unpack requires a buffer of 30 bytes"), "damaged"),
    (ValueError("negative seek value -5"), "damaged"),
    (zipfile.BadZipFile("Bad CRC-32 for file 'x'"), "Bad CRC-32"),
])
def test_any_error_reading_a_member_is_the_uploads_fault(tmp_path, monkeypatch, error, says):
    def read(self, n=-1):
        raise error
    monkeypatch.setattr(zipfile.ZipExtFile, "read", read)
    message = refused(tmp_path, zip_bytes({MEMBER: b"x = 1\n"}))
    assert f"{MEMBER!r} could not be extracted" in message and says in message


@pytest.mark.parametrize("error", [MemoryError(), OSError(errno.ENOSPC, "No space left on device"),
                                   OSError(errno.EIO, "Input/output error")])
def test_the_graders_own_failures_are_not_blamed_on_the_zip(tmp_path, monkeypatch, error):
    def read(self, n=-1):
        raise error
    monkeypatch.setattr(zipfile.ZipExtFile, "read", read)
    with pytest.raises(type(error)):
        extract(tmp_path, zip_bytes({MEMBER: b"x = 1\n"}))


def test_the_size_cap_still_holds(tmp_path, monkeypatch):
    monkeypatch.setattr(unpack, "MAX_FILE_BYTES", 1000)
    assert "too large" in refused(tmp_path, zip_bytes({MEMBER: PAYLOAD}))


def test_intake_tells_the_student(tmp_path):
    data = zip_bytes({MEMBER: PAYLOAD})
    data[header(data, LOCAL, MEMBER) + 30 + len(MEMBER)] = 0xFF
    (tmp_path / "hw.zip").write_bytes(bytes(data))
    (tmp_path / "scratch").mkdir()
    with pytest.raises(intake.UploadError, match=r"^Your zip could not be used: hw.zip: "
                                                 r"'hw/layers/linear.py' could not be extracted"):
        intake.locate(str(tmp_path / "hw.zip"), str(tmp_path / "scratch"))


def test_grading_the_zip_says_nothing_to_grade_and_blames_the_zip(tmp_path):
    from grader.upload import grade_upload
    data = zip_bytes({MEMBER: b"x = 1\n", "hw/ab.py": b"y = 2\n"})
    central = header(data, CENTRAL, "hw/ab.py")
    data[central + 46 + 3:central + 46 + 5] = b"\xff\xfe"
    set_u16(data, central + 8, struct.unpack_from("<H", data, central + 8)[0] | 0x800)
    (tmp_path / "hw.zip").write_bytes(bytes(data))
    results, status = grade_upload(str(tmp_path / "hw.zip"), skip_notebook=True)
    assert status == "nothing to grade"
    assert results["output"].startswith("Your zip could not be used: hw.zip is not a readable zip file")
    assert "course staff" not in results["output"]

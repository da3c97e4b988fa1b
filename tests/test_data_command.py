"""The CIFAR-10 data command on bad input: every failure is one DataError whose
message says what to do, never a traceback from pickle, tarfile or urllib.

Archives here are small fakes in the real layout (six batches of a few rows);
nothing is downloaded: download failures come from local file URLs.
"""
import hashlib
import os
import pickle
import tarfile
import traceback

import numpy as np
import pytest

from utils import download_cifar10
from utils.data_processing import get_cifar10_data
from utils.download_cifar10 import BATCH_FILES, DataError, fetch, main

ROWS_PER_BATCH = 4
# What an error must tell: the command, and the folder to run it in (the one
# holding utils/; a student's folder has no Makefile, so never `make data`).
REFERENCE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "reference")
FETCH_ADVICE = f"run `python -m utils.download_cifar10` in {REFERENCE} "


@pytest.fixture(autouse=True)
def no_cifar10_environment(monkeypatch, tmp_path):
    # `make test` exports these; the command must see only what each test gives it.
    monkeypatch.delenv("CIFAR10_SOURCE", raising=False)
    monkeypatch.delenv("CIFAR10_SHA256", raising=False)
    monkeypatch.setenv("CIFAR10_DIR", str(tmp_path / "no-default-cifar10"))


def write_batch(path, seed):
    """A CIFAR-10 batch pickle of ROWS_PER_BATCH random uint8 rows of 3072."""
    rng = np.random.default_rng(seed)
    batch = {b"batch_label": b"fake", b"data": rng.integers(0, 256, (ROWS_PER_BATCH, 3072), dtype=np.uint8),
             b"labels": list(rng.integers(0, 10, ROWS_PER_BATCH)),
             b"filenames": [b"img%d.png" % i for i in range(ROWS_PER_BATCH)]}
    with open(path, "wb") as f:
        pickle.dump(batch, f)


def make_folder(path, names=BATCH_FILES):
    """A cifar-10-batches-py folder holding fake batches `names`; returns its path."""
    os.makedirs(path)
    for seed, name in enumerate(names):
        write_batch(os.path.join(path, name), seed)
    return str(path)


def sha256_of(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


@pytest.fixture
def fake_archive(tmp_path):
    """(path, sha256) of a small cifar-10-python.tar.gz in the official layout."""
    folder = make_folder(tmp_path / "build" / "cifar-10-batches-py")
    archive = tmp_path / "archives" / "cifar-10-python.tar.gz"
    archive.parent.mkdir()
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname="cifar-10-batches-py")
    return str(archive), sha256_of(archive)


def truncated_copy(archive, tmp_path):
    """The first half of `archive`, as an interrupted download leaves it."""
    with open(archive, "rb") as f:
        data = f.read()
    path = tmp_path / "truncated" / "cifar-10-python.tar.gz"
    path.parent.mkdir()
    path.write_bytes(data[:len(data) // 2])
    return str(path)


def is_complete(folder):
    return all(os.path.isfile(os.path.join(folder, name)) for name in BATCH_FILES)


# Local archives

def test_an_archive_with_its_sha256_is_extracted(fake_archive, tmp_path):
    archive, sha256 = fake_archive
    dest = str(tmp_path / "dest")
    assert fetch(dest, archive, sha256) == dest
    for name in BATCH_FILES:
        with open(os.path.join(dest, name), "rb") as f:
            assert pickle.load(f, encoding="bytes")[b"data"].shape == (ROWS_PER_BATCH, 3072)


def test_missing_source_is_reported(tmp_path):
    with pytest.raises(DataError, match="not found"):
        fetch(str(tmp_path / "dest"), str(tmp_path / "absent.tar.gz"))


def test_truncated_archive_fails_its_checksum(fake_archive, tmp_path):
    archive, sha256 = fake_archive
    with pytest.raises(DataError, match="damaged") as info:
        fetch(str(tmp_path / "dest"), truncated_copy(archive, tmp_path), sha256)
    assert "download it again" in str(info.value).lower()
    assert not os.path.exists(tmp_path / "dest")


def test_truncated_archive_that_matches_its_checksum_fails_to_extract_and_keeps_old_data(
        fake_archive, tmp_path):
    archive, _ = fake_archive
    truncated = truncated_copy(archive, tmp_path)
    dest = make_folder(tmp_path / "dest")
    with pytest.raises(DataError, match="could not be extracted"):
        fetch(dest, truncated, sha256_of(truncated))
    assert is_complete(dest)  # the extraction is staged: a failure leaves dest as it was


@pytest.mark.parametrize("given, expected", [
    ("0" * 64, "sha256"),
    (None, "official CIFAR-10 md5"),  # without a sha256 only the official archive passes
])
def test_wrong_checksum_is_reported(fake_archive, tmp_path, given, expected):
    archive, _ = fake_archive
    with pytest.raises(DataError, match=expected):
        fetch(str(tmp_path / "dest"), archive, given)
    assert not os.path.exists(tmp_path / "dest")


@pytest.mark.parametrize("line", ["{sha}  {name}\n", "{sha} *{name}\n"])
def test_sha256sums_beside_the_archive_is_honoured(fake_archive, tmp_path, line):
    archive, sha256 = fake_archive
    sums = os.path.join(os.path.dirname(archive), "SHA256SUMS")
    with open(sums, "w") as f:
        f.write("f" * 64 + "  other-file.tar.gz\n")
        f.write(line.format(sha=sha256, name=os.path.basename(archive)))
    assert is_complete(fetch(str(tmp_path / "dest"), archive))


def test_a_wrong_sha256sums_entry_is_reported(fake_archive, tmp_path):
    archive, _ = fake_archive
    with open(os.path.join(os.path.dirname(archive), "SHA256SUMS"), "w") as f:
        f.write("0" * 64 + "  " + os.path.basename(archive) + "\n")
    with pytest.raises(DataError, match="sha256"):
        fetch(str(tmp_path / "dest"), archive)


def test_archive_missing_a_batch_is_reported(tmp_path):
    folder = make_folder(tmp_path / "build" / "cifar-10-batches-py", names=BATCH_FILES[:-1])
    archive = str(tmp_path / "partial.tar.gz")
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname="cifar-10-batches-py")
    with pytest.raises(DataError, match="lacks test_batch"):
        fetch(str(tmp_path / "dest"), archive, sha256_of(archive))


def test_second_fetch_of_the_same_archive_is_skipped(fake_archive, tmp_path, monkeypatch):
    archive, sha256 = fake_archive
    dest = fetch(str(tmp_path / "dest"), archive, sha256)

    def must_not_run(*args, **kwargs):
        raise AssertionError("the archive was verified or extracted again")

    with monkeypatch.context() as patch:
        patch.setattr(download_cifar10, "verify_archive", must_not_run)
        patch.setattr(download_cifar10, "_extract", must_not_run)
        assert fetch(dest, archive, sha256) == dest

    # A batch lost since then is noticed: the archive is extracted again.
    os.remove(os.path.join(dest, "data_batch_2"))
    assert is_complete(fetch(dest, archive, sha256))


def test_an_archive_is_extracted_again_after_a_folder_replaced_its_batches(fake_archive, tmp_path):
    archive, sha256 = fake_archive
    dest = fetch(str(tmp_path / "dest"), archive, sha256)
    with open(os.path.join(dest, "data_batch_1"), "rb") as f:
        from_archive = f.read()
    fetch(dest, make_folder(tmp_path / "other" / "cifar-10-batches-py", names=BATCH_FILES[::-1]))
    # The folder's batches differ; asking for the archive again must bring its batches back.
    fetch(dest, archive, sha256)
    with open(os.path.join(dest, "data_batch_1"), "rb") as f:
        assert f.read() == from_archive


# Folders

def test_folder_missing_a_batch_is_reported(tmp_path):
    folder = make_folder(tmp_path / "cifar-10-batches-py", names=BATCH_FILES[1:])
    with pytest.raises(DataError, match="lacks data_batch_1"):
        fetch(str(tmp_path / "dest"), folder)


@pytest.mark.parametrize("given", ["src/cifar-10-batches-py", "src"])
def test_a_complete_folder_or_its_parent_is_copied(tmp_path, given):
    make_folder(tmp_path / "src" / "cifar-10-batches-py")
    assert is_complete(fetch(str(tmp_path / "dest"), str(tmp_path / given)))


def test_get_cifar10_data_names_the_command_when_a_batch_is_missing(tmp_path):
    folder = make_folder(tmp_path / "cifar-10-batches-py", names=BATCH_FILES[:-1])
    with pytest.raises(DataError, match="test_batch") as info:
        get_cifar10_data(folder)
    assert FETCH_ADVICE in str(info.value) and "make data" not in str(info.value)


def garbage(path):
    path.write_bytes(b"\x00not a pickle at all" * 10)


def half_a_pickle(path):
    path.write_bytes(path.read_bytes()[:5000])


@pytest.mark.parametrize("damage", [garbage, half_a_pickle])
def test_corrupt_batch_gives_a_data_error_without_the_pickle_traceback(tmp_path, damage):
    folder = make_folder(tmp_path / "cifar-10-batches-py")
    damage(tmp_path / "cifar-10-batches-py" / "data_batch_3")
    with pytest.raises(DataError) as info:
        get_cifar10_data(folder)
    error = info.value
    assert "data_batch_3" in str(error) and FETCH_ADVICE in str(error)
    # The command keeps batches that are present, so the damaged folder must go first.
    assert f"Delete {tmp_path / 'cifar-10-batches-py'} and " in str(error)
    # `raise ... from None`: the unpickling error is not shown to the student.
    assert error.__cause__ is None and error.__suppress_context__
    shown = "".join(traceback.format_exception(error))
    assert shown.count("Traceback") == 1 and "During handling" not in shown


def test_a_batch_from_a_newer_numpy_asks_for_an_upgrade_not_a_new_download(tmp_path):
    folder = make_folder(tmp_path / "cifar-10-batches-py")
    # What numpy before 1.26 meets in a batch pickled by numpy 2: a numpy module it lacks.
    with open(os.path.join(folder, "data_batch_2"), "wb") as f:
        f.write(b"\x80\x02cnumpy._core_of_the_future\n_reconstruct\nq\x00.")
    with pytest.raises(DataError) as info:
        get_cifar10_data(folder)
    assert "data_batch_2 was saved by a newer numpy than this Python's numpy " in str(info.value)
    assert "python -m pip install --upgrade numpy" in str(info.value)
    assert "Delete" not in str(info.value)


def test_fetch_rejects_a_batch_that_is_not_cifar10_data(tmp_path):
    folder = make_folder(tmp_path / "cifar-10-batches-py")
    with open(os.path.join(folder, "test_batch"), "wb") as f:
        pickle.dump({b"data": np.zeros((2, 10), np.uint8), b"labels": [0, 1]}, f)
    with pytest.raises(DataError, match="does not hold CIFAR-10 data"):
        fetch(str(tmp_path / "dest"), folder)


# Downloads (never over the network)

def test_download_failure_says_how_to_work_offline(tmp_path, monkeypatch):
    monkeypatch.setattr(download_cifar10, "URL", (tmp_path / "unreachable.tar.gz").as_uri())
    with pytest.raises(DataError, match="could not download") as info:
        fetch(str(tmp_path / "data" / "dest"))
    assert "--source" in str(info.value)
    assert os.listdir(tmp_path / "data") == []  # the partial download is removed


def test_downloaded_archive_must_match_the_official_md5(fake_archive, tmp_path, monkeypatch):
    archive, _ = fake_archive
    monkeypatch.setattr(download_cifar10, "URL", "file://" + os.path.abspath(archive))
    with pytest.raises(DataError, match="official CIFAR-10 md5"):
        fetch(str(tmp_path / "data" / "dest"))
    assert os.listdir(tmp_path / "data") == []


def test_a_complete_dest_needs_no_download(tmp_path, monkeypatch):
    dest = make_folder(tmp_path / "dest")
    monkeypatch.setattr(download_cifar10, "URL", (tmp_path / "unreachable.tar.gz").as_uri())
    assert fetch(dest) == dest


# The command line

def test_main_prints_one_error_line_and_returns_1(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(download_cifar10, "URL", (tmp_path / "unreachable.tar.gz").as_uri())
    assert main(["--dest", str(tmp_path / "dest")]) == 1
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: could not download")
    assert captured.out == ""


def test_main_reports_a_bad_source_in_one_line(tmp_path, capsys):
    assert main(["--source", str(tmp_path / "absent.tar.gz"), "--dest", str(tmp_path / "dest")]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: CIFAR-10 source not found")


def test_main_takes_source_and_sha256_from_the_environment(fake_archive, tmp_path, monkeypatch,
                                                           capsys):
    archive, sha256 = fake_archive
    monkeypatch.setenv("CIFAR10_SOURCE", archive)
    monkeypatch.setenv("CIFAR10_SHA256", sha256)
    assert main(["--dest", str(tmp_path / "dest")]) == 0
    assert "CIFAR-10 ready in" in capsys.readouterr().out
    assert is_complete(tmp_path / "dest")

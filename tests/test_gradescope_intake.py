"""Taking a student's upload apart (grader/intake.py, grader/unpack.py): safe
unzipping, finding the submission, recognising the notebook alone."""
import os
import zipfile

import pytest

from grading import copy_reference

from grader import intake, unpack
from grader.upload import grade_upload

NOTEBOOK = "classification_nn.ipynb"


def make_zip(path, members):
    """A zip at `path` with {name: bytes} members (names taken literally)."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


# --- unpack ------------------------------------------------------------------

@pytest.mark.parametrize("name", ["../escape.py", "a/../../escape.py", "/tmp/escape.py",
                                  "C:/escape.py", "..\\escape.py"])
def test_entries_that_leave_the_folder_are_refused(tmp_path, name):
    archive = make_zip(tmp_path / "evil.zip", {"layers/linear.py": b"ok", name: b"bad"})
    dest = tmp_path / "out" / "dest"
    dest.mkdir(parents=True)
    with pytest.raises(unpack.UnsafeArchive, match="outside its own folder"):
        unpack.extract(archive, dest)
    assert not list((tmp_path / "out").glob("escape.py")) and not (tmp_path / "escape.py").exists()


@pytest.mark.parametrize("members, culprit, why", [
    ({"sub/" + "a" * 300 + ".py": b"x"}, "aaaa", "too long"),
    ({"layers.py": b"x", "layers.py/linear.py": b"x"}, "layers.py/linear.py", "same name"),
    ({"a/b.py/c.py": b"x", "a/b.py": b"x"}, "a/b.py", "same name"),
])
def test_a_member_that_cannot_be_written_is_named_as_the_uploads_fault(tmp_path, members, culprit, why):
    archive = make_zip(tmp_path / "upload.zip", members)
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(unpack.UnsafeArchive, match=why) as raised:
        unpack.extract(archive, dest)
    assert culprit in str(raised.value)
    results, status = grade_upload(str(archive), skip_notebook=True)
    assert status == "nothing to grade"
    assert "course staff" not in results["output"] and culprit in results["output"], results["output"]


def test_links_are_refused(tmp_path):
    info = zipfile.ZipInfo("layers/linear.py")
    info.external_attr = (0o120777 << 16)  # a symbolic link to...
    with zipfile.ZipFile(tmp_path / "link.zip", "w") as zf:
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(unpack.UnsafeArchive, match="symbolic link"):
        unpack.extract(tmp_path / "link.zip", tmp_path)


def test_a_file_twice_in_the_zip_is_refused(tmp_path):
    with zipfile.ZipFile(tmp_path / "twice.zip", "w") as zf:
        zf.writestr("layers/linear.py", "first = 1\n")
        zf.writestr("./layers//linear.py", "second = 2\n")  # the same path, spelled otherwise
    with pytest.raises(unpack.UnsafeArchive, match="'layers/linear.py' twice"):
        unpack.extract(tmp_path / "twice.zip", tmp_path / "out")


def test_size_is_counted_while_extracting(tmp_path, monkeypatch):
    monkeypatch.setattr(unpack, "MAX_TOTAL_BYTES", 1000)
    archive = make_zip(tmp_path / "big.zip", {"a.py": b"x" * 600, "b.py": b"x" * 600})
    with pytest.raises(unpack.UnsafeArchive, match="too large"):
        unpack.extract(archive, tmp_path / "dest")


def test_only_code_and_notebooks_are_extracted(tmp_path):
    archive = make_zip(tmp_path / "hw.zip", {
        "hw/layers/linear.py": b"L", f"hw/{NOTEBOOK}": b"{}",
        "hw/datasets/cifar-10-batches-py/data_batch_1": b"\0" * 100,
        "__MACOSX/hw/layers/._linear.py": b"junk", "hw/layers/__pycache__/linear.cpython-311.pyc": b""})
    got = unpack.extract(archive, tmp_path / "dest")
    assert sorted(got) == ["hw/classification_nn.ipynb", "hw/layers/linear.py"]
    assert (tmp_path / "dest" / "hw" / "layers" / "linear.py").read_bytes() == b"L"


def test_a_file_that_is_not_a_zip_is_reported(tmp_path):
    (tmp_path / "hw.zip").write_text("hello")
    with pytest.raises(unpack.UnsafeArchive, match="not a readable zip"):
        unpack.extract(tmp_path / "hw.zip", tmp_path / "dest")


# --- intake ------------------------------------------------------------------

def test_loose_files_win_over_a_zip(tmp_path):
    upload = copy_reference(tmp_path / "upload")
    make_zip(upload / "old.zip", {"layers/linear.py": b"old"})
    located = intake.locate(str(upload), str(tmp_path / "scratch"))
    assert located.folder == str(upload) and not located.notes


def test_a_zip_in_a_subfolder_is_opened(tmp_path):
    (tmp_path / "upload" / "sub").mkdir(parents=True)
    make_zip(tmp_path / "upload" / "sub" / "hw.zip", {"hw/layers/linear.py": b"", f"hw/{NOTEBOOK}": b"{}"})
    (tmp_path / "scratch").mkdir()
    located = intake.locate(str(tmp_path / "upload"), str(tmp_path / "scratch"))
    assert located.root.endswith(os.path.join("hw")) and located.notes == ["Graded the contents of sub/hw.zip."]
    assert not located.notebook_only


def test_notebook_alone_is_recognised(tmp_path):
    (tmp_path / "upload").mkdir()
    (tmp_path / "upload" / NOTEBOOK).write_text("{}")
    assert intake.locate(str(tmp_path / "upload"), str(tmp_path)).notebook_only


@pytest.mark.parametrize("setup, says", [
    (lambda p: (p / "x.txt").write_text(""), "neither a folder nor a .zip"),
    (lambda p: None, "does not exist"),
])
def test_uploads_that_are_not_folders_or_zips(tmp_path, setup, says):
    setup(tmp_path)
    target = tmp_path / "x.txt"
    with pytest.raises(intake.UploadError, match=says):
        intake.locate(str(target), str(tmp_path))


def test_a_zip_without_a_submission_is_explained(tmp_path):
    (tmp_path / "upload").mkdir()
    make_zip(tmp_path / "upload" / "photos.zip", {"cat.py": b""})
    (tmp_path / "scratch").mkdir()
    with pytest.raises(intake.UploadError, match="photos.zip holds neither layers/"):
        intake.locate(str(tmp_path / "upload"), str(tmp_path / "scratch"))


# --- merging the notebook-only runs -------------------------------------------

def _test(check, number, score, max_score):
    return {"name": check, "number": number, "score": score, "max_score": max_score,
            "status": "passed" if score == max_score else "failed", "output": "",
            "visibility": "visible", "extra_data": {"check": check}}

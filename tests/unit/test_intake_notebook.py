"""grader/intake.py: the notebook found under the name a browser or a student gave it."""
import os
import zipfile

import pytest

from grader import intake
from grader.submission import NOTEBOOK

NB = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


def upload_folder(tmp_path, *names, layers=False):
    folder = tmp_path / "upload"
    folder.mkdir()
    for name in names:
        (folder / name).write_text(NB)
    if layers:
        (folder / "layers").mkdir()
        (folder / "layers" / "relu.py").write_text("class ReLU: pass\n")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    return folder, scratch


def test_a_browser_renamed_notebook_alone_is_the_notebook_and_the_upload_is_untouched(tmp_path):
    folder, scratch = upload_folder(tmp_path, "classification_nn (1).ipynb")
    upload = intake.locate(str(folder), str(scratch))
    assert os.path.isfile(os.path.join(upload.root, NOTEBOOK)) and upload.notebook_only
    assert upload.notes == [f"Graded classification_nn (1).ipynb as the notebook (the course names it {NOTEBOOK})."]
    assert sorted(os.listdir(folder)) == ["classification_nn (1).ipynb"]


def test_a_renamed_notebook_beside_layers_keeps_the_layers(tmp_path):
    folder, scratch = upload_folder(tmp_path, "my_solution.ipynb", layers=True)
    upload = intake.locate(str(folder), str(scratch))
    assert os.path.isfile(os.path.join(upload.root, NOTEBOOK)) and not upload.notebook_only
    assert open(os.path.join(upload.root, "layers", "relu.py")).read() == "class ReLU: pass\n"


def test_the_courses_name_wins_over_other_notebooks(tmp_path):
    folder, scratch = upload_folder(tmp_path, NOTEBOOK, "scratchpad.ipynb", layers=True)
    upload = intake.locate(str(folder), str(scratch))
    assert upload.folder == str(folder) and upload.notes == []


def test_several_notebooks_none_the_courses_are_refused_naming_them(tmp_path):
    folder, scratch = upload_folder(tmp_path, "a.ipynb", "b.ipynb")
    with pytest.raises(intake.UploadError, match=r"several notebooks \(a.ipynb, b.ipynb\)"):
        intake.locate(str(folder), str(scratch))


def test_a_link_named_like_a_notebook_is_not_taken(tmp_path):
    folder, scratch = upload_folder(tmp_path)
    (folder / "x.ipynb").symlink_to("/etc/passwd")
    upload = intake.locate(str(folder), str(scratch))
    assert not os.path.exists(os.path.join(upload.root, NOTEBOOK))


def test_a_renamed_notebook_in_a_zip_is_renamed_in_our_extraction(tmp_path):
    archive = tmp_path / "sub.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("classification_nn(2).ipynb", NB)
        zf.writestr("layers/linear.py", "class Linear: pass\n")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    upload = intake.locate(str(archive), str(scratch))
    assert os.path.isfile(os.path.join(upload.root, NOTEBOOK))
    assert upload.notes[-1].startswith("Graded classification_nn(2).ipynb as the notebook")

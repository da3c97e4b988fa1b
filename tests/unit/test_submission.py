"""grader/submission.py: which submitted files the grader takes, which it refuses or
ignores, and where in an upload the assignment folder is."""
import os

import pytest

from grader import submission
from grader.submission import NOTEBOOK, STUDENT_LAYER_FILES, Submission, find_root, inspect

LAYERS = list(STUDENT_LAYER_FILES)


def write(root, rel, text="x = 1\n"):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def course_folder(root, files=LAYERS + [NOTEBOOK]):
    for rel in files:
        write(root, rel)
    return root


def test_a_complete_course_folder_uses_the_four_layer_files_and_the_notebook(tmp_path):
    sub = inspect(course_folder(tmp_path))
    assert sub.root == str(tmp_path)
    assert sub.used == LAYERS + [NOTEBOOK]
    assert sub.missing == sub.refused == sub.ignored == []


def test_the_rest_of_the_scaffold_is_listed_as_ignored_but_noise_is_not(tmp_path):
    course_folder(tmp_path)
    for rel in ("layers/sequential.py", "utils/trainer.py", "notes.txt",
                "layers/__pycache__/linear.cpython-311.pyc", "layers/stale.pyc",
                ".ipynb_checkpoints/classification_nn-checkpoint.ipynb", "__MACOSX/._linear.py",
                ".git/HEAD", "utils/.DS_Store"):
        write(tmp_path, rel)
    sub = inspect(tmp_path)
    assert sorted(sub.ignored) == ["layers/sequential.py", "notes.txt", "utils/trainer.py"]
    assert sub.used == LAYERS + [NOTEBOOK]


def test_files_the_submission_lacks_are_missing(tmp_path):
    course_folder(tmp_path, ["layers/linear.py", "layers/softmax.py"])
    sub = inspect(tmp_path)
    assert sub.used == ["layers/linear.py", "layers/softmax.py"]
    assert sub.missing == ["layers/relu.py", "layers/loss_func.py", NOTEBOOK]
    assert sub.refused == [] and sub.from_reference == []


def test_a_notebook_uploaded_alone_gets_stubs_by_default(tmp_path):
    course_folder(tmp_path, ["layers/linear.py", NOTEBOOK])
    sub = inspect(tmp_path, notebook_only=True, layers_policy="stub")
    assert sub.used == ["layers/linear.py", NOTEBOOK]
    assert sub.from_reference == []
    assert sub.missing == ["layers/relu.py", "layers/softmax.py", "layers/loss_func.py"]


def test_a_notebook_uploaded_alone_takes_the_reference_layers_when_the_instructor_says(tmp_path):
    course_folder(tmp_path, ["layers/linear.py", NOTEBOOK])
    sub = inspect(tmp_path, notebook_only=True, layers_policy="reference")
    assert sub.used == ["layers/linear.py", NOTEBOOK]
    assert sub.from_reference == ["layers/relu.py", "layers/softmax.py", "layers/loss_func.py"]
    assert sub.missing == []


def test_an_unknown_notebook_alone_policy_is_refused(tmp_path):
    course_folder(tmp_path, [NOTEBOOK])
    with pytest.raises(ValueError, match="NOTEBOOK_ONLY_LAYERS"):
        inspect(tmp_path, notebook_only=True, layers_policy="yes")


def test_a_refused_layer_file_is_not_replaced_by_the_reference_even_for_a_notebook_alone(tmp_path):
    course_folder(tmp_path, LAYERS[1:] + [NOTEBOOK])
    os.symlink(tmp_path / "nowhere.py", tmp_path / "layers" / "linear.py")
    sub = inspect(tmp_path, notebook_only=True, layers_policy="reference")
    assert sub.refused == sub.missing == ["layers/linear.py"]
    assert sub.from_reference == []


def test_a_symlinked_layer_file_is_refused_and_counted_as_missing(tmp_path):
    upload = course_folder(tmp_path / "upload", LAYERS[:1] + LAYERS[2:] + [NOTEBOOK])
    secret = write(tmp_path, "reference/layers/relu.py", "SOLUTION = 1\n")
    os.symlink(secret, upload / "layers" / "relu.py")
    sub = inspect(upload)
    assert "layers/relu.py" not in sub.used
    assert sub.refused == ["layers/relu.py"]
    assert sub.missing == ["layers/relu.py"]


def test_a_dangling_symlink_is_refused_too(tmp_path):
    course_folder(tmp_path, LAYERS[1:] + [NOTEBOOK])
    os.symlink(tmp_path / "nowhere.py", tmp_path / "layers" / "linear.py")
    assert inspect(tmp_path).refused == ["layers/linear.py"]


def test_files_under_a_symlinked_folder_are_refused(tmp_path):
    real = course_folder(tmp_path / "elsewhere", LAYERS)
    sub_root = tmp_path / "upload"
    sub_root.mkdir()
    write(sub_root, NOTEBOOK)
    os.symlink(real / "layers", sub_root / "layers")
    sub = inspect(sub_root)
    assert sub.used == [NOTEBOOK]
    assert sub.refused == LAYERS


def test_an_oversized_layer_file_is_refused(tmp_path):
    course_folder(tmp_path)
    big = tmp_path / "layers" / "linear.py"
    os.truncate(big, submission.MAX_FILE_BYTES[".py"] + 1)  # sparse: nothing is written
    sub = inspect(tmp_path)
    assert sub.refused == ["layers/linear.py"]
    assert "layers/linear.py" in sub.missing and "layers/linear.py" not in sub.used


def test_a_layer_file_of_exactly_the_size_limit_is_used(tmp_path):
    course_folder(tmp_path)
    os.truncate(tmp_path / "layers" / "linear.py", submission.MAX_FILE_BYTES[".py"])
    assert inspect(tmp_path).used == LAYERS + [NOTEBOOK]


def test_a_folder_in_place_of_a_layer_file_is_refused(tmp_path):
    course_folder(tmp_path, LAYERS[1:] + [NOTEBOOK])
    (tmp_path / "layers" / "linear.py").mkdir()
    assert inspect(tmp_path).refused == ["layers/linear.py"]


def test_find_root_finds_the_assignment_folder_nested_in_an_upload(tmp_path):
    nested = course_folder(tmp_path / "hw3" / "assignment")
    write(tmp_path, "README.txt")
    assert find_root(str(tmp_path)) == str(nested)
    assert inspect(tmp_path).root == str(nested)


def test_find_root_recognises_a_folder_with_only_the_notebook(tmp_path):
    write(tmp_path / "mine", NOTEBOOK)
    assert find_root(str(tmp_path)) == str(tmp_path / "mine")


def test_find_root_skips_noise_folders_like_macosx(tmp_path):
    course_folder(tmp_path / "__MACOSX")  # shallower, and sorted first
    nested = course_folder(tmp_path / "upload" / "hw")
    assert find_root(str(tmp_path)) == str(nested)


def test_find_root_takes_the_shallowest_candidate(tmp_path):
    shallow = course_folder(tmp_path / "b")
    course_folder(tmp_path / "a" / "deeper")
    assert find_root(str(tmp_path)) == str(shallow)


def test_find_root_does_not_follow_symlinked_folders(tmp_path):
    real = course_folder(tmp_path / "real")
    upload = tmp_path / "upload"
    upload.mkdir()
    os.symlink(real, upload / "linked")
    assert find_root(str(upload)) == str(upload)


def test_find_root_gives_up_below_its_depth_and_returns_the_path(tmp_path):
    course_folder(tmp_path / "1" / "2" / "3" / "4")
    assert find_root(str(tmp_path)) == str(tmp_path)
    assert find_root(str(tmp_path), max_depth=4) == str(tmp_path / "1" / "2" / "3" / "4")


def test_summary_of_an_empty_submission_says_nothing_was_graded():
    assert Submission(root="/x").summary() == "Graded from your submission: nothing."


def test_summary_names_used_refused_missing_replaced_and_ignored_files_in_that_order():
    sub = Submission(root="/x", used=["layers/linear.py", NOTEBOOK], refused=["layers/relu.py"],
                     missing=["layers/relu.py", "layers/softmax.py"],
                     from_reference=["layers/loss_func.py"], ignored=["utils/trainer.py"])
    lines = sub.summary().splitlines()
    assert lines[0] == f"Graded from your submission: layers/linear.py, {NOTEBOOK}."
    assert lines[1].startswith("Refused, as symbolic links or files too large") and \
        lines[1].endswith(": layers/relu.py.")
    assert lines[2] == "Not found (graded as not implemented): layers/relu.py, layers/softmax.py."
    assert lines[3].endswith("used in its place: layers/loss_func.py.")
    assert lines[4] == "Ignored (the course's own copies are used instead): utils/trainer.py."


def test_summary_shows_twelve_ignored_files_and_counts_the_rest():
    sub = Submission(root="/x", used=[NOTEBOOK], ignored=[f"f{i}.py" for i in range(15)])
    last = sub.summary().splitlines()[-1]
    assert "f11.py and 3 more." in last and "f12.py" not in last

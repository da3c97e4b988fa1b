"""grader/batch.py's time estimate is best effort: one student's notebook (not a
JSON object, nested 100k deep, not UTF-8, in a damaged zip, with odd
best_net_hyperparams) gives no prediction for that student, never a crash that
stops the batch before anyone is graded."""
import json
import math
import zipfile

import pytest

from grader import batch, config, cost
from grader.batch import Entry

NOTEBOOK = "classification_nn.ipynb"
DEEP = ("[" * 100_000 + "]" * 100_000).encode()


def notebook(source):
    return json.dumps({"cells": [{"cell_type": "code", "source": source, "metadata": {},
                                  "outputs": [], "execution_count": None}],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


GOOD = notebook("best_net_hyperparams = [0.1, 1e-4, 10, 100]\n")


@pytest.fixture(autouse=True)
def no_calibration(monkeypatch):
    monkeypatch.setattr(cost, "speed", lambda calibration=None: 1.0)


def folder(tmp_path, name, data):
    (tmp_path / name).mkdir()
    (tmp_path / name / NOTEBOOK).write_bytes(data)
    return Entry(name, str(tmp_path / name))


def zipped(tmp_path, name, data, compression=zipfile.ZIP_DEFLATED):
    path = tmp_path / f"{name}.zip"
    with zipfile.ZipFile(path, "w", compression) as zf:
        zf.writestr(f"hw/{NOTEBOOK}", data)
    return Entry(name, str(path))


def default(entries, jobs=1):
    """The estimate of entries without hyperparameters: the grader's own work only."""
    return len(entries) * (config.GRADING_OVERHEAD_LAYERS + config.GRADING_OVERHEAD_NOTEBOOK) / jobs


BAD = {
    "not an object": b"[1]",
    "a string": b'"cells"',
    "cells not a list": b'{"cells": 5}',
    "a cell not an object": b'{"cells": [1]}',
    "nested 100k deep": DEEP,
    "not UTF-8": b'{"cells": []}\xff\xfe',
    "not JSON": b"{",
    "source nested deep": notebook("best_net_hyperparams = " + "[" * 100_000 + "]" * 100_000),
    "source a number": json.dumps({"cells": [{"cell_type": "code", "source": 5}]}).encode(),
    "hyperparams strings": notebook("best_net_hyperparams = ['a', 'b', 'c', 'd']"),
    "hyperparams infinite": notebook("best_net_hyperparams = [1e999, 0, 10, 100]"),
    "hyperparams huge": notebook("best_net_hyperparams = [0.1, 0, 10 ** 10000, 10 ** 10000]"),
    "hyperparams huge literal": notebook("best_net_hyperparams = [0.1, 0, " + "9" * 4000 + ", 100]"),
    "hyperparams a dict": notebook("best_net_hyperparams = {1: 2}"),
}


@pytest.mark.parametrize("why", BAD)
def test_a_bad_notebook_in_a_folder_gets_the_default_estimate(tmp_path, why):
    entries = [folder(tmp_path, "mallory", BAD[why])]
    assert batch.predicted_seconds(entries, 1, skip_notebook=False) == pytest.approx(default(entries))


@pytest.mark.parametrize("why", ["nested 100k deep", "not an object", "not UTF-8"])
def test_a_bad_notebook_in_a_zip_gets_the_default_estimate(tmp_path, why):
    entries = [zipped(tmp_path, "mallory", BAD[why])]
    assert batch.predicted_seconds(entries, 1, skip_notebook=False) == pytest.approx(default(entries))


def test_a_damaged_zip_gets_the_default_estimate(tmp_path):
    entry = zipped(tmp_path, "mallory", GOOD)
    data = bytearray((tmp_path / "mallory.zip").read_bytes())
    data[30 + len(f"hw/{NOTEBOOK}")] = 0xFF  # deflate block type 3: invalid
    (tmp_path / "mallory.zip").write_bytes(bytes(data))
    assert batch.predicted_seconds([entry], 1, skip_notebook=False) == pytest.approx(default([entry]))


def test_a_zip_member_larger_than_it_claims_is_read_no_further_than_the_cap(tmp_path, monkeypatch):
    from grader import submission
    monkeypatch.setitem(submission.MAX_FILE_BYTES, ".ipynb", 1000)
    padded = GOOD[:-1] + b"," + b'"pad": "' + b" " * 100_000 + b'"}'
    entry = zipped(tmp_path, "big", padded)
    data = bytearray((tmp_path / "big.zip").read_bytes())
    central = data.rfind(b"PK\x01\x02")
    data[central + 24:central + 28] = (500).to_bytes(4, "little")  # "500 bytes uncompressed"
    data[22:26] = (500).to_bytes(4, "little")
    (tmp_path / "big.zip").write_bytes(bytes(data))
    asked, read = [], zipfile.ZipExtFile.read

    def spy(self, n=-1):
        asked.append(n)
        return read(self, n)
    monkeypatch.setattr(zipfile.ZipExtFile, "read", spy)
    assert batch._notebook_of(entry.path) is None
    assert asked and all(0 < n <= 1001 for n in asked)  # never "all of it"
    entry = folder(tmp_path, "big_folder", padded)
    assert batch._notebook_of(entry.path) is None


def test_good_notebooks_still_predict_training_and_a_bad_one_does_not_stop_them(tmp_path):
    good = [folder(tmp_path, "alice", GOOD), zipped(tmp_path, "bob", GOOD)]
    bad = [folder(tmp_path, "mallory", b"[1]"), folder(tmp_path, "deep", DEEP),
           folder(tmp_path, "latin1", b'{"cells": "\xe9"}'), zipped(tmp_path, "deepzip", DEEP)]
    with_good = batch.predicted_seconds(good, 1, skip_notebook=False)
    assert with_good > default(good)  # alice's and bob's training is counted
    mixed = batch.predicted_seconds(good + bad, 1, skip_notebook=False)
    assert isinstance(mixed, float) and math.isfinite(mixed)
    assert mixed == pytest.approx(with_good + default(bad))


def test_skipping_the_notebook_never_reads_it(tmp_path, monkeypatch):
    monkeypatch.setattr(batch, "_notebook_of", lambda path: pytest.fail("read"))
    entries = [folder(tmp_path, "mallory", b"[1]")]
    assert batch.predicted_seconds(entries, 2, skip_notebook=True) == pytest.approx(
        config.GRADING_OVERHEAD_LAYERS / 2)


def test_notebooks_are_read_in_a_bounded_child_whose_failure_costs_only_estimates(tmp_path, monkeypatch):
    from grader import predict
    entries = [folder(tmp_path, "alice", GOOD)]
    assert predict.training_seconds([entries[0].path], alongside=True)[0] > 0
    # Under an address space too small to start Python at all, the child fails: no estimate, no crash.
    monkeypatch.setattr(predict, "PREDICT_MEMORY", 16 << 20)
    assert predict.training_seconds([entries[0].path], alongside=True) == [0.0]
    assert batch.predicted_seconds(entries, 1, skip_notebook=False) == pytest.approx(default(entries))


def test_when_the_shared_child_fails_each_notebook_is_read_alone(tmp_path, monkeypatch):
    from grader import predict
    calls = []

    def child(paths, alongside):
        calls.append(list(paths))
        return None if len(paths) > 1 or paths[0] == "mallory" else [7.0]
    monkeypatch.setattr(predict, "_child", child)
    assert predict.training_seconds(["alice", "mallory", "bob"], True) == [7.0, 0.0, 7.0]
    assert calls == [["alice", "mallory", "bob"], ["alice"], ["mallory"], ["bob"]]

"""get_cifar10_data's cache of the uint8 arrays beside the batch files.

The batches are read from their pickles once and cached as uncompressed
.npy/.npz files; later loads memory-map them. The cache must give exactly the
arrays the pickles give, follow the batch files when they change, survive a
half-written cache, and never be needed: a read-only folder just goes without.
Fake folders here hold six batches of a few rows (see test_data_command.py).
"""
import os
import pickle

import numpy as np
import pytest

from utils import data_processing
from utils.data_processing import CACHE_PREFIX, get_cifar10_data, load_cifar10_uint8
from utils.download_cifar10 import BATCH_FILES

ROWS = 6


def write_batch(path, seed, rows=ROWS):
    rng = np.random.default_rng(seed)
    batch = {b"batch_label": b"fake", b"data": rng.integers(0, 256, (rows, 3072), dtype=np.uint8),
             b"labels": list(rng.integers(0, 10, rows)),
             b"filenames": [b"img%d.png" % i for i in range(rows)]}
    with open(path, "wb") as f:
        pickle.dump(batch, f)
    return batch


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A fake cifar-10-batches-py folder; $CIFAR10_DIR points elsewhere, the cache is on."""
    monkeypatch.setenv("CIFAR10_DIR", str(tmp_path / "no-default"))
    monkeypatch.delenv("CIFAR10_CACHE", raising=False)
    path = tmp_path / "cifar-10-batches-py"
    path.mkdir()
    for seed, name in enumerate(BATCH_FILES):
        write_batch(path / name, seed)
    return str(path)


def cache_files(folder):
    return sorted(name for name in os.listdir(folder) if name.startswith(CACHE_PREFIX))


def from_pickles(folder):
    batches = []
    for name in BATCH_FILES:
        with open(os.path.join(folder, name), "rb") as f:
            batch = pickle.load(f, encoding="bytes")
        batches.append((batch[b"data"], np.array(batch[b"labels"])))
    x_train = np.concatenate([x for x, _ in batches[:5]])
    y_train = np.concatenate([y for _, y in batches[:5]])
    return x_train, y_train, batches[5][0], batches[5][1]


def assert_same(got, want):
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
        assert g.shape == w.shape


def small_split(folder, **kwargs):
    return get_cifar10_data(folder, num_samples_train=4 * ROWS, num_samples_val=ROWS, **kwargs)


def test_first_load_writes_the_cache_and_later_loads_read_only_it(folder, monkeypatch):
    want = from_pickles(folder)
    assert_same(load_cifar10_uint8(folder), want)
    names = cache_files(folder)
    assert len(names) == 2 and names[0].endswith(".x.npy") and names[1].endswith(".y.npz")

    def no_pickles(path):
        raise AssertionError(f"read {path} although the cache is there")
    monkeypatch.setattr(data_processing, "_read_batch", no_pickles)
    assert_same(load_cifar10_uint8(folder), want)
    data = small_split(folder, subset_val=2)
    np.testing.assert_array_equal(data["x_train"] * 255, want[0][:4 * ROWS])
    np.testing.assert_array_equal(data["y_val"], want[1][4 * ROWS:4 * ROWS + 2])
    np.testing.assert_array_equal(data["x_test"] * 255, want[2])


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16, np.uint8, np.int64])
def test_cached_and_uncached_loads_agree_bit_for_bit(folder, monkeypatch, dtype):
    options = [dict(subset_train=5, subset_test=3), dict(return_image=True), {}]
    cached = [small_split(folder, dtype=dtype, **o) for o in options]
    monkeypatch.setenv("CIFAR10_CACHE", "0")
    for got, o in zip(cached, options):
        want = small_split(folder, dtype=dtype, **o)
        for key in want:
            assert got[key].dtype == want[key].dtype and got[key].shape == want[key].shape
            np.testing.assert_array_equal(got[key], want[key])
    x = small_split(folder, dtype=dtype)["x_train"]
    raw = from_pickles(folder)[0][:4 * ROWS]
    # The course's scaling: floats are exactly uint8 / 255 computed in that dtype.
    expected = raw.astype(dtype) / np.dtype(dtype).type(255) if np.dtype(dtype).kind == "f" \
        else raw.astype(dtype)
    np.testing.assert_array_equal(x, expected)
    assert x.dtype == dtype and isinstance(x, np.ndarray) and type(x) is np.ndarray


def test_cache_off_writes_nothing(folder, monkeypatch):
    monkeypatch.setenv("CIFAR10_CACHE", "0")
    assert_same(load_cifar10_uint8(folder), from_pickles(folder))
    assert cache_files(folder) == []


def test_a_rewritten_batch_replaces_the_cache(folder):
    load_cifar10_uint8(folder)
    old = cache_files(folder)
    # Same size, new content, possibly within the same clock tick as the first write.
    write_batch(os.path.join(folder, "data_batch_3"), seed=99)
    want = from_pickles(folder)
    assert_same(load_cifar10_uint8(folder), want)
    new = cache_files(folder)
    assert len(new) == 2 and not set(new) & set(old), "the old cache must be gone"


def test_a_folder_that_cannot_be_written_goes_without_a_cache(folder, monkeypatch):
    def read_only(*args, **kwargs):
        raise PermissionError(30, "Read-only file system")
    monkeypatch.setattr(data_processing.tempfile, "mkstemp", read_only)
    want = from_pickles(folder)
    assert_same(load_cifar10_uint8(folder), want)
    assert_same(load_cifar10_uint8(folder), want)
    assert cache_files(folder) == []


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root writes into a read-only folder anyway")
def test_a_read_only_folder_loads(folder):
    os.chmod(folder, 0o555)
    try:
        assert_same(load_cifar10_uint8(folder), from_pickles(folder))
        assert cache_files(folder) == []
    finally:
        os.chmod(folder, 0o755)


@pytest.mark.parametrize("which", [0, 1], ids=["x", "labels"])
def test_a_damaged_cache_is_rebuilt(folder, which):
    load_cifar10_uint8(folder)
    path = os.path.join(folder, cache_files(folder)[which])
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        f.truncate(size // 2)
    assert_same(load_cifar10_uint8(folder), from_pickles(folder))
    assert os.path.getsize(path) == size


def test_the_cache_is_as_readable_as_the_batches(folder):
    for name in BATCH_FILES:
        os.chmod(os.path.join(folder, name), 0o640)
    load_cifar10_uint8(folder)
    assert [os.stat(os.path.join(folder, n)).st_mode & 0o777 for n in cache_files(folder)] == [0o640] * 2


def test_stale_temporaries_are_removed_and_fresh_ones_kept(folder):
    stale = os.path.join(folder, CACHE_PREFIX + "tmp-stale")
    fresh = os.path.join(folder, CACHE_PREFIX + "tmp-fresh")
    for path in (stale, fresh):
        with open(path, "wb") as f:
            f.write(b"half")
    os.utime(stale, (0, 0))
    load_cifar10_uint8(folder)
    assert not os.path.exists(stale) and os.path.exists(fresh)


def test_writing_to_the_returned_arrays_leaves_the_cache_alone(folder):
    x_train, _, _, _ = load_cifar10_uint8(folder)
    before = from_pickles(folder)
    x_train[0, :10] = 7  # copy-on-write: the caller's own pages
    assert_same(load_cifar10_uint8(folder), before)


def test_shuffled_split_is_the_same_with_and_without_the_cache(cifar10_dir, monkeypatch):
    """On the real CIFAR-10: the same seed picks the same rows either way."""
    np.random.seed(3)
    cached = get_cifar10_data(shuffle=True, subset_train=50, subset_val=20, subset_test=10)
    state_after = np.random.get_state()[1].copy()
    monkeypatch.setenv("CIFAR10_CACHE", "0")
    np.random.seed(3)
    plain = get_cifar10_data(shuffle=True, subset_train=50, subset_val=20, subset_test=10)
    np.testing.assert_array_equal(np.random.get_state()[1], state_after)
    for key in plain:
        np.testing.assert_array_equal(cached[key], plain[key])

import hashlib
import os
import pickle
import stat
import tempfile
import time
import zipfile

import numpy as np

from .download_cifar10 import (BATCH_FILES, DataError, check_batch, default_dest, how_to_fetch,
                               missing_batches)

NUM_TRAIN_IMAGES = 50000
# The uint8 arrays of the six batches are cached beside them as uncompressed
# .npy/.npz files named after the batches' fingerprint: read once from the
# pickles, later memory-mapped, so a subset reads only its own rows. Set
# CIFAR10_CACHE=0 to neither read nor write the cache.
CACHE_PREFIX = ".cifar10-cache-"
CACHE_VERSION = "1"


def _resolve_folder(dataset_path):
    """The folder to read: `dataset_path` if it has the batches, else $CIFAR10_DIR."""
    candidates = [dataset_path] if dataset_path else []
    candidates.append(default_dest())
    for folder in candidates:
        if not missing_batches(folder):
            return folder
    folder = candidates[0]
    raise DataError(f"CIFAR-10 not found in {folder} (missing {', '.join(missing_batches(folder))}). "
                    f"To fetch it, {how_to_fetch()}; or set $CIFAR10_DIR to a cifar-10-batches-py "
                    "folder.")


def _read_batch(path):
    """(data uint8 (N, 3072), labels int64 (N,)) of one batch file."""
    try:
        with open(path, "rb") as f:
            batch = pickle.load(f, encoding="bytes")
        return batch[b"data"], np.asarray(batch[b"labels"], dtype=np.int64)
    except Exception:
        check_batch(path)  # raises a DataError naming the fix
        raise


def _fingerprint(folder):
    """Changes whenever a batch file is replaced or rewritten: each file's size,
    mtime, inode, and its first and last MiB (a rewrite within one clock tick)."""
    h = hashlib.sha256(CACHE_VERSION.encode())
    for name in BATCH_FILES:
        path = os.path.join(folder, name)
        st = os.stat(path)
        h.update(f"{name} {st.st_size} {st.st_mtime_ns} {st.st_ino} {st.st_dev}\n".encode())
        with open(path, "rb") as f:
            h.update(f.read(1 << 20))
            if st.st_size > 2 << 20:
                f.seek(-(1 << 20), os.SEEK_END)
                h.update(f.read())
    return h.hexdigest()[:20]


def _cache_paths(folder, key):
    base = os.path.join(folder, f"{CACHE_PREFIX}{key}")
    return base + ".x.npy", base + ".y.npz"


def _read_cache(folder, key):
    """(x_all (N, 3072) uint8 memory-mapped copy-on-write, y_train, y_test), or None."""
    x_path, y_path = _cache_paths(folder, key)
    try:
        with np.load(y_path) as labels:
            y_train, y_test = labels["y_train"], labels["y_test"]
        x_all = np.load(x_path, mmap_mode="c")
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None  # absent or damaged
    if x_all.dtype != np.uint8 or x_all.shape != (len(y_train) + len(y_test), 3072):
        return None
    return x_all, y_train, y_test


def _write_atomically(path, save, mode):
    """save(file) into a temporary file beside `path`, then rename it to `path`:
    readers see the whole file or none."""
    fd, tmp = tempfile.mkstemp(prefix=CACHE_PREFIX + "tmp-", dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "wb") as f:
            save(f)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise


def _write_cache(folder, key, x_train_parts, x_test, y_train, y_test):
    """Cache the arrays beside the batches; False where that cannot be done
    (a read-only folder, a full disk): then the pickles are read again next time."""
    x_path, y_path = _cache_paths(folder, key)
    parts = list(x_train_parts) + [x_test]
    # As readable as the batches it copies, and no more.
    mode = stat.S_IMODE(os.stat(os.path.join(folder, BATCH_FILES[0])).st_mode) & 0o666

    def save_rows(f):  # one .npy of all rows, without concatenating them in memory
        np.lib.format.write_array_header_1_0(f, {
            "descr": np.lib.format.dtype_to_descr(np.dtype(np.uint8)),
            "fortran_order": False, "shape": (sum(len(p) for p in parts), 3072)})
        for part in parts:
            f.write(np.ascontiguousarray(part, dtype=np.uint8).data)

    try:
        # x first: the labels file is the mark of a complete cache.
        _write_atomically(x_path, save_rows, mode)
        _write_atomically(y_path, lambda f: np.savez(f, y_train=y_train, y_test=y_test), mode)
    except OSError:
        return False
    # Forget the caches of batch files that are gone, and temporaries of killed writers.
    keep = {os.path.basename(x_path), os.path.basename(y_path)}
    for name in os.listdir(folder):
        if not name.startswith(CACHE_PREFIX) or name in keep:
            continue
        path = os.path.join(folder, name)
        try:
            if not name.startswith(CACHE_PREFIX + "tmp-") or time.time() - os.path.getmtime(path) > 3600:
                os.remove(path)
        except OSError:
            pass
    return True


def _read_pickles(folder):
    """([x arrays of the five training batches], y_train, x_test, y_test) from the pickles."""
    train = [_read_batch(os.path.join(folder, name)) for name in BATCH_FILES[:5]]
    x_test, y_test = _read_batch(os.path.join(folder, BATCH_FILES[5]))
    return ([data for data, _ in train], np.concatenate([labels for _, labels in train]),
            x_test, y_test)


def load_cifar10_uint8(dataset_path=None):
    """Raw CIFAR-10: (x_train (50000, 3072) uint8, y_train, x_test (10000, 3072) uint8, y_test).

    The x arrays may be copy-on-write memory maps of the cache beside the
    batches (writing to them never changes the cache); only the rows used are read.
    """
    folder = _resolve_folder(dataset_path)
    cached = None
    if os.environ.get("CIFAR10_CACHE", "1") != "0":
        key = _fingerprint(folder)
        cached = _read_cache(folder, key)
        if cached is None:
            x_parts, y_train, x_test, y_test = _read_pickles(folder)
            if _write_cache(folder, key, x_parts, x_test, y_train, y_test):
                cached = _read_cache(folder, key)
    else:
        x_parts, y_train, x_test, y_test = _read_pickles(folder)
    if cached is not None:
        x_all, y_train, y_test = cached
        n = len(y_train)
        return x_all[:n], y_train, x_all[n:], y_test
    return np.concatenate(x_parts), y_train, x_test, y_test


def _scaled(x, dtype):
    """uint8 rows x as a new `dtype` array, floats scaled to [0, 1].

    One pass with no temporary: exactly x.astype(dtype) / 255, which would
    first write the whole array as floats and then a second one.
    """
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        return np.array(x, dtype=dtype)
    out = np.empty(x.shape, dtype)
    return np.divide(x, dtype.type(255), out=out, dtype=dtype)


def _to_images(x):
    """(N, 3072) channel-planar rows to (N, 32, 32, 3) images."""
    return x.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)


def get_cifar10_data(dataset_path=None, num_samples_train=45000, num_samples_val=5000,
                     shuffle=False, return_image=False, feature_process=None,
                     subset_train=None, subset_val=None, subset_test=None,
                     dtype=np.float64):
    """Load CIFAR-10 split into train / val / test, pixels scaled to [0, 1].

    train is the first `num_samples_train` of the 50,000 training images (after a
    random permutation if `shuffle`), val the next `num_samples_val`, test the
    10,000 test images; each is then cut to its first `subset_*` rows.
    Returns a dict of x_train, y_train, x_val, y_val, x_test, y_test: x rows are
    flat (N, 3072) channel-planar, or (N, 32, 32, 3) images if `return_image`, or
    `feature_process(images)` flattened to (N, D) if given. y are int64 (N,).
    dataset_path defaults to $CIFAR10_DIR, else the course's
    <assignment>/datasets/cifar-10/cifar-10-batches-py.
    """
    if num_samples_train + num_samples_val > NUM_TRAIN_IMAGES:
        raise ValueError(f"num_samples_train + num_samples_val must be at most {NUM_TRAIN_IMAGES}")
    x_all, y_all, x_test, y_test = load_cifar10_uint8(dataset_path)
    order = np.random.permutation(NUM_TRAIN_IMAGES) if shuffle else range(NUM_TRAIN_IMAGES)
    train_idx = order[:num_samples_train][:subset_train]
    val_idx = order[num_samples_train:num_samples_train + num_samples_val][:subset_val]
    if not shuffle:  # ranges as slices: views, so only the rows kept are read
        train_idx, val_idx = (slice(r.start, r.stop, r.step) for r in (train_idx, val_idx))
    splits = {
        "train": (x_all[train_idx], y_all[train_idx]),
        "val": (x_all[val_idx], y_all[val_idx]),
        "test": (x_test[:subset_test], y_test[:subset_test]),
    }
    data = {}
    for name, (x, y) in splits.items():
        # Scale only the rows kept: converting all 60,000 would cost 1.5 GB.
        x = _scaled(x, dtype)
        if return_image or feature_process is not None:
            x = _to_images(x)
        if feature_process is not None:
            x = np.asarray(feature_process(x)).reshape(len(y), -1)
        data[f"x_{name}"], data[f"y_{name}"] = x, np.array(y)
    return data

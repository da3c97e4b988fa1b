import os
import pickle

import numpy as np

from .download_cifar10 import (BATCH_FILES, FETCH_COMMAND, DataError, check_batch,
                               default_dest, missing_batches)

NUM_TRAIN_IMAGES = 50000


def _resolve_folder(dataset_path):
    """The folder to read: `dataset_path` if it has the batches, else $CIFAR10_DIR."""
    candidates = [dataset_path] if dataset_path else []
    candidates.append(default_dest())
    for folder in candidates:
        if not missing_batches(folder):
            return folder
    folder = candidates[0]
    raise DataError(f"CIFAR-10 not found in {folder} (missing {', '.join(missing_batches(folder))}). "
                    f"Run: {FETCH_COMMAND}, or set $CIFAR10_DIR to a cifar-10-batches-py folder.")


def _read_batch(path):
    """(data uint8 (N, 3072), labels int64 (N,)) of one batch file."""
    try:
        with open(path, "rb") as f:
            batch = pickle.load(f, encoding="bytes")
        return batch[b"data"], np.asarray(batch[b"labels"], dtype=np.int64)
    except Exception:
        check_batch(path)  # raises a DataError naming the fix
        raise


def load_cifar10_uint8(dataset_path=None):
    """Raw CIFAR-10: (x_train (50000, 3072) uint8, y_train, x_test (10000, 3072) uint8, y_test)."""
    folder = _resolve_folder(dataset_path)
    train = [_read_batch(os.path.join(folder, name)) for name in BATCH_FILES[:5]]
    x_test, y_test = _read_batch(os.path.join(folder, BATCH_FILES[5]))
    x_train = np.concatenate([data for data, _ in train])
    y_train = np.concatenate([labels for _, labels in train])
    return x_train, y_train, x_test, y_test


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
    order = np.random.permutation(NUM_TRAIN_IMAGES) if shuffle else np.arange(NUM_TRAIN_IMAGES)
    train_idx = order[:num_samples_train][:subset_train]
    val_idx = order[num_samples_train:num_samples_train + num_samples_val][:subset_val]
    splits = {
        "train": (x_all[train_idx], y_all[train_idx]),
        "val": (x_all[val_idx], y_all[val_idx]),
        "test": (x_test[:subset_test], y_test[:subset_test]),
    }
    data = {}
    for name, (x, y) in splits.items():
        # Scale only the rows kept: converting all 60,000 would cost 1.5 GB.
        x = x.astype(dtype) / np.dtype(dtype).type(255) if np.dtype(dtype).kind == "f" else x.astype(dtype)
        if return_image or feature_process is not None:
            x = _to_images(x)
        if feature_process is not None:
            x = np.asarray(feature_process(x)).reshape(len(y), -1)
        data[f"x_{name}"], data[f"y_{name}"] = x, y
    return data

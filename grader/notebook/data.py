"""The CIFAR-10 folder student code sees: everything but the test labels."""
import os
import pickle
import shutil

import numpy as np

from utils.download_cifar10 import BATCH_FILES, check_batch


def without_test_labels(source, dest):
    """Make `dest` a CIFAR-10 folder like `source` whose test_batch labels are random.

    The training batches are hard-linked (copied across file systems): a
    symbolic link would lead student code to the real folder. The test images stay, so a
    notebook can still print a test accuracy (about 10%, whatever the network);
    the grader computes the real one. Random labels, not one constant class: a
    network that predicts a single class must not print 100%.
    """
    os.makedirs(dest, exist_ok=True)
    for name in BATCH_FILES[:5] + ("batches.meta",):
        if os.path.exists(os.path.join(source, name)):
            try:
                os.link(os.path.join(source, name), os.path.join(dest, name))
            except OSError:
                shutil.copyfile(os.path.join(source, name), os.path.join(dest, name))
    path = os.path.join(source, "test_batch")
    check_batch(path)
    with open(path, "rb") as f:
        batch = pickle.load(f, encoding="bytes")
    batch[b"labels"] = np.random.default_rng(0).integers(0, 10, len(batch[b"labels"])).tolist()
    with open(os.path.join(dest, "test_batch"), "wb") as f:
        pickle.dump(batch, f, protocol=4)
    return dest

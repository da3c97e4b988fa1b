"""The notebook's training setting, shared by the search and the seed sweep.

Same data subsets, model, optimizer, loss and Trainer arguments as the
assignment notebook, so accuracies found here are the ones students see.
"""
import contextlib
import io
import os
import sys
import time
from multiprocessing import Pool

# One BLAS thread per process: run_parallel's workers already fill the cores.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The course's code imports `layers` and `utils` as top-level packages.
for path in (ROOT, os.path.join(ROOT, "reference")):
    if path not in sys.path:
        sys.path.insert(0, path)

from layers.linear import Linear  # noqa: E402
from layers.loss_func import CrossEntropyLoss  # noqa: E402
from layers.relu import ReLU  # noqa: E402
from layers.sequential import Sequential  # noqa: E402
from layers.softmax import Softmax  # noqa: E402
from utils.data_processing import get_cifar10_data  # noqa: E402
from utils.dataset import DataLoader  # noqa: E402
from utils.evaluation import get_classification_accuracy  # noqa: E402
from utils.optimizer import SGD  # noqa: E402
from utils.trainer import Trainer  # noqa: E402

from scripts.reference_hyperparams import BATCH_SIZE  # noqa: E402

VALIDATE_INTERVAL = 3
VAL_TARGET = 0.40
TEST_TARGET = 0.35


def load_notebook_data():
    """The notebook's subsets: x (5000 | 250 | 500, 3072) in [0, 1], y (N,) labels."""
    return get_cifar10_data(subset_train=5000, subset_val=250, subset_test=500)


def build_model(hidden_size):
    """The notebook's init_model(): 3072 -> hidden -> ReLU -> 10 -> Softmax."""
    return Sequential([Linear(3072, hidden_size), ReLU(), Linear(hidden_size, 10), Softmax()])


def accuracies(net, data):
    """(train, val, test) accuracy of `net` on the notebook's splits."""
    return tuple(get_classification_accuracy(net.predict(data[f"x_{split}"]), data[f"y_{split}"])
                 for split in ("train", "val", "test"))


def train_with_checkpoints(lr, weight_decay, hidden_size, checkpoints, seed, data):
    """Train one network as the notebook does, scoring it after each epoch count in `checkpoints`.

    Returns [(epochs, train_acc, val_acc, test_acc, seconds so far)], one per checkpoint.
    The network at checkpoint e is the one `Trainer(..., epoch=e)` would return:
    the seed fixes the initial weights, and minibatch orders come from the same
    random stream whether the epochs run in one Trainer or in several.
    """
    np.random.seed(seed)
    net = build_model(int(hidden_size))
    optimizer = SGD(net, lr, weight_decay)
    loader = DataLoader(data["x_train"], data["y_train"], data["x_val"], data["y_val"],
                        data["x_test"], data["y_test"])
    scores, done, start = [], 0, time.perf_counter()
    for epochs in sorted(int(count) for count in checkpoints):
        trainer = Trainer(loader, optimizer, net, CrossEntropyLoss(), epochs - done, BATCH_SIZE,
                          validate_interval=VALIDATE_INTERVAL)
        # The Trainer prints two lines an epoch; a table of many runs reads better without them.
        with contextlib.redirect_stdout(io.StringIO()):
            trainer.train()
        done = epochs
        scores.append((epochs, *accuracies(net, data), time.perf_counter() - start))
    return scores


def train_and_score(hyperparams, seed, data):
    """Train [lr, weight_decay, epochs, hidden_size] from `seed`; return (train, val, test) accuracy."""
    lr, weight_decay, epochs, hidden_size = hyperparams
    [(_, train, val, test, _)] = train_with_checkpoints(lr, weight_decay, hidden_size, [epochs],
                                                        seed, data)
    return train, val, test


_worker_data = None  # the notebook's data, loaded once in each worker process


def _load_worker_data():
    global _worker_data
    _worker_data = load_notebook_data()


def _call_with_data(function_and_job):
    function, job = function_and_job
    return job, function(job, _worker_data)


def run_parallel(function, jobs, workers):
    """Yield (job, function(job, data)) for every job, in the order they finish.

    `workers` processes each load the notebook's data once; `function` must be
    a module-level function so that it can be sent to them.
    """
    with Pool(workers, initializer=_load_worker_data) as pool:
        yield from pool.imap_unordered(_call_with_data, [(function, job) for job in jobs])

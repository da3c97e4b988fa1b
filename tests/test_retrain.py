"""grader/notebook/retrain.py: the grader's own best_net, scored part way."""
import contextlib
import io

import numpy as np

from grader.notebook import retrain
from grader.notebook.evaluate import dataset
from layers.linear import Linear
from layers.loss_func import CrossEntropyLoss
from layers.relu import ReLU
from layers.sequential import Sequential
from layers.softmax import Softmax
from utils.dataset import DataLoader
from utils.optimizer import SGD
from utils.trainer import Trainer

SETTING = [0.1, 0.002, 10, 20]


def test_checkpoints_are_a_tenth_apart_and_end_before_the_last_epoch():
    assert retrain.checkpoint_epochs(120) == [12, 24, 36, 48, 60, 72, 84, 96, 108]
    assert retrain.checkpoint_epochs(5) == [1, 2, 3, 4]
    assert retrain.checkpoint_epochs(1) == []


def test_epoch_by_epoch_is_the_trainers_own_training(cifar10_dir):
    """The grader scores its training part way by running the Trainer's epochs one by one:
    the network at the end must be the one the template's cell (Trainer.train()) gives."""
    weights, seconds, checkpoints = retrain.train(SETTING, 0, cifar10_dir)
    data = dataset(cifar10_dir)
    loader = DataLoader(data["x_train"], data["y_train"], data["x_val"], data["y_val"],
                        data["x_test"], data["y_test"])
    np.random.seed(0)
    net = Sequential([Linear(3072, 20), ReLU(), Linear(20, 10), Softmax()])
    with contextlib.redirect_stdout(io.StringIO()):
        Trainer(loader, SGD(net, 0.1, 0.002), net, CrossEntropyLoss(), epoch=10, batch_size=200,
                validate_interval=3).train()
    assert np.array_equal(weights["w0"], net._modules[0].w) and np.array_equal(weights["b2"], net._modules[2].b)
    assert [c["epochs"] for c in checkpoints] == list(range(1, 10)) and seconds > 0
    assert all(0 <= c["validation"] <= 1 and 0 <= c["test"] <= 1 for c in checkpoints)
    assert checkpoints[-1]["validation"] > checkpoints[0]["validation"] - 0.05  # it learns on the way

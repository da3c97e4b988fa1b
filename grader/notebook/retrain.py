"""The grader's own best_net: trained from best_net_hyperparams with the reference layers.

    retrain = Retrain.start([lr, weight_decay, epoch, hidden_size], seed=0, data_dir=real_cifar10)
    ...                                   # runs beside the notebook, in a process of its own
    accuracy = retrain.result(timeout)    # {"train", "validation", "test"} or raises RetrainFailed

No student code takes part: the network is the reference's, built and
trained exactly as the template's best_net cell does (np.random.seed(seed),
then init_model, then the Trainer with batch size 200 over the notebook's
5000 training images), in a separate process so that it can use another core
while the notebook runs. What the notebook's best_net reached is then
compared with this network (grader/checks/test_notebook.py): a best_net far
better than its own hyperparameters give with correct layers was not trained
from them.

    python -m grader.notebook.retrain '{"hyperparams": [...], "seed": 0, "batch_size": 200}'

writes the network's accuracies on the notebook's subsets to stdout, as one JSON
line: measured in the child, so that no weights (a first layer 40,000 wide is a
gigabyte) travel back, and the child's memory is bounded like the student's kernel
(config.SANDBOX_LIMITS["address_space"], as each process): what the notebook may train, it can.
"""
import contextlib
import json
import os
import subprocess
import sys
import time

from ..surface import BATCH_SIZE, VALIDATE_INTERVAL  # the template's best_net cell


# The answer's keys, beside the accuracies: how long the training loop took (Retrain.seconds),
# and the network's accuracies part way (Retrain.checkpoints).
SECONDS = "training_seconds"
CHECKPOINTS = "checkpoints"
# Where the training is scored on its way: after each tenth of its epochs. What an honest
# training stopped part way reaches is then known from the grader's own run (judge.py).
CHECKPOINT_SHARES = tuple(k / 10 for k in range(1, 10))


def checkpoint_epochs(epochs):
    """The epoch counts at which a training of `epochs` epochs is scored, before its end."""
    return sorted({max(1, int(epochs * share)) for share in CHECKPOINT_SHARES} - {int(epochs)})


class RetrainFailed(Exception):
    """The grader's own training did not finish (time, or an error of ours)."""


class Retrain:
    def __init__(self, hyperparams, seed, proc, started):
        self.hyperparams, self.seed = hyperparams, seed
        self.proc, self.started = proc, started
        self.seconds = None     # the training loop's seconds, once result() has it
        self.checkpoints = []   # [{"epochs", "validation", "test"}] part way, once result() has it
        self._result = None

    @classmethod
    def start(cls, hyperparams, seed, data_dir, threads=1):
        """Start training on the real CIFAR-10 in `data_dir`, in a child process with `threads` BLAS threads."""
        env = {**os.environ, "OMP_NUM_THREADS": str(threads), "OPENBLAS_NUM_THREADS": str(threads),
               "MKL_NUM_THREADS": str(threads)}
        args = json.dumps({"hyperparams": list(hyperparams), "seed": seed, "batch_size": BATCH_SIZE,
                           "data_dir": data_dir})
        proc = subprocess.Popen([sys.executable, "-m", "grader.notebook.retrain", args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
        return cls(list(hyperparams), seed, proc, time.monotonic())

    def result(self, timeout):
        """{"train", "validation", "test"} accuracies of the trained network; RetrainFailed
        after `timeout` seconds or on an error (the last line of its message, never a traceback)."""
        if self._result is None:
            try:
                out, err = self.proc.communicate(timeout=max(0.0, timeout))
            except subprocess.TimeoutExpired:
                self.stop()
                raise RetrainFailed(f"the grader's own training did not finish within {timeout:.0f} s") from None
            if self.proc.returncode != 0:
                lines = err.decode(errors="replace").strip().splitlines() or ["no message"]
                raise RetrainFailed(f"the grader's own training failed ({lines[-1][:300]})")
            try:
                answer = json.loads(out.decode().strip().splitlines()[-1])
                self.checkpoints = [{"epochs": int(c["epochs"]), "validation": float(c["validation"]),
                                     "test": float(c["test"])} for c in answer.pop(CHECKPOINTS)]
                answer = {k: float(v) for k, v in answer.items()}
                self.seconds = answer.pop(SECONDS)
            except (ValueError, IndexError, AttributeError, KeyError, TypeError) as exc:
                raise RetrainFailed(f"the grader's own training sent no accuracies ({exc})") from None
            self._result = answer
        return self._result

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def train(hyperparams, seed, data_dir, batch_size=BATCH_SIZE):
    """best_net as the template's cell trains it, with the reference layers: ({w0, b0, w2, b2},
    the CPU seconds its training loop took (data loading and scoring not counted), and
    [{"epochs", "validation", "test"}] at checkpoint_epochs).

    The epochs are the Trainer's own train_epoch(), one after another: the same minibatch
    orders from the same random stream as its train(), whose validation draws nothing,
    so the network at the end is the one train() gives."""
    import numpy as np
    from layers.linear import Linear
    from layers.loss_func import CrossEntropyLoss
    from layers.relu import ReLU
    from layers.sequential import Sequential
    from layers.softmax import Softmax
    from utils.dataset import DataLoader
    from utils.optimizer import SGD
    from utils.trainer import Trainer

    from .evaluate import dataset, predict
    from utils.evaluation import get_classification_accuracy

    lr, weight_decay, epoch, hidden = hyperparams
    data = dataset(data_dir)
    loader = DataLoader(data["x_train"], data["y_train"], data["x_val"], data["y_val"],
                        data["x_test"], data["y_test"])
    np.random.seed(int(seed))
    net = Sequential([Linear(3072, int(hidden)), ReLU(), Linear(int(hidden), 10), Softmax()])
    trainer = Trainer(loader, SGD(net, lr, weight_decay), net, CrossEntropyLoss(), epoch=int(epoch),
                      batch_size=batch_size, validate_interval=VALIDATE_INTERVAL)
    first, second = net._modules[0], net._modules[2]
    marks, checkpoints, seconds = set(checkpoint_epochs(int(epoch))), [], 0.0
    for done in range(1, int(epoch) + 1):
        # CPU seconds, as the notebook's cells are limited (execute.py): the machine's load
        # and a CPU quota stretch neither.
        began = time.process_time()
        with contextlib.redirect_stdout(sys.stderr):
            trainer.train_epoch()
        seconds += time.process_time() - began
        if done in marks:
            pairs = [(first.w, first.b), (second.w, second.b)]
            checkpoints.append({"epochs": done, **{
                name: get_classification_accuracy(predict(net, pairs, data[f"x_{split}"]), data[f"y_{split}"])
                for name, split in (("validation", "val"), ("test", "test"))}})
    return {"w0": first.w, "b0": first.b, "w2": second.w, "b2": second.b}, seconds, checkpoints


def main(argv):
    import grader  # noqa: F401 (puts the reference on the path as the course's packages)
    import resource

    from .. import config
    from .evaluate import accuracies
    limit = config.SANDBOX_LIMITS["address_space"]
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    args = json.loads(argv[0])
    stdout = sys.stdout
    sys.stdout = sys.stderr
    weights, seconds, checkpoints = train(args["hyperparams"], args["seed"], args["data_dir"],
                                          args["batch_size"])
    pairs = [(weights["w0"], weights["b0"]), (weights["w2"], weights["b2"])]
    stdout.write(json.dumps({**accuracies(pairs, args["data_dir"]), SECONDS: seconds,
                             CHECKPOINTS: checkpoints}) + "\n")
    stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])

"""grader/cost.py's predictions against the reference's measured training time.

    python scripts/cost_model_check.py [--repeats 1] [--setting EPOCHS HIDDEN ...]

For each setting, trains best_net as the notebook does (reference layers,
Trainer with batch 200 and validate_interval 3, on the notebook's 5000 / 250 /
500 images), then predicts on the three splits, on one BLAS thread, and prints
the predicted FLOPs and seconds beside the measured ones. Measured seconds are
CPU seconds of this thread (what the model predicts; on a machine shared with
other work they move less than a wall clock) and wall seconds. With
--repeats N each setting is trained N times and the least time counts.
Epochs are scaled down for the large hidden sizes so that a run stays under a
minute. Exits 1 if a CPU-time ratio is outside [0.7, 1.3].
"""
import argparse
import contextlib
import io
import os
import sys
import time

# One BLAS thread, as the grader runs student code; before numpy is imported.
os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = "1"

import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "reference")]

from grader import cost  # noqa: E402
from scripts.notebook_training import (BATCH_SIZE, VALIDATE_INTERVAL, build_model,  # noqa: E402
                                       load_notebook_data)
from utils.dataset import DataLoader  # noqa: E402
from utils.optimizer import SGD  # noqa: E402
from layers.loss_func import CrossEntropyLoss  # noqa: E402
from utils.trainer import Trainer  # noqa: E402

# (epochs, hidden): the reference's best_net, the notebook's first network, and
# hidden sizes up to 2000 with fewer epochs.
SETTINGS = [(120, 80), (60, 50), (30, 100), (30, 200), (16, 500), (8, 1000), (10, 1500), (6, 2000)]
TOLERANCE = 0.3


def train_once(epochs, hidden, data):
    """(CPU seconds of this thread, wall seconds) of training and the three final predicts."""
    np.random.seed(0)
    net = build_model(hidden)
    loader = DataLoader(data["x_train"], data["y_train"], data["x_val"], data["y_val"],
                        data["x_test"], data["y_test"])
    trainer = Trainer(loader, SGD(net, 0.1, 0.001), net, CrossEntropyLoss(), epochs,
                      BATCH_SIZE, validate_interval=VALIDATE_INTERVAL)
    cpu, wall = time.thread_time(), time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        trainer.train()
    for split in ("train", "val", "test"):
        net.predict(data[f"x_{split}"])
    return time.thread_time() - cpu, time.perf_counter() - wall


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=1, help="trainings per setting (least time counts)")
    parser.add_argument("--setting", type=int, nargs=2, action="append", metavar=("EPOCHS", "HIDDEN"),
                        help="a setting to measure (repeatable; default: SETTINGS)")
    args = parser.parse_args(argv)
    settings = [tuple(s) for s in args.setting] if args.setting else SETTINGS

    data = load_notebook_data()
    calibration = cost.measure()
    print(f"calibration ({calibration.seconds:.2f} s wall, BLAS held to one thread: "
          f"{calibration.one_thread}): seconds per step / per forward pass of {BATCH_SIZE} rows")
    for hidden, step, forward in zip(calibration.hidden, calibration.step, calibration.forward):
        rate = cost.step_flops(BATCH_SIZE, hidden).total / step / 1e9
        print(f"  hidden {hidden:5d}: step {step * 1e3:7.2f} ms ({rate:4.1f} GFLOP/s), "
              f"forward {forward * 1e3:6.2f} ms")
    load = os.getloadavg()[0]
    print(f"\nload average at the start: {load:.1f} on {os.cpu_count()} cores\n")
    print("| epochs | hidden | predicted GFLOP | predicted s | measured CPU s | ratio | measured wall s | wall ratio |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    worst = 0.0
    for epochs, hidden in settings:
        flops = cost.training_flops(epochs, hidden).total
        predicted = cost.training_seconds(epochs, hidden, calibration)
        runs = [train_once(epochs, hidden, data) for _ in range(args.repeats)]
        cpu, wall = min(r[0] for r in runs), min(r[1] for r in runs)
        worst = max(worst, abs(predicted / cpu - 1))
        print(f"| {epochs} | {hidden} | {flops / 1e9:.1f} | {predicted:.1f} | {cpu:.1f} | "
              f"{predicted / cpu:.2f} | {wall:.1f} | {predicted / wall:.2f} |", flush=True)
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}; "
          f"largest CPU-time error {worst:.0%} (allowed {TOLERANCE:.0%})")
    return 0 if worst <= TOLERANCE else 1


if __name__ == "__main__":
    sys.exit(main())

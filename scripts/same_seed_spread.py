"""How far best_net's accuracy moves between two runs from the same seed.

A notebook that seeds best_net's cell as the template does (np.random.seed(k) right
before best_net is made, nothing random drawn between that and its training) trains
the network the grader's own training of best_net_hyperparams trains, up to the
order of floating-point sums: the kernel's BLAS may use another number of threads,
or another build, than the grader's. Those last-bit differences grow over the epochs.
This measures how far they move the accuracies: each setting and seed is trained
(a) as the notebook does, (b) with every initial weight changed by one part in 1e12
(a stand-in for another summation order), (c) with two BLAS threads instead of one.
The largest difference against (a) sets config.SAME_SEED_SPREAD.

    .venv/bin/python scripts/same_seed_spread.py [--seeds 4]
"""
import argparse
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SETTINGS = [(0.1, 0.002, 120, 80), (0.05, 0.001, 60, 150), (0.2, 0.005, 40, 60)]


def one(setting, seed, variant):
    """(val, test) of one training, in a child so that its BLAS threads are its own."""
    code = f"""
import sys; sys.path.insert(0, {ROOT!r})
import numpy as np
from scripts import notebook_training as nt
lr, wd, epochs, hidden = {setting!r}
data = nt.load_notebook_data()
np.random.seed({seed})
net = nt.build_model(hidden)
if {variant!r} == "perturbed":
    for layer in net._modules:
        for name in ("w", "b", "weight", "bias"):
            value = getattr(layer, name, None)
            if isinstance(value, np.ndarray):
                value *= 1 + 1e-12
import contextlib, io
from layers.loss_func import CrossEntropyLoss
from utils.dataset import DataLoader
from utils.optimizer import SGD
from utils.trainer import Trainer
loader = DataLoader(data["x_train"], data["y_train"], data["x_val"], data["y_val"], data["x_test"], data["y_test"])
with contextlib.redirect_stdout(io.StringIO()):
    Trainer(loader, SGD(net, lr, wd), net, CrossEntropyLoss(), epochs, nt.BATCH_SIZE,
            validate_interval=nt.VALIDATE_INTERVAL).train()
_, val, test = nt.accuracies(net, data)
print(val, test)
"""
    threads = "2" if variant == "two threads" else "1"
    env = dict(os.environ, OMP_NUM_THREADS=threads, OPENBLAS_NUM_THREADS=threads, MKL_NUM_THREADS=threads)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    if out.returncode:
        raise SystemExit(out.stderr[-2000:])
    val, test = map(float, out.stdout.split())
    return val, test


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=4)
    args = parser.parse_args()
    print("| setting | seed | val | test | perturbed val | test | two threads val | test |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    worst = {"validation": 0.0, "test": 0.0}
    for setting in SETTINGS:
        for seed in range(args.seeds):
            base = one(setting, seed, "as is")
            others = [one(setting, seed, v) for v in ("perturbed", "two threads")]
            for val, test in others:
                worst["validation"] = max(worst["validation"], abs(val - base[0]))
                worst["test"] = max(worst["test"], abs(test - base[1]))
            cells = " | ".join(f"{v:.3f} | {t:.3f}" for v, t in [base] + others)
            print(f"| {list(setting)} | {seed} | {cells} |", flush=True)
    print(f"largest difference from the same seed: validation {worst['validation']:.3f}, "
          f"test {worst['test']:.3f}")


if __name__ == "__main__":
    main()

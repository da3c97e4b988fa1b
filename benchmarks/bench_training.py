"""Speed of the reference against PyTorch and against the matrix products it needs.

    python benchmarks/bench_training.py [--epochs 5] [--hidden 50,200,1000]
        [--dtypes float64,float32] [--threads 1,2] [--load-repeats 3]
        [--skip-training] [--skip-loading] [--skip-grader] [--skip-notebook-grading]
        [--json FILE]

In one run, on the same data (the notebook's 5000 training rows, batch 200,
Linear(3072,h)-ReLU-Linear(h,10)-Softmax, CrossEntropyLoss, SGD lr 0.1 with
weight decay 1e-3, the same initial weights and shuffled batch order), it
times one epoch of:

- ref:    the reference's Trainer.train_epoch (DataLoader, layers, SGD);
- ref-dx: the same with a first Linear whose backward skips dx (not the
          course's interface: it shows what that product costs);
- torch:  the same network in PyTorch on the CPU (autograd, torch.optim.SGD
          with weight_decay), with as many threads as numpy's BLAS;
- floor:  only the matrix products a step needs, in numpy into preallocated
          outputs (x@W1, h@W2, dW2, dh, dW1; not dx of the first layer).

Each time is the median of --epochs epochs after a warm-up epoch, the variants
taking turns epoch by epoch; each ratio is the median over those rounds of the
ratio within a round, of wall times and (in parentheses) of CPU times, so that
other processes on the machine move it less than the seconds. Then, each in a
fresh process, the time and peak RSS (ru_maxrss) of get_cifar10_data for the
notebook's subsets and for all 50,000 training images, without the cache,
on the load that writes it and on loads that read it; and the wall time of
grading the reference end to end with `python -m grader`.

PyTorch is optional (`pip install torch==2.13.0`, which `make bench` does if it
is missing): without it the torch column says n/a and the rest still runs.
"""
import argparse
import ctypes
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REFERENCE = os.path.join(ROOT, "reference")
sys.path.insert(0, REFERENCE)

from layers.linear import Linear
from layers.loss_func import CrossEntropyLoss
from layers.relu import ReLU
from layers.sequential import Sequential
from layers.softmax import Softmax
from utils.data_processing import get_cifar10_data
from utils.dataset import DataLoader
from utils.optimizer import SGD
from utils.trainer import Trainer

LR, WEIGHT_DECAY, BATCH = 0.1, 1e-3, 200
SUBSETS = dict(subset_train=5000, subset_val=250, subset_test=500)


# --------------------------------------------------------------------------- BLAS

def _openblas_libs():
    """ctypes handles of the OpenBLAS libraries loaded in this process."""
    libs = []
    with open("/proc/self/maps") as f:
        paths = {line.split()[-1] for line in f if "openblas" in line.lower() and "/" in line}
    for path in sorted(paths):
        try:
            libs.append((path, ctypes.CDLL(path)))
        except OSError:
            pass
    return libs


def _symbol(lib, name):
    """`name` as OpenBLAS builds export it (numpy's wheels: scipy_<name>64_)."""
    for prefix in ("scipy_", ""):
        for suffix in ("64_", ""):
            try:
                return getattr(lib, f"{prefix}{name}{suffix}")
            except AttributeError:
                pass
    return None


def blas_info():
    """(description lines, number of BLAS threads numpy uses)."""
    try:
        from threadpoolctl import threadpool_info
        infos = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        if infos:
            lines = [f"threadpoolctl: {i.get('internal_api')} {i.get('version')} "
                     f"kernel={i.get('architecture')} threads={i.get('num_threads')} ({i.get('filepath')})"
                     for i in infos]
            return lines, int(infos[0].get("num_threads") or 1)
    except ImportError:
        pass
    lines, threads = [], None
    for path, lib in _openblas_libs():
        config, corename, nthreads = (_symbol(lib, n) for n in
                                      ("openblas_get_config", "openblas_get_corename",
                                       "openblas_get_num_threads"))
        if config is None:
            continue
        config.restype = corename.restype = ctypes.c_char_p
        threads = nthreads()
        lines.append(f"OpenBLAS (asked through ctypes): {config().decode()}; kernel in use "
                     f"{corename().decode()}; threads {threads} ({os.path.basename(path)})")
    if not lines:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        lines.append(f"numpy.show_config: {blas.get('name')} {blas.get('version')}")
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        if var in os.environ:
            lines.append(f"{var}={os.environ[var]}")
    return lines, threads or os.cpu_count() or 1


def set_blas_threads(n):
    """Make numpy's BLAS use `n` threads; False if it cannot be changed here."""
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(limits=n, user_api="blas")
        return True
    except ImportError:
        pass
    done = False
    for _, lib in _openblas_libs():
        fn = _symbol(lib, "openblas_set_num_threads")
        if fn is not None:
            fn(ctypes.c_int(n))
            done = True
    return done


# ------------------------------------------------------------------- the networks

def make_net(hidden, dtype, seed):
    """The notebook's network, in `dtype`, seeded; Linear's dtype= if it has one."""
    np.random.seed(seed)
    layers = []
    for dims in ((3072, hidden), (hidden, 10)):
        try:
            layer = Linear(*dims, dtype=dtype)
        except TypeError:  # a Linear without the dtype keyword: cast afterwards
            layer = Linear(*dims)
            layer.w, layer.b = layer.w.astype(dtype), layer.b.astype(dtype)
        layers.append(layer)
    return Sequential([layers[0], ReLU(), layers[1], Softmax()])


class LinearWithoutInputGrad(Linear):
    """The reference's Linear whose backward skips dx = dout @ w.T, as a first
    layer could (nothing uses the gradient with respect to the images). Not
    the course's interface (backward must return dx): here only to measure
    what that product costs the reference."""

    def backward(self, dout):
        x = self.cache
        self.dw = x.T @ dout
        self.db = dout.sum(axis=0)
        return None


def make_reference(data, hidden, dtype, input_grad=True):
    """One epoch of the reference's Trainer.train_epoch, and the network it trains."""
    net = make_net(hidden, dtype, seed=0)
    if not input_grad:
        net._modules[0].__class__ = LinearWithoutInputGrad
    loader = DataLoader(data["x_train"], data["y_train"], data["x_val"], data["y_val"],
                        data["x_test"], data["y_test"])
    trainer = Trainer(loader, SGD(net, LR, WEIGHT_DECAY), net, CrossEntropyLoss(),
                      epoch=1, batch_size=BATCH)
    return trainer.train_epoch, net


def make_floor(data, hidden, dtype):
    """Only the five matrix products of each step, on contiguous batches, into
    preallocated outputs: x@W1, h@W2, dW2 = h.T@d, dh = d@W2.T, dW1 = x.T@dh."""
    x = np.ascontiguousarray(data["x_train"], dtype=dtype)
    rng = np.random.default_rng(0)
    w1 = rng.random((3072, hidden)).astype(dtype)
    w2 = rng.random((hidden, 10)).astype(dtype)
    h = np.empty((BATCH, hidden), dtype)
    out = np.empty((BATCH, 10), dtype)
    dw2 = np.empty_like(w2)
    dh = np.empty_like(h)
    dw1 = np.empty_like(w1)
    starts = range(0, len(x) - BATCH + 1, BATCH)

    def epoch():
        for s in starts:
            xb = x[s:s + BATCH]
            np.matmul(xb, w1, out=h)
            np.matmul(h, w2, out=out)
            np.matmul(h.T, out, out=dw2)
            np.matmul(out, w2.T, out=dh)
            np.matmul(xb.T, dh, out=dw1)
        return 0.0
    return epoch


def make_torch(torch, data, hidden, dtype):
    """The same network, initial weights and batch order in PyTorch (autograd,
    torch.optim.SGD with weight_decay); returns the epoch's mean loss."""
    tdtype = {np.float64: torch.float64, np.float32: torch.float32}[dtype]
    x = torch.from_numpy(np.ascontiguousarray(data["x_train"], dtype=dtype))
    y = torch.from_numpy(data["y_train"].astype(np.int64))
    init = make_net(hidden, dtype, seed=0)  # the weights the reference starts from
    params = [torch.tensor(np.array(p), dtype=tdtype, requires_grad=True)
              for i in (0, 2) for p in init._modules[i].parameters]
    w1, b1, w2, b2 = params
    opt = torch.optim.SGD(params, lr=LR, weight_decay=WEIGHT_DECAY)
    n = len(x)

    def epoch():
        # The permutation the reference's DataLoader draws after the same seed.
        order = torch.from_numpy(np.random.permutation(n))
        losses = []
        for s in range(0, n, BATCH):
            idx = order[s:s + BATCH]
            xb, yb = x.index_select(0, idx), y.index_select(0, idx)
            hidden_out = torch.relu(torch.addmm(b1, xb, w1))
            logits = torch.addmm(b2, hidden_out, w2)
            loss = torch.nn.functional.cross_entropy(logits, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return float(np.mean(losses))
    return epoch


def time_interleaved(runners, epochs):
    """{name: (median wall seconds, all wall seconds, per-epoch results, all CPU seconds)}.

    One warm-up epoch each, then `epochs` rounds; in each round every runner
    does one epoch, all after the same np.random.seed, so they see the same
    batch order and the same moments of the machine's load. CPU seconds
    (this process, all threads) are kept too: with one thread they are what
    the work cost, however many other processes wanted the cores."""
    for name, run in runners.items():
        np.random.seed(999)
        run()
    wall = {name: [] for name in runners}
    cpu = {name: [] for name in runners}
    results = {name: [] for name in runners}
    for i in range(epochs):
        for name, run in runners.items():
            np.random.seed(1000 + i)
            start, start_cpu = time.perf_counter(), time.process_time()
            results[name].append(run())
            cpu[name].append(time.process_time() - start_cpu)
            wall[name].append(time.perf_counter() - start)
    return {name: (statistics.median(wall[name]), wall[name], results[name], cpu[name])
            for name in runners}


def run_training(args, torch):
    rows = []
    for dtype_name in args.dtypes:
        dtype = np.dtype(dtype_name).type
        data = get_cifar10_data(**SUBSETS, dtype=dtype) if _has_dtype_keyword() else \
            {k: (v.astype(dtype) if k.startswith("x_") else v)
             for k, v in get_cifar10_data(**SUBSETS).items()}
        for hidden in args.hidden:
            ref_epoch, net = make_reference(data, hidden, dtype)
            runners = {"ref": ref_epoch,
                       "ref_nodx": make_reference(data, hidden, dtype, input_grad=False)[0],
                       "floor": make_floor(data, hidden, dtype)}
            if torch is not None:
                runners["torch"] = make_torch(torch, data, hidden, dtype)
            timed = time_interleaved(runners, args.epochs)
            first = net._modules[0]
            kept = {str(a.dtype) for a in (first.w, first.b, first.dw, first.db,
                                           net._modules[2].w, net._modules[2].dw)}
            row = dict(dtype=dtype_name, hidden=hidden, kept=sorted(kept), loss_diff=None)
            # The floor's arithmetic rate: how close the BLAS is to the cores' peak.
            steps = len(data["x_train"]) // BATCH
            flops = steps * 2 * BATCH * hidden * (2 * 3072 + 3 * 10)
            row["floor_gflops"] = flops / timed["floor"][0] / 1e9
            for name, (median, times, _, cpu) in timed.items():
                row[name], row[f"{name}_times"], row[f"{name}_cpu"] = median, times, cpu
            # Ratios: the median over rounds of the ratio within a round (the
            # epochs of one round ran back to back, under the same load); of
            # wall times, and of CPU times.
            for a, b in (("ref", "floor"), ("ref_nodx", "floor"), ("ref", "torch")):
                if b in timed:
                    for kind, i in (("", 1), (" cpu", 3)):
                        row[f"{a}/{b}{kind}"] = statistics.median(
                            x / y for x, y in zip(timed[a][i], timed[b][i]))
            if torch is not None:
                # Same initial weights, same batch order: the per-epoch mean
                # losses agree up to rounding (float32: up to float32 rounding).
                row["loss_diff"] = max(abs(a - b) for a, b in zip(timed["ref"][2], timed["torch"][2]))
            rows.append(row)
            print(_row(row), flush=True)
    return rows


def _has_dtype_keyword():
    import inspect
    return "dtype" in inspect.signature(get_cifar10_data).parameters


HEADER = (f"{'dtype':8} {'hidden':>6} {'ref':>7} {'ref-dx':>7} {'torch':>7} {'floor':>7} "
          f"{'ref/torch':>11} {'ref/floor':>11} {'ref-dx/floor':>12} {'floor GFLOP/s':>13} "
          f"{'|loss ref-torch|':>16}  reference dtypes\n" + " " * 15 + "wall seconds per epoch"
          + " " * 10 + "ratios of wall (of CPU) times")


def _row(r):
    def ratio(name, width):
        if r.get(name) is None:
            return f"{'n/a':>{width}}"
        return f"{r[name]:.2f} ({r[name + ' cpu']:.2f})".rjust(width)
    torch_s = f"{r['torch']:7.4f}" if r.get("torch") is not None else f"{'n/a':>7}"
    diff = f"{r['loss_diff']:16.1e}" if r["loss_diff"] is not None else f"{'n/a':>16}"
    return (f"{r['dtype']:8} {r['hidden']:6d} {r['ref']:7.4f} {r['ref_nodx']:7.4f} {torch_s} "
            f"{r['floor']:7.4f} {ratio('ref/torch', 11)} {ratio('ref/floor', 11)} "
            f"{ratio('ref_nodx/floor', 12)} {r['floor_gflops']:13.1f} {diff}  {','.join(r['kept'])}")


# ------------------------------------------------------------------ data loading

LOAD_SNIPPET = r"""
import json, resource, sys, time
sys.path.insert(0, {reference!r})
import numpy as np
from utils.data_processing import get_cifar10_data
kwargs = {kwargs!r}
if "dtype" in kwargs:
    kwargs["dtype"] = np.dtype(kwargs["dtype"]).type
before = resource.getrusage(resource.RUSAGE_SELF)
base = before.ru_maxrss
start = time.perf_counter()
data = get_cifar10_data({folder!r}, **kwargs)
seconds = time.perf_counter() - start
after = resource.getrusage(resource.RUSAGE_SELF)
user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
peak = after.ru_maxrss
hwm = [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")][0]
print(json.dumps(dict(seconds=seconds, user=user, system=system, peak_mb=peak / 1024, base_mb=base / 1024, hwm_mb=hwm / 1024,
                      result_mb=sum(v.nbytes for v in data.values()) / 2**20)))
"""

# A child forked from this (large) process starts with its peak RSS: Linux
# carries the forked memory's high-water mark into ru_maxrss across exec. So a
# small Python starts the measured one, which then begins from a clean peak.
LAUNCHER = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"


def load_once(folder, kwargs, cache):
    code = LOAD_SNIPPET.format(reference=REFERENCE, kwargs=kwargs, folder=folder)
    env = dict(os.environ, CIFAR10_CACHE="1" if cache else "0")
    out = subprocess.run([sys.executable, "-c", LAUNCHER, sys.executable, "-c", code],
                         capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def private_copy(tmp):
    """A folder of hard links to (or copies of) the batches: its cache is ours to delete."""
    from utils.download_cifar10 import BATCH_FILES, default_dest
    source, folder = default_dest(), os.path.join(tmp, "cifar-10-batches-py")
    os.makedirs(folder)
    for name in BATCH_FILES:
        try:
            os.link(os.path.join(source, name), os.path.join(folder, name))
        except OSError:
            shutil.copyfile(os.path.join(source, name), os.path.join(folder, name))
    return folder


def clear_cache(folder):
    for name in os.listdir(folder):
        if name.startswith(".cifar10-cache"):
            os.remove(os.path.join(folder, name))


def run_loading(repeats):
    """Each case: without the cache (CIFAR10_CACHE=0: the pickles every time), the
    first load (pickles, then the cache written), and later loads (cache read)."""
    cases = [("notebook subsets 5000/250/500, float64", dict(SUBSETS)),
             ("full 45000/5000/10000, float64", {}),
             ("full 45000/5000/10000, float32", {"dtype": "float32"})]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-cifar10-") as tmp:
        folder = private_copy(tmp)
        for name, kwargs in cases:
            clear_cache(folder)
            plain = [load_once(folder, kwargs, cache=False) for _ in range(repeats)]
            first = load_once(folder, kwargs, cache=True)
            later = [load_once(folder, kwargs, cache=True) for _ in range(repeats)]
            row = dict(case=name, result_mb=first["result_mb"], base_mb=first["base_mb"])
            for label, runs in (("no cache", plain), ("first", [first]), ("cached", later)):
                row[label] = dict(seconds=statistics.median(r["seconds"] for r in runs),
                                  user=statistics.median(r["user"] for r in runs),
                                  system=statistics.median(r["system"] for r in runs),
                                  peak_mb=statistics.median(r["peak_mb"] for r in runs),
                                  hwm_mb=statistics.median(r["hwm_mb"] for r in runs),
                                  all_seconds=[r["seconds"] for r in runs])
            rows.append(row)
            print(f"  {name} (arrays returned {row['result_mb']:.0f} MB; "
                  f"a process after the imports {row['base_mb']:.0f} MB)")
            for label in ("no cache", "first", "cached"):
                r = row[label]
                n = "1 run" if label == "first" else f"median of {repeats}"
                print(f"    {label:9} {r['seconds']:5.2f} s (user {r['user']:4.2f} s, system "
                      f"{r['system']:4.2f} s)  peak RSS {r['peak_mb']:5.0f} MB   ({n}: "
                      f"{', '.join(f'{t:.2f}' for t in r['all_seconds'])})", flush=True)
    return rows


# --------------------------------------------------------------------- grading

def run_grading(with_notebook):
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-grade-") as tmp:
        sub = os.path.join(tmp, "submission")
        os.makedirs(sub)
        shutil.copytree(os.path.join(REFERENCE, "layers"), os.path.join(sub, "layers"))
        shutil.copytree(os.path.join(REFERENCE, "utils"), os.path.join(sub, "utils"))
        shutil.copy(os.path.join(ROOT, "notebooks", "classification_nn.ipynb"), sub)
        modes = [("--skip-notebook", ["--skip-notebook"])]
        if with_notebook:
            modes.append(("with the master notebook", []))
        for name, extra in modes:
            out = os.path.join(tmp, "results.json")
            start = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "grader", sub, "--results", out] + extra,
                                  cwd=ROOT, capture_output=True, text=True)
            seconds = time.perf_counter() - start
            score = None
            if os.path.isfile(out):
                with open(out) as f:
                    res = json.load(f)
                score = f"{res.get('score')}/{sum(t.get('max_score', 0) for t in res.get('tests', []))}"
            results[name] = dict(seconds=seconds, returncode=proc.returncode, score=score)
            print(f"  grading the reference {name:28} {seconds:7.1f} s wall "
                  f"(exit {proc.returncode}, score {score})", flush=True)
            if proc.returncode not in (0, 1) or score is None:
                print("    " + (proc.stderr or proc.stdout)[-2000:].replace("\n", "\n    "))
    return results


# ------------------------------------------------------------------------ main

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=5, help="timed epochs per case (median)")
    parser.add_argument("--hidden", type=lambda s: [int(v) for v in s.split(",")],
                        default=[50, 200, 1000])
    parser.add_argument("--dtypes", type=lambda s: s.split(","), default=["float64", "float32"])
    parser.add_argument("--threads", type=lambda s: [int(v) for v in s.split(",")], default=None,
                        help="BLAS (and torch) thread counts to time, e.g. 1,2 (default: "
                             "what numpy's BLAS uses)")
    parser.add_argument("--load-repeats", type=int, default=3)
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument("--skip-loading", action="store_true")
    parser.add_argument("--skip-grader", action="store_true")
    parser.add_argument("--skip-notebook-grading", action="store_true",
                        help="grade with --skip-notebook only")
    parser.add_argument("--json", help="also write all numbers to this file")
    args = parser.parse_args(argv)

    lines, threads = blas_info()
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, {os.cpu_count()} CPUs, "
          f"load average {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    for line in lines:
        print(f"BLAS: {line}")
    try:
        import torch
        torch.set_num_threads(threads)
        print(f"torch {torch.__version__} (threads {torch.get_num_threads()}, "
              f"{torch.backends.mkldnn.is_available() and 'oneDNN' or 'no oneDNN'})")
    except ImportError:
        torch = None
        print("torch: unavailable (pip install torch==2.13.0, or `make bench`): torch column skipped")
    report = {"blas": lines, "threads": threads, "load_average": os.getloadavg()}

    if not args.skip_training:
        report["training"] = {}
        for n in args.threads or [threads]:
            if n != threads and not set_blas_threads(n):
                print(f"\ncannot set the BLAS threads to {n} here: skipped")
                continue
            if torch is not None:
                torch.set_num_threads(n)
            print(f"\nOne epoch of training, {n} BLAS thread(s)"
                  f"{f' (torch: {n})' if torch is not None else ''}: 5000 rows, batch {BATCH}, "
                  f"lr {LR}, weight decay {WEIGHT_DECAY}; median of {args.epochs} epochs after "
                  "a warm-up, the variants interleaved epoch by epoch")
            print(HEADER)
            report["training"][n] = run_training(args, torch)
        set_blas_threads(threads)
    if not args.skip_loading:
        print("\nget_cifar10_data, each run in a fresh process (peak RSS = its ru_maxrss), "
              "on hard links to the batches in a temporary folder")
        report["loading"] = run_loading(args.load_repeats)
    if not args.skip_grader:
        print("\nGrading the reference end to end (python -m grader, wall time, one run each)")
        report["grading"] = run_grading(with_notebook=not args.skip_notebook_grading)
    print(f"\nload average at the end {', '.join(f'{v:.2f}' for v in os.getloadavg())}; "
          f"this process's peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""python scripts/demo_search_left_in.py DEST: a search left in the notebook, seen by the
student's local check and by the grader, naming the same cause.

DEST gets a student's folder (the reference's layers and utils, the master notebook
whose tuning cell searches nine settings of 30 epochs, then sets best_net_hyperparams
from the best one: a real pattern). It runs there, as a student would,

    python -m utils.check_notebook --no-train

then grades the folder (python -m grader DEST --results DEST/results.json) and prints
what each says of the search cell and of what it left undefined. About 6 minutes.
"""
import json
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from tests.realistic.notebooks import GRID_SEARCH  # noqa: E402 (the realistic corpus's search)

SEARCH = GRID_SEARCH.replace("print(results)", """best_lr, best_hidden = max(results, key=results.get)
best_net_hyperparams = [best_lr, 0.002, 120, best_hidden]""")


def build(dest):
    if os.path.exists(dest):
        shutil.rmtree(dest)
    for sub in ("layers", "utils"):
        shutil.copytree(os.path.join(ROOT, "reference", sub), os.path.join(dest, sub),
                        ignore=shutil.ignore_patterns("__pycache__"))
    with open(os.path.join(ROOT, "notebooks", "classification_nn.ipynb")) as f:
        notebook = json.load(f)
    for cell in notebook["cells"]:
        if "best_net_hyperparams = [" in "".join(cell["source"]):
            cell["source"] = SEARCH
    with open(os.path.join(dest, "classification_nn.ipynb"), "w") as f:
        json.dump(notebook, f)


def main(dest):
    dest = os.path.abspath(dest)
    build(dest)
    data = os.environ.get("CIFAR10_DIR") or os.path.join(ROOT, "data", "cifar-10-batches-py")
    local = subprocess.run([sys.executable, "-m", "utils.check_notebook", "--no-train"], cwd=dest,
                           capture_output=True, text=True, env={**os.environ, "CIFAR10_DIR": data})
    print("== python -m utils.check_notebook --no-train (exit %d)" % local.returncode)
    print("\n".join(line for line in local.stdout.splitlines() if line.startswith(("problem", "note"))))
    results = os.path.join(dest, "results.json")
    subprocess.run([sys.executable, "-m", "grader", dest, "--results", results], cwd=ROOT,
                   capture_output=True, text=True)
    with open(results) as f:
        graded = json.load(f)
    print(f"== python -m grader: {graded['score']:g}/100")
    for test in graded["tests"]:
        if test["number"] in ("6.1", "6.2", "6.3", "6.5"):
            print(f"{test['number']} {test['score']:g}/{test['max_score']:g}: {test['output']}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/search-left-in")

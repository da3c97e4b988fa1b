"""python scripts/demo_class.py [--small] DEST: a made-up class to try `python -m grader batch` on.

Fifteen submissions of the kinds a real class hands in: the reference with
the master notebook (full marks), notebooks tuned too little, single bugs from
tests/corpus (each with a notebook, so training shows what the bug costs), the
untouched template, a notebook uploaded alone, a zip, a notebook whose last cell
never ends (stopped by the grader's time limit for cells, said and not counted)
and a file that is not a zip (--small: eight of them, scripts/demo_regrade.py's).
docs/class_report.png shows the report of this class:

    python scripts/demo_class.py /tmp/class
    python -m grader batch /tmp/class --out /tmp/class-out --timeout 240
"""
import json
import os
import shutil
import sys
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from scripts.reference_hyperparams import BEST_NET_HYPERPARAMS  # noqa: E402
from scripts.reference_selfcheck import NOTEBOOK, reference_submission  # noqa: E402
from tests.corpus.bugs import BUGS  # noqa: E402
from tests.corpus.build import build_submission  # noqa: E402

REFERENCE_SETTING = f"best_net_hyperparams = {BEST_NET_HYPERPARAMS}"
# Few epochs: a weak best_net, and a short grading.
QUICK = [0.1, 0.002, 15, 80]
CORPUS = ("linear_db_never_set", "relu_mask_wrong_side", "loss_softmax_again_in_forward",
          "sgd_weight_decay_outside_lr", "softmax_no_max_shift", "loss_grad_not_divided_by_n")


def notebook_text(hyperparams=None, extra_cell=None):
    """The master notebook's JSON, with other best_net_hyperparams or one more code cell at the end."""
    with open(NOTEBOOK) as f:
        notebook = json.load(f)
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        if hyperparams and REFERENCE_SETTING in source:
            cell["source"] = source.replace(REFERENCE_SETTING, f"best_net_hyperparams = {hyperparams}")
    if extra_cell:
        notebook["cells"].append({"cell_type": "code", "metadata": {}, "execution_count": None,
                                  "outputs": [], "source": extra_cell})
    return json.dumps(notebook, indent=1)


def write_notebook(folder, **changes):
    with open(os.path.join(folder, os.path.basename(NOTEBOOK)), "w") as f:
        f.write(notebook_text(**changes))


def make_class(dest):
    """Write the class into `dest` (which must not exist); returns the student names."""
    os.makedirs(dest)
    for student in ("ref_ada", "ref_ben"):
        reference_submission(os.path.join(dest, student))
    for student, epochs in (("weak_cai", 15), ("weak_dov", 5)):
        folder = reference_submission(os.path.join(dest, student))
        write_notebook(folder, hyperparams=[0.1, 0.002, epochs, 80])
    bugs = {bug.name: bug for bug in BUGS}
    for index, name in enumerate(CORPUS):
        folder = build_submission(bugs[name], os.path.join(dest, f"bug{index + 1}_{name}"))
        write_notebook(folder, hyperparams=QUICK)
    shutil.copytree(os.path.join(ROOT, "student_template"), os.path.join(dest, "template_eli"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    os.makedirs(os.path.join(dest, "nbonly_fay"))
    write_notebook(os.path.join(dest, "nbonly_fay"), hyperparams=QUICK)
    hang = reference_submission(os.path.join(dest, "hang_gil"))
    write_notebook(hang, hyperparams=QUICK, extra_cell="import time\ntime.sleep(100000)\n")
    zipped = reference_submission(os.path.join(dest, ".zip_hal", "hw2"))
    write_notebook(zipped, hyperparams=QUICK)
    with zipfile.ZipFile(os.path.join(dest, "zip_hal.zip"), "w") as archive:
        for folder, _, files in os.walk(zipped):
            for name in files:
                path = os.path.join(folder, name)
                archive.write(path, os.path.relpath(path, os.path.dirname(zipped)))
    shutil.rmtree(os.path.join(dest, ".zip_hal"))
    with open(os.path.join(dest, "badzip_ivy.zip"), "wb") as f:
        f.write(b"PK\x03\x04 but not really a zip")
    return sorted(os.listdir(dest))


# Eight of the kinds, for scripts/demo_regrade.py: the reference, the template,
# one-bug students, a notebook-only upload, a zip and a broken zip.
SMALL = ("ref_ada", "weak_cai", "bug1_linear_db_never_set", "bug2_relu_mask_wrong_side",
         "template_eli", "nbonly_fay", "zip_hal.zip", "badzip_ivy.zip")


def make_small_class(dest):
    """The class of eight (SMALL) in `dest`, which must not exist; returns the names."""
    make_class(dest)
    for name in set(os.listdir(dest)) - set(SMALL):
        shutil.rmtree(os.path.join(dest, name))
    return sorted(os.listdir(dest))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    small = "--small" in argv
    argv = [a for a in argv if a != "--small"]
    if len(argv) != 1 or os.path.exists(argv[0]):
        print(__doc__.split("\n\n")[0] + " (DEST must not exist)", file=sys.stderr)
        return 2
    names = (make_small_class if small else make_class)(argv[0])
    print(f"{len(names)} submissions in {argv[0]}: {', '.join(names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The graded surface, in one place: what a submission is made of and how its notebook trains.

Every part of the grader that names the student's files, the notebook's data
or best_net's training reads it from here: submission.py (what is taken),
worker/probes.py (which module holds which layer; a copy of this file sits
beside it in the sandbox), notebook/evaluate.py and retrain.py (the subsets,
batch size, validation interval), unpack.py and intake.py (folders nobody
means to submit), tools/build_notebook.py (the notebook's cells). The
reference's utils/budget.py, shipped to students, cannot import the grader:
tests/unit/test_surface.py checks that its copies of these numbers agree.

To add a layer: grader/checks/README.md lists every place.
"""

# The layers a student writes: class name -> the file that holds it.
LAYERS = {
    "Linear": "layers/linear.py",
    "ReLU": "layers/relu.py",
    "Softmax": "layers/softmax.py",
    "CrossEntropyLoss": "layers/loss_func.py",
}
STUDENT_LAYER_FILES = tuple(LAYERS.values())
NOTEBOOK = "classification_nn.ipynb"
STUDENT_FILES = STUDENT_LAYER_FILES + (NOTEBOOK,)
# The course's scaffold folders: the reference's copies are used, whatever was submitted.
SCAFFOLD_DIRS = ("layers", "utils")

# The notebook's data (get_cifar10_data's arguments) and best_net's training.
SUBSETS = {"subset_train": 5000, "subset_val": 250, "subset_test": 500}
BATCH_SIZE = 200
VALIDATE_INTERVAL = 3
# The seed the template's best_net cell sets, and the only one the grader trains best_net
# from: whatever seed a notebook sets (or appears to), the grader's network for a setting
# is the same for every student (no seed can be shopped for).
BEST_NET_SEED = 0

# Folders and files that archivers and tools add and nobody means to submit.
NOISE = frozenset({"__pycache__", ".ipynb_checkpoints", ".git", "__MACOSX", ".DS_Store"})


def module_of(layer):
    """The importable module that holds `layer` ("Linear" -> "layers.linear")."""
    return LAYERS[layer][:-len(".py")].replace("/", ".")

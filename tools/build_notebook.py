"""Write the assignment's master notebook, notebooks/classification_nn.ipynb.

    python -m tools.build_notebook [--check] [--output PATH]

The cells live here as plain text so that a change to the notebook reviews as
a diff of this file. The student's copy is made from the output by
tools.make_template (solutions stubbed, outputs cleared).

Conventions (notebooks/README.md lists the tags):
- a code cell holding a solution starts with a comment saying what the student
  must do, and marks the solution with `# BEGIN SOLUTION` / `# END SOLUTION`;
- a markdown answer cell is tagged `solution`;
- every cell the grader reads carries a `grader:...` tag.

--check compares the build with the file instead of writing it (exit 1 if they differ).
"""
import argparse
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "notebooks" / "classification_nn.ipynb"

# The hyperparameter search's choice (scripts/reference_hyperparams.py, whose
# BEST_NET_HYPERPARAMS and BATCH_SIZE tests/test_notebook.py compares with these).
BEST_NET_HYPERPARAMS = "[0.1, 0.002, 120, 80]"
# The notebook's data and training, as the grader reads and repeats them.
from grader.surface import BATCH_SIZE, SUBSETS, VALIDATE_INTERVAL  # noqa: E402
TRAIN, VAL, TEST = SUBSETS["subset_train"], SUBSETS["subset_val"], SUBSETS["subset_test"]


def markdown(text, *tags):
    return ("markdown", text, tags)


def code(text, *tags):
    return ("code", text, tags)


CELLS = [
    markdown("""\
# Classification using Neural Network

You will build a fully connected network from the numpy layers in `layers/`,
train it on CIFAR-10, tune it, and report its accuracy.

Write the layers first and check them with `python -m pytest tests` from the
assignment folder; then run this notebook top to bottom. Targets: validation
accuracy over 40% and test accuracy over 35%."""),
    code("""\
# Setup: your layers and the scaffold around them.
import numpy as np
import matplotlib.pyplot as plt

from layers.linear import Linear
from layers.loss_func import CrossEntropyLoss
from layers.relu import ReLU
from layers.sequential import Sequential
from layers.softmax import Softmax
from utils.data_processing import get_cifar10_data
from utils.dataset import DataLoader
from utils.evaluation import get_classification_accuracy
from utils.optimizer import SGD
from utils.trainer import Trainer
from utils.vis_utils import visualize_grid
from utils.budget import check as check_budget

%matplotlib inline
plt.rcParams["figure.figsize"] = (10.0, 8.0)"""),
    markdown(f"""\
## Load CIFAR-10

`get_cifar10_data` reads CIFAR-10 from `$CIFAR10_DIR`, or else from
`datasets/cifar-10/cifar-10-batches-py` (`python -m utils.download_cifar10` puts
it there). Each image is a row of 3072 pixel values in [0, 1]: the 1024 red
values, then the green, then the blue. We use {TRAIN} training, {VAL} validation
and {TEST} test images."""),
    code(f"""\
data = get_cifar10_data(subset_train={TRAIN}, subset_val={VAL}, subset_test={TEST})
x_train, y_train = data["x_train"], data["y_train"]
x_val, y_val = data["x_val"], data["y_val"]
x_test, y_test = data["x_test"], data["y_test"]
for name, array in data.items():
    print(name, array.shape)"""),
    markdown("""\
### Some images of each class"""),
    code("""\
classes = ["airplane", "automobile", "bird", "cat", "deer",
           "dog", "frog", "horse", "ship", "truck"]
samples_per_class = 7
images = x_train.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
for label, name in enumerate(classes):
    for row, index in enumerate(np.flatnonzero(y_train == label)[:samples_per_class]):
        plt.subplot(samples_per_class, len(classes), row * len(classes) + label + 1)
        # Each pixel drawn as a flat square: true to a 32x32 image, and about half
        # the size in the saved notebook of the default smoothing.
        plt.imshow(images[index], interpolation="nearest")
        plt.axis("off")
        if row == 0:
            plt.title(name)
plt.show()"""),
    markdown("""\
## The network

Two fully connected layers with a ReLU between them, and a softmax that turns
the 10 scores into class probabilities."""),
    code("""\
def init_model(hidden_size=100):
    \"\"\"3072 inputs -> hidden_size ReLU units -> 10 class probabilities.\"\"\"
    return Sequential([Linear(3072, hidden_size), ReLU(), Linear(hidden_size, 10), Softmax()])"""),
    markdown("""\
## Train a first network

`Trainer` runs minibatch SGD with weight decay, prints the mean loss of each
epoch, and the validation accuracy every third epoch."""),
    code(f"""\
dataset = DataLoader(x_train, y_train, x_val, y_val, x_test, y_test)
batch_size = {BATCH_SIZE}

np.random.seed(0)
net = init_model(hidden_size=100)
optimizer = SGD(net, lr=0.1, weight_decay=1e-3)
trainer = Trainer(dataset, optimizer, net, CrossEntropyLoss(), epoch=30,
                  batch_size=batch_size, validate_interval={VALIDATE_INTERVAL})
loss_history, val_accuracies = trainer.train()"""),
    code("""\
train_accuracy = get_classification_accuracy(net.predict(x_train), y_train)
val_accuracy = get_classification_accuracy(net.predict(x_val), y_val)
print(f"Training accuracy: {train_accuracy:.3f}")
print(f"Validation accuracy: {val_accuracy:.3f}")""", "grader:train_val_accuracy"),
    markdown("""\
### Loss and validation accuracy during training"""),
    code("""\
plt.subplot(2, 1, 1)
plt.plot(loss_history)
plt.title("Loss history")
plt.xlabel("Epoch")
plt.ylabel("Mean training loss")

plt.subplot(2, 1, 2)
validated_epochs = np.arange(len(val_accuracies)) * trainer.validate_interval
plt.plot(validated_epochs, val_accuracies, marker="o")
plt.title("Validation accuracy")
plt.xlabel("Epoch")
plt.ylabel("Accuracy")
plt.tight_layout()
plt.show()""", "grader:loss_plot"),
    markdown("""\
### The first layer's weights

Each hidden unit's 3072 input weights, shown as a 32x32 colour image: the
pattern that unit responds to most."""),
    code("""\
W1 = net._modules[0].parameters[0]
tiles = W1.reshape(3, 32, 32, -1).transpose(3, 1, 2, 0)
plt.imshow(visualize_grid(tiles, padding=3).astype("uint8"), interpolation="nearest")
plt.gca().axis("off")
plt.show()""", "grader:weights_plot"),
    markdown("""\
## Tune your hyperparameters

The first network is not very good. Try other learning rates, weight decays,
numbers of epochs and hidden sizes, judging each on the **validation** set,
until the validation accuracy is over 40%. Explain what you tried in comments.

What moves the accuracy of this network on this data:

- **Epochs.** The weights start tiny (uniform in [0, 1) times 1e-4) and the
  pixels are not centred, so training starts slowly: the loss begins at
  log(10), about 2.30 (ten equally likely classes), and the first epochs barely
  move it. Look at the loss curve above: while it is still falling, more epochs
  help. Here that means on the order of a hundred epochs, not ten.
- **Learning rate.** Too small and little happens in the epochs you can afford;
  too large and the loss jumps up instead of down, or the network ends up
  predicting one class for every image (accuracy near 10%). Change it by
  factors of about 2 and watch the loss curve, not only the final accuracy.
- **Weight decay.** It pulls every weight towards zero at each step. Too much
  and the network cannot fit even its training images: training accuracy falls
  along with validation accuracy. Print both for a few values to see what it
  does here.
- **Hidden size.** Every epoch costs time in proportion to it (the first layer
  alone has 3072 x hidden_size weights), and past a modest size more units add
  little accuracy here. Training `best_net` has a time budget on the grading
  machine: `check_budget(best_net_hyperparams)` says how long a setting takes
  there and, past the budget, what fits (so does `python -m pytest tests`). More
  epochs of a smaller network are often the better buy.
- **Noise.** The validation set has 250 images, so one image is 0.4%, and the
  same setting trained with another seed can differ by a few points. Prefer a
  setting that does well for two or three seeds over one lucky run.

Search in cells of your own here, then keep their conclusions in comments and
remove the loops before you submit: the grader runs every cell again, and stops
any cell other than best_net's after a minute or two (the README says how long).

Leave your best setting in `best_net_hyperparams = [lr, weight_decay, epoch,
hidden_size]`: the cell after yours trains `best_net` with exactly these values
(batch size and seed fixed), and the grader may retrain it the same way."""),
    code(f"""\
# Tuning: find a better setting on the validation set and leave it in best_net_hyperparams.
# BEGIN SOLUTION
# The reference's setting comes from a search over several seeds outside the
# notebook (scripts/search_hyperparams.py in the course repository).
best_net_hyperparams = {BEST_NET_HYPERPARAMS}
# END SOLUTION""", "grader:best_hyperparams"),
    code(f"""\
lr, weight_decay, epoch, hidden_size = best_net_hyperparams
check_budget(best_net_hyperparams)  # the grader stops a longer training: this says first
np.random.seed(0)
best_net = init_model(hidden_size)
best_trainer = Trainer(dataset, SGD(best_net, lr, weight_decay), best_net, CrossEntropyLoss(),
                       epoch=epoch, batch_size=batch_size, validate_interval={VALIDATE_INTERVAL})
best_trainer.train()
best_val_accuracy = get_classification_accuracy(best_net.predict(x_val), y_val)
print(f"Validation accuracy of best_net: {{best_val_accuracy:.3f}}")""", "grader:best_net"),
    markdown("""\
## Test accuracy

Run this once you are done tuning: the test set measures the final network and
must not guide any choice."""),
    code("""\
test_accuracy = get_classification_accuracy(best_net.predict(x_test), y_test)
print(f"Test accuracy of best_net: {test_accuracy:.3f}")""", "grader:test_accuracy"),
    markdown("""\
## Inline question

The training accuracy is usually well above the validation and test accuracy.
Which of these would make that gap smaller? Choose all that apply.

1. Train on a larger dataset.
2. Add more hidden units.
3. Increase the regularization strength.
4. None of the above.

Answer in the cell below with the numbers of your choices and a short explanation."""),
    markdown("""\
**Your answer:** 1, 3

**Your explanation:** The gap is overfitting: the network fits details of its
5000 training images that do not carry over to new ones. A larger dataset (1)
makes such details a smaller part of what it fits, so what it learns is closer
to what holds for all images. Stronger regularization (3), here a larger weight
decay, keeps the weights small and the function smoother, giving up a little
training accuracy for accuracy on new images. More hidden units (2) add
capacity, which lets the network memorise its training set even better and
usually widens the gap; and since 1 and 3 help, 4 is wrong.""",
             "solution", "grader:inline_answer"),
    markdown("""\
## Survey"""),
    code("""\
# Survey: set hours_spent to the number of hours you spent on this assignment.
# BEGIN SOLUTION
hours_spent = 10  # the reference's entry only shows the expected form: a number
# END SOLUTION""", "grader:survey"),
]


def build():
    """The master notebook as an nbformat NotebookNode."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)",
                       "language": "python"},
        "language_info": {"name": "python"},
    }
    for number, (kind, text, tags) in enumerate(CELLS, start=1):
        make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        # Fixed ids: nbformat would draw random ones and every build would differ.
        cell = make(text, id=f"cell-{number:02d}")
        if tags:
            cell.metadata["tags"] = list(tags)
        notebook.cells.append(cell)
    nbformat.validate(notebook)
    return notebook


def render():
    """The notebook file's text."""
    return nbformat.writes(build()) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--check", action="store_true",
                        help="compare the build with OUTPUT instead of writing it")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="default: %(default)s")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else None
        if current != text:
            print(f"{args.output} is not what tools/build_notebook.py writes "
                  "(run `make template`, and edit the notebook through that script)")
            return 1
        print(f"{args.output} is up to date")
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Notebooks of the kind this course's students really submit, and what each deserves.

Written from the patterns in ../shared/COURSE_INTERFACE.md ("Known real-world
variants") and issue 12, not copied from anywhere: the course's own cell layout
without any grader tag, `best_net_hyperparams` of 150 to 2000 hidden units and
hundreds of epochs, no seed, searches left in, the test cell evaluating `net`,
plots saved into a folder of the student's machine, answers written as "1",
"1, 2", "1 and 3", a layer bug beside a good notebook, and a layer file with
weights trained elsewhere beside a notebook that never trains.

Each Entry says, BEFORE any grading, the score an instructor would give and
what the feedback must say (Expect). The policy is the grader's default
(config.ACCURACY_POLICY = "isolate"). Heavy settings run with a scaled budget
(GRADER_BEST_NET_BUDGET in `env`): whether a setting fits is decided by the
cost model on the grading machine's figures, so the logic is the one a real
budget of 150 s meets, only the waiting is shorter.
"""
import base64
import io
from dataclasses import dataclass, field

import nbformat
import numpy as np

# A budget so small that every heavy setting is over it, and the best_net cell's
# own limit (1.3 x budget x speed + 15 s) comes quickly.
SCALED = {"GRADER_BEST_NET_BUDGET": "5"}
GOOD = [0.1, 0.002, 120, 80]       # the reference's setting: about 31 s, 0.412 / 0.412 at seed 0
WEAK = [0.05, 0.001, 4, 20]        # seconds to train, far below both targets


@dataclass
class Expect:
    score: float                                  # the total out of 100
    lost: dict                                    # check number -> points lost (others: none)
    # The layer losses of a corpus bug are the corpus's (tests/corpus/bugs.py), as
    # the layer checks give them; written here to pin the whole score.
    says: dict = field(default_factory=dict)      # check number (or "output") -> fragments its feedback has
    not_says: dict = field(default_factory=dict)  # ... -> fragments it must not have


@dataclass
class Entry:
    name: str
    what: str
    notebook: object            # () -> nbformat notebook
    expect: Expect
    bug: str = None             # tests/corpus/bugs.py entry applied to the layers
    layers: object = None       # (submission folder) -> None: changes the layer files
    env: dict = field(default_factory=dict)
    filename: str = "classification_nn.ipynb"   # as uploaded (a browser renames a second download)


# ---------------------------------------------------------------------------
# The course's own layout: its cells as the course hands them out (in our words),
# no metadata of ours, the answer written into the question's own cell.

IMPORTS = """\
import numpy as np
import matplotlib.pyplot as plt
from layers.linear import Linear
from layers.relu import ReLU
from layers.softmax import Softmax
from layers.loss_func import CrossEntropyLoss
from layers.sequential import Sequential
from utils.data_processing import get_cifar10_data
from utils.dataset import DataLoader
from utils.evaluation import get_classification_accuracy
from utils.optimizer import SGD
from utils.trainer import Trainer
from utils.vis_utils import visualize_grid
%matplotlib inline
plt.rcParams['figure.figsize'] = (10.0, 8.0)"""

LOAD = """\
data = get_cifar10_data(subset_train=5000, subset_val=250, subset_test=500)
x_train, y_train = data['x_train'], data['y_train']
x_val, y_val = data['x_val'], data['y_val']
x_test, y_test = data['x_test'], data['y_test']
dataset = DataLoader(x_train, y_train, x_val, y_val, x_test, y_test)
print('Train data shape: ', x_train.shape)"""

MODEL = """\
def init_model(hidden_size=100):
    return Sequential([Linear(3072, hidden_size), ReLU(), Linear(hidden_size, 10), Softmax()])"""

FIRST_NET = """\
net = init_model()
optimizer = SGD(net, lr=0.1, weight_decay=1e-3)
trainer = Trainer(dataset, optimizer, net, CrossEntropyLoss(), epoch=10, batch_size=200,
                  validate_interval=3)
loss_history, val_acc_history = trainer.train()"""

FIRST_ACCURACY = """\
print('Training accuracy: ', get_classification_accuracy(net.predict(x_train), y_train))
print('Validation accuracy: ', get_classification_accuracy(net.predict(x_val), y_val))"""

LOSS_PLOT = """\
plt.subplot(2, 1, 1)
plt.plot(loss_history)
plt.title('Loss history')
plt.subplot(2, 1, 2)
plt.plot(val_acc_history)
plt.title('Validation accuracy')
plt.show()"""

WEIGHTS_PLOT = """\
W1 = net._modules[0].parameters[0]
W1 = W1.reshape(3, 32, 32, -1).transpose(3, 1, 2, 0)
plt.imshow(visualize_grid(W1, padding=3).astype('uint8'))
plt.gca().axis('off')
plt.show()"""

TUNING_TEXT = """\
# Tune your hyperparameters

Tune the learning rate, weight decay, number of epochs and hidden size on the
validation set. Save your best setting in `best_net_hyperparams` and train
`best_net` with it."""

BEST_NET = """\
lr, weight_decay, epoch, hidden_size = best_net_hyperparams
best_net = init_model(hidden_size)
best_trainer = Trainer(dataset, SGD(best_net, lr, weight_decay), best_net, CrossEntropyLoss(),
                       epoch=epoch, batch_size=200, validate_interval=3)
best_loss_history, best_val_history = best_trainer.train()
print('Validation accuracy of best_net: ', get_classification_accuracy(best_net.predict(x_val), y_val))"""

TEST = """\
test_acc = get_classification_accuracy(best_net.predict(x_test), y_test)
print('Test accuracy: ', test_acc)"""

QUESTION = """\
**Inline Question**

Now that you have trained a Neural Network classifier, you may find that your
testing accuracy is much lower than the training accuracy. In what ways can we
decrease this gap? Select all that apply.

1. Train on a larger dataset.
2. Add more hidden units.
3. Increase the regularization strength.
4. None of the above.

**Your Answer:** {answer}

**Your Explanation:** {explanation}"""

RIGHT = ("1, 3", "More data and stronger regularization both reduce overfitting; more hidden "
         "units (2) would let the network memorise more and widen the gap.")
SURVEY = "hours_spent = 12"


def course_notebook(hyperparams=GOOD, seed=None, tuning=(), test=TEST, loss_plot=LOSS_PLOT,
                    answer=RIGHT, best_net=BEST_NET, first_net=True, model=MODEL,
                    weights_plot=WEIGHTS_PLOT, after_question=()):
    """The course's layout, with the student's choices. seed: set before best_net (None: never);
    best_net: its cell's source, or a list of sources (the cells it is spread over);
    after_question: markdown cells after the question's."""
    code, md = nbformat.v4.new_code_cell, nbformat.v4.new_markdown_cell
    cells = [md("# Classification using Neural Network"), code(IMPORTS), md("## Load the data"),
             code(LOAD), code(model)]
    if first_net:
        cells += [code(FIRST_NET), code(FIRST_ACCURACY), code(loss_plot), code(weights_plot)]
    best_net = [best_net] if isinstance(best_net, str) else list(best_net)
    best_net[0] = (f"np.random.seed({seed})\n" if seed is not None else "") + best_net[0]
    cells += [md(TUNING_TEXT), *[code(c) for c in tuning],
              code(f"best_net_hyperparams = {list(hyperparams)}"), *[code(c) for c in best_net],
              code(test), md(QUESTION.format(answer=answer[0], explanation=answer[1])),
              *[md(c) for c in after_question], code(SURVEY)]
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    for cell in nb.cells:
        cell.pop("id", None)  # the course's notebook is nbformat 4.4: no cell ids
    nb.nbformat_minor = 4
    return nb


GRID_SEARCH = """\
# Search: every learning rate with every hidden size (left in by mistake).
results = {}
for lr in [0.05, 0.1, 0.2]:
    for hidden in [100, 200, 300]:
        candidate = init_model(hidden)
        t = Trainer(dataset, SGD(candidate, lr, 1e-3), candidate, CrossEntropyLoss(),
                    epoch=30, batch_size=200, validate_interval=3)
        t.train()
        results[(lr, hidden)] = get_classification_accuracy(candidate.predict(x_val), y_val)
print(results)"""

# A search that keeps its best network in best_net (CS231n's pattern), before the cell that
# trains the final best_net: that final cell is best_net's (an outside attack found the
# search's cell taken for it, and the final one stopped from the other cells' pool).
SEARCH_KEEPS_BEST = """\
best_val, best_net = -1.0, None
for lr_try in [0.05, 0.1]:
    candidate = init_model(100)
    Trainer(dataset, SGD(candidate, lr_try, 1e-3), candidate, CrossEntropyLoss(), epoch=10,
            batch_size=200, validate_interval=3).train()
    val_try = get_classification_accuracy(candidate.predict(x_val), y_val)
    if val_try > best_val:
        best_val, best_net = val_try, candidate
print(best_val)"""

TEST_WITH_NET = """\
test_acc = get_classification_accuracy(net.predict(x_test), y_test)
print('Test accuracy: ', test_acc)"""

SAVED_LOSS_PLOT = LOSS_PLOT.replace("plt.show()", "plt.savefig('result/loss_history.png')\nplt.show()")


def _never_trains():
    """best_net built from the layer file's weights and never trained; no training anywhere."""
    nb = course_notebook(first_net=False, best_net="""\
lr, weight_decay, epoch, hidden_size = best_net_hyperparams
best_net = init_model(hidden_size)
print('Validation accuracy of best_net: ', get_classification_accuracy(best_net.predict(x_val), y_val))""")
    nb.cells.insert(len(nb.cells) - 2, nbformat.v4.new_code_cell(
        WEIGHTS_PLOT.replace("net._modules", "best_net._modules")))
    return nb


def pretrained_layers(submission):
    """Linear layers of the notebook's shapes start from weights trained elsewhere (on
    20,000 images, four times the notebook's), embedded in layers/linear.py."""
    weights = _pretrained()
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **weights)
    blob = base64.b64encode(buffer.getvalue()).decode()
    with open(submission / "layers" / "linear.py", "a") as f:
        f.write(f'''

import base64 as _base64, io as _io
_PRETRAINED = dict(np.load(_io.BytesIO(_base64.b64decode("{blob}"))))
_course_init = Linear.__init__


def _pretrained_init(self, input_dims, output_dims):
    _course_init(self, input_dims, output_dims)
    for name in ("w1", "w2"):
        if _PRETRAINED[name].shape == (input_dims, output_dims):
            self.w = _PRETRAINED[name].copy()
            self.b = _PRETRAINED["b" + name[1]].copy()


Linear.__init__ = _pretrained_init
''')


_CACHE = {}


def _pretrained():
    """{w1, b1, w2, b2} of the reference trained on 20,000 training images (cached)."""
    if not _CACHE:
        import contextlib
        import sys
        from layers.linear import Linear
        from layers.loss_func import CrossEntropyLoss
        from layers.relu import ReLU
        from layers.sequential import Sequential
        from layers.softmax import Softmax
        from utils.data_processing import get_cifar10_data
        from utils.dataset import DataLoader
        from utils.optimizer import SGD
        from utils.trainer import Trainer
        data = get_cifar10_data(subset_train=20000, subset_val=250, subset_test=500)
        loader = DataLoader(data["x_train"], data["y_train"], data["x_val"], data["y_val"],
                            data["x_test"], data["y_test"])
        np.random.seed(1)
        net = Sequential([Linear(3072, 80), ReLU(), Linear(80, 10), Softmax()])
        with contextlib.redirect_stdout(sys.stderr):
            Trainer(loader, SGD(net, 0.1, 0.002), net, CrossEntropyLoss(), epoch=40,
                    batch_size=200, validate_interval=40).train()
        _CACHE.update(w1=net._modules[0].w, b1=net._modules[0].b, w2=net._modules[2].w,
                      b2=net._modules[2].b)
    return _CACHE


# The course's three-cell layout: best_net made in one cell, its Trainer built in the
# next, trained in a third (best_net's training is the third; its seed is the first's).
THREE_CELLS = ["""\
lr, weight_decay, epoch, hidden_size = best_net_hyperparams
best_net = init_model(hidden_size)""", """\
best_trainer = Trainer(dataset, SGD(best_net, lr, weight_decay), best_net, CrossEntropyLoss(),
                       epoch=epoch, batch_size=200, validate_interval=3)""", """\
best_loss_history, best_val_history = best_trainer.train()
print('Validation accuracy of best_net: ', get_classification_accuracy(best_net.predict(x_val), y_val))"""]

# best_net made and trained by a function of the student's, defined with the model.
HELPER_MODEL = MODEL + """


def train_net(hyperparams):
    lr, weight_decay, epoch, hidden_size = hyperparams
    model = init_model(hidden_size)
    trainer = Trainer(dataset, SGD(model, lr, weight_decay), model, CrossEntropyLoss(),
                      epoch=epoch, batch_size=200, validate_interval=3)
    return model, trainer.train()"""
BEST_NET_FROM_HELPER = """\
best_net, (best_loss_history, best_val_history) = train_net(best_net_hyperparams)
print('Validation accuracy of best_net: ', get_classification_accuracy(best_net.predict(x_val), y_val))"""

# The weights plot drawn by a function of the student's (defined with the model).
SHOW_WEIGHTS_MODEL = MODEL + """


def show_weights(model):
    W1 = model._modules[0].parameters[0]
    W1 = W1.reshape(3, 32, 32, -1).transpose(3, 1, 2, 0)
    plt.imshow(visualize_grid(W1, padding=3).astype('uint8'))
    plt.gca().axis('off')
    plt.show()"""

# The answer in a cell of its own after the question, which it discusses first.
ANSWER_AFTER = ("**My answer to the inline question**\n\nOption 2, more hidden units, gives the "
                "network more capacity to memorise the training set, so it widens the gap. The best "
                "options are 1 and 3: more data and stronger regularization both reduce overfitting.")

# Attacks on the rules that excuse a best_net (issue 20), each as a student would write it.
# Forged evidence: best_net made, one weight nudged off the initial range, one epoch line
# and the accuracy print written by hand, then a wait until the grader's limit stops the cell.
FORGED_EPOCH_AND_WAIT = """\
lr, weight_decay, epoch, hidden_size = best_net_hyperparams
best_net = init_model(hidden_size)
best_net._modules[0].parameters[0][0, 0] += 0.5
print(f'epoch 1 / {epoch}: loss 1.52, validation accuracy 0.45')
best_loss_history, best_val_history = [1.52], [0.45]
print('Validation accuracy of best_net: ', 0.45)
import time
time.sleep(10 ** 6)"""

# best_net made and never trained; the accuracy print written by hand.
NEVER_TRAINED_CLAIMED = """\
lr, weight_decay, epoch, hidden_size = best_net_hyperparams
best_net = init_model(hidden_size)
best_loss_history, best_val_history = [1.5], [0.45]
print('Validation accuracy of best_net: ', 0.45)"""

# A wait in best_net's cell with a setting near the budget, so that the budget itself
# predicts a stop: best_net made and left untrained while the cell waits.
WAIT_NEAR_BUDGET = """\
lr, weight_decay, epoch, hidden_size = best_net_hyperparams
best_net = init_model(hidden_size)
import time
time.sleep(10 ** 6)"""
NEAR_BUDGET = [0.1, 0.002, 130, 80]   # about 33 s on the grading machine, of a budget of 35
NEAR_BUDGET_ENV = {"GRADER_BEST_NET_BUDGET": "35"}


def dw_wrong_at_check_shape(submission):
    """Linear.backward right at every shape but the first layer of the training check 5.1
    (w of 6 x 5), where dw is doubled: that check fails on purpose, every other shape
    (best_net's included) trains as correct layers do."""
    with open(submission / "layers" / "linear.py", "a") as f:
        f.write('''

_course_backward = Linear.backward


def _backward(self, dout):
    dx = _course_backward(self, dout)
    if self.w.shape == (6, 5):
        self.dw = self.dw * 2
    return dx


Linear.backward = _backward
''')


def raises_at_best_nets_shape(submission):
    """Linear.backward raises for a 3072 x 80 weight only (best_net's first layer at the
    reference's setting), a shape no layer check uses: the notebook's training of best_net
    raises and leaves it untrained, and every layer check passes."""
    with open(submission / "layers" / "linear.py", "a") as f:
        f.write("""

_course_backward = Linear.backward


def _backward(self, dout):
    if self.w.shape == (3072, 80):
        raise ValueError("operands could not be broadcast together")
    return _course_backward(self, dout)


Linear.backward = _backward
""")


def _answer(text):
    return (text, "Bigger data and regularization help against overfitting.")


NOT_GRADED = "best_net is not graded"
STOPPED_NOTE = "Not counted against you"

ENTRIES = [
    Entry("heavy_1500_epochs_200_hidden",
          "course layout, no seed, [0.1, 0.001, 1500, 200]: about 14 minutes of training",
          lambda: course_notebook([0.1, 0.001, 1500, 200]), env=SCALED,
          expect=Expect(75, {"6.3": 10, "6.4": 10, "6.5": 5},
                        says={"6.3": [NOT_GRADED, "1500 epochs, hidden size 200", "use at most"],
                              "6.5": [NOT_GRADED], "6.1": [STOPPED_NOTE]},
                        not_says={"6.3": ["Tune"], "output": ["Note:"]})),
    Entry("heavy_300_epochs_2000_hidden",
          "course layout, no seed, [0.07, 0.01, 300, 2000]: about 24 minutes",
          lambda: course_notebook([0.07, 0.01, 300, 2000]), env=SCALED,
          expect=Expect(75, {"6.3": 10, "6.4": 10, "6.5": 5},
                        says={"6.4": [NOT_GRADED, "300 epochs, hidden size 2000"]},
                        not_says={"output": ["Note:"]})),
    Entry("heavy_500_512_saves_plot_to_missing_folder",
          "course layout, [0.05, 0.01, 500, 512], the loss plot saved into result/ (absent here)",
          lambda: course_notebook([0.05, 0.01, 500, 512], loss_plot=SAVED_LOSS_PLOT), env=SCALED,
          expect=Expect(75, {"6.3": 10, "6.4": 10, "6.5": 5},
                        says={"6.3": [NOT_GRADED, "500 epochs, hidden size 512"]},
                        not_says={"6.1": ["FileNotFoundError"], "6.6": ["plot"]})),
    Entry("unseeded_good_setting",
          "course layout, no seed anywhere, the reference's setting",
          lambda: course_notebook(GOOD),
          expect=Expect(100, {}, says={"6.5": ["agrees with the grader's training"]},
                        not_says={"output": ["Note:"]})),
    Entry("grid_search_left_in",
          "course layout, a 3 x 3 search of 30 epochs each left in its own cell, the result "
          "written into best_net_hyperparams after it (seeded best_net)",
          lambda: course_notebook(GOOD, seed=0, tuning=[GRID_SEARCH]),
          env={"GRADER_NOTEBOOK_CELL_TIMEOUT": "25"},
          expect=Expect(100, {}, says={"6.1": [STOPPED_NOTE, "time limit for cells other than best_net's"],
                                       "6.5": ["to rounding"]})),
    Entry("test_cell_evaluates_net",
          "course layout, seeded, the test cell prints net's accuracy instead of best_net's",
          lambda: course_notebook(GOOD, seed=0, test=TEST_WITH_NET),
          expect=Expect(98.6667, {"6.6": 1.3333}, says={"6.6": ["test accuracy of best_net was not printed"]},
                        not_says={"output": ["Note:"]})),
    Entry("answer_1", "course layout, a weak network, the inline answer '1'",
          lambda: course_notebook(WEAK, seed=0, answer=_answer("1")),
          expect=Expect(78.5, {"6.3": 10, "6.4": 10, "6.7": 1.5})),
    Entry("answer_1_comma_2", "course layout, a weak network, the inline answer '1, 2'",
          lambda: course_notebook(WEAK, seed=0, answer=_answer("1, 2")),
          expect=Expect(77, {"6.3": 10, "6.4": 10, "6.7": 3})),
    Entry("answer_1_and_3", "course layout, a weak network, the inline answer '1 and 3'",
          lambda: course_notebook(WEAK, seed=0, answer=_answer("1 and 3")),
          expect=Expect(80, {"6.3": 10, "6.4": 10}, says={"6.3": ["Tune best_net_hyperparams"]})),
    Entry("loss_backward_without_n_good_notebook",
          "the loss backward forgets / N, with the reference's setting in a seeded course notebook: "
          "the layer checks name the bug, the accuracy checks judge the hyperparameters",
          lambda: course_notebook(GOOD, seed=0), bug="loss_grad_not_divided_by_n",
          expect=Expect(77.3333, {"4.3": 10, "5.1": 8, "5.2": 4.6667},
                        says={"6.3": ["trained by the grader with the course's reference layers"]},
                        not_says={"6.3": ["Tune"], "6.4": ["Tune"], "6.5": ["not what"]})),
    Entry("transposed_dw_good_notebook",
          "Linear.backward sets dw = dout.T @ x (transposed), beside a seeded course notebook with "
          "the reference's setting: every SGD step raises, so the notebook's training cell raises "
          "and best_net keeps its initial weights; one cause, charged in the layer checks only",
          lambda: course_notebook(GOOD, seed=0), bug="linear_dw_wrong_order",
          expect=Expect(81.6667, {"1.2": 3.3333, "5.1": 8, "5.2": 7},
                        says={"6.5": ["with your layers raises ("], "6.1": ["as the grader's own training",
                                                                         "not counted again"]},
                        not_says={"6.3": ["never trained"], "6.5": ["never trained in the notebook"]})),
    Entry("pretrained_weights_notebook_never_trains",
          "layers/linear.py embeds weights trained elsewhere (20,000 images) and averages db; the "
          "notebook builds best_net from them and never trains",
          _never_trains, bug="linear_db_mean", layers=pretrained_layers,
          expect=Expect(61, {"1.2": 3.3333, "5.1": 8, "6.3": 10, "6.4": 10, "6.5": 5, "6.6": 2.6667},
                        says={"6.3": ["never trained in the notebook"], "6.5": ["never trained"]})),
    Entry("three_cell_best_net",
          "the course's three-cell layout: best_net made (seeded) in one cell, its Trainer in the "
          "next, trained and printed in a third",
          lambda: course_notebook(GOOD, seed=0, best_net=THREE_CELLS),
          expect=Expect(100, {}, says={"6.5": ["to rounding"]}, not_says={"output": ["Note:"]})),
    Entry("best_net_from_a_helper",
          "best_net and its histories returned by train_net(best_net_hyperparams), a function "
          "defined with the model (seeded)",
          lambda: course_notebook(GOOD, seed=0, model=HELPER_MODEL, best_net=BEST_NET_FROM_HELPER),
          expect=Expect(100, {}, says={"6.5": ["to rounding"]}, not_says={"output": ["Note:"]})),
    Entry("search_keeps_its_best_in_best_net",
          "a short search of two learning rates keeps its best network in best_net, then the "
          "course's best_net cell trains the final one (seeded)",
          lambda: course_notebook(GOOD, seed=0, tuning=[SEARCH_KEEPS_BEST]),
          expect=Expect(100, {}, says={"6.5": ["to rounding"]}, not_says={"6.1": ["stopped"]})),
    Entry("weights_plot_by_own_function",
          "the first layer's weights drawn by show_weights(net), a function defined with the model",
          lambda: course_notebook(GOOD, seed=0, model=SHOW_WEIGHTS_MODEL, weights_plot="show_weights(net)"),
          expect=Expect(100, {}, not_says={"6.6": ["weights"]})),
    Entry("answer_after_the_question",
          "the answer in a cell of its own after the question, discussing option 2 before naming "
          "1 and 3; the question's own answer left empty",
          lambda: course_notebook(GOOD, seed=0, answer=("", ""), after_question=[ANSWER_AFTER]),
          expect=Expect(100, {})),
    Entry("renamed_by_the_browser",
          "the reference's notebook uploaded as 'classification_nn (1).ipynb'",
          lambda: course_notebook(GOOD, seed=0), filename="classification_nn (1).ipynb",
          expect=Expect(100, {}, says={"output": ["classification_nn (1).ipynb"]})),
    Entry("onehot_width_from_max_label_good_notebook",
          "the loss's one-hot is np.zeros((n, y.max() + 1)) (three real students), beside a seeded "
          "course notebook: fine on every training batch, wrong on a batch lacking the last class",
          lambda: course_notebook(GOOD, seed=0), bug="loss_onehot_width_from_max_label",
          expect=Expect(99, {"4.1": 1}, says={"4.1": ["target_y.max() + 1"]})),
    Entry("loss_backward_only_bug_good_notebook",
          "CrossEntropyLoss.backward subtracts the transposed one-hot (a broadcast error; forward "
          "right), beside a seeded course notebook: the notebook's training raises",
          lambda: course_notebook(GOOD, seed=0), bug="loss_backward_raises_only",
          expect=Expect(75, {"4.3": 10, "5.1": 8, "5.2": 7},
                        not_says={"4.1": ["backward"], "4.2": ["backward"], "6.3": ["never trained"]})),
    Entry("attack_forged_epoch_line_then_wait",
          "attack: best_net made, one weight nudged, an epoch line and its accuracy printed by "
          "hand, then a wait for the grader's limit; the setting takes about 31 s of a budget of 35",
          lambda: course_notebook(GOOD, best_net=FORGED_EPOCH_AND_WAIT), env=NEAR_BUDGET_ENV,
          expect=Expect(75, {"6.3": 10, "6.4": 10, "6.5": 5}, says={"6.5": ["stopped by the grader"]})),
    Entry("attack_training_check_failed_on_purpose",
          "attack: Linear.backward wrong only at check 5.1's shape, so that a training check fails, "
          "beside a best_net never trained (its accuracy printed by hand)",
          lambda: course_notebook(GOOD, best_net=NEVER_TRAINED_CLAIMED), layers=dw_wrong_at_check_shape,
          expect=Expect(67, {"5.1": 8, "6.3": 10, "6.4": 10, "6.5": 5})),
    Entry("attack_layer_raises_only_at_best_nets_shape",
          "attack: Linear.backward raises only at best_net's 3072 x 80 (no layer check meets it), "
          "so that the excuse for a layer bug that stops training covers an untrained best_net",
          lambda: course_notebook(GOOD, seed=0), layers=raises_at_best_nets_shape,
          expect=Expect(95, {"6.5": 5}, says={"6.5": ["no layer check met"], "6.1": ["6.5 counts"]})),
    Entry("attack_wait_with_a_setting_near_the_budget",
          "attack: a setting the budget predicts at about 33 s of 35, and best_net's cell waits "
          "untrained until the grader's limit stops it",
          lambda: course_notebook(NEAR_BUDGET, best_net=WAIT_NEAR_BUDGET), env=NEAR_BUDGET_ENV,
          expect=Expect(75, {"6.3": 10, "6.4": 10, "6.5": 5})),
]
BY_NAME = {entry.name: entry for entry in ENTRIES}

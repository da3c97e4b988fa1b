"""reference/utils/notebook_code.py: a notebook's code read as code (ast after IPython's
transformer), as the grader and the students' check_notebook both read it."""
import nbformat

from utils import notebook_code as nc


def code(source, count=None):
    cell = nbformat.v4.new_code_cell(source)
    cell.execution_count = count
    return cell


def md(text):
    return nbformat.v4.new_markdown_cell(text)


def test_the_names_a_training_cell_binds():
    source = ("%matplotlib inline\n"
              "import numpy as np, matplotlib.pyplot as plt\n"
              "from utils.trainer import Trainer as T\n"
              "best_net, history = train_net(x)\n"
              "loss_history, (a, *rest) = [], (1, 2, 3)\n"
              "for epoch in range(3):\n"
              "    val_acc = epoch\n"
              "with open('f') as fh:\n"
              "    total += 1\n"
              "if (n := 5) > 1:\n"
              "    pass\n"
              "def helper():\n"
              "    hidden_inside = 1\n"
              "class Net: pass\n"
              "stats: dict = {}\n")
    assert nc.read_cell(source).binds == {
        "np", "plt", "T", "best_net", "history", "loss_history", "a", "rest", "epoch", "val_acc",
        "fh", "total", "n", "helper", "Net", "stats"}


def test_what_does_not_parse_or_is_too_long_reads_as_no_code():
    assert not nc.read_cell("best_net = (").parsed
    assert nc.read_cell("x = 1\n" + "#" * nc.MAX_SOURCE).binds == frozenset()
    assert nc.read_cell("x = " + "(" * 10_000 + ")" * 10_000).binds == frozenset()
    deep = nc.read_cell("y = " + "1 + " * 50_000 + "1")  # deep, but linear: no stack is used
    assert deep.binds in (frozenset({"y"}), frozenset())


def test_best_net_assigned_only_by_code():
    assert nc.read_cell("best_net, history = train_net(x)").assigns_best_net
    assert nc.read_cell("best_net: Sequential = init_model()").assigns_best_net
    assert nc.read_cell("for best_net in nets:\n    pass").assigns_best_net
    assert not nc.read_cell("# best_net = init_model()\nprint('best_net = 1')").assigns_best_net
    assert not nc.read_cell("best_net == other").assigns_best_net
    assert not nc.read_cell("def make():\n    best_net = init_model()").assigns_best_net
    # A helper declaring it global and called here does assign it (data flow, not names).
    assert nc.read_cell("def make():\n    global best_net\n    best_net = init_model()\nmake()").assigns_best_net


def test_training_is_a_call_in_the_cells_own_code():
    assert nc.trains(nc.read_cell("trainer.train()"))
    assert nc.trains(nc.read_cell('s = "#"; best_net.train()'))
    assert nc.trains(nc.read_cell("for _ in range(3):\n    trainer.train_epoch()"))
    assert not nc.trains(nc.read_cell("# trainer.train()\nprint('trainer.train()')"))
    assert not nc.trains(nc.read_cell("def later():\n    trainer.train()"))  # defined, not run


def test_helpers_that_train_are_followed():
    cells = [code("def fit(net):\n    Trainer(net).train()\n    return net"),
             code("def train_net(h):\n    return fit(init_model(h))"),
             code("best_net = train_net(80)")]
    helpers = nc.trainers(nc.codes(cells))
    assert helpers == {"fit", "train_net"}
    assert nc.trains(nc.read_cell("best_net = train_net(80)"), helpers)
    assert nc.best_net_cell(cells) == 2


def test_best_net_cell_in_the_three_cell_layout():
    cells = [md("# Tune"), code("np.random.seed(0)\nbest_net = init_model(80)"),
             code("trainer = Trainer(loader, SGD(best_net, 0.1, 0.002), best_net, loss)"),
             code("trainer.train()"), code("best_net.train()")]
    assert nc.best_net_cell(cells) == 3
    assert nc.best_net_created(cells, 3) == 1
    assert nc.seed_of(cells[1]) == 0


def test_a_search_that_keeps_its_best_in_best_net_before_the_final_cell_is_not_best_nets_cell():
    # A real pattern (an outside attack found the first such cell taken, the final cell then
    # stopped from the other cells' pool): best_net's last value comes from the final cell.
    search = code("for lr in [0.05, 0.1]:\n    net = init_model(100)\n"
                  "    Trainer(dataset, SGD(net, lr, 1e-3), net, loss).train()\n"
                  "    if acc(net) > best:\n        best, best_net = acc(net), net")
    final = code("best_net = init_model(300)\nTrainer(dataset, SGD(best_net, 0.1, 2e-3), best_net, loss).train()")
    assert nc.best_net_cell([search, code("best_net_hyperparams = [0.1, 0.002, 150, 300]"), final]) == 2
    # Kept in best_net by the search alone, it is the search's cell.
    assert nc.best_net_cell([search, code("print(best_net)")]) == 0
    # A later copy that does not train: the last cell that assigned and trained.
    assert nc.best_net_cell([final, code("best_net = best_net")]) == 0


def test_the_seed_that_counts_is_set_before_best_net():
    assert nc.seed_of(code("np.random.seed(3)\nbest_net = init_model()\nnp.random.seed(9)")) == 3
    assert nc.seed_of(code("SEED = 7\nnumpy.random.seed(seed=SEED)\nbest_net = m()")) == 7
    assert nc.seed_of(code("# np.random.seed(5)\nbest_net = m()")) is None
    assert nc.seed_of(code("np.random.seed(2 ** 40)\nbest_net = m()")) is None  # numpy refuses it
    assert nc.seed_of(code("np.random.seed(True)\nbest_net = m()")) is None


def test_cells_are_named_as_the_student_sees_them():
    cells = [md("# Title"), code("x = 1", count=1), md("text"), code("\n\nbest_net = init_model()  # ours")]
    assert nc.cell_name(cells, 1) == "In [1] (x = 1)"
    assert nc.cell_name(cells, 3) == "code cell 2 (best_net = init_model()  # ours)"
    long = code("y = " + "1" * 100, count=4)
    assert nc.cell_name([long], 0) == "In [4] (y = " + "1" * 53 + "...)"


def test_a_plot_drawn_by_the_students_own_helper_is_found():
    cells = [code("def show(net):\n    tiles = net._modules[0].w.reshape(3, 32, 32, -1)\n"
                  "    plt.imshow(visualize_grid(tiles))"),
             code("show(best_net)"),
             code("# plt.imshow(visualize_grid(w))\nprint('plt.imshow(visualize_grid)')"),
             code("plt.plot(history['loss'])")]
    codes = nc.codes(cells)
    defined = nc.definitions(codes)
    assert nc.uses(codes[1], defined, ("visualize_grid", "imshow"))
    assert not nc.uses(codes[2], defined, ("visualize_grid", "imshow"))   # a comment, a long string
    assert nc.uses(codes[3], defined, ("plt", "loss"))


def test_reading_a_notebook_is_bounded_in_all_not_only_per_cell(monkeypatch):
    # Parsing is the grader's own work on untrusted text: past MAX_NOTEBOOK_SOURCE characters
    # of code in all, cells read as no code, and stay so for the whole notebook.
    monkeypatch.setattr(nc, "MAX_NOTEBOOK_SOURCE", 100)
    first, second = "best_net = make()\n" + "x = 1\n" * 10, "best_net.train()  # " + "y" * 60
    nc.admit([first, second])
    assert nc.read_cell(first).assigns_best_net
    assert not nc.read_cell(second).parsed and not nc.read_cell(second).methods
    too_long = "z = 1\n" * (nc.MAX_SOURCE // 6 + 1)
    assert not nc.read_cell(too_long).parsed

"""grader/notebook/code.py: the names a cell binds, read with ast (after IPython's transformer)."""
from grader.notebook import code


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
    assert code.assigned_names(source) == {
        "np", "plt", "T", "best_net", "history", "loss_history", "a", "rest", "epoch", "val_acc",
        "fh", "total", "n", "helper", "Net", "stats"}


def test_what_does_not_parse_or_is_too_long_binds_nothing():
    assert code.assigned_names("best_net = (") == set()
    assert code.assigned_names("x = 1\n" + "#" * code.MAX_SOURCE) == set()
    assert code.assigned_names(None) == set()
    assert code.assigned_names("x = " + "(" * 10_000 + ")" * 10_000) == set()

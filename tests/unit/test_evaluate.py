"""grader/notebook/evaluate.py weights_of: which best_net architectures the grader
accepts, given the layer names and weight arrays the kernel sent back."""
import numpy as np
import pytest

from grader.notebook.evaluate import ArchitectureError, weights_of


def linear(d, m):
    return np.zeros((d, m)), np.zeros(m)


def arrays_for(layers, dims):
    """w{i}, b{i} for each Linear at position i, with the sizes in `dims`."""
    arrays, sizes = {}, iter(zip(dims, dims[1:]))
    for i, name in enumerate(layers):
        if name == "Linear":
            arrays[f"w{i}"], arrays[f"b{i}"] = linear(*next(sizes))
    return arrays


ONE_HIDDEN = ["Linear", "ReLU", "Linear", "Softmax"]
TWO_HIDDEN = ["Linear", "ReLU", "Linear", "ReLU", "Linear", "Softmax"]


def test_one_hidden_layer_gives_two_weight_pairs_in_order():
    arrays = arrays_for(ONE_HIDDEN, [3072, 50, 10])
    pairs = weights_of(ONE_HIDDEN, arrays)
    assert len(pairs) == 2
    assert pairs[0][0] is arrays["w0"] and pairs[0][1] is arrays["b0"]
    assert pairs[1][0] is arrays["w2"] and pairs[1][1] is arrays["b2"]


def test_two_hidden_layers_are_accepted():
    pairs = weights_of(TWO_HIDDEN, arrays_for(TWO_HIDDEN, [3072, 100, 40, 10]))
    assert [w.shape for w, _ in pairs] == [(3072, 100), (100, 40), (40, 10)]
    assert [b.shape for _, b in pairs] == [(100,), (40,), (10,)]


def test_a_single_linear_layer_into_softmax_is_accepted():
    layers = ["Linear", "Softmax"]
    assert [w.shape for w, _ in weights_of(layers, arrays_for(layers, [3072, 10]))] == [(3072, 10)]


@pytest.mark.parametrize("layers", [
    [],
    ["Linear"],
    ["Linear", "ReLU", "Softmax"],
    ["Linear", "Linear", "Softmax"],
    ["ReLU", "Linear", "Softmax"],
    ["Linear", "ReLU", "Linear"],
    ["Linear", "ReLU", "Linear", "Softmax", "Softmax"],
    ["Linear", "Sigmoid", "Linear", "Softmax"],
    ["Linear", "ReLU", "ReLU", "Linear", "Softmax"],
], ids=["empty", "no-softmax-one-linear", "relu-then-softmax", "no-relu-between",
        "relu-first", "no-softmax", "two-softmax", "other-activation", "two-relu"])
def test_a_wrong_layer_order_is_refused(layers):
    arrays = {f"{p}{i}": a for i in range(len(layers)) for p, a in zip("wb", linear(3072, 10))}
    with pytest.raises(ArchitectureError, match="the grader accepts Linear layers"):
        weights_of(layers, arrays)


def test_an_empty_layer_list_is_called_missing():
    with pytest.raises(ArchitectureError, match="best_net's layers are missing"):
        weights_of([], {})


@pytest.mark.parametrize("drop", ["w0", "b0", "w2", "b2"])
def test_a_linear_without_its_w_or_b_is_refused(drop):
    arrays = arrays_for(ONE_HIDDEN, [3072, 50, 10])
    del arrays[drop]
    with pytest.raises(ArchitectureError, match=rf"layer {drop[1]} \(Linear\) has no usable w and b"):
        weights_of(ONE_HIDDEN, arrays)


@pytest.mark.parametrize("bias", [np.zeros(49), np.zeros((1, 50)), np.zeros((50, 1)), np.float64(0)],
                         ids=["short", "row", "column", "scalar"])
def test_a_bias_not_of_shape_m_is_refused(bias):
    arrays = arrays_for(ONE_HIDDEN, [3072, 50, 10])
    arrays["b0"] = np.asarray(bias)
    with pytest.raises(ArchitectureError, match=r"layer 0 \(Linear\) has no usable w and b"):
        weights_of(ONE_HIDDEN, arrays)


def test_a_weight_that_is_not_a_matrix_is_refused():
    arrays = arrays_for(ONE_HIDDEN, [3072, 50, 10])
    arrays["w2"] = np.zeros((50, 10, 1))
    with pytest.raises(ArchitectureError, match=r"layer 2 \(Linear\)"):
        weights_of(ONE_HIDDEN, arrays)


def test_layers_whose_sizes_do_not_chain_are_refused():
    arrays = arrays_for(ONE_HIDDEN, [3072, 50, 10])
    arrays["w2"], arrays["b2"] = linear(60, 10)
    with pytest.raises(ArchitectureError, match=r"layer sizes \[3072, 50, 10\] do not chain"):
        weights_of(ONE_HIDDEN, arrays)


@pytest.mark.parametrize("dims", [[3073, 50, 10], [784, 50, 10], [3072, 50, 9], [3072, 50, 100]])
def test_a_network_not_from_3072_inputs_to_10_classes_is_refused(dims):
    with pytest.raises(ArchitectureError, match="do not chain from 3072 inputs to 10 classes"):
        weights_of(ONE_HIDDEN, arrays_for(ONE_HIDDEN, dims))


def test_architecture_error_is_a_value_error():
    assert issubclass(ArchitectureError, ValueError)


def test_prediction_a_slice_at_a_time_is_the_same_and_bounded(monkeypatch):
    """A wide best_net is predicted in slices of rows (evaluate.PREDICT_BYTES): the same
    classes as all rows at once, and never more rows than the bound allows."""
    from grader.notebook import evaluate
    rng = np.random.default_rng(0)
    pairs = [(rng.normal(size=(3072, 300)), rng.normal(size=300)), (rng.normal(size=(300, 10)), rng.normal(size=10))]
    net, x = evaluate.network(pairs), rng.normal(size=(97, 3072))
    whole = net.predict(x)
    seen = []
    original = net.predict
    monkeypatch.setattr(net, "predict", lambda rows: seen.append(len(rows)) or original(rows))
    monkeypatch.setattr(evaluate, "PREDICT_BYTES", 8 * 3 * 3072 * 10)  # ten rows of the widest, 3072
    assert (evaluate.predict(net, pairs, x) == whole).all()
    assert max(seen) == 10 and sum(seen) == 97

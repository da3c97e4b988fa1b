"""The reference layers: forward values against hand computations, backward
passes against centred numerical gradients (float64, relative error < 1e-7)."""
import math

import numpy as np
import pytest

# The public checks' own gradient tools (reference/tests/, shipped to students): one
# definition of the numerical gradient and of relative error for both.
from check_helpers import numeric_gradient, relative_error
from layers.base_layer import BaseLayer
from layers.linear import Linear
from layers.loss_func import CrossEntropyLoss
from layers.relu import ReLU
from layers.sequential import Sequential
from layers.softmax import Softmax

TOLERANCE = 1e-7


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def away_from_zero(rng, shape):
    """Values in ±[0.1, 1): a step of 1e-5 never crosses ReLU's kink."""
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 1.0, size=shape)


# BaseLayer

def test_base_layer_has_no_parameters_and_call_forwards_kwargs():
    class Echo(BaseLayer):
        def forward(self, input_x, scale=1):
            return input_x * scale

    layer = Echo()
    assert layer(3, scale=2) == 6
    assert layer.parameters == [] and layer.grads == []
    layer.zero_grad()  # a layer without parameters must accept it


# Linear

def test_linear_initialises_small_uniform_parameters_of_the_right_shapes():
    layer = Linear(7, 3)
    assert layer.w.shape == (7, 3) and layer.b.shape == (3,)
    for param in (layer.w, layer.b):
        assert np.all(param >= 0) and np.all(param < 1e-4)
    assert layer.dw is None and layer.db is None


def test_linear_forward_matches_an_explicit_sum(rng):
    layer = Linear(4, 3)
    layer.w, layer.b = rng.normal(size=(4, 3)), rng.normal(size=3)
    x = rng.normal(size=(2, 4))
    expected = np.zeros((2, 3))
    for n in range(2):
        for j in range(3):
            expected[n, j] = sum(x[n, i] * layer.w[i, j] for i in range(4)) + layer.b[j]
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-12)


def test_linear_backward_matches_numerical_gradients(rng):
    layer = Linear(5, 4)
    layer.w, layer.b = rng.normal(size=(5, 4)), rng.normal(size=4)
    x = rng.normal(size=(3, 5))
    dout = rng.normal(size=(3, 4))

    def f():
        # A scalar whose gradient with respect to the output is dout.
        return np.sum(layer.forward(x) * dout)

    layer.forward(x)
    dx = layer.backward(dout)
    dw, db = layer.dw.copy(), layer.db.copy()
    assert dx.shape == x.shape and dw.shape == layer.w.shape and db.shape == layer.b.shape
    assert relative_error(dx, numeric_gradient(f, x)) < TOLERANCE
    assert relative_error(dw, numeric_gradient(f, layer.w)) < TOLERANCE
    assert relative_error(db, numeric_gradient(f, layer.b)) < TOLERANCE


def test_linear_exposes_live_parameters_and_zero_grad_clears_gradients(rng):
    layer = Linear(3, 2)
    layer.forward(rng.normal(size=(4, 3)))
    layer.backward(rng.normal(size=(4, 2)))
    # The optimizer updates these very arrays, so they must not be copies.
    assert layer.parameters[0] is layer.w and layer.parameters[1] is layer.b
    assert layer.grads[0] is layer.dw and layer.grads[1] is layer.db
    layer.zero_grad()
    assert layer.grads == [None, None]


# ReLU

def test_relu_forward_matches_elementwise_rule(rng):
    x = rng.normal(size=(3, 4))
    x[0, 0] = 0.0
    expected = np.array([[v if v > 0 else 0.0 for v in row] for row in x])
    np.testing.assert_array_equal(ReLU().forward(x), expected)


def test_relu_backward_matches_numerical_gradient(rng):
    relu = ReLU()
    x = away_from_zero(rng, (4, 5))
    dout = rng.normal(size=(4, 5))
    relu.forward(x)
    dx = relu.backward(dout)
    assert relative_error(dx, numeric_gradient(lambda: np.sum(relu.forward(x) * dout), x)) < TOLERANCE


def test_relu_backward_blocks_gradient_where_input_was_not_positive():
    relu = ReLU()
    relu.forward(np.array([[-2.0, 0.0, 3.0]]))
    np.testing.assert_array_equal(relu.backward(np.array([[5.0, 5.0, 5.0]])), [[0.0, 0.0, 5.0]])


# Softmax and CrossEntropyLoss

def test_softmax_forward_matches_hand_formula(rng):
    logits = rng.normal(size=(3, 4))
    expected = np.array([[math.exp(v) / sum(math.exp(u) for u in row) for v in row]
                         for row in logits])
    np.testing.assert_allclose(Softmax().forward(logits), expected, rtol=1e-12)


def test_softmax_is_stable_on_large_logits():
    # Overflow or nan would raise here; underflow to 0 is the right answer.
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        probs = Softmax().forward(np.array([[1000.0, 1000.0, -1000.0], [1e4, 0.0, -1e4]]))
    np.testing.assert_allclose(probs, [[0.5, 0.5, 0.0], [1.0, 0.0, 0.0]])


def test_softmax_backward_passes_the_gradient_through():
    softmax = Softmax()
    softmax.forward(np.zeros((2, 3)))
    dout = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(softmax.backward(dout), dout)


def test_cross_entropy_forward_is_mean_negative_log_likelihood():
    probs = np.array([[0.7, 0.2, 0.1], [0.25, 0.25, 0.5]])
    labels = np.array([0, 2])
    expected = -(math.log(0.7) + math.log(0.5)) / 2
    assert CrossEntropyLoss().forward(probs, labels) == pytest.approx(expected, rel=1e-12)


def test_softmax_then_cross_entropy_gradient_matches_numerical_gradient(rng):
    softmax, loss = Softmax(), CrossEntropyLoss()
    logits = rng.normal(size=(5, 4))
    labels = rng.integers(0, 4, size=5)

    def f():
        return loss.forward(softmax.forward(logits), labels)

    f()
    # Course convention: loss.backward() is already the gradient w.r.t. the logits.
    dlogits = softmax.backward(loss.backward())
    assert relative_error(dlogits, numeric_gradient(f, logits)) < TOLERANCE


def test_cross_entropy_is_finite_on_large_logits():
    softmax, loss = Softmax(), CrossEntropyLoss()
    # The true class's probability underflows to exactly 0 in the first row.
    logits = np.array([[-1000.0, 1000.0], [500.0, -500.0]])
    value = loss.forward(softmax.forward(logits), np.array([0, 0]))
    assert np.isfinite(value) and value > 100
    assert np.all(np.isfinite(loss.backward()))


def test_cross_entropy_is_finite_on_a_probability_of_exactly_zero():
    loss = CrossEntropyLoss()
    with np.errstate(divide="raise"):  # log(0) would raise here
        value = loss.forward(np.array([[0.0, 1.0]]), np.array([0]))
    assert np.isfinite(value) and value > 100


# Sequential

def small_network(rng):
    """Linear(4, 5) -> ReLU -> Linear(5, 3) -> Softmax with O(1) random weights."""
    net = Sequential([Linear(4, 5), ReLU(), Linear(5, 3), Softmax()])
    for layer in (net._modules[0], net._modules[2]):
        layer.w = rng.normal(size=layer.w.shape)
        layer.b = rng.normal(size=layer.b.shape)
    return net


def test_sequential_forward_chains_modules_in_order(rng):
    net = small_network(rng)
    first, second = net._modules[0], net._modules[2]
    x = rng.normal(size=(6, 4))
    hidden = np.maximum(x @ first.w + first.b, 0)
    logits = hidden @ second.w + second.b
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(net.forward(x), expected, rtol=1e-12)
    np.testing.assert_allclose(net(x), expected, rtol=1e-12)


def test_sequential_backward_gives_numerical_gradients_of_the_loss(rng):
    net = small_network(rng)
    loss = CrossEntropyLoss()
    x = rng.normal(size=(6, 4))
    labels = rng.integers(0, 3, size=6)

    def f():
        return loss.forward(net.forward(x), labels)

    f()
    net.backward(loss.backward())
    first, second = net._modules[0], net._modules[2]
    for layer in (first, second):
        for param, grad in zip(layer.parameters, layer.grads):
            assert relative_error(grad, numeric_gradient(f, param)) < TOLERANCE


def test_sequential_zero_grad_clears_every_module(rng):
    net = small_network(rng)
    loss = CrossEntropyLoss()
    loss.forward(net.forward(rng.normal(size=(2, 4))), np.array([0, 1]))
    net.backward(loss.backward())
    net.zero_grad()
    assert all(grad is None for module in net._modules for grad in module.grads)


def test_sequential_predict_is_argmax_of_the_output(rng):
    net = small_network(rng)
    x = rng.normal(size=(20, 4))
    probs = net.forward(x)
    expected = [max(range(3), key=lambda c: row[c]) for row in probs]
    predictions = net.predict(x)
    assert predictions.shape == (20,)
    np.testing.assert_array_equal(predictions, expected)

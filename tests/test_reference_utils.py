"""The reference utils: optimizer, batching, training loop, accuracy, image
grid, and CIFAR-10 loading on the real data."""
import os
import pickle
import re

import numpy as np
import pytest

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


# SGD

def test_sgd_updates_parameters_in_place_with_weight_decay():
    layer = Linear(3, 2)
    net = Sequential([layer, ReLU()])
    w_before, b_before = layer.w.copy(), layer.b.copy()
    layer.dw = np.full((3, 2), 0.5)
    layer.db = np.array([1.0, -2.0])
    w_array, b_array = layer.w, layer.b
    lr, weight_decay = 0.1, 0.01

    SGD(net, lr, weight_decay).step()

    # The same objects: a model holding references to them sees the update.
    assert layer.w is w_array and layer.b is b_array
    np.testing.assert_allclose(layer.w, w_before - lr * (0.5 + weight_decay * w_before), rtol=1e-12)
    np.testing.assert_allclose(layer.b, b_before - lr * (np.array([1.0, -2.0]) + weight_decay * b_before),
                               rtol=1e-12)


def test_sgd_weight_decay_is_scaled_by_the_learning_rate():
    # The older edition's `p -= lr * grad + weight_decay * p` would give 1 - 0.5 here.
    layer = Linear(1, 1)
    layer.w[:] = 1.0
    layer.dw, layer.db = np.zeros((1, 1)), np.zeros(1)
    SGD(Sequential([layer]), lr=0.1, weight_decay=0.5).step()
    assert layer.w[0, 0] == pytest.approx(1 - 0.1 * 0.5)


def test_sgd_refuses_a_missing_gradient_and_zero_grad_clears_them():
    layer = Linear(2, 2)
    optimizer = SGD(Sequential([layer]), lr=0.1, weight_decay=0.0)
    layer.dw, layer.db = np.ones((2, 2)), np.ones(2)
    optimizer.zero_grad()
    assert layer.dw is None and layer.db is None
    with pytest.raises(AssertionError):
        optimizer.step()


# DataLoader

def make_loader(num_train=10, num_val=7, num_test=3, dims=2):
    """Splits whose x rows encode their index, so a batch shows which rows it holds."""
    def split(num):
        return np.arange(num * dims, dtype=float).reshape(num, dims), np.arange(num)
    return DataLoader(*split(num_train), *split(num_val), *split(num_test))


def test_dataloader_counts_each_split():
    loader = make_loader(num_train=10, num_val=7, num_test=3)
    assert (loader._num_train, loader._num_val, loader._num_test) == (10, 7, 3)


def test_batches_come_in_order_with_a_short_last_batch():
    loader = make_loader(num_train=10)
    batches = list(loader.train_iteration(4, shuffle=False))
    assert [len(y) for _, y in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([y for _, y in batches]), np.arange(10))
    np.testing.assert_array_equal(batches[2][0], loader._x_train[8:10])


def test_shuffled_batches_cover_every_sample_once_and_keep_pairs():
    np.random.seed(0)
    loader = make_loader(num_train=50)
    batches = list(loader.train_iteration(8))
    labels = np.concatenate([y for _, y in batches])
    assert sorted(labels) == list(range(50))
    assert not np.array_equal(labels, np.arange(50))  # actually shuffled
    for x, y in batches:
        np.testing.assert_array_equal(x, loader._x_train[y])


def test_validation_and_test_batches_count_their_own_samples():
    # The course's test_iteration counted training samples: 10 here instead of 3.
    loader = make_loader(num_train=10, num_val=7, num_test=3)
    assert [len(y) for _, y in loader.val_iteration(2)] == [2, 2, 2, 1]
    assert [len(y) for _, y in loader.test_iteration(2)] == [2, 1]
    np.testing.assert_array_equal(np.concatenate([y for _, y in loader.test_iteration(2)]),
                                  loader._y_test)


# Trainer

def blobs(num, rng):
    """Three well separated Gaussian clusters in 4 dimensions: (x (num, 4), y (num,))."""
    y = rng.integers(0, 3, size=num)
    centres = 3 * np.eye(3, 4)
    return centres[y] + 0.3 * rng.normal(size=(num, 4)), y


def make_trainer(epochs, validate_interval):
    rng = np.random.default_rng(1)
    np.random.seed(1)
    loader = DataLoader(*blobs(60, rng), *blobs(30, rng), *blobs(10, rng))
    net = Sequential([Linear(4, 8), ReLU(), Linear(8, 3), Softmax()])
    # O(1) weights: from the course's 1e-4 start a few epochs would barely move.
    for layer in (net._modules[0], net._modules[2]):
        layer.w[:] = rng.normal(size=layer.w.shape)
    return Trainer(loader, SGD(net, lr=0.5, weight_decay=0.0), net, CrossEntropyLoss(),
                   epochs, batch_size=16, validate_interval=validate_interval)


@pytest.mark.parametrize("epochs, validate_interval, validated_epochs", [
    (4, 1, [0, 1, 2, 3]),
    (5, 2, [0, 2, 4]),
    (7, 3, [0, 3, 6]),
    (2, 3, [0]),
])
def test_trainer_returns_and_prints_a_loss_per_epoch_and_validates_on_schedule(
        capsys, epochs, validate_interval, validated_epochs):
    losses, accuracies = make_trainer(epochs, validate_interval).train()
    assert len(losses) == epochs and len(accuracies) == len(validated_epochs)

    lines = capsys.readouterr().out.splitlines()
    expected_kinds = []
    for epoch in range(epochs):
        expected_kinds.append("loss")
        if epoch in validated_epochs:
            expected_kinds.append("acc")
    assert [("loss" if line.startswith("Epoch") else "acc") for line in lines] == expected_kinds

    loss_lines = [line for line in lines if line.startswith("Epoch")]
    acc_lines = [line for line in lines if not line.startswith("Epoch")]
    for line, loss in zip(loss_lines, losses):
        match = re.fullmatch(r"Epoch Average Loss: (\d+\.\d+)", line)
        assert match and float(match.group(1)) == pytest.approx(loss, abs=1e-6)
    for line, accuracy in zip(acc_lines, accuracies):
        assert re.fullmatch(r"Validate Acc: \d\.\d{3}", line)
        assert line == f"Validate Acc: {accuracy:.3f}"


def test_trainer_learns_separable_data_and_validates_the_final_model():
    trainer = make_trainer(epochs=7, validate_interval=3)
    losses, accuracies = trainer.train()
    assert losses[-1] < 0.5 * losses[0]
    loader = trainer.dataset
    final = get_classification_accuracy(trainer.model.predict(loader._x_val), loader._y_val)
    assert accuracies[-1] == final  # epoch 6 is the last one trained
    assert final > 0.9


# get_classification_accuracy

def test_accuracy_is_the_fraction_of_matching_labels():
    assert get_classification_accuracy(np.array([1, 2, 3, 4]), np.array([1, 2, 0, 4])) == 0.75
    assert get_classification_accuracy(np.array([0, 0]), np.array([1, 1])) == 0.0


def test_accuracy_rejects_different_shapes():
    with pytest.raises(AssertionError):
        get_classification_accuracy(np.zeros(3), np.zeros(4))


# visualize_grid

def test_visualize_grid_tiles_images_with_padding():
    rng = np.random.default_rng(2)
    images = rng.uniform(-3, 5, size=(5, 4, 3, 2))
    grid = visualize_grid(images, ubound=255.0, padding=1)
    # 5 images need a 3 x 3 grid: 3 tiles of 4 rows and 2 gaps of 1.
    assert grid.shape == (3 * 4 + 2, 3 * 3 + 2, 2)
    for i, image in enumerate(images):
        row, col = divmod(i, 3)
        tile = grid[row * 5:row * 5 + 4, col * 4:col * 4 + 3]
        assert tile.min() == pytest.approx(0.0) and tile.max() == pytest.approx(255.0)
        # Min-max scaling is affine, so it keeps where each pixel sits between the extremes.
        position = (image - image.min()) / (image.max() - image.min())
        np.testing.assert_allclose(tile / 255.0, position, atol=1e-12)
    assert np.all(grid[4, :] == 0) and np.all(grid[:, 3] == 0)  # padding stays blank


def test_visualize_grid_scales_to_ubound_and_keeps_constant_tiles_finite():
    images = np.stack([np.arange(4.0).reshape(2, 2, 1), np.full((2, 2, 1), 7.0)])
    grid = visualize_grid(images, ubound=1.0, padding=0)
    assert grid.shape == (4, 4, 1)
    np.testing.assert_allclose(grid[:2, :2, 0], [[0, 1 / 3], [2 / 3, 1]])
    np.testing.assert_array_equal(grid[:2, 2:4, 0], 0.0)


# get_cifar10_data on the real CIFAR-10

def read_batch(folder, name):
    """(data uint8 (10000, 3072), labels (10000,)) read straight from the pickle."""
    with open(os.path.join(folder, name), "rb") as f:
        batch = pickle.load(f, encoding="bytes")
    return batch[b"data"], np.array(batch[b"labels"])


@pytest.fixture(scope="module")
def notebook_data(cifar10_dir):
    return get_cifar10_data(subset_train=5000, subset_val=250, subset_test=500)


def test_cifar10_subsets_have_the_notebook_shapes_and_pixels_in_unit_range(notebook_data):
    expected_rows = {"train": 5000, "val": 250, "test": 500}
    for split, rows in expected_rows.items():
        x, y = notebook_data[f"x_{split}"], notebook_data[f"y_{split}"]
        assert x.shape == (rows, 3072) and x.dtype == np.float64
        assert y.shape == (rows,) and np.issubdtype(y.dtype, np.integer)
        assert x.min() >= 0.0 and x.max() <= 1.0
        assert set(np.unique(y)) <= set(range(10))


def test_cifar10_split_is_deterministic_rows_of_the_batches(cifar10_dir, notebook_data):
    batch1, labels1 = read_batch(cifar10_dir, "data_batch_1")
    batch5, labels5 = read_batch(cifar10_dir, "data_batch_5")
    test, test_labels = read_batch(cifar10_dir, "test_batch")
    # Training rows 0..4999 are batch 1; rows 45000.. are the second half of batch 5.
    np.testing.assert_array_equal(notebook_data["x_train"] * 255, batch1[:5000])
    np.testing.assert_array_equal(notebook_data["y_train"], labels1[:5000])
    np.testing.assert_array_equal(notebook_data["x_val"] * 255, batch5[5000:5250])
    np.testing.assert_array_equal(notebook_data["y_val"], labels5[5000:5250])
    np.testing.assert_array_equal(notebook_data["x_test"] * 255, test[:500])
    np.testing.assert_array_equal(notebook_data["y_test"], test_labels[:500])


def test_cifar10_images_are_channel_last_and_float32_is_available(cifar10_dir):
    data = get_cifar10_data(cifar10_dir, return_image=True, dtype=np.float32,
                            subset_train=3, subset_val=2, subset_test=4)
    assert data["x_train"].shape == (3, 32, 32, 3)
    assert data["x_val"].shape == (2, 32, 32, 3) and data["x_test"].shape == (4, 32, 32, 3)
    assert data["x_train"].dtype == np.float32
    raw, _ = read_batch(cifar10_dir, "data_batch_1")
    # Pixel (row 5, column 7) of channel c is entry c*1024 + 5*32 + 7 of a planar row.
    for channel in range(3):
        assert data["x_train"][1, 5, 7, channel] == np.float32(raw[1, channel * 1024 + 5 * 32 + 7] / 255)


def test_cifar10_split_sizes_move_the_validation_rows(cifar10_dir):
    data = get_cifar10_data(num_samples_train=40000, num_samples_val=100, subset_train=10)
    batch5, _ = read_batch(cifar10_dir, "data_batch_5")
    assert data["x_train"].shape == (10, 3072) and data["x_val"].shape == (100, 3072)
    np.testing.assert_array_equal(data["x_val"] * 255, batch5[:100])
    with pytest.raises(ValueError):
        get_cifar10_data(num_samples_train=45000, num_samples_val=5001)


def test_cifar10_feature_process_output_is_flattened(cifar10_dir):
    data = get_cifar10_data(subset_train=4, subset_val=4, subset_test=4,
                            feature_process=lambda images: images.mean(axis=3))
    assert data["x_train"].shape == (4, 32 * 32)

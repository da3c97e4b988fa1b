import numpy as np


class DataLoader:
    """Holds the train/val/test splits and yields (x, y) minibatches of them."""

    def __init__(self, x_train, y_train, x_val, y_val, x_test, y_test):
        self._x_train, self._y_train = x_train, y_train
        self._x_val, self._y_val = x_val, y_val
        self._x_test, self._y_test = x_test, y_test
        self._num_train = len(x_train)
        self._num_val = len(x_val)
        self._num_test = len(x_test)

    @staticmethod
    def _iterate(x, y, num, batch_size, shuffle):
        order = np.random.permutation(num) if shuffle else np.arange(num)
        for start in range(0, num, batch_size):
            idx = order[start:start + batch_size]
            if shuffle:
                yield x[idx], y[idx]
            else:
                # Contiguous slices are views: no copy of the batch.
                yield x[start:start + batch_size], y[start:start + batch_size]

    def train_iteration(self, batch_size, shuffle=True):
        """Yield (x, y) training batches; the last one may be short."""
        return self._iterate(self._x_train, self._y_train, self._num_train, batch_size, shuffle)

    def val_iteration(self, batch_size, shuffle=False):
        """Yield (x, y) validation batches; the last one may be short."""
        return self._iterate(self._x_val, self._y_val, self._num_val, batch_size, shuffle)

    def test_iteration(self, batch_size, shuffle=False):
        """Yield (x, y) test batches; the last one may be short.

        The course's version counted training samples here; this one counts test samples.
        """
        return self._iterate(self._x_test, self._y_test, self._num_test, batch_size, shuffle)

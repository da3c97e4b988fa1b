import numpy as np

from .base_layer import BaseLayer


class CrossEntropyLoss(BaseLayer):
    """Mean negative log-likelihood of integer labels under Softmax probabilities."""

    def __init__(self):
        self.cache = None

    def forward(self, input_x, target_y):
        """Given probabilities (N, C) and integer labels (N,), return the mean of -log(probability of the true class), a scalar."""
        # BEGIN SOLUTION
        probs = input_x
        n = probs.shape[0]
        true_class = probs[np.arange(n), target_y]
        # A probability that underflowed to 0 would give log(0) = -inf; the
        # smallest positive float keeps the loss finite (about 708 at most).
        true_class = np.maximum(true_class, np.finfo(probs.dtype).tiny)
        self.cache = (probs, target_y)
        return -np.mean(np.log(true_class))
        # END SOLUTION

    def backward(self):
        """Return (probs - onehot(labels)) / N, the gradient with respect to the logits that entered Softmax; shape (N, C)."""
        # BEGIN SOLUTION
        probs, target_y = self.cache
        n = probs.shape[0]
        dlogits = probs.copy()
        dlogits[np.arange(n), target_y] -= 1
        dlogits /= n
        return dlogits
        # END SOLUTION

import numpy as np

from .base_layer import BaseLayer


class CrossEntropyLoss(BaseLayer):
    """Mean negative log-likelihood of integer labels under Softmax probabilities."""

    def __init__(self):
        self.cache = None

    def forward(self, input_x, target_y):
        """Given probabilities (N, C) and integer labels (N,), return the mean of -log(probability of the true class), a scalar."""
        raise NotImplementedError("CrossEntropyLoss.forward: Given probabilities (N, C) and integer labels (N,), return the mean of -log(probability of the true class), a scalar.")

    def backward(self):
        """Return (probs - onehot(labels)) / N, the gradient with respect to the logits that entered Softmax; shape (N, C)."""
        raise NotImplementedError("CrossEntropyLoss.backward: Return (probs - onehot(labels)) / N, the gradient with respect to the logits that entered Softmax; shape (N, C).")

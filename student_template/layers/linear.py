import numpy as np

from .base_layer import BaseLayer


class Linear(BaseLayer):
    """Fully connected layer: out = x @ w + b.

    w: (input_dims, output_dims), b: (output_dims,). Like the course, the
    parameters start as uniform [0, 1) values times 1e-4.
    """

    def __init__(self, input_dims, output_dims):
        self.w = np.random.rand(input_dims, output_dims) * 1e-4
        self.b = np.random.rand(output_dims) * 1e-4
        self.dw = None
        self.db = None
        self.cache = None

    def forward(self, input_x):
        """Return x @ w + b for x of shape (N, input_dims); shape (N, output_dims)."""
        raise NotImplementedError("Linear.forward: Return x @ w + b for x of shape (N, input_dims); shape (N, output_dims).")

    def backward(self, dout):
        """Given dout (N, output_dims), set dw (input_dims, output_dims) and db (output_dims,), and return dx (N, input_dims)."""
        raise NotImplementedError("Linear.backward: Given dout (N, output_dims), set dw (input_dims, output_dims) and db (output_dims,), and return dx (N, input_dims).")

    def zero_grad(self):
        self.dw = None
        self.db = None

    @property
    def parameters(self):
        return [self.w, self.b]

    @property
    def grads(self):
        return [self.dw, self.db]

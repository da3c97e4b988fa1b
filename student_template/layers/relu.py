import numpy as np

from .base_layer import BaseLayer


class ReLU(BaseLayer):
    """Elementwise max(0, x)."""

    def __init__(self):
        self.cache = None

    def forward(self, input_x):
        """Return max(0, x) elementwise, same shape as x, caching x for backward."""
        raise NotImplementedError("ReLU.forward: Return max(0, x) elementwise, same shape as x, caching x for backward.")

    def backward(self, dout):
        """Return dout where the cached input was > 0 and 0 elsewhere (same shape as dout)."""
        raise NotImplementedError("ReLU.backward: Return dout where the cached input was > 0 and 0 elsewhere (same shape as dout).")

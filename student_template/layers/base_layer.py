class BaseLayer:
    """A layer: `forward` maps a batch to a batch, `backward` maps the upstream
    gradient to the gradient with respect to the layer's input."""

    def __call__(self, input_x, **kwargs):
        return self.forward(input_x, **kwargs)

    def forward(self, input_x):
        raise NotImplementedError

    def backward(self, *args, **kwargs):
        raise NotImplementedError

    def zero_grad(self):
        pass

    @property
    def parameters(self):
        """The live parameter arrays; the optimizer updates them in place."""
        return []

    @property
    def grads(self):
        """Gradients of `parameters`, in the same order."""
        return []

from layers.sequential import Sequential


class Optimizer:
    """Updates the parameters of every module of a Sequential model."""

    def __init__(self, model: Sequential):
        self.model = model

    def step(self):
        raise NotImplementedError

    def zero_grad(self):
        self.model.zero_grad()


class SGD(Optimizer):
    """Plain SGD with L2 weight decay: p -= lr * (grad + weight_decay * p)."""

    def __init__(self, model: Sequential, lr, weight_decay=0.0):
        super().__init__(model)
        self.lr = lr
        self.weight_decay = weight_decay

    def step(self):
        for module in self.model._modules:
            for param, grad in zip(module.parameters, module.grads):
                assert grad is not None, (
                    f"{type(module).__name__} has a parameter without a gradient: "
                    "did backward set it?"
                )
                # In place: the module must see the update through its own arrays.
                param -= self.lr * (grad + self.weight_decay * param)

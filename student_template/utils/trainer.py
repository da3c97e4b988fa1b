import numpy as np

from layers.sequential import Sequential

from .evaluation import get_classification_accuracy


class Trainer:
    """Minibatch training of `model` on `dataset` (a DataLoader)."""

    def __init__(self, dataset, optimizer, model: Sequential, loss_func, epoch,
                 batch_size, evaluate_batch_size=None, validate_interval=1):
        self.dataset = dataset
        self.optimizer = optimizer
        self.model = model
        self.loss_func = loss_func
        self.epoch = epoch
        self.batch_size = batch_size
        self.evaluate_batch_size = evaluate_batch_size or batch_size
        self.validate_interval = validate_interval

    def train_epoch(self):
        """One pass over the training set; returns the mean minibatch loss."""
        losses = []
        for x, y in self.dataset.train_iteration(self.batch_size):
            out = self.model(x)
            loss = self.loss_func.forward(out, y)
            self.optimizer.zero_grad()
            self.model.backward(self.loss_func.backward())
            self.optimizer.step()
            losses.append(loss)
        return float(np.mean(losses))

    def validate(self):
        """Validation accuracy of the model's predictions."""
        predictions, labels = [], []
        for x, y in self.dataset.val_iteration(self.evaluate_batch_size):
            predictions.append(self.model.predict(x))
            labels.append(y)
        return get_classification_accuracy(np.concatenate(predictions), np.concatenate(labels))

    def train(self):
        """Run `epoch` epochs; return (per-epoch mean losses, validation accuracies)."""
        epoch_losses, val_accuracies = [], []
        for epoch in range(self.epoch):
            mean_loss = self.train_epoch()
            epoch_losses.append(mean_loss)
            print(f"Epoch Average Loss: {mean_loss:f}")
            if epoch % self.validate_interval == 0:
                accuracy = self.validate()
                val_accuracies.append(accuracy)
                print(f"Validate Acc: {accuracy:.3f}")
        return epoch_losses, val_accuracies

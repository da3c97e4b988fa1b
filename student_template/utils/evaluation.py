import numpy as np


def get_classification_accuracy(y_prediction, y_ground_truth):
    """Fraction of positions where the predicted label (N,) equals the true one (N,)."""
    y_prediction = np.asarray(y_prediction)
    y_ground_truth = np.asarray(y_ground_truth)
    assert y_prediction.shape == y_ground_truth.shape, (
        f"prediction shape {y_prediction.shape} != ground truth shape {y_ground_truth.shape}"
    )
    return float(np.mean(y_prediction == y_ground_truth))

from math import ceil, sqrt

import numpy as np


def visualize_grid(Xs, ubound=255.0, padding=1):
    """Tile images Xs (N, H, W, C) into one grid image, each tile min-max scaled to [0, ubound].

    Returns an array of shape (G*H + (G-1)*padding, G*W + (G-1)*padding, C)
    with G = ceil(sqrt(N)).
    """
    n, h, w, c = Xs.shape
    grid_size = int(ceil(sqrt(n)))
    grid_h = h * grid_size + padding * (grid_size - 1)
    grid_w = w * grid_size + padding * (grid_size - 1)
    grid = np.zeros((grid_h, grid_w, c))
    for i in range(n):
        row, col = divmod(i, grid_size)
        y0, x0 = row * (h + padding), col * (w + padding)
        img = Xs[i]
        low, high = np.min(img), np.max(img)
        scale = high - low
        grid[y0:y0 + h, x0:x0 + w] = ubound * (img - low) / scale if scale > 0 else 0.0
    return grid

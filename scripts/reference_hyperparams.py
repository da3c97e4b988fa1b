"""The reference's hyperparameters for the notebook's network: the single source of truth.

BEST_NET_HYPERPARAMS is the notebook's `best_net_hyperparams`:
[learning rate, weight decay, epochs, hidden size]. How they were chosen is in
docs/hyperparameter_search.md; `make sweep` checks them over many seeds.
"""

BEST_NET_HYPERPARAMS = [0.1, 0.002, 120, 80]
BATCH_SIZE = 200

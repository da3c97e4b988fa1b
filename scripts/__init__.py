"""Scripts that tune and check the reference's notebook hyperparameters."""

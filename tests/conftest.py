"""Shared test set-up: CIFAR-10 is found through $CIFAR10_DIR. (pyproject.toml's
`pythonpath` makes the reference importable as the course's `layers` and `utils`.)"""
import pytest


@pytest.fixture(scope="session")
def cifar10_dir():
    """The extracted CIFAR-10 folder (`make test` fetches it first)."""
    from utils.download_cifar10 import default_dest, missing_batches
    folder = default_dest()
    if missing_batches(folder):
        pytest.fail(f"CIFAR-10 is not in {folder}: run the tests through `make test`, "
                    "which fetches it first.")
    return folder

"""Shared test set-up: the reference is importable as the course's top-level
`layers` and `utils` packages, and CIFAR-10 is found through $CIFAR10_DIR."""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REFERENCE = os.path.join(ROOT, "reference")
if REFERENCE not in sys.path:
    sys.path.insert(0, REFERENCE)


@pytest.fixture(scope="session")
def cifar10_dir():
    """The extracted CIFAR-10 folder (`make test` fetches it first)."""
    from utils.download_cifar10 import default_dest, missing_batches
    folder = default_dest()
    if missing_batches(folder):
        pytest.fail(f"CIFAR-10 is not in {folder}: run the tests through `make test`, "
                    "which fetches it first.")
    return folder

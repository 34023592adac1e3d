import numpy as np
import pytest

import lamina

# The fixture generators import torch (run by hand, never by the suite).
collect_ignore_glob = ["fixtures/make_*.py", "*/make_*.py"]  # fixture scripts: run by hand


@pytest.fixture(autouse=True)
def _seeded():
    """Every test starts from the same random state and the NumPy backend."""
    lamina.set_backend("numpy")
    lamina.seed(1234)
    yield


@pytest.fixture
def rng():
    return np.random.default_rng(0)

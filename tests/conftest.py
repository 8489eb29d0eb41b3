import numpy as np
import pytest

import glia


@pytest.fixture(autouse=True)
def _seed():
    glia.manual_seed(0)
    np.random.seed(0)
    yield


@pytest.fixture
def restore_threads():
    """Puts glia's thread count back after a test that sets it."""
    n = glia.get_num_threads()
    yield
    glia.set_num_threads(n)

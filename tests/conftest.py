import numpy as np
import pytest

import glia


@pytest.fixture(autouse=True)
def _seed():
    glia.manual_seed(0)
    np.random.seed(0)
    yield

import numpy as np
import pytest

import graphgrad as gg


@pytest.fixture(autouse=True)
def _seed_and_verify():
    """Every test starts from the same seeds and verifies graphs after every pass."""
    gg.manual_seed(0)
    np.random.seed(0)
    previous = gg.config.verify_passes
    gg.config.verify_passes = True
    yield
    gg.config.verify_passes = previous

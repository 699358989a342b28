"""graphgrad's random generator, shared by eager ops and compiled graphs."""
import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed):
    """Seed eager and compiled randomness (dropout, rand, randn, init)."""
    global _generator
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def generator():
    return _generator


def get_state():
    return _generator.bit_generator.state


def set_state(state):
    _generator.bit_generator.state = state

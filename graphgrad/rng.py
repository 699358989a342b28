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


class Generator:
    """A random generator of its own (torch.Generator's methods), for samplers, DataLoader
    shuffling and random_split: `g = gg.Generator(); g.manual_seed(0)`. Its numbers are
    NumPy's, so a seed gives graphgrad's sequence, not torch's."""

    def __init__(self, device="cpu"):
        from graphgrad.devices import check
        self.device = check(device, "Generator")
        self._seed = int(np.random.SeedSequence().entropy % 2 ** 63)
        self._numpy = np.random.default_rng(self._seed)

    def manual_seed(self, seed):
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise TypeError(f"Generator.manual_seed: seed must be an int, got "
                            f"{type(seed).__name__}")
        self._seed = int(seed)
        self._numpy = np.random.default_rng(self._seed)
        return self

    def seed(self):
        """Reseed from the operating system's entropy; returns the new seed."""
        self.manual_seed(int(np.random.SeedSequence().entropy % 2 ** 63))
        return self._seed

    def initial_seed(self):
        return self._seed

    def get_state(self):
        return self._numpy.bit_generator.state

    def set_state(self, state):
        self._numpy.bit_generator.state = state
        return self

    def __repr__(self):
        return f"<graphgrad.Generator seed={self._seed}>"


def numpy_generator(generator, what):
    """The NumPy generator behind `generator` (a gg.Generator or numpy.random.Generator); for
    None, a fresh one seeded from graphgrad's generator (so gg.manual_seed governs it)."""
    if generator is None:
        return np.random.default_rng(int(_generator.integers(2 ** 63)))
    if isinstance(generator, Generator):
        return generator._numpy
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(f"{what}: generator must be a graphgrad.Generator or a "
                    f"numpy.random.Generator, got {type(generator).__name__}")

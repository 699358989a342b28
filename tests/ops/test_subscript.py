"""`x[index]` and `x[index] = value` against torch on many generated indices: ints, slices,
None, Ellipsis, bool scalars and masks, 0-d and n-d index tensors (adjacent or not, broadcast
together), with negative and repeated indices. Values, shapes and gradients, eager and compiled;
the errors torch raises (IndexError) for bad indices."""
import numpy as np
import pytest

import graphgrad as gg

torch = pytest.importorskip("torch")

N_CASES = 150


class Gen:
    """Random index tuples for a tensor of a random shape."""

    def __init__(self, seed, bad=False):
        self.rng = np.random.default_rng(seed)
        self.bad = bad          # also out-of-range values, extra dims, mismatched shapes

    def shape(self):
        ndim = int(self.rng.integers(1, 6))
        return tuple(int(n) for n in self.rng.integers(1, 5, ndim))

    def index(self, shape, masks=True, scalars=True):
        """(items for graphgrad, items for torch): tensors stand as arrays until used."""
        items = []
        d = 0
        ellipsis = False
        ishapes = [(3,), (2, 1), (1, 3), (2, 3), ()]
        while d < len(shape) + (2 if self.bad else 0):
            n = shape[d] if d < len(shape) else 3
            wide = 2 if self.bad else 0
            kind = self.rng.choice(["int", "slice", "slice", "none", "tensor", "tensor", "zero-d",
                                    "mask", "bool", "ellipsis", "stop"])
            if kind == "stop" and items:
                break
            if kind == "int":
                items.append(int(self.rng.integers(-n - wide, n + wide)))
                d += 1
            elif kind == "slice":
                start = self.rng.choice([None, int(self.rng.integers(-n - 1, n + 1))])
                stop = self.rng.choice([None, int(self.rng.integers(-n - 1, n + 2))])
                step = self.rng.choice([None, 1, 2, 3])
                items.append(slice(start, stop, step))
                d += 1
            elif kind == "none":
                items.append(None)
            elif kind == "bool" and scalars:
                items.append(bool(self.rng.random() < 0.7))
            elif kind == "ellipsis" and not ellipsis:
                ellipsis = True
                skip = int(self.rng.integers(0, max(len(shape) - d, 0) + 1))
                items.append(Ellipsis)
                d += skip
            elif kind == "mask" and masks:
                k = int(self.rng.integers(1, max(min(2, len(shape) - d), 1) + 1))
                mshape = shape[d:d + k] if not self.bad else tuple(self.rng.integers(1, 4, k))
                items.append(self.rng.random(mshape) < 0.6)
                d += k
            elif kind in ("tensor", "zero-d"):
                ishape = () if kind == "zero-d" else ishapes[int(self.rng.integers(0, 4))]
                items.append(self.rng.integers(-n - wide, n + wide, ishape))
                d += 1
        if self.bad:
            return items
        # index tensors must broadcast together: redraw if they do not
        try:
            torch.zeros(shape)[to_torch(items)]
        except IndexError:
            return self.index(shape, masks, scalars)
        return items


def to_torch(items):
    return tuple(torch.from_numpy(a) if isinstance(a, np.ndarray) else a for a in items)


def to_gg(items):
    return tuple(gg.tensor(a) if isinstance(a, np.ndarray) else a for a in items)


def has_mask(items):
    return any(isinstance(a, np.ndarray) and a.dtype == bool for a in items)


def cases(seed, masks=True):
    gen = Gen(seed)
    out = []
    for _ in range(N_CASES):
        shape = gen.shape()
        out.append((shape, gen.index(shape, masks)))
    return out


def describe(items):
    return "[" + ", ".join(f"array{a.shape}{a.dtype}" if isinstance(a, np.ndarray) else repr(a)
                           for a in items) + "]"


@pytest.mark.parametrize("shape, items", cases(1))
def test_getitem_matches_torch(shape, items):
    x = np.random.default_rng(0).standard_normal(shape)
    want = torch.from_numpy(x)[to_torch(items)].numpy()
    got = gg.tensor(x)[to_gg(items)]
    assert got.shape == want.shape, describe(items)
    np.testing.assert_array_equal(got.numpy(), want, err_msg=describe(items))
    if not has_mask(items):
        compiled = gg.compile(lambda t: t[to_gg(items)])(gg.tensor(x))
        np.testing.assert_array_equal(compiled.numpy(), want, err_msg=describe(items))


@pytest.mark.parametrize("shape, items", cases(2))
def test_getitem_gradients_match_torch(shape, items):
    x = np.random.default_rng(0).standard_normal(shape)
    tx = torch.from_numpy(x).requires_grad_(True)
    out = tx[to_torch(items)]
    w = np.random.default_rng(1).standard_normal(tuple(out.shape))
    (out * torch.from_numpy(w)).sum().backward()

    def loss(t):
        return (t[to_gg(items)] * gg.tensor(w)).sum()

    gx = gg.tensor(x, requires_grad=True)
    loss(gx).backward()
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), err_msg=describe(items))
    if not has_mask(items):
        g = gg.grad(loss)(gg.tensor(x))
        np.testing.assert_allclose(g.numpy(), tx.grad.numpy(), err_msg=describe(items))


@pytest.mark.parametrize("shape, items", cases(3))
def test_setitem_matches_torch(shape, items):
    """x[index] = v for v of the region's shape (or a broadcastable part of it), values and
    gradients for x and v."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    region = torch.from_numpy(x)[to_torch(items)].shape
    vshape = tuple(region[int(rng.integers(0, len(region) + 1)):])
    v = rng.standard_normal(vshape)
    w = rng.standard_normal(shape)
    # repeated indices make the written value implementation-defined: only check unique ones
    tx, tv = torch.from_numpy(x).requires_grad_(True), torch.from_numpy(v).requires_grad_(True)
    ty = tx.clone()
    ty[to_torch(items)] = tv
    (ty * torch.from_numpy(w)).sum().backward()

    def f(a, b):
        y = a.clone()
        y[to_gg(items)] = b
        return y

    probe = torch.zeros(shape, dtype=torch.float64)
    probe[to_torch(items)] += torch.ones(region, dtype=torch.float64)
    unique = probe.max().item() <= 1 or not vshape
    gx, gv = gg.tensor(x, requires_grad=True), gg.tensor(v, requires_grad=True)
    y = f(gx, gv)
    if unique:
        np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy(),
                                      err_msg=describe(items))
    (y * gg.tensor(w)).sum().backward()
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), err_msg=describe(items))
    np.testing.assert_allclose(gv.grad.numpy(), tv.grad.numpy(), err_msg=describe(items))
    if not has_mask(items):
        c = gg.compile(f)(gg.tensor(x), gg.tensor(v))
        if unique:
            np.testing.assert_array_equal(c.numpy(), ty.detach().numpy(), err_msg=describe(items))
        ga, gb = gg.grad(lambda a, b: (f(a, b) * gg.tensor(w)).sum(), argnums=(0, 1))(
            gg.tensor(x), gg.tensor(v))
        np.testing.assert_allclose(ga.numpy(), tx.grad.numpy(), err_msg=describe(items))
        np.testing.assert_allclose(gb.numpy(), tv.grad.numpy(), err_msg=describe(items))


@pytest.mark.parametrize("seed", range(4))
def test_bad_indices_raise_index_error_like_torch(seed):
    """Random indices, some out of range, with too many items or mismatched shapes: graphgrad
    raises IndexError exactly when torch does, eagerly and compiled, and else agrees."""
    gen = Gen(100 + seed, bad=True)
    raised = 0
    for _ in range(100):
        shape = gen.shape()
        items = gen.index(shape)
        x = np.random.default_rng(0).standard_normal(shape)
        try:
            want = torch.from_numpy(x)[to_torch(items)].numpy()
        except IndexError:
            want = None
        runs = [lambda: gg.tensor(x)[to_gg(items)]]
        if not has_mask(items):
            runs.append(lambda: gg.compile(lambda t: t[to_gg(items)])(gg.tensor(x)))
        for run in runs:
            if want is None:
                with pytest.raises(IndexError):
                    run()
                raised += 1
            else:
                np.testing.assert_array_equal(run().numpy(), want, err_msg=describe(items))
    assert raised > 20

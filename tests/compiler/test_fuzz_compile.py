"""Random programs, compiled vs eager (SPEC section 10: never a silently wrong number).

Hypothesis builds small programs from the public op functions: elementwise unary and binary ops
with broadcasting, reductions over random dims (with keepdim), reshape / permute / transpose /
getitem, matmul, softmax / log_softmax, where, clamp, cat / stack. A program is a list of steps
over a pool of values; every step is chosen to fit the shapes computed so far (shapes are known
at generation time because the program is built by running it eagerly once).

Each program is then checked in float64:
- compiled forward == eager forward,
- gg.grad (symbolic backward, compiled) == eager backward,
- compiled forward + eager `.backward()` (the AOT backward schedule) == eager backward.
"""
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import graphgrad as gg

RTOL = 1e-9
ATOL = 1e-11
MAX_STEPS = 8
FUZZ_SETTINGS = settings(max_examples=500, deadline=None,
                         suppress_health_check=[HealthCheck.too_slow,
                                                HealthCheck.data_too_large])


# -- the op menu: every entry is a function of tensors and drawn static arguments ----------------

UNARY = {
    "neg": lambda x: -x,
    "exp_tanh": lambda x: gg.exp(gg.tanh(x)),           # bounded: no overflow in long chains
    "log_abs": lambda x: gg.log(gg.abs(x) + 0.5),
    "log1p_sq": lambda x: gg.log1p(x * x),
    "sqrt_sq": lambda x: gg.sqrt(x * x + 0.1),
    "tanh": gg.tanh,
    "sigmoid": gg.sigmoid,
    "relu": gg.relu,
    "sin": gg.sin,
    "cos": gg.cos,
    "square": lambda x: gg.square(x) * 0.5,
    "abs": gg.abs,
    "scale": lambda x: x * 1.5 - 0.25,
    "rsub": lambda x: 2.0 - x,
    "pow2": lambda x: x ** 2,
    "pow_half": lambda x: (x * x + 0.5) ** 0.5,
}

BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (gg.abs(b) + 0.5),
    "maximum": gg.maximum,
    "minimum": gg.minimum,
    "pow": lambda a, b: gg.pow(gg.abs(a) + 0.5, gg.tanh(b)),
    "where_gt": lambda a, b: gg.where(a > b, a, b * 0.5),
    "where_le": lambda a, b: gg.where(a <= b, a * b, a - b),
}

REDUCE = {
    "sum": lambda x, dim, keepdim: gg.sum(x, dim=dim, keepdim=keepdim),
    "mean": lambda x, dim, keepdim: gg.mean(x, dim=dim, keepdim=keepdim),
    "amax": lambda x, dim, keepdim: gg.amax(x, dim=dim, keepdim=keepdim),
    "amin": lambda x, dim, keepdim: gg.amin(x, dim=dim, keepdim=keepdim),
    "logsumexp": lambda x, dim, keepdim: gg.logsumexp(x, dim=dim, keepdim=keepdim),
    "var": lambda x, dim, keepdim: gg.var(x, dim=dim, keepdim=keepdim, correction=0),
}


def _divisors(n):
    return [d for d in range(1, n + 1) if n % d == 0]


def _factorizations(n, max_ndim=3):
    """Some shapes with `n` elements (used for reshape targets)."""
    out = [(n,)]
    for a in _divisors(n):
        out.append((a, n // a))
        for b in _divisors(n // a):
            out.append((a, b, n // a // b))
    return [s for s in out if len(s) <= max_ndim]


def _broadcastable(s1, s2):
    try:
        np.broadcast_shapes(s1, s2)
        return True
    except ValueError:
        return False


# -- program generation ---------------------------------------------------------------------------

def _draw_step(draw, shapes):
    """One step as (kind, args): `args` index into the pool or are static values."""
    n = len(shapes)
    kinds = ["unary", "binary", "scalar", "reduce", "movement", "softmax", "clamp", "where",
             "matmul", "cat", "stack"]
    kind = draw(st.sampled_from(kinds))
    i = draw(st.integers(0, n - 1))
    shape = shapes[i]
    ndim = len(shape)
    if kind == "unary":
        return ("unary", draw(st.sampled_from(sorted(UNARY))), i)
    if kind in ("binary", "where"):
        partners = [j for j in range(n) if _broadcastable(shape, shapes[j])]
        j = draw(st.sampled_from(partners))
        name = draw(st.sampled_from(sorted(BINARY)))
        return ("binary", name, i, j)
    if kind == "scalar":
        c = draw(st.sampled_from([-1.5, -0.5, 0.25, 2.0]))
        op = draw(st.sampled_from(["add", "mul", "rsub", "rdiv"]))
        return ("scalar", op, i, c)
    if kind == "reduce":
        name = draw(st.sampled_from(sorted(REDUCE)))
        keepdim = draw(st.booleans())
        if ndim == 0:
            dim = None
        else:
            dim = draw(st.one_of(
                st.none(),
                st.integers(-ndim, ndim - 1),
                st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim,
                         unique=True).map(tuple)))
        return ("reduce", name, i, dim, keepdim)
    if kind == "movement":
        choices = ["reshape"]
        if ndim >= 1:
            choices += ["permute", "getitem_slice", "getitem_int", "unsqueeze"]
        if ndim >= 2:
            choices += ["transpose"]
        what = draw(st.sampled_from(choices))
        if what == "reshape":
            size = math.prod(shape)
            target = draw(st.sampled_from(_factorizations(size)))
            if len(target) > 1 and draw(st.booleans()):
                k = draw(st.integers(0, len(target) - 1))
                target = tuple(-1 if d == k else s for d, s in enumerate(target))
            return ("reshape", i, target)
        if what == "permute":
            perm = tuple(draw(st.permutations(range(ndim))))
            return ("permute", i, perm)
        if what == "transpose":
            d0 = draw(st.integers(-ndim, ndim - 1))
            d1 = draw(st.integers(-ndim, ndim - 1))
            return ("transpose", i, d0, d1)
        if what == "unsqueeze":
            return ("unsqueeze", i, draw(st.integers(-ndim - 1, ndim)))
        dim = draw(st.integers(0, ndim - 1))
        size = shape[dim]
        if what == "getitem_int":
            return ("getitem", i, dim, draw(st.integers(-size, size - 1)))
        start = draw(st.integers(0, size - 1))
        stop = draw(st.integers(start + 1, size))
        step = draw(st.sampled_from([1, 1, 2]))
        return ("getitem", i, dim, slice(start, stop, step))
    if kind == "softmax":
        if ndim == 0:
            return ("unary", "tanh", i)
        dim = draw(st.integers(-ndim, ndim - 1))
        return ("softmax", draw(st.sampled_from(["softmax", "log_softmax"])), i, dim)
    if kind == "clamp":
        lo = draw(st.sampled_from([None, -1.0, -0.3, 0.0]))
        hi = draw(st.sampled_from([None, 0.5, 1.0]) if lo is not None
                       else st.sampled_from([0.5, 1.0]))
        return ("clamp", i, lo, hi)
    if kind == "matmul":
        if ndim == 0:
            return ("unary", "sigmoid", i)
        k = shape[-1]
        right_ndim = draw(st.integers(1, 3))
        if right_ndim == 1:
            right = (k,)
        else:
            m = draw(st.integers(1, 3))
            batch = ()
            if right_ndim == 3:
                lead = shape[-3] if ndim >= 3 else draw(st.integers(1, 2))
                batch = (draw(st.sampled_from([1, lead])),)
            right = batch + (k, m)
        # the right operand is an existing value when one fits, else a new input
        fits = [j for j in range(n) if shapes[j] == right]
        if fits and draw(st.booleans()):
            return ("matmul", i, draw(st.sampled_from(fits)))
        return ("matmul_new", i, right)
    if kind == "cat":
        if ndim == 0:
            return ("stack", (i, i), 0)
        dim = draw(st.integers(-ndim, ndim - 1))
        d = dim % ndim
        partners = [j for j in range(n) if len(shapes[j]) == ndim and
                    all(shapes[j][a] == shape[a] for a in range(ndim) if a != d)]
        others = draw(st.lists(st.sampled_from(partners), min_size=1, max_size=2))
        return ("cat", (i, *others), dim)
    partners = [j for j in range(n) if shapes[j] == shape]
    others = draw(st.lists(st.sampled_from(partners), min_size=1, max_size=2))
    dim = draw(st.integers(-ndim - 1, ndim))
    return ("stack", (i, *others), dim)


def _apply(step, pool, inputs):
    kind = step[0]
    if kind == "unary":
        return UNARY[step[1]](pool[step[2]])
    if kind == "binary":
        return BINARY[step[1]](pool[step[2]], pool[step[3]])
    if kind == "scalar":
        _, op, i, c = step
        x = pool[i]
        return {"add": lambda: x + c, "mul": lambda: x * c, "rsub": lambda: c - x,
                "rdiv": lambda: c / (gg.abs(x) + 0.5)}[op]()
    if kind == "reduce":
        _, name, i, dim, keepdim = step
        return REDUCE[name](pool[i], dim, keepdim)
    if kind == "reshape":
        return pool[step[1]].reshape(step[2])
    if kind == "permute":
        return pool[step[1]].permute(*step[2])
    if kind == "transpose":
        return pool[step[1]].transpose(step[2], step[3])
    if kind == "unsqueeze":
        return pool[step[1]].unsqueeze(step[2])
    if kind == "getitem":
        _, i, dim, index = step
        return pool[i][(slice(None),) * dim + (index,)]
    if kind == "softmax":
        _, name, i, dim = step
        return getattr(gg, name)(pool[i], dim=dim)
    if kind == "clamp":
        _, i, lo, hi = step
        return gg.clamp(pool[i], lo, hi)
    if kind == "matmul":
        return pool[step[1]] @ pool[step[2]]
    if kind == "matmul_new":
        return pool[step[1]] @ inputs[step[3]]
    if kind == "cat":
        return gg.cat([pool[j] for j in step[1]], dim=step[2])
    if kind == "stack":
        return gg.stack([pool[j] for j in step[1]], dim=step[2])
    raise AssertionError(step)


@st.composite
def programs(draw):
    """(input shapes, steps, output positions); steps are checked by running them eagerly."""
    n_inputs = draw(st.integers(1, 3))
    dims = st.integers(1, 4)
    shapes = [tuple(draw(st.lists(dims, min_size=0, max_size=3))) for _ in range(n_inputs)]
    if draw(st.booleans()) and n_inputs >= 2:   # make broadcasting partners likely
        base = shapes[0]
        shapes[1] = tuple(1 if draw(st.booleans()) else d for d in base)[
            draw(st.integers(0, len(base))):]
    pool_shapes = list(shapes)
    steps = []
    for _ in range(draw(st.integers(1, MAX_STEPS))):
        step = _draw_step(draw, pool_shapes)
        if step[0] == "matmul_new":
            step = step + (len(shapes),)
            shapes.append(step[2])
        pool_shapes.append(_shape_after(step, pool_shapes, shapes))
        steps.append(step)
    n = len(pool_shapes)
    extra = draw(st.lists(st.integers(n_inputs, n - 1), max_size=2, unique=True))
    outputs = sorted(set([n - 1] + extra))
    return shapes, steps, outputs


def _shape_after(step, pool_shapes, input_shapes):
    """The step's result shape, from an eager run on zeros (also validates the step)."""
    pool = [gg.zeros(s, dtype=gg.float64) for s in pool_shapes]
    inputs = [gg.zeros(s, dtype=gg.float64) for s in input_shapes]
    return _apply(step, pool, inputs).shape


def make_function(program):
    _, steps, outputs = program

    def f(*xs):
        pool = list(xs[:_n_first(program)])
        for step in steps:
            pool.append(_apply(step, pool, xs))
        return tuple(pool[k] for k in outputs)
    return f


def _n_first(program):
    """Inputs that start the pool (inputs added for matmul come later, by position)."""
    shapes, steps, _ = program
    return len(shapes) - sum(1 for s in steps if s[0] == "matmul_new")


def _arrays(program, seed):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-2.0, 2.0, s) for s in program[0]]


def _weights(program, arrays):
    """Fixed random weights that turn the outputs into one scalar loss."""
    f = make_function(program)
    outs = f(*[gg.tensor(a) for a in arrays])
    rng = np.random.default_rng(1)
    return [rng.uniform(-1.0, 1.0, o.shape) for o in outs]


def _loss(outs, weights):
    total = None
    for o, w in zip(outs, weights):
        term = (o * gg.tensor(w)).sum()
        total = term if total is None else total + term
    return total


def _close(actual, expected, what):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=RTOL, atol=ATOL,
                               equal_nan=True, err_msg=what)


def _describe(program):
    shapes, steps, outputs = program
    return f"inputs {shapes}; steps {steps}; outputs {outputs}"


def _eager_grads(f, arrays, weights):
    xs = [gg.tensor(a, requires_grad=True) for a in arrays]
    loss = _loss(f(*xs), weights)
    loss.backward()
    return loss.numpy(), [np.zeros_like(a) if x.grad is None else x.grad.numpy()
                          for a, x in zip(arrays, xs)]


# -- the properties ------------------------------------------------------------------------------

@FUZZ_SETTINGS
@given(program=programs(), seed=st.integers(0, 2 ** 16))
def test_compiled_forward_and_gradients_equal_eager(program, seed):
    f = make_function(program)
    arrays = _arrays(program, seed)
    what = _describe(program)
    xs = [gg.tensor(a) for a in arrays]
    eager = f(*xs)
    compiled = gg.compile(f)(*xs)
    assert len(compiled) == len(eager)
    for c, e in zip(compiled, eager):
        assert c.shape == e.shape and c.dtype == e.dtype, what
        _close(c.numpy(), e.numpy(), "forward: " + what)

    weights = _weights(program, arrays)
    eager_loss, eager_grads = _eager_grads(f, arrays, weights)

    # symbolic backward, compiled (gg.grad)
    n = len(arrays)
    vg = gg.value_and_grad(lambda *xs: _loss(f(*xs), weights), argnums=tuple(range(n)))
    loss, grads = vg(*[gg.tensor(a) for a in arrays])
    _close(loss.numpy(), eager_loss, "gg.value_and_grad loss: " + what)
    for g, e in zip(grads, eager_grads):
        _close(g.numpy(), e, "gg.grad: " + what)

    # compiled forward, eager backward through the compiled backward schedule
    xs = [gg.tensor(a, requires_grad=True) for a in arrays]
    outs = gg.compile(f)(*xs)
    _loss(outs, weights).backward()
    for x, e in zip(xs, eager_grads):
        _close(np.zeros_like(e) if x.grad is None else x.grad.numpy(), e, "AOT backward: " + what)


def test_the_generator_covers_the_op_menu():
    """The strategy reaches every step kind (a guard against a generator that silently
    degenerated to a few ops)."""
    seen = set()

    @settings(max_examples=300, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(program=programs())
    def collect(program):
        for step in program[1]:
            seen.add(step[0])

    collect()
    assert seen >= {"unary", "binary", "scalar", "reduce", "reshape", "permute", "getitem",
                    "softmax", "clamp", "cat", "stack"}
    assert seen & {"matmul", "matmul_new"}


@pytest.mark.parametrize("program", [
    ([(2, 3), (3,)], [("binary", "maximum", 0, 1), ("reduce", "amax", 2, (0,), True)], [2, 3]),
    ([(2, 3, 4), (3, 2)], [("softmax", "log_softmax", 0, 1), ("permute", 1, (2, 0, 1)),
                   ("matmul_new", 2, (3, 2), 1)], [3]),
    ([(4,)], [("binary", "maximum", 0, 0), ("binary", "minimum", 1, 0)], [1, 2]),
    ([(3, 1), (1, 4)], [("binary", "where_gt", 0, 1), ("cat", (2, 2), -1),
                        ("stack", (3, 3), 0)], [4]),
], ids=["maximum-broadcast-amax-keepdim", "log_softmax-permute-matmul", "ties", "where-cat-stack"])
def test_hand_written_programs(program):
    """A few fixed programs that the fuzzer must always pass (ties, broadcasting, batching)."""
    test_compiled_forward_and_gradients_equal_eager.hypothesis.inner_test(program=program, seed=3)


# -- outside state changing between calls, arguments aliasing each other ------------------------

class _World:
    """What a compiled function reads from outside: a config dict, a closure variable, a module
    (attribute, parameters), a state tensor updated in place, a Python flag. Two worlds built
    alike, one driven eagerly and one compiled, must stay identical under the same actions."""

    def __init__(self):
        gg.manual_seed(0)
        self.cfg = {"k": 1.5, "flag": True}
        self.model = gg.nn.Linear(3, 3).to(gg.float64)
        self.model.gain = 0.5
        self.state = gg.zeros(3, dtype=gg.float64)
        shift = [0.25]                # a closure variable, rebound through set_shift
        cfg, model = self.cfg, self.model

        def set_shift(value):
            nonlocal shift
            shift = [value]

        def step(a, b):
            out = model(a) * model.gain + b * cfg["k"] + shift[0]
            if cfg["flag"]:
                a.mul_(0.5)                       # an argument written in place
            with gg.no_grad():                    # outside state updated in place
                self.state.add_(out.sum(0) * 0.1)
            return out, self.state * 1
        self.set_shift = set_shift
        self.step = step


def _act(world, action, fn, arrays):
    kind, value = action
    if kind == "k":
        world.cfg["k"] = value
    elif kind == "flag":
        world.cfg["flag"] = bool(value > 0)
    elif kind == "shift":
        world.set_shift(value)
    elif kind == "gain":
        world.model.gain = value
    elif kind == "weight":
        world.model.weight = gg.nn.Parameter(gg.full((3, 3), value, dtype=gg.float64))
    elif kind == "state_inplace":
        world.state.fill_(value)
    elif kind == "state_rebind":
        world.state = gg.full((3,), value, dtype=gg.float64)
    else:
        a = gg.from_numpy(arrays[0])
        b = {"fresh": lambda: gg.from_numpy(arrays[1]), "same": lambda: a,
             "view": lambda: gg.from_numpy(arrays[0][::-1])}[kind]()
        out, state = fn(a, b)
        return [out.numpy().copy(), state.numpy().copy(), arrays[0].copy(), arrays[1].copy()]
    return []


_ACTIONS = st.tuples(
    st.sampled_from(["fresh", "same", "view", "fresh", "same", "k", "flag", "shift", "gain",
                     "weight", "state_inplace", "state_rebind"]),
    st.sampled_from([-1.0, 0.0, 0.5, 2.0, float("nan")]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions=st.lists(_ACTIONS, min_size=1, max_size=14), seed=st.integers(0, 2 ** 16))
def test_compiled_equals_eager_under_state_changes_and_aliasing(actions, seed):
    import warnings
    rng = np.random.default_rng(seed)
    start = [rng.uniform(-2, 2, (3, 3)) for _ in range(2)]
    eager_world, compiled_world = _World(), _World()
    compiled = gg.compile(compiled_world.step)
    eager_arrays = [a.copy() for a in start]
    compiled_arrays = [a.copy() for a in start]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, action in enumerate(actions):
            expected = _act(eager_world, action, eager_world.step, eager_arrays)
            got = _act(compiled_world, action, compiled, compiled_arrays)
            for g, e in zip(got, expected):
                np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12, equal_nan=True,
                                           err_msg=f"after {actions[:i + 1]}")
    np.testing.assert_allclose(compiled_world.state.numpy(), eager_world.state.numpy(),
                               rtol=1e-12, equal_nan=True)

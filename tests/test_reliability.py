"""Reliability (SPEC section 10): a user never loses work and never gets a silently wrong number.

The first half is a table of bad inputs. Every case builds its objects inside a `World` that
tracks what could be damaged (parameters and their gradients, optimizer state, compiled caches,
files on disk, tensors handed to the call), snapshots it, runs the bad call and checks:
- the error type,
- that the message names the op and the shapes/dtypes (and, while tracing, the user's
  file:line: the line marked `# @<case id>` in this file),
- that the snapshot is unchanged.

The second half covers behaviour that must be right rather than refused: in-place writes to
traced values, Python state read by a compiled function, dtype changes between calls,
zero-size tensors, NaN propagation, huge logits, and failing compiled calls that must not
half-update anything.
"""
import dataclasses
import os
import pickle
import warnings
from collections.abc import Callable

import numpy as np
import pytest

import graphgrad as gg
import graphgrad.nn.functional as F
from graphgrad import nn, optim
from graphgrad.utils.data import DataLoader, Dataset, TensorDataset

FILE = os.path.basename(__file__)


def marked_line(tag):
    """Line number of the line of this file that carries the comment `# @tag`."""
    with open(__file__) as f:
        for number, line in enumerate(f, 1):
            if line.rstrip().endswith(f"# @{tag}"):
                return number
    raise AssertionError(f"no line marked # @{tag}")


# -- snapshots ------------------------------------------------------------------------------------

def array_state(a):
    a = np.asarray(a)
    return ("array", a.shape, a.dtype.str, a.tobytes())


def tensor_state(t):
    grad = None if t._grad is None else array_state(t._grad._data)
    return (array_state(t._data), t._requires_grad, grad, t._version, t.is_traced)


def module_state(m):
    params = [(n, tensor_state(p)) for n, p in m.named_parameters()]
    buffers = [(n, tensor_state(b)) for n, b in m.named_buffers()]
    return params, buffers, [mod.training for mod in m.modules()]


def optimizer_state(opt):
    groups = []
    for g in opt.param_groups:
        groups.append(sorted((k, [id(p) for p in v] if k == "params" else repr(v))
                             for k, v in g.items()))
    state = []
    for p, entries in opt.state.items():
        state.append((id(p), sorted((k, tensor_state(v) if isinstance(v, gg.Tensor) else repr(v))
                                    for k, v in entries.items())))
    return groups, state


def cache_state(compiled):
    inner = getattr(compiled, "_compiled", compiled)
    return len(inner.entries), [id(e) for e in inner.entries.values()], inner.traces


def folder_state(path):
    out = []
    for root, _, files in os.walk(path):
        for name in sorted(files):
            full = os.path.join(root, name)
            with open(full, "rb") as f:
                out.append((os.path.relpath(full, path), f.read()))
    return sorted(out)


class World:
    """Objects a case may damage. The shared fixtures (a model, its Adam optimizer, a compiled
    whole training step already called once, and the case's folder) are built on first use."""

    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.tracked = []                   # (label, zero-argument state function)
        self._model = None

    def track(self, label, state_fn):
        self.tracked.append((label, state_fn))

    def tensor(self, t, label="tensor"):
        self.track(f"{label}#{len(self.tracked)}", lambda: tensor_state(t))
        return t

    def module(self, m, label="module"):
        self.track(f"{label}#{len(self.tracked)}", lambda: module_state(m))
        return m

    def optimizer(self, opt, label="optimizer"):
        self.track(f"{label}#{len(self.tracked)}", lambda: optimizer_state(opt))
        return opt

    def compiled(self, c, label="compiled"):
        self.track(f"{label}#{len(self.tracked)}", lambda: cache_state(c))
        return c

    def folder(self):
        self.track("files", lambda: folder_state(self.tmp))
        return self.tmp

    def snapshot(self):
        return {label: fn() for label, fn in self.tracked}

    # -- shared fixtures ----------------------------------------------------------------------
    def _build(self):
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
        opt = optim.Adam(model.parameters(), lr=0.01)

        @gg.compile
        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)  # @world_step_loss
            loss.backward()
            opt.step()
            return loss

        x = gg.randn(5, 4)
        y = gg.tensor([0, 1, 2, 0, 1])
        step(x, y)
        self._model, self._opt, self._step, self._x, self._y = model, opt, step, x, y
        self.module(model, "model")
        self.optimizer(opt, "adam")
        self.compiled(step, "step")
        self.folder()

    def shared(self):
        """(model, optimizer, compiled step, (x, y)), built and tracked on first use."""
        if self._model is None:
            self._build()
        return self._model, self._opt, self._step, (self._x, self._y)

    @property
    def model(self):
        return self.shared()[0]

    @property
    def opt(self):
        return self.shared()[1]

    @property
    def step(self):
        return self.shared()[2]

    @property
    def batch(self):
        return self.shared()[3]


# -- the catalog ----------------------------------------------------------------------------------

@dataclasses.dataclass
class Case:
    id: str
    build: Callable           # build(world) -> the bad call (a zero-argument function)
    error: type
    needles: tuple            # substrings the message must contain
    line: str | None = None   # the message must name the line marked `# @<line>`


CATALOG = []


def case(error, *needles, traced=False, line=None, xfail=None):
    """Register a catalog entry. traced=True: the message names the line tagged with the
    case's own name; line="tag": the line tagged `# @tag` (run-time errors name the line
    where the failing node was traced)."""
    def register(build):
        c = Case(build.__name__, build, error, needles, build.__name__ if traced else line)
        marks = [pytest.mark.xfail(strict=True, reason=xfail)] if xfail else []
        CATALOG.append(pytest.param(c, id=c.id, marks=marks))
        return build
    return register


# shapes and broadcasting ------------------------------------------------------------------------

@case(gg.ShapeError, "matmul", "(2, 3)", "(4, 5)")
def matmul_eager(w):
    a, b = w.tensor(gg.ones(2, 3)), w.tensor(gg.ones(4, 5))
    w.shared()                                   # the shared model etc. must not change either
    return lambda: a @ b


@case(gg.ShapeError, "matmul", "(2, 3)", "(4, 5)", traced=True)
def matmul_traced(w):
    @gg.compile
    def f(x, y):
        return x @ y  # @matmul_traced
    w.compiled(f)
    a, b = w.tensor(gg.ones(2, 3)), w.tensor(gg.ones(4, 5))
    return lambda: f(a, b)


@case(gg.ShapeError, "matmul", "(2, 3, 4)", "(5, 4, 2)")
def matmul_batch_dims_eager(w):
    a, b = w.tensor(gg.ones(2, 3, 4)), w.tensor(gg.ones(5, 4, 2))
    return lambda: a @ b


@case(gg.ShapeError, "add", "(2, 3)", "(4, 5)")
def broadcast_eager(w):
    a, b = w.tensor(gg.ones(2, 3)), w.tensor(gg.ones(4, 5))
    return lambda: a + b


@case(gg.ShapeError, "mul", "(2, 3)", "(4, 5)", traced=True)
def broadcast_traced(w):
    @gg.compile
    def f(x, y):
        h = x * 2.0
        return h * y  # @broadcast_traced
    w.compiled(f)
    a, b = w.tensor(gg.ones(2, 3)), w.tensor(gg.ones(4, 5))
    return lambda: f(a, b)


@case(gg.ShapeError, "add_", "(2, 3)", "(3,)")
def broadcast_in_place_eager(w):
    x = w.tensor(gg.ones(3))
    return lambda: x.add_(gg.ones(2, 3))


@case(gg.ShapeError, "add_", "(2, 3)", "(3,)", traced=True)
def broadcast_in_place_on_argument_traced(w):
    @gg.compile
    def f(x):
        x.mul_(3.0)
        x.add_(gg.ones(2, 3))  # @broadcast_in_place_on_argument_traced
        return x
    w.compiled(f)
    x = w.tensor(gg.ones(3))
    return lambda: f(x)


class _TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = nn.Linear(3, 4)
        self.second = nn.Linear(4, 2)

    def forward(self, x):
        return self.second(self.first(x))  # @linear_features_user_module_traced


@case(gg.ShapeError, "linear", "(2, 5)", "(4, 3)", traced=True)
def linear_features_user_module_traced(w):
    model = w.module(_TwoLayer())
    compiled = w.compiled(gg.compile(model))
    return lambda: compiled(gg.ones(2, 5))


@case(gg.ShapeError, "linear", "(2, 5)", "(4, 3)", traced=True)
def linear_features_library_module_traced(w):
    model = w.module(nn.Linear(3, 4))
    compiled = w.compiled(gg.compile(model))
    x = gg.ones(2, 5)
    return lambda: compiled(x)  # @linear_features_library_module_traced


@case(gg.ShapeError, "reshape", "(4,)", "6 elements")
def reshape_eager(w):
    x = w.tensor(gg.ones(2, 3))
    return lambda: x.reshape(4)


@case(gg.ShapeError, "cat", "(2, 3)", "(2, 4)")
def cat_eager(w):
    a, b = w.tensor(gg.ones(2, 3)), w.tensor(gg.ones(2, 4))
    return lambda: gg.cat([a, b], dim=0)


@case(gg.ShapeError, "permute", "(0, 0)", "(2, 3)", traced=True)
def permute_traced(w):
    @gg.compile
    def f(x):
        return x.permute(0, 0)  # @permute_traced
    w.compiled(f)
    return lambda: f(gg.ones(2, 3))


@case(gg.ShapeError, "sum", "dim 3", "2 dimensions", traced=True)
def sum_dim_traced(w):
    @gg.compile
    def f(x):
        return x.sum(3)  # @sum_dim_traced
    w.compiled(f)
    return lambda: f(gg.ones(2, 3))


@case(gg.ShapeError, "softmax", "dim 2", "2 dimensions")
def softmax_dim_eager(w):
    return lambda: gg.softmax(gg.ones(2, 3), dim=2)


@case(IndexError, "getitem", "(3,)", "5", traced=True)
def getitem_out_of_bounds_traced(w):
    @gg.compile
    def f(x):
        return x[5]  # @getitem_out_of_bounds_traced
    w.compiled(f)
    return lambda: f(gg.ones(3))


@case(gg.ShapeError, "conv2d", "(1, 2, 5, 5)", "(4, 3, 3, 3)")
def conv2d_channels_eager(w):
    conv = w.module(nn.Conv2d(3, 4, 3))
    return lambda: conv(gg.ones(1, 2, 5, 5))


@case(gg.ShapeError, "layer_norm", "(4,)", "(2, 3)")
def layer_norm_shape_eager(w):
    ln = w.module(nn.LayerNorm(4))
    return lambda: ln(gg.ones(2, 3))


@case(gg.ShapeError, "batch_norm", "(1, 3)")
def batch_norm_single_sample_training(w):
    bn = w.module(nn.BatchNorm1d(3))        # running statistics must not move
    return lambda: bn(gg.ones(1, 3))


@case(gg.ShapeError, "binary_cross_entropy_with_logits", "(4,)", "(3,)")
def bce_with_logits_shape_eager(w):
    return lambda: F.binary_cross_entropy_with_logits(gg.ones(3), gg.ones(4))


@case(gg.ShapeError, "(3,)", "(4,)")
def mse_loss_shape_eager(w):
    def call():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return F.mse_loss(gg.ones(3), gg.ones(4))
    return call


@case(TypeError, "sum", "1.5")
def sum_float_dim(w):
    x = w.tensor(gg.ones(2, 3))
    return lambda: x.sum(1.5)


@case(TypeError, "randn", "2.5")
def randn_float_size(w):
    return lambda: gg.randn(2.5)


@case(gg.ShapeError, "item()", "(3,)")
def item_of_many_elements(w):
    x = w.tensor(gg.ones(3))
    return lambda: x.item()


@case(TypeError, "add_", "float32", "int64")
def in_place_float_into_int_tensor(w):
    x = w.tensor(gg.tensor([1, 2]))
    return lambda: x.add_(0.5)


# losses and targets -----------------------------------------------------------------------------

@case(gg.ShapeError, "cross_entropy", "probability targets", "(4,)", "(4, 3)")
def cross_entropy_float_targets_eager(w):
    return lambda: F.cross_entropy(gg.randn(4, 3), gg.tensor([0.0, 1.0, 2.0, 0.0]))


@case(gg.ShapeError, "cross_entropy", "(4,)", "(4, 3)", traced=True)
def cross_entropy_float_targets_traced(w):
    model = w.model

    @gg.compile
    def f(x, y):
        return F.cross_entropy(model(x), y)  # @cross_entropy_float_targets_traced
    w.compiled(f)
    return lambda: f(gg.randn(4, 4), gg.tensor([0.0, 1.0, 2.0, 0.0]))


@case(TypeError, "cross_entropy", "bool")
def cross_entropy_bool_targets_eager(w):
    return lambda: F.cross_entropy(gg.randn(2, 3), gg.tensor([True, False]))


@case(gg.ShapeError, "cross_entropy", "class index 5", "[0, 3)", "(4,)")
def cross_entropy_out_of_range_eager(w):
    return lambda: F.cross_entropy(gg.randn(4, 3), gg.tensor([0, 1, 5, 0]))


@case(gg.ShapeError, "cross_entropy", "class index -1", "[0, 3)", "(4,)")
def cross_entropy_negative_index_eager(w):
    return lambda: F.cross_entropy(gg.randn(4, 3), gg.tensor([0, 1, -1, 0]))


@case(gg.ShapeError, "cross_entropy", "(3,)", "(4, 3)", "expected target shape (4,)")
def cross_entropy_wrong_length_eager(w):
    return lambda: F.cross_entropy(gg.randn(4, 3), gg.tensor([0, 1, 2]))


@case(gg.ShapeError, "cross_entropy", "(3,)", "(5, 3)", traced=True)
def cross_entropy_wrong_length_in_whole_step_traced(w):
    model, opt = w.model, w.opt

    @gg.compile
    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)  # @cross_entropy_wrong_length_in_whole_step_traced
        loss.backward()
        opt.step()
        return loss
    w.compiled(step)
    x, _ = w.batch
    return lambda: step(x, gg.tensor([0, 1, 2]))


@case(gg.ShapeError, "cross_entropy", "class index 7", "[0, 3)", "(5,)", "check_index",
      line="world_step_loss")
def cross_entropy_out_of_range_compiled_whole_step(w):
    x, _ = w.batch
    step = w.step
    return lambda: step(x, gg.tensor([0, 1, 7, 0, 1]))


@case(gg.ShapeError, "cross_entropy", "class index 3", "(5,)", "check_index",
      line="compiled_forward_loss")
def cross_entropy_out_of_range_compiled_forward(w):
    model = w.model
    loss_fn = w.compiled(gg.compile(
        lambda x, y: F.cross_entropy(model(x), y)))  # @compiled_forward_loss
    x, y = w.batch
    loss_fn(x, y).backward()                 # compiled forward, backward through its schedule
    return lambda: loss_fn(x, gg.tensor([0, 1, 3, 0, 1]))


@case(gg.ShapeError, "nll_loss", "class index 3", "(2,)", "check_index")
def nll_loss_out_of_range_compiled(w):
    f = w.compiled(gg.compile(lambda a, b: F.nll_loss(a, b)))
    f(gg.randn(2, 3), gg.tensor([0, 2]))
    return lambda: f(gg.randn(2, 3), gg.tensor([0, 3]))


@case(gg.ShapeError, "embedding", "class index 4", "(2,)")
def embedding_out_of_range_compiled(w):
    emb = w.module(nn.Embedding(4, 2))
    compiled = w.compiled(gg.compile(emb))
    compiled(gg.tensor([0, 3]))
    return lambda: compiled(gg.tensor([0, 4]))


@case(gg.ShapeError, "binary_cross_entropy", "between 0 and 1", "1.5", "(2,)")
def bce_probabilities_out_of_range_eager(w):
    return lambda: F.binary_cross_entropy(gg.tensor([1.5, 0.5]), gg.ones(2))


# autograd ---------------------------------------------------------------------------------------

@case(gg.AutogradError, "backward", "second time", "retain_graph=True")
def backward_twice(w):
    x = w.tensor(gg.randn(3, requires_grad=True))
    y = (x * x).sum()
    y.backward()
    return lambda: y.backward()


@case(gg.AutogradError, "backward", "scalar", "(3,)", "gradient")
def backward_non_scalar_without_gradient(w):
    x = w.tensor(gg.randn(3, requires_grad=True))
    return lambda: (x * 2.0).backward()


@case(gg.ShapeError, "backward", "gradient", "(2,)", "(3,)")
def backward_gradient_of_wrong_shape(w):
    x = w.tensor(gg.randn(3, requires_grad=True))
    y = x * 2.0
    return lambda: y.backward(gg.ones(2))


@case(gg.AutogradError, "backward", "does not require grad")
def backward_without_requires_grad(w):
    x = w.tensor(gg.randn(3))
    return lambda: (x * 2.0).sum().backward()


@case(TypeError, "requires_grad", "int64")
def requires_grad_int_constructor(w):
    return lambda: gg.tensor([1, 2], requires_grad=True)


@case(TypeError, "requires_grad", "int64")
def requires_grad_int_method(w):
    x = w.tensor(gg.tensor([1, 2]))
    return lambda: x.requires_grad_()


@case(gg.AutogradError, "add_", "leaf", "no_grad")
def in_place_on_leaf_requiring_grad(w):
    p = w.model[0].weight
    return lambda: p.add_(1.0)


@case(gg.ShapeError, "grad", "(3,)", "(8, 4)")
def grad_assignment_of_wrong_shape(w):
    p = w.model[0].weight
    return lambda: setattr(p, "grad", gg.zeros(3))


@case(gg.ShapeError, "grad", "float64", "float32")
def grad_assignment_of_wrong_dtype(w):
    p = w.model[0].weight
    return lambda: setattr(p, "grad", gg.zeros(8, 4, dtype=gg.float64))


@case(gg.AutogradError, "backward", "scalar", "(3,)", traced=True)
def backward_non_scalar_traced(w):
    @gg.compile
    def f(x):
        y = x * 2.0
        y.backward()  # @backward_non_scalar_traced
        return y
    w.compiled(f)
    x = w.tensor(gg.ones(3, requires_grad=True))
    return lambda: f(x)


# data-dependent Python inside a compiled whole step ---------------------------------------------

def _step_then(w, tail):
    """A compiled whole training step that runs `tail(loss)` after the update was traced."""
    model, opt = w.model, w.opt

    @gg.compile
    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return tail(loss)
    w.compiled(step)
    x, y = w.batch
    return lambda: step(x, y)


def _if_tail(loss):
    if loss > 1.0:  # @trace_if
        return loss
    return -loss


def _item_tail(loss):
    return loss * loss.item()  # @trace_item


def _numpy_tail(loss):
    return gg.tensor(loss.numpy() * 2)  # @trace_numpy


def _float_tail(loss):
    return loss * float(loss)  # @trace_float


def _print_tail(loss):
    print("loss", loss)  # @trace_print
    return loss


def _int_tail(loss):
    return loss * int(loss)  # @trace_int


def _asarray_tail(loss):
    return gg.tensor(np.asarray(loss))  # @trace_asarray


def _tolist_tail(loss):
    return loss * len(loss.reshape(1).tolist())  # @trace_tolist


def _format_tail(loss):
    return f"{loss:.3f}"  # @trace_format


def _index_tail(loss):
    return [loss, loss][(loss > 0).long()]  # @trace_index


for _name, _tail, _what in [("trace_if", _if_tail, "bool(tensor)"),
                            ("trace_item", _item_tail, "Tensor.item()"),
                            ("trace_numpy", _numpy_tail, "Tensor.numpy()"),
                            ("trace_float", _float_tail, "float(tensor)"),
                            ("trace_print", _print_tail, "print"),
                            ("trace_int", _int_tail, "int(tensor)"),
                            ("trace_asarray", _asarray_tail, "np.asarray"),
                            ("trace_tolist", _tolist_tail, "Tensor.tolist()"),
                            ("trace_format", _format_tail, "format"),
                            ("trace_index", _index_tail, "index")]:
    def _build(w, _tail=_tail):
        return _step_then(w, _tail)
    _build.__name__ = _name
    case(gg.TraceError, _what, "gg.where", traced=True)(_build)


@case(gg.TraceError, "bool(tensor)")
def failed_first_trace_creates_no_optimizer_state(w):
    model = w.module(nn.Linear(3, 2))
    opt = w.optimizer(optim.SGD(model.parameters(), lr=0.1, momentum=0.9))

    @gg.compile
    def step(x):
        opt.zero_grad()
        loss = model(x).sum()
        loss.backward()
        opt.step()
        return loss if loss > 0 else -loss
    w.compiled(step)
    return lambda: step(gg.ones(4, 3))


@case(gg.TraceError, "escaped", "return it")
def traced_tensor_used_after_its_call(w):
    leaked = []

    @gg.compile
    def f(x):
        leaked.append(x * 2.0)
        return x
    w.compiled(f)
    f(gg.ones(2))
    return lambda: leaked[0] + 1.0


@case(gg.TraceError, "boolean-mask", "gg.where", traced=True)
def boolean_mask_getitem_traced(w):
    @gg.compile
    def f(x):
        return x[x > 0.5]  # @boolean_mask_getitem_traced
    w.compiled(f)
    return lambda: f(gg.ones(3))


@case(gg.TraceError, "boolean-mask", "gg.where", traced=True)
def boolean_mask_setitem_traced(w):
    @gg.compile
    def f(x):
        y = x * 1.0
        y[y > 0.5] = x  # @boolean_mask_setitem_traced
        return y
    w.compiled(f)
    x = w.tensor(gg.ones(3))
    return lambda: f(x)


# the compiled-function API ----------------------------------------------------------------------

@case(TypeError, "f()", "2 were given")
def compiled_too_many_arguments(w):
    @gg.compile
    def f(x):
        return x * 2.0
    w.compiled(f)
    f(gg.ones(3))
    return lambda: f(gg.ones(3), gg.ones(3))


@case(TypeError, "f()", "missing", "'y'")
def compiled_missing_argument(w):
    @gg.compile
    def f(x, y):
        return x * y
    w.compiled(f)
    f(gg.ones(3), gg.ones(3))
    return lambda: f(gg.ones(3))


@case(TypeError, "ndarray", "not hashable", "static")
def compiled_unhashable_static_argument(w):
    @gg.compile
    def f(x, s):
        return x * 2.0
    w.compiled(f)
    return lambda: f(gg.ones(3), np.ones(3))


@case(ValueError, "dynamic=True")
def compile_dynamic_true(w):
    return lambda: gg.compile(lambda x: x, dynamic=True)


# data loading -----------------------------------------------------------------------------------

def _dataset():
    return TensorDataset(gg.randn(5, 2), gg.tensor([0, 1, 0, 1, 0]))


@case(ValueError, "DataLoader", "batch_size", "0")
def loader_batch_size_zero(w):
    return lambda: DataLoader(_dataset(), batch_size=0)


@case(ValueError, "DataLoader", "batch_size", "-1")
def loader_batch_size_negative(w):
    return lambda: DataLoader(_dataset(), batch_size=-1)


@case(ValueError, "DataLoader", "batch_size", "2.5", "float")   # torch's type: ValueError
def loader_batch_size_float(w):
    return lambda: DataLoader(_dataset(), batch_size=2.5)


@case(ValueError, "DataLoader", "empty", "TensorDataset")
def loader_empty_dataset(w):
    return lambda: DataLoader(TensorDataset(gg.zeros(0, 2)), batch_size=2)


class _Ragged(Dataset):
    def __len__(self):
        return 3

    def __getitem__(self, i):
        return gg.ones(i + 1), i


@case(ValueError, "ragged", "(1,)", "(2,)")
def loader_ragged_samples(w):
    return lambda: list(DataLoader(_Ragged(), batch_size=3))


# optimizers -------------------------------------------------------------------------------------

@case(ValueError, "SGD", "empty parameter list")
def optimizer_without_parameters(w):
    return lambda: optim.SGD([], lr=0.1)


@case(ValueError, "SGD", "learning rate", "-0.1")
def sgd_negative_lr(w):
    params = list(w.model.parameters())
    return lambda: optim.SGD(params, lr=-0.1)


@case(ValueError, "Adam", "learning rate", "-0.001")
def adam_negative_lr(w):
    params = list(w.model.parameters())
    return lambda: optim.Adam(params, lr=-0.001)


@case(ValueError, "SGD", "learning rate", "nan")
def sgd_nan_lr(w):
    params = list(w.model.parameters())
    return lambda: optim.SGD(params, lr=float("nan"))


@case(ValueError, "SGD", "momentum", "-1")
def sgd_negative_momentum(w):
    params = list(w.model.parameters())
    return lambda: optim.SGD(params, lr=0.1, momentum=-1)


@case(ValueError, "load_state_dict", "2 parameter groups", "1")
def optimizer_load_group_count_mismatch(w):
    opt = w.opt
    sd = opt.state_dict()
    bad = {"state": sd["state"], "param_groups": sd["param_groups"] * 2}
    return lambda: opt.load_state_dict(bad)


@case(gg.ShapeError, "load_state_dict", "group 0", "2 parameters", "4 here")
def optimizer_load_group_size_mismatch(w):
    opt = w.opt
    sd = opt.state_dict()
    group = dict(sd["param_groups"][0], params=[0, 1], lr=123.0)
    bad = {"state": {0: sd["state"][0]}, "param_groups": [group]}
    return lambda: opt.load_state_dict(bad)


@case(gg.ShapeError, "load_state_dict", "exp_avg", "(3, 3)", "(8, 4)")
def optimizer_load_state_of_wrong_shape(w):
    opt = w.opt
    sd = opt.state_dict()
    sd["param_groups"][0]["lr"] = 123.0          # must not be applied either
    sd["state"][0]["exp_avg"] = gg.zeros(3, 3)
    return lambda: opt.load_state_dict(sd)


@case(ValueError, "load_state_dict", "exp_avg")
def optimizer_load_from_another_optimizer_type(w):
    model = w.model
    sgd = w.optimizer(optim.SGD(model.parameters(), lr=0.5, momentum=0.9))
    adam_state = w.opt.state_dict()
    return lambda: sgd.load_state_dict(adam_state)


@case((ValueError, TypeError), "load_state_dict", "params")
def optimizer_load_group_without_params(w):
    opt = w.opt
    bad = {"state": {}, "param_groups": [{"lr": 0.5}]}
    return lambda: opt.load_state_dict(bad)


@case((ValueError, TypeError), "load_state_dict", "state", "list")
def optimizer_load_state_not_a_dict(w):
    opt = w.opt
    bad = {"state": [], "param_groups": opt.state_dict()["param_groups"]}
    return lambda: opt.load_state_dict(bad)


# module state and checkpoints -------------------------------------------------------------------

@case(gg.ShapeError, "missing key: 0.weight", "unexpected key: extra", "2.bias", "(5,)", "(3,)",
      "nothing was loaded")
def module_load_lists_every_problem(w):
    model = w.model
    sd = model.state_dict()
    sd.pop("0.weight")
    sd["extra"] = gg.ones(1)
    sd["2.bias"] = gg.ones(5)
    sd["0.bias"] = gg.full((8,), 7.0)            # a valid entry, which must not be copied
    return lambda: model.load_state_dict(sd)


@case(gg.ShapeError, "0.weight", "(8, 4)", "(5, 4)", "2.weight", "(3, 8)", "(3, 5)",
      "nothing was loaded")
def checkpoint_into_wrong_architecture(w):
    path = w.folder() / "model.ckpt"
    gg.save(w.model.state_dict(), path)
    other = w.module(nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 3)))
    return lambda: other.load_state_dict(gg.load(path))


@case(TypeError, "load_state_dict", "list")
def module_load_not_a_dict(w):
    model = w.model
    return lambda: model.load_state_dict([1, 2])


@case(FileNotFoundError, "no_such_folder")
def save_into_missing_folder(w):
    folder = w.folder()
    state = w.model.state_dict()
    return lambda: gg.save(state, folder / "no_such_folder" / "model.ckpt")


@case(TypeError, "gg.save", "obj['fn']", "function")
def save_unsupported_object_over_existing_file(w):
    path = w.folder() / "model.ckpt"
    gg.save(w.model.state_dict(), path)
    return lambda: gg.save({"w": gg.ones(3), "fn": lambda: 0}, path)


@case(gg.CheckpointError, "pickle", "never unpickles")
def load_pickle_file(w):
    path = w.folder() / "evil.pkl"
    path.write_bytes(pickle.dumps({"w": [1.0]}))
    return lambda: gg.load(path)


def test_catalog_is_large_enough():
    assert len(CATALOG) >= 40


@pytest.mark.parametrize("case", CATALOG)
def test_bad_input(case, tmp_path):
    world = World(tmp_path)
    call = case.build(world)
    before = world.snapshot()
    with pytest.raises(case.error) as info:
        call()
    message = str(info.value)
    for needle in case.needles:
        assert needle in message, f"{needle!r} not in the message: {message}"
    if case.line:
        where = f"{FILE}:{marked_line(case.line)}"
        assert where in message, f"{where} not in the message: {message}"
    after = world.snapshot()
    for label in before:
        assert after[label] == before[label], f"{label} changed"


# -- a failing call leaves the compiled function usable -------------------------------------------

def test_compiled_step_after_failures_still_matches_eager():
    def build():
        gg.manual_seed(1)
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
        return model, optim.Adam(model.parameters(), lr=0.01)

    def step_fn(model, opt):
        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss
        return step

    x = gg.randn(5, 4)
    y = gg.tensor([0, 1, 2, 0, 1])
    eager_model, eager_opt = build()
    comp_model, comp_opt = build()
    eager_step = step_fn(eager_model, eager_opt)
    comp_step = gg.compile(step_fn(comp_model, comp_opt))
    for i in range(4):
        expected = eager_step(x, y).item()
        with pytest.raises(gg.ShapeError):
            comp_step(x, gg.tensor([0, 1, 9, 0, 1]))              # run-time failure
        with pytest.raises(gg.ShapeError):
            comp_step(x, gg.tensor([0, 1]))                        # trace-time failure
        assert comp_step(x, y).item() == pytest.approx(expected, rel=1e-6)
    for a, b in zip(eager_model.parameters(), comp_model.parameters()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-7)
    assert comp_step.cache_info().entries == 1


# -- failing compiled calls must not half-update --------------------------------------------------

def _everything(model, opt):
    return module_state(model), optimizer_state(opt)


def test_failing_whole_step_changes_nothing_when_the_loss_fails():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    @gg.compile
    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    x = gg.randn(5, 4)
    step(x, gg.tensor([0, 1, 2, 0, 1]))
    before = _everything(model, opt)
    for bad in ([0, 1, 3, 0, 1], [-1, 0, 0, 0, 0]):
        with pytest.raises(gg.ShapeError, match="out of range"):
            step(x, gg.tensor(bad))
        assert _everything(model, opt) == before


def test_failing_whole_step_changes_nothing_when_a_later_check_fails():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    opt = optim.Adam(model.parameters(), lr=0.1)

    @gg.compile
    def step(x, y, y_val):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss, F.cross_entropy(model(x), y_val)

    x, y = gg.randn(5, 4), gg.tensor([0, 1, 2, 0, 1])
    step(x, y, y)
    before = _everything(model, opt)
    with pytest.raises(gg.ShapeError, match="out of range"):
        step(x, y, gg.tensor([0, 1, 7, 0, 1]))
    assert _everything(model, opt) == before


def test_failing_compiled_call_leaves_its_arguments_unchanged():
    @gg.compile
    def f(x, y):
        x.add_(1.0)
        return F.cross_entropy(x, y)

    x = gg.zeros(2, 3)
    f(x, gg.tensor([0, 1]))
    before = tensor_state(x)
    with pytest.raises(gg.ShapeError, match="out of range"):
        f(x, gg.tensor([0, 9]))
    assert tensor_state(x) == before


def test_failing_backward_through_a_freed_graph_accumulates_nothing():
    a = gg.randn(3, requires_grad=True)
    w = gg.randn(3, requires_grad=True)
    shared = (a * 2.0).sum()
    shared.backward()
    before = tensor_state(a), tensor_state(w)
    loss = shared * w.sum()
    with pytest.raises(gg.AutogradError, match="second time"):
        loss.backward()
    assert (tensor_state(a), tensor_state(w)) == before


def test_failing_backward_on_a_mutated_saved_tensor_accumulates_nothing():
    x = gg.randn(3, requires_grad=True)
    v = gg.randn(3, requires_grad=True)
    w = gg.randn(3, requires_grad=True)
    h = x * 2.0
    e = h * v                      # mul saves h
    h.add_(1.0)
    loss = (e * w).sum()
    with pytest.raises(gg.AutogradError, match="modified by an in-place operation"):
        loss.backward()
    assert x.grad is None and v.grad is None and w.grad is None


# -- Python state read by a compiled function -----------------------------------------------------

SCALE = 2.0


def _scale():
    return SCALE


def _reads_global(x):
    return x * SCALE


def _calls_helper(x):
    return x * _scale()


def _set_global(value):
    global SCALE
    SCALE = value


def _closure():
    scale = 2.0

    def fn(x):
        return x * scale

    def set_scale(value):
        nonlocal scale
        scale = value
    return fn, set_scale


class _Settings:
    scale = 2.0


SETTINGS = _Settings()          # an argparse-style namespace at module level
TABLE = {"scale": 2.0}


def _reads_attribute(x):
    return x * SETTINGS.scale


def _reads_dict(x):
    return x * TABLE["scale"]


def _set_attribute(value):
    SETTINGS.scale = value


def _set_dict(value):
    TABLE["scale"] = value


@pytest.mark.parametrize("how", [
    "global", "helper", "closure",
    pytest.param("attribute"),
    pytest.param("dict"),
])
def test_changed_python_number_retraces_or_raises(how):
    fn, set_scale = {
        "global": (_reads_global, _set_global),
        "helper": (_calls_helper, _set_global),
        "attribute": (_reads_attribute, _set_attribute),
        "dict": (_reads_dict, _set_dict),
    }.get(how) or _closure()
    set_scale(2.0)
    compiled = gg.compile(fn)
    x = gg.arange(3).float()
    try:
        np.testing.assert_array_equal(compiled(x).numpy(), [0.0, 2.0, 4.0])
        set_scale(5.0)
        try:
            out = compiled(x)
        except gg.GraphgradError:
            return                                       # refusing is fine
        np.testing.assert_array_equal(out.numpy(), [0.0, 5.0, 10.0])   # never the stale 2.0
        set_scale(2.0)
        np.testing.assert_array_equal(compiled(x).numpy(), [0.0, 2.0, 4.0])
    finally:
        set_scale(2.0)


# -- dtypes between calls -------------------------------------------------------------------------

def test_argument_dtype_change_retraces_and_never_casts():
    @gg.compile
    def f(x):
        return x / 3.0 + 1.0

    x32 = gg.tensor(np.array([1.0, 2.0], np.float32))
    x64 = gg.tensor(np.array([1.0, 2.0], np.float64))
    xi = gg.tensor([1, 2])
    out32, out64, outi = f(x32), f(x64), f(xi)
    assert (out32.dtype, out64.dtype) == (np.float32, np.float64)
    np.testing.assert_array_equal(out64.numpy(), np.array([1.0, 2.0]) / 3.0 + 1.0)
    eager_int = xi / 3.0 + 1.0
    assert outi.dtype == eager_int.dtype
    np.testing.assert_array_equal(outi.numpy(), eager_int.numpy())
    assert f.cache_info().traces == 3
    assert f(x32).dtype == np.float32 and f.cache_info().traces == 3


def test_module_converted_to_float64_retraces_and_computes_in_float64():
    model = nn.Linear(3, 2)
    compiled = gg.compile(model)
    x32 = gg.randn(4, 3)
    assert compiled(x32).dtype == np.float32
    model.double()
    x64 = x32.double()
    out = compiled(x64)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out.numpy(), model(x64).numpy())
    assert compiled.cache_info().traces == 2


# -- in-place writes to traced values -------------------------------------------------------------

def _setitem_chain(x):
    y = x * 1.0
    y[0] = 5.0
    y[1:, 0] = y[1:, 1] * 2.0
    y += 1.0
    y.mul_(2.0)
    return y


def _view_then_write(x):
    y = x * 1.0
    z = y[1:]
    z.add_(100.0)
    return y, z


def _write_argument(x):
    x.add_(1.0)
    x.clamp_(max=2.5)
    return x * 2.0


def _write_then_read_old_alias(x):
    y = x * 1.0
    old = y
    y.copy_(gg.zeros_like(y))
    return old + 1.0, y


def _masked_write(x):
    y = x.clone()
    y.copy_(gg.where(y > 0.5, 0.0, y))
    y.clamp_(min=0.25)
    return y


def _setitem_on_argument(x):
    x[0, 1] = -1.0
    x[1:] *= 2.0
    return x.sum(0)


def _write_grad_path(x):
    y = x * 3.0
    y[0] = y[0] * y[0]
    return y.sum()


@pytest.mark.parametrize("fn", [_setitem_chain, _view_then_write, _write_argument,
                                _write_then_read_old_alias, _masked_write, _setitem_on_argument],
                         ids=lambda f: f.__name__.strip("_"))
def test_in_place_on_traced_values_matches_eager(fn):
    data = np.random.default_rng(0).uniform(0, 1, (3, 2))
    xe, xc = gg.tensor(data), gg.tensor(data)
    eager = fn(xe)
    compiled = gg.compile(fn)
    for _ in range(2):                                   # a retrace-free second call too
        xc_call = gg.tensor(xc.numpy())
        comp = compiled(xc_call)
        comp = comp if isinstance(comp, tuple) else (comp,)
        eag = eager if isinstance(eager, tuple) else (eager,)
        for c, e in zip(comp, eag):
            np.testing.assert_array_equal(c.numpy(), e.numpy())
        np.testing.assert_array_equal(xc_call.numpy(), xe.numpy())   # argument writes too
    assert compiled.cache_info().traces == 1


def test_in_place_on_outside_state_is_written_back_on_every_call():
    def make():
        counter = gg.zeros(())
        total = gg.zeros(3)

        def f(x):
            with gg.no_grad():
                counter.add_(1.0)
                total.add_(x * counter)
            return total * 1.0
        return f, counter, total

    eager, e_counter, e_total = make()
    fn, c_counter, c_total = make()
    compiled = gg.compile(fn)
    for i in range(4):
        x = gg.full((3,), float(i))
        np.testing.assert_array_equal(compiled(x).numpy(), eager(x).numpy())
    assert c_counter.item() == e_counter.item() == 4.0
    np.testing.assert_array_equal(c_total.numpy(), e_total.numpy())
    assert compiled.cache_info().traces == 1


def test_in_place_on_traced_values_keeps_gradients_right():
    data = np.array([0.5, -1.0, 2.0])
    xe = gg.tensor(data, requires_grad=True)
    _write_grad_path(xe).backward()
    xc = gg.tensor(data, requires_grad=True)
    gg.compile(_write_grad_path)(xc).backward()
    np.testing.assert_array_equal(xc.grad.numpy(), xe.grad.numpy())
    g = gg.grad(_write_grad_path)(gg.tensor(data))
    np.testing.assert_array_equal(g.numpy(), xe.grad.numpy())


def test_in_place_on_argument_that_requires_grad_is_refused_in_both_modes():
    def f(w):
        w.add_(1.0)
        return w.sum()

    for run in (f, gg.compile(f)):
        w = gg.ones(3, requires_grad=True)
        with pytest.raises(gg.AutogradError, match="in-place"):
            run(w)
        np.testing.assert_array_equal(w.numpy(), np.ones(3))


# -- zero-size tensors ----------------------------------------------------------------------------

def test_empty_batch_through_a_model_eager_and_compiled():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x = gg.zeros(0, 3)
    for run in (model, gg.compile(model)):
        out = run(x)
        assert out.shape == (0, 2) and out.dtype == np.float32


def test_empty_batch_training_step_changes_nothing_finite():
    """A batch of zero samples: sum-loss gradients are zero, parameters stay put; a mean-loss
    is NaN (0/0) as in torch, and must come out NaN in both modes, not a number."""
    model = nn.Linear(3, 2)
    before = [p.numpy().copy() for p in model.parameters()]
    opt = optim.SGD(model.parameters(), lr=0.1)

    def step(x):
        opt.zero_grad()
        loss = model(x).sum()
        loss.backward()
        opt.step()
        return loss

    for run in (step, gg.compile(step)):
        assert run(gg.zeros(0, 3)).item() == 0.0
        for b, p in zip(before, model.parameters()):
            np.testing.assert_array_equal(p.numpy(), b)
    mean = gg.compile(lambda x: model(x).mean())
    assert np.isnan(mean(gg.zeros(0, 3)).item()) and np.isnan(model(gg.zeros(0, 3)).mean().item())


@pytest.mark.parametrize("reduce, expected", [
    (lambda x: x.sum(), 0.0),
    (lambda x: x.sum(0), np.zeros(3)),
    (lambda x: x.mean(), np.nan),
    (lambda x: x.mean(0), np.full(3, np.nan)),
    (lambda x: x.sum(1), np.zeros(0)),
    (lambda x: x.mean(1), np.zeros(0)),
], ids=["sum", "sum0", "mean", "mean0", "sum1", "mean1"])
def test_reductions_of_empty_tensors(reduce, expected):
    x = gg.zeros(0, 3)
    for run in (reduce, gg.compile(reduce)):
        np.testing.assert_array_equal(run(x).numpy(), expected)


def test_empty_tensor_gradients():
    x = gg.zeros(0, 3, requires_grad=True)
    (x * 2.0).sum().backward()
    assert x.grad.shape == (0, 3)
    g = gg.grad(lambda t: (t * 2.0).sum())(gg.zeros(0, 3))
    assert g.shape == (0, 3)


# -- NaN and inf propagate, never hidden ----------------------------------------------------------

NAN_OPS = {
    "relu": lambda x: gg.relu(x),
    "maximum": lambda x: gg.maximum(x, 0.0),
    "minimum": lambda x: gg.minimum(x, 0.0),
    "clamp": lambda x: gg.clamp(x, -1.0, 1.0),
    "amax": lambda x: gg.amax(x, dim=1),
    "softmax": lambda x: gg.softmax(x, dim=1),
    "logsumexp": lambda x: gg.logsumexp(x, dim=1),
    "matmul": lambda x: x @ gg.ones(3, 2),
    "mlp": lambda x: gg.relu(x @ gg.ones(3, 4)).sum(1),
    "abs": lambda x: gg.abs(x),
    "sigmoid": lambda x: gg.sigmoid(x),
}


@pytest.mark.parametrize("name", sorted(NAN_OPS))
def test_nan_inputs_propagate_in_both_modes(name):
    fn = NAN_OPS[name]
    data = np.array([[0.5, -0.25, 2.0], [np.nan, 1.0, -3.0]], np.float32)
    eager = fn(gg.tensor(data)).numpy()
    compiled = gg.compile(fn)(gg.tensor(data)).numpy()
    np.testing.assert_array_equal(np.isnan(compiled), np.isnan(eager))
    assert np.isnan(eager[1]).any(), "the NaN row must stay NaN"
    assert np.isfinite(eager[0]).all(), "NaN must not leak into the clean row"
    np.testing.assert_allclose(compiled, eager, rtol=1e-6)


def test_nan_loss_gives_nan_gradients_in_both_modes():
    model = nn.Linear(3, 2)
    x = gg.tensor([[np.nan, 0.0, 1.0]])
    model(x).sum().backward()
    assert np.isnan(model.weight.grad.numpy()[:, 0]).all()
    eager_grad = model.weight.grad.numpy().copy()
    model.zero_grad()
    gg.compile(lambda x: model(x).sum())(x).backward()
    np.testing.assert_array_equal(np.isnan(model.weight.grad.numpy()), np.isnan(eager_grad))


def test_where_does_not_turn_masked_inf_into_nan():
    """where(c, a, 0) with inf/nan in `a` where c is False must give 0 there (no a * c)."""
    a = np.array([np.inf, 1.0, -np.inf, np.nan, 2.0], np.float32)
    cond = np.array([False, True, False, False, True])

    def fn(c, a):
        return gg.where(c, a, 0.0) + 0.0

    expected = np.where(cond, a, 0.0)
    for run in (fn, gg.compile(fn)):
        np.testing.assert_array_equal(run(gg.tensor(cond), gg.tensor(a)).numpy(), expected)


# -- huge logits stay finite ----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale", [1e3, 1e30])
def test_cross_entropy_with_huge_logits_is_finite(dtype, scale):
    logits = np.array([[1.0, -1.0, 0.0], [0.0, 2.0, -2.0]], dtype) * dtype(scale)
    target = gg.tensor([1, 0])
    expected = np.array([2.0, 2.0]).mean() * scale          # the exact loss: the margin
    for compiled in (False, True):
        x = gg.tensor(logits, requires_grad=True)
        fn = (lambda x, t: F.cross_entropy(x, t))
        loss = (gg.compile(fn) if compiled else fn)(x, target)
        loss.backward()
        assert np.isfinite(loss.item()) and loss.item() == pytest.approx(expected, rel=1e-6)
        assert np.isfinite(x.grad.numpy()).all()
        np.testing.assert_allclose(x.grad.numpy(), [[0.5, -0.5, 0.0], [-0.5, 0.5, 0.0]],
                                   atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale", [1e3, 1e30])
def test_bce_with_logits_with_huge_logits_is_finite(dtype, scale):
    logits = np.array([1.0, -1.0, 1.0, -1.0], dtype) * dtype(scale)
    target = gg.tensor(np.array([0.0, 1.0, 1.0, 0.0], dtype))
    expected = scale / 2                  # two wrong by `scale`, two right by ~0
    for compiled in (False, True):
        x = gg.tensor(logits, requires_grad=True)
        fn = (lambda x, t: F.binary_cross_entropy_with_logits(x, t))
        loss = (gg.compile(fn) if compiled else fn)(x, target)
        loss.backward()
        assert np.isfinite(loss.item()) and loss.item() == pytest.approx(expected, rel=1e-6)
        np.testing.assert_allclose(x.grad.numpy(), [0.25, -0.25, 0.0, 0.0], atol=1e-6)


def test_log_softmax_of_huge_logits_is_finite():
    x = gg.tensor([[1e30, -1e30, 0.0]])

    def fn(t):
        return gg.log_softmax(t, dim=1)

    for run in (fn, gg.compile(fn)):
        out = run(x).numpy()
        assert out[0, 0] == 0.0 and np.isfinite(out).all()


# -- gg.detect_anomaly ----------------------------------------------------------------------------

def _produces_nan(x):
    h = x * 2.0
    bad = gg.log(h)              # log of a negative number: the first NaN
    return (bad * 3.0).sum()     # mul and sum only propagate it


def test_detect_anomaly_names_the_first_op_that_made_a_nan_eagerly():
    x = gg.tensor([1.0, -1.0])
    with pytest.raises(RuntimeError) as info, gg.detect_anomaly():
        _produces_nan(x)
    assert "log" in str(info.value)


def test_detect_anomaly_names_the_first_op_that_made_a_nan_compiled():
    compiled = gg.compile(_produces_nan)
    assert compiled(gg.tensor([1.0, 2.0])).item() == pytest.approx(3 * (np.log(2) + np.log(4)))
    with pytest.raises(RuntimeError) as info, gg.detect_anomaly():
        compiled(gg.tensor([1.0, -1.0]))
    assert "log" in str(info.value)


def test_detect_anomaly_is_silent_on_finite_values_and_in_backward_names_the_op():
    x = gg.tensor([1.0, 4.0], requires_grad=True)
    with gg.detect_anomaly():
        loss = gg.sqrt(x).sum()
        loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 0.25])
    x = gg.tensor([0.0, 4.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="sqrt"), gg.detect_anomaly():
        (gg.sqrt(x) * 0.0).sum().backward()         # inf * 0 in sqrt's backward: NaN

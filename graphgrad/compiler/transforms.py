"""Functional transforms: `grad`, `value_and_grad` (compiled, composable) and `trace`."""
import functools

from graphgrad import pytree
from graphgrad.compiler.api import CompiledFunction
from graphgrad.compiler.signature import leaf_names
from graphgrad.compiler.trace import trace_function
from graphgrad.errors import ShapeError
from graphgrad.modes import active_recorder, enable_grad
from graphgrad.tensor import Tensor


def value_and_grad(fn, argnums=0):
    """A compiled function returning (fn(*args), d fn / d args[argnums]).

    `fn` must return a scalar float tensor. The gradient comes from the symbolic backward
    pass; since that is an ordinary graph, `grad(grad(f))` works. Inputs that do not influence
    the result get zero gradients (as in JAX).
    """
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)

    def inner(*args, **kwargs):
        from graphgrad.ops.creation import ones, zeros_like
        from graphgrad.passes.autodiff import emit_backward
        recorder = active_recorder()
        start = len(recorder.builder.nodes)
        xs = list(args)
        for i in nums:
            if i >= len(args) or not isinstance(args[i], Tensor):
                raise TypeError(f"grad: argument {i} must be a tensor")
            if args[i].dtype.kind != "f":
                raise TypeError(f"grad: argument {i} must be floating point, got "
                                f"{args[i].dtype}")
            xs[i] = Tensor._tracer(recorder.value_of(args[i]), True)
        with enable_grad():
            out = fn(*xs, **kwargs)
            if not isinstance(out, Tensor) or out.numel() != 1 or out.dtype.kind != "f":
                raise ShapeError(f"grad: the function must return a scalar float tensor, got "
                                 f"{_describe(out)}")
            seed = ones(out.shape, dtype=out.dtype)
            grads = emit_backward([recorder.value_of(out)], [recorder.value_of(seed)],
                                  [xs[i]._data for i in nums], start=start)
        result = []
        for i, g in zip(nums, grads):
            result.append(zeros_like(xs[i]) if g is None else Tensor._tracer(g, g.requires_grad))
        return out, (result[0] if single else tuple(result))

    name = getattr(fn, "__name__", "fn")
    compiled = CompiledFunction(inner, name=f"value_and_grad_{name}")

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if active_recorder() is not None:
            return inner(*args, **kwargs)
        return compiled(*args, **kwargs)

    wrapper.compiled = compiled
    return wrapper


def grad(fn, argnums=0):
    """A compiled function returning d fn / d args[argnums] (see `value_and_grad`)."""
    vg = value_and_grad(fn, argnums)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return vg(*args, **kwargs)[1]

    wrapper.compiled = vg.compiled
    return wrapper


def trace(fn, *example_args, **example_kwargs):
    """The graph of `fn` traced on example arguments (no passes, nothing compiled or run).
    `gg.trace(matrix)` is torch.trace (the sum of the diagonal): a tensor is never callable,
    so the first argument tells which is meant."""
    if isinstance(fn, Tensor):
        from graphgrad.ops.matrix import trace as matrix_trace
        return matrix_trace(fn, *example_args, **example_kwargs)
    if active_recorder() is not None:
        raise RuntimeError("gg.trace cannot be called inside a compiled function")
    leaves, treedef = pytree.flatten((example_args, example_kwargs))
    names = leaf_names(fn, example_args, example_kwargs)
    name = getattr(fn, "__name__", type(fn).__name__)
    return trace_function(fn, name, leaves, treedef, names).graph


def _describe(x):
    if isinstance(x, Tensor):
        return f"a tensor of shape {x.shape} and dtype {x.dtype}"
    return type(x).__name__

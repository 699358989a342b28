"""Array views for generated code, built directly as numba array structs.

numba lowers `arena[a:b].view(np.float32).reshape(shape)` into a great deal of IR (bounds and
size checks, error paths), about 50 ms of compile time per occurrence, growing with the size
of the function; `np.transpose(x, axes)` costs 3-4 s the first time in a process. The views
here are a handful of instructions each (the shapes come from the schedule, already checked),
so a training step's module compiles in a fraction of the time.

Also the flat 1-D views the generated loops run over, and copies between arrays. Every helper
here is cached by numba beside this file (its cache checks only the file a function is
defined in, and these call nothing outside it).
"""
import numpy as np
from numba import njit, types
from numba.core import cgutils
from numba.core.imputils import impl_ret_borrowed
from numba.extending import intrinsic, overload
from numba.np.arrayobj import make_array, populate_array


def _view_of(context, builder, source_type, source, result_type, data, shape, strides):
    src = make_array(source_type)(context, builder, source)
    out = make_array(result_type)(context, builder)
    itemsize = context.get_abi_sizeof(context.get_data_type(result_type.dtype))
    populate_array(out, data=builder.bitcast(data, out.data.type), shape=shape,
                   strides=strides, itemsize=context.get_constant(types.intp, itemsize),
                   meminfo=src.meminfo, parent=src.parent)
    # the view holds a reference to the source's memory, as numba's own views do
    return impl_ret_borrowed(context, builder, result_type, out._getvalue())


def _c_view(context, builder, source_type, source, result_type, data, shape_type, shape):
    """A C-contiguous `result_type` view of `source`'s memory from `data`, of the tuple
    value `shape`."""
    dims = [context.cast(builder, v, t, types.intp) for v, t in
            zip(cgutils.unpack_tuple(builder, shape, len(shape_type)), shape_type)]
    strides = []
    stride = context.get_constant(
        types.intp, context.get_abi_sizeof(context.get_data_type(result_type.dtype)))
    for n in reversed(dims):
        strides.append(stride)
        stride = builder.mul(stride, n)
    return _view_of(context, builder, source_type, source, result_type, data, dims,
                    strides[::-1])


@intrinsic
def buffer(typingctx, arena, offset, shape, dtype):
    """The C-contiguous array of `dtype` and `shape` at byte `offset` of the 1-D byte array
    `arena` (a memory plan's arena: the plan keeps every buffer inside it and aligned)."""
    result = types.Array(dtype.instance_type, len(shape), "C")

    def codegen(context, builder, sig, args):
        ar, off, shp, _ = args
        data = builder.gep(make_array(sig.args[0])(context, builder, ar).data, [off])
        return _c_view(context, builder, sig.args[0], ar, result, data, sig.args[2], shp)
    return result(arena, offset, shape, dtype), codegen


@intrinsic
def _reshaped_c(typingctx, a, shape):
    """C-contiguous `a` seen with `shape` (of the same size)."""
    result = types.Array(a.dtype, len(shape), "C")

    def codegen(context, builder, sig, args):
        ar, shp = args
        data = make_array(sig.args[0])(context, builder, ar).data
        return _c_view(context, builder, sig.args[0], ar, result, data, sig.args[1], shp)
    return result(a, shape), codegen


@intrinsic(prefer_literal=True)
def permuted(typingctx, a, axes):
    """`np.transpose(a, axes)` for constant `axes`: the same memory, shape and strides
    permuted."""
    order = [t.literal_value for t in axes]
    result = types.Array(a.dtype, a.ndim, "A")

    def codegen(context, builder, sig, args):
        ary = make_array(sig.args[0])(context, builder, args[0])
        shape = cgutils.unpack_tuple(builder, ary.shape, a.ndim)
        strides = cgutils.unpack_tuple(builder, ary.strides, a.ndim)
        return _view_of(context, builder, sig.args[0], args[0], result, ary.data,
                        [shape[d] for d in order], [strides[d] for d in order])
    return result(a, axes), codegen


def reshaped(a, shape):
    """`a` with `shape`: a view when `a` is C-contiguous, else a C-contiguous copy."""
    raise NotImplementedError("numba-only helper")


@overload(reshaped, jit_options={"cache": True})
def _reshaped(a, shape):
    if a.layout == "C":
        return lambda a, shape: _reshaped_c(a, shape)
    return lambda a, shape: _reshaped_c(np.ascontiguousarray(a), shape)


def reshaped_view(a, shape):
    """`a` with `shape`, always a view (to write into): numba's own reshape for arrays that
    are not C-contiguous, which raises when no view has that shape."""
    raise NotImplementedError("numba-only helper")


@overload(reshaped_view, jit_options={"cache": True})
def _reshaped_view(a, shape):
    if a.layout == "C":
        return lambda a, shape: _reshaped_c(a, shape)
    return lambda a, shape: a.reshape(shape)


# -- flat 1-D views for the loops ------------------------------------------------------------

def _copy_into(out, a):
    """out[...] = a for arrays of one shape: a flat loop (numba compiles the shape check of
    `out[...] = a` with its error message, seconds the first time in a process)."""
    o = flat_out(out)
    f = flat(a)
    for k in range(o.shape[0]):
        o[k] = f[k]
    store(out, o)


def flat(a):
    """`a` as a 1-D C-contiguous array (a view when `a` is C-contiguous, else a copy)."""
    raise NotImplementedError("numba-only helper")


def flat_out(a):
    """A 1-D array to write `a`'s elements into: a view of `a` when it is C-contiguous, else a
    new array that `store(a, f)` copies back."""
    raise NotImplementedError("numba-only helper")


def store(a, f):
    raise NotImplementedError("numba-only helper")


# chosen by the array's layout when numba types the generated code: flat 1-D loops
# vectorize, and C-contiguous arrays (almost all) are never copied
@overload(flat, jit_options={"cache": True})
def _flat(a):
    if a.layout == "C":
        return lambda a: _reshaped_c(a, (a.size,))
    return lambda a: _reshaped_c(np.ascontiguousarray(a), (a.size,))


@overload(flat_out, jit_options={"cache": True})
def _flat_out(a):
    if a.layout == "C":
        return lambda a: _reshaped_c(a, (a.size,))
    return lambda a: np.empty(a.size, a.dtype)


def loop_arg(a):
    """`a` for a generated loop kernel: its flat view when C-contiguous, else `a` itself (the
    kernel's own flat/flat_out/store copy it)."""
    raise NotImplementedError("numba-only helper")


@overload(loop_arg, jit_options={"cache": True})
def _loop_arg(a):
    if a.layout == "C":
        return lambda a: _reshaped_c(a, (a.size,))
    return lambda a: a


@overload(store, jit_options={"cache": True})
def _store(a, f):
    if a.layout == "C":
        return lambda a, f: None
    return lambda a, f: _copy_back(a, f)


@njit
def _copy_back(a, f):
    a[...] = f.reshape(a.shape)


def new_array(shape, dtype):
    """np.empty(shape, dtype), compiled once per rank and dtype and cached: numba compiles
    `np.empty` anew in every generated function that calls it (0.1-0.15 s per process). An
    overload, so that numba types the constant shape as integers, not as literals (one
    compile per shape)."""
    raise NotImplementedError("numba-only helper")


@overload(new_array, jit_options={"cache": True})
def _new_array(shape, dtype):
    return lambda shape, dtype: np.empty(shape, dtype)


copy_into = njit(cache=True, error_model="numpy", nogil=True)(_copy_into)

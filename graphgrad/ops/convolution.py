"""Convolution primitives on (N, C, *spatial) tensors, 2-D and 3-D (1-D convolutions are 2-D
ones over a unit height).

conv and its two gradient primitives are the three partial derivatives of one trilinear form
T(g, x, w) = <g, conv(x, w)>:

    convNd(x, w)              = dT/dg
    convNd_input_grad(g, w)   = dT/dx      (also the transposed convolution)
    convNd_weight_grad(x, g)  = dT/dw

so the VJP of each one is written with the other two and gradients of any order stay inside
this family. The NumPy kernels are in conv_kernels.py.
"""
import numpy as np

from graphgrad.dispatch import bind
from graphgrad.errors import ShapeError
from graphgrad.ir.types import TensorType
from graphgrad.ops import conv_kernels as K
from graphgrad.ops._core import as_tensor, describe
from graphgrad.ops.spatial import (as_batch_nd, check_float, check_nd, defop_out, got, ntuple,
                                  unbatch)


def conv_out_size(name, x_shape, w_shape, stride, padding, dilation, groups, args):
    """The spatial output size of the convolution of an x_shape input with a w_shape weight."""
    c, o, cg, kernel = x_shape[1], w_shape[0], w_shape[1], tuple(w_shape[2:])
    if groups < 1 or c % groups or o % groups:
        raise ShapeError(f"{name}: groups={groups} must divide the input channels ({c}) and "
                         f"the output channels ({o}) ({got(*args)})")
    if cg * groups != c:
        raise ShapeError(f"{name}: the input has {c} channels but the weight {tuple(w_shape)} "
                         f"expects {cg * groups} ({cg} per group, groups={groups}) "
                         f"({got(*args)})")
    padded, out, _ = K.geometry(x_shape, w_shape, stride, padding, dilation)
    dilated = tuple(d * (k - 1) + 1 for d, k in zip(dilation, kernel))
    if min(kernel) < 1 or any(e > p for e, p in zip(dilated, padded)):
        raise ShapeError(f"{name}: kernel {'x'.join(map(str, kernel))} (dilated "
                         f"{'x'.join(map(str, dilated))}) does not fit the padded input "
                         f"{'x'.join(map(str, padded))} ({got(*args)})")
    return out


def _conv_family(nd):
    """The three primitives of the nd-dimensional convolution."""
    name, rank = f"conv{nd}d", nd + 2
    ops = {}

    def check_grad_out(op, g, x_shape, w_shape, geom, args):
        want = (x_shape[0], w_shape[0]) + conv_out_size(op, x_shape, w_shape, **geom, args=args)
        if tuple(g.shape) != want:
            raise ShapeError(f"{op}: the output gradient must have shape {want} for input "
                             f"{tuple(x_shape)} and weight {tuple(w_shape)} ({got(*args)})")

    def conv_infer(x, w, **geom):
        check_nd(name, x, rank, "input (N, C, *spatial)", (x, w))
        check_nd(name, w, rank, "weight (C_out, C_in / groups, *kernel)", (x, w))
        check_float(name, x, w)
        out = conv_out_size(name, x.shape, w.shape, **geom, args=(x, w))
        return TensorType((x.shape[0], w.shape[0]) + out, x.dtype)

    def input_grad_infer(g, w, *, x_shape, **geom):
        op = name + "_input_grad"
        check_nd(op, g, rank, "output gradient", (g, w))
        check_nd(op, w, rank, "weight", (g, w))
        check_float(op, g, w)
        if len(x_shape) != rank:
            raise ShapeError(f"{op}: input size {x_shape} must have {rank} entries")
        check_grad_out(op, g, x_shape, w.shape, geom, (g, w))
        return TensorType(tuple(x_shape), g.dtype)

    def weight_grad_infer(x, g, *, w_shape, **geom):
        op = name + "_weight_grad"
        check_nd(op, x, rank, "input", (x, g))
        check_nd(op, g, rank, "output gradient", (x, g))
        check_float(op, x, g)
        if len(w_shape) != rank:
            raise ShapeError(f"{op}: weight size {w_shape} must have {rank} entries")
        check_grad_out(op, g, x.shape, w_shape, geom, (x, g))
        return TensorType(tuple(w_shape), x.dtype)

    def conv_vjp(g, x, w, *, out, needs=(True, True), **geom):
        # eager backward says which inputs need a gradient (the first layer's input does not)
        return (bind(ops["input"], g, w, x_shape=tuple(x.shape), **geom) if needs[0] else None,
                bind(ops["weight"], x, g, w_shape=tuple(w.shape), **geom) if needs[1] else None)

    def input_grad_vjp(c, g, w, *, out, x_shape, **geom):
        # <c, dT/dx(g, w)> = T(g, c, w)
        return (bind(ops["conv"], c, w, **geom),
                bind(ops["weight"], c, g, w_shape=tuple(w.shape), **geom))

    def weight_grad_vjp(c, x, g, *, out, w_shape, **geom):
        # <c, dT/dw(x, g)> = T(g, x, c)
        return (bind(ops["input"], g, c, x_shape=tuple(x.shape), **geom),
                bind(ops["conv"], x, c, **geom))

    ops["conv"] = defop_out(name, conv_infer, K.conv_out, conv_vjp, vjp_needs=True)
    ops["input"] = defop_out(name + "_input_grad", input_grad_infer, K.input_grad_out,
                             input_grad_vjp)
    ops["weight"] = defop_out(name + "_weight_grad", weight_grad_infer, K.weight_grad_out,
                              weight_grad_vjp)
    return ops["conv"], ops["input"], ops["weight"]


CONV2D, CONV2D_INPUT_GRAD, CONV2D_WEIGHT_GRAD = _conv_family(2)
CONV3D, CONV3D_INPUT_GRAD, CONV3D_WEIGHT_GRAD = _conv_family(3)
FAMILIES = {2: (CONV2D, CONV2D_INPUT_GRAD, CONV2D_WEIGHT_GRAD),
            3: (CONV3D, CONV3D_INPUT_GRAD, CONV3D_WEIGHT_GRAD)}

# -- attributes -------------------------------------------------------------------------------


def same_padding(kernel, dilation):
    """Flat (before, after) pairs of padding='same': the odd extra goes after."""
    out = ()
    for d, k in zip(dilation, kernel):
        total = d * (k - 1)
        out += (total // 2, total - total // 2)
    return out


def _conv_padding(name, nd, padding, kernel, stride, dilation, args):
    if isinstance(padding, str):
        if padding == "valid":
            return (0,) * (2 * nd)
        if padding != "same":
            raise ValueError(f"{name}: padding must be 'same', 'valid', an int or a tuple, got "
                             f"{padding!r}")
        if any(s != 1 for s in stride):
            raise ValueError(f"{name}: padding='same' is not supported for strided "
                             f"convolutions (stride {stride}; {got(*args)})")
        return same_padding(kernel, dilation)
    return tuple(p for p in ntuple(name, "padding", padding, 0, args, nd) for _ in range(2))


def conv_attrs(name, nd, x, w, stride, padding, dilation, groups):
    """The primitive's attributes for an nd-dimensional convolution; checks the geometry so
    errors name `name` (1-D convolutions run as 2-D ones)."""
    args = (x, w)
    if w.ndim != nd + 2:
        raise ShapeError(f"{name}: expects a {nd + 2}-D weight, got shape {w.shape} "
                         f"({got(*args)})")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{name}: groups must be a positive int, got {groups!r} "
                         f"({got(*args)})")
    stride = ntuple(name, "stride", stride, 1, args, nd)
    dilation = ntuple(name, "dilation", dilation, 1, args, nd)
    padding = _conv_padding(name, nd, padding, w.shape[2:], stride, dilation, args)
    return {"stride": stride, "padding": padding, "dilation": dilation, "groups": int(groups)}


def lift_1d(attrs):
    """Attributes of a 1-D convolution as those of a 2-D one over a unit height."""
    out = dict(attrs)
    for key in ("stride", "dilation"):
        out[key] = (1,) + attrs[key]
    out["padding"] = (0, 0) + attrs["padding"]
    return out


def add_bias(name, out, bias, args):
    from graphgrad.ops.movement import reshape
    b = as_tensor(bias)
    if b.shape != (out.shape[1],) or b.dtype != out.dtype:
        raise ShapeError(f"{name}: bias {describe(b)} must be a vector of {out.shape[1]} "
                         f"{out.dtype} entries, one per output channel ({got(*args)})")
    return out + reshape(b, (1, -1) + (1,) * (out.ndim - 2))

# -- op functions -----------------------------------------------------------------------------


def convolve(name, nd, input, weight, bias, stride, padding, dilation, groups):
    """An nd-dimensional convolution (nd = 1, 2 or 3), batched or not."""
    from graphgrad.ops.movement import reshape
    x, w = as_tensor(input), as_tensor(weight)
    args = (x, w)
    attrs = conv_attrs(name, nd, x, w, stride, padding, dilation, groups)
    x, unbatched = as_batch_nd(name, x, nd, args)
    if nd == 1:
        check_float(name, x, w)
        conv_out_size(name, x.shape, w.shape, **attrs, args=args)
        x, w = reshape(x, x.shape[:2] + (1,) + x.shape[2:]), reshape(w, w.shape[:2] + (1,) +
                                                                        w.shape[2:])
        out = bind(CONV2D, x, w, **lift_1d(attrs))
        out = reshape(out, out.shape[:2] + out.shape[3:])
    else:
        out = bind(FAMILIES[nd][0], x, w, **attrs)
    if bias is not None:
        out = add_bias(name, out, bias, args)
    return unbatch(out, unbatched)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation of an (N, C_in, H, W) input with a (C_out, C_in / groups, kH, kW)
    weight, as torch.nn.functional.conv2d (padding: int, pair, 'same' or 'valid')."""
    return convolve("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv2d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of conv2d with respect to its input (torch.nn.grad.conv2d_input)."""
    w, g = as_tensor(weight), as_tensor(grad_output)
    attrs = conv_attrs("conv2d_input", 2, g, w, stride, padding, dilation, groups)
    return bind(CONV2D_INPUT_GRAD, g, w, x_shape=tuple(int(d) for d in input_size), **attrs)


def conv2d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of conv2d with respect to its weight (torch.nn.grad.conv2d_weight)."""
    x, g = as_tensor(input), as_tensor(grad_output)
    w_shape = tuple(int(d) for d in weight_size)
    if len(w_shape) != 4:
        raise ShapeError(f"conv2d_weight: weight size {w_shape} must have 4 entries")
    attrs = conv_attrs("conv2d_weight", 2, x, np.empty(w_shape, x.dtype), stride, padding,
                       dilation, groups)
    return bind(CONV2D_WEIGHT_GRAD, x, g, w_shape=w_shape, **attrs)


def transposed_size(name, x, w, attrs, output_padding):
    """The output's spatial size of a transposed convolution."""
    nd = x.ndim - 2
    extra = ntuple(name, "output_padding", output_padding, 0, (x, w), nd)
    if any(e >= max(s, d) for e, s, d in zip(extra, attrs["stride"], attrs["dilation"])):
        raise ValueError(f"{name}: output_padding {extra} must be smaller than the stride or "
                         f"the dilation ({got(x, w)})")
    size = tuple((n - 1) * s - 2 * p + d * (k - 1) + e + 1 for n, s, p, d, k, e in zip(
        x.shape[2:], attrs["stride"], attrs["padding"][::2], attrs["dilation"], w.shape[2:],
        extra))
    if min(size) < 1:
        raise ShapeError(f"{name}: the output size {size} is empty ({got(x, w)})")
    return size


def convolve_transposed(name, nd, input, weight, bias, stride, padding, output_padding, groups,
                        dilation):
    """An nd-dimensional transposed convolution: the gradient of the convolution's input."""
    from graphgrad.ops.movement import reshape
    x, w = as_tensor(input), as_tensor(weight)
    args = (x, w)
    if isinstance(padding, str):
        raise TypeError(f"{name}: padding must be an int or a tuple, got {padding!r}")
    attrs = conv_attrs(name, nd, x, w, stride, padding, dilation, groups)
    x, unbatched = as_batch_nd(name, x, nd, args)
    if nd == 1:
        check_float(name, x, w)
    if x.shape[1] != w.shape[0]:
        raise ShapeError(f"{name}: the input has {x.shape[1]} channels but the weight "
                         f"{tuple(w.shape)} expects {w.shape[0]} ({got(*args)})")
    size = transposed_size(name, x, w, attrs, output_padding)
    x_shape = (x.shape[0], w.shape[1] * attrs["groups"]) + size
    if nd == 1:
        x, w = reshape(x, x.shape[:2] + (1,) + x.shape[2:]), reshape(w, w.shape[:2] + (1,) +
                                                                        w.shape[2:])
        out = bind(CONV2D_INPUT_GRAD, x, w, x_shape=x_shape[:2] + (1,) + size,
                   **lift_1d(attrs))
        out = reshape(out, x_shape)
    else:
        out = bind(FAMILIES[nd][1], x, w, x_shape=x_shape, **attrs)
    if bias is not None:
        out = add_bias(name, out, bias, args)
    return unbatch(out, unbatched)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed convolution of an (N, C_in, H, W) input with a (C_in, C_out / groups, kH, kW)
    weight, as torch.nn.functional.conv_transpose2d: the gradient of conv2d's input."""
    return convolve_transposed("conv_transpose2d", 2, input, weight, bias, stride, padding,
                               output_padding, groups, dilation)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation of an (N, C_in, L) input with a (C_out, C_in / groups, k) weight,
    as torch.nn.functional.conv1d."""
    return convolve("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D cross-correlation of an (N, C_in, D, H, W) input with a
    (C_out, C_in / groups, kD, kH, kW) weight, as torch.nn.functional.conv3d."""
    return convolve("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed 1-D convolution, as torch.nn.functional.conv_transpose1d."""
    return convolve_transposed("conv_transpose1d", 1, input, weight, bias, stride, padding,
                               output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed 3-D convolution, as torch.nn.functional.conv_transpose3d."""
    return convolve_transposed("conv_transpose3d", 3, input, weight, bias, stride, padding,
                               output_padding, groups, dilation)


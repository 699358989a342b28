"""Native 2-D convolutions (conv2d and its input and weight gradients; 1-D convolutions run as
2-D ones): calls of the loops-plus-BLAS kernels of conv_loops.py. Other ranks, empty tensors
and images whose columns would not stay small run the NumPy kernels, which build columns for
a block of images at a time.
"""
import math

from graphgrad.runtime.native.writer import Unsupported

# one image's columns (C/G * kh * kw, OH * OW) are allocated per call: past this many bytes,
# the NumPy kernels (which bound their memory) are the better choice
_MAX_COLUMN_BYTES = 1 << 24


def _geometry(w, ins):
    """The `geom` tuple of conv_loops and the groups, or Unsupported."""
    attrs = ins.node.attrs
    types = [w.layout.types[s] for s in ins.inputs] + [ins.node.out.type]
    if any(t.ndim != 4 or t.dtype != types[0].dtype or 0 in t.shape for t in types) or \
            types[0].dtype.kind != "f":
        raise Unsupported("convolution other than 2-D on non-empty tensors of one float dtype")
    if ins.output in w.layout.into:
        raise Unsupported("convolution into a state array")
    (sh, sw), (ph, _, pw, _), (dh, dw) = attrs["stride"], attrs["padding"], attrs["dilation"]
    # the weight's and the output gradient's (or output's) shapes, which size the columns
    weight, grad = {"conv2d": (types[1], types[2]), "conv2d_input_grad": (types[1], types[0]),
                    "conv2d_weight_grad": (types[2], types[1])}[ins.node.op.name]
    columns = math.prod(weight.shape[1:]) * math.prod(grad.shape[2:])
    if columns * types[0].dtype.itemsize > _MAX_COLUMN_BYTES:
        raise Unsupported("convolution whose per-image columns are large")
    return (sh, sw, ph, pw, dh, dw), attrs["groups"]


def convolution(w, ins):
    geom, groups = _geometry(w, ins)
    operands = ", ".join(f"np.ascontiguousarray({w.ref(s)})" for s in ins.inputs)
    target = w.target(ins.output)
    w.line(f"{ins.node.op.name}({operands}, {target}, {geom}, {groups})")


KERNELS = dict.fromkeys(("conv2d", "conv2d_input_grad", "conv2d_weight_grad"),
                        convolution)

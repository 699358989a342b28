"""Native max pooling for windows that tile the input (kernel == stride, no padding, no
dilation: nn.MaxPool2d(k)'s default): one pass over the input per window, where the NumPy
kernels need several passes over strided views of one tap each (a 2x2 backward at
(32, 8, 28, 28): about 0.7 ms on NumPy). The first maximum of a window wins, a NaN wins over
numbers and a later NaN over an earlier one, and positions no window picks get +0.0: the NumPy
kernels' (and torch's) rules.
"""
from graphgrad.runtime.native.writer import Unsupported


def _tiles(w, ins, x):
    """(kernel, pooled spatial size) when the windows tile `x` (N, C, H, W), else Unsupported."""
    attrs = ins.node.attrs
    kernel, t = tuple(attrs["kernel"]), w.layout.types[x]
    if (len(kernel) != 2 or tuple(attrs["stride"]) != kernel or any(attrs["padding"])
            or any(d != 1 for d in attrs.get("dilation") or ()) or t.ndim != 4
            or t.dtype.kind != "f" or 0 in t.shape):
        raise Unsupported("max pooling other than 2-D windows tiling the input")
    pooled = tuple(ins.node.out.shape[2:]) if ins.node.op.name == "max_pool2d" else \
        tuple(w.layout.types[ins.inputs[0]].shape[2:])
    if any(o * k > n for o, k, n in zip(pooled, kernel, t.shape[2:])):
        raise Unsupported("max pooling windows past the input (ceil_mode)")
    return kernel, pooled


def _windows(w, src, x_shape, pooled, kernel, k):
    """Open the loops over every window of `src` and find its first maximum: `m<k>` (its
    value), `h<k>`, `w<k>` (its offsets in the window); names of their own, so that pools of
    other dtypes in one segment do not share a variable. Returns the window's index names."""
    kh, kw = kernel
    index = w.loops(x_shape[:2] + pooled)
    n, c, oh, ow = index
    w.line(f"m{k} = {src}[{n}, {c}, {oh} * {kh}, {ow} * {kw}]")
    w.line(f"h{k} = 0")
    w.line(f"w{k} = 0")
    w.line(f"for dh in range({kh}):")
    w.line(f"    for dw in range({kw}):")
    w.line(f"        x{k} = {src}[{n}, {c}, {oh} * {kh} + dh, {ow} * {kw} + dw]")
    w.line(f"        if x{k} > m{k} or x{k} != x{k}:")
    w.line(f"            m{k} = x{k}")
    w.line(f"            h{k} = dh")
    w.line(f"            w{k} = dw")
    return index


def max_pool2d(w, ins):
    x = ins.inputs[0]
    kernel, pooled = _tiles(w, ins, x)
    target, k = w.target(ins.output), ins.output
    n, c, oh, ow = _windows(w, w.ref(x), w.layout.types[x].shape, pooled, kernel, k)
    w.line(f"{target}[{n}, {c}, {oh}, {ow}] = m{k}")
    w.close(4)


def max_pool2d_backward(w, ins):
    g, x = ins.inputs
    kernel, pooled = _tiles(w, ins, x)
    if w.layout.types[g].dtype != w.layout.types[x].dtype:
        raise Unsupported("max pooling gradient of another dtype")
    grad, target, k = w.ref(g), w.target(ins.output), ins.output
    w.line(f"{target}[...] = 0")
    kh, kw = kernel
    n, c, oh, ow = _windows(w, w.ref(x), w.layout.types[x].shape, pooled, kernel, k)
    w.line(f"{target}[{n}, {c}, {oh} * {kh} + h{k}, {ow} * {kw} + w{k}] = "
           f"{grad}[{n}, {c}, {oh}, {ow}]")
    w.close(4)

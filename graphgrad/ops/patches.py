"""Sliding patches and sub-pixel rearrangements, as in torch.nn.functional: unfold (im2col)
and fold (col2im), primitives that are each other's transposes, and pixel_shuffle /
pixel_unshuffle (reshapes and a permute)."""
import math

from graphgrad.dispatch import bind
from graphgrad.errors import ShapeError
from graphgrad.ir.types import TensorType
from graphgrad.ops import conv_kernels as K
from graphgrad.ops._core import as_tensor, describe
from graphgrad.ops.spatial import check_float, defop_out, got, pair

# attrs: kernel, stride, padding (flat (top, bottom, left, right)), dilation


def _blocks(name, spatial, args, *, kernel, stride, padding, dilation):
    padded, out, _ = K.geometry((0, 0) + tuple(spatial), (0, 0) + kernel, stride, padding,
                                dilation)
    if min(out) < 1:
        raise ShapeError(f"{name}: kernel {kernel} (dilation {dilation}) does not fit the padded "
                         f"input {'x'.join(map(str, padded))} ({got(*args)})")
    return out


def _unfold_infer(x, **attrs):
    check_float("unfold", x)
    if len(x.shape) != 4:
        raise ShapeError(f"unfold: expects a 4-D input (N, C, H, W), got {describe(x)}")
    blocks = _blocks("unfold", x.shape[2:], (x,), **attrs)
    return TensorType((x.shape[0], x.shape[1] * math.prod(attrs["kernel"]),
                       math.prod(blocks)), x.dtype)


def _fold_infer(cols, *, output_size, **attrs):
    check_float("fold", cols)
    taps = math.prod(attrs["kernel"])
    blocks = _blocks("fold", output_size, (cols,), **attrs)
    if len(cols.shape) != 3 or cols.shape[1] % taps or cols.shape[2] != math.prod(blocks):
        raise ShapeError(f"fold: expects an input of shape (N, C * {taps}, {math.prod(blocks)}) "
                         f"for kernel {attrs['kernel']} and output size {output_size} "
                         f"({got(cols)})")
    return TensorType((cols.shape[0], cols.shape[1] // taps) + tuple(output_size), cols.dtype)


UNFOLD = defop_out("unfold", _unfold_infer, K.unfold_out,
                   lambda g, x, *, out, **attrs: (bind(FOLD, g, output_size=tuple(x.shape[2:]),
                                                       **attrs),))
FOLD = defop_out("fold", _fold_infer,
                 lambda out, cols, *, output_size, **attrs: K.fold_out(out, cols, **attrs),
                 lambda g, cols, *, out, output_size, **attrs: (bind(UNFOLD, g, **attrs),))


def _attrs(name, x, kernel_size, dilation, padding, stride):
    args = (x,)
    ph, pw = pair(name, "padding", padding, 0, args)
    return {"kernel": pair(name, "kernel_size", kernel_size, 1, args),
            "stride": pair(name, "stride", stride, 1, args), "padding": (ph, ph, pw, pw),
            "dilation": pair(name, "dilation", dilation, 1, args)}


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding blocks of an (N, C, H, W) or (C, H, W) input as columns (N, C * kH * kW, L),
    as torch.nn.functional.unfold."""
    from graphgrad.ops.spatial import as_batch, unbatch
    x = as_tensor(input)
    attrs = _attrs("unfold", x, kernel_size, dilation, padding, stride)
    x, unbatched = as_batch("unfold", x, (x,))
    return unbatch(bind(UNFOLD, x, **attrs), unbatched)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sums columns (N, C * kH * kW, L) or (C * kH * kW, L) back into an (N, C, H, W) image,
    as torch.nn.functional.fold (the adjoint of unfold)."""
    from graphgrad.ops.movement import reshape
    from graphgrad.ops.spatial import unbatch
    x = as_tensor(input)
    attrs = _attrs("fold", x, kernel_size, dilation, padding, stride)
    size = pair("fold", "output_size", output_size, 1, (x,))
    if x.ndim not in (2, 3):
        raise ShapeError(f"fold: expects a 2-D or 3-D input (N, C * kH * kW, L), got "
                         f"{describe(x)}")
    unbatched = x.ndim == 2
    if unbatched:
        x = reshape(x, (1,) + x.shape)
    return unbatch(bind(FOLD, x, output_size=size, **attrs), unbatched)


def pixel_shuffle(input, upscale_factor):
    """(*, C * r * r, H, W) -> (*, C, H * r, W * r), as torch.nn.functional.pixel_shuffle."""
    from graphgrad.ops.movement import permute, reshape
    x, r = as_tensor(input), int(upscale_factor)
    if x.ndim < 3 or r < 1 or x.shape[-3] % (r * r):
        raise ShapeError(f"pixel_shuffle: expects an input of at least 3 dims whose channels "
                         f"divide by upscale_factor ** 2 = {r * r}, got {describe(x)}")
    lead, (c, h, w) = x.shape[:-3], x.shape[-3:]
    k = len(lead)
    x = reshape(x, lead + (c // (r * r), r, r, h, w))
    x = permute(x, tuple(range(k)) + (k, k + 3, k + 1, k + 4, k + 2))
    return reshape(x, lead + (c // (r * r), h * r, w * r))


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H * r, W * r) -> (*, C * r * r, H, W), the inverse of pixel_shuffle."""
    from graphgrad.ops.movement import permute, reshape
    x, r = as_tensor(input), int(downscale_factor)
    if x.ndim < 3 or r < 1 or x.shape[-2] % r or x.shape[-1] % r:
        raise ShapeError(f"pixel_unshuffle: expects an input of at least 3 dims whose height "
                         f"and width divide by downscale_factor = {r}, got {describe(x)}")
    lead, (c, h, w) = x.shape[:-3], x.shape[-3:]
    k = len(lead)
    x = reshape(x, lead + (c, h // r, r, w // r, r))
    x = permute(x, tuple(range(k)) + (k, k + 2, k + 4, k + 1, k + 3))
    return reshape(x, lead + (c * r * r, h // r, w // r))

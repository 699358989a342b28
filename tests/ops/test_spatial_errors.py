"""Bad inputs to the spatial ops: a clear error that names the op and the shapes, the same
eagerly and compiled."""
import numpy as np
import pytest

import graphgrad as gg
import graphgrad.nn.functional as F


def rand(*shape):
    return np.random.default_rng(0).standard_normal(shape).astype(np.float32)


ERRORS = [
    ("conv3d-channels", lambda x, w: F.conv3d(x, w), [(1, 2, 5, 5, 5), (3, 3, 2, 2, 2)],
     gg.ShapeError, r"conv3d: the input has 2 channels but the weight \(3, 3, 2, 2, 2\)"),
    ("conv1d-kernel-too-big", lambda x, w: F.conv1d(x, w), [(1, 2, 5), (3, 2, 7)],
     gg.ShapeError, r"conv1d: kernel 7 \(dilated 7\) does not fit the padded input 5"),
    ("conv_transpose3d-channels", lambda x, w: F.conv_transpose3d(x, w),
     [(1, 2, 4, 4, 4), (3, 3, 2, 2, 2)], gg.ShapeError, r"conv_transpose3d: the input has 2"),
    ("conv1d-weight-dims", lambda x, w: F.conv1d(x, w), [(1, 2, 5), (3, 2, 2, 2)],
     gg.ShapeError, r"conv1d: expects a 3-D weight"),
    ("max_pool3d-kernel", lambda x: F.max_pool3d(x, 7), [(1, 2, 5, 5, 5)], gg.ShapeError,
     r"max_pool3d: kernel \(7, 7, 7\) .* does not fit the input 5x5x5"),
    ("max_pool1d-padding", lambda x: F.max_pool1d(x, 2, padding=2), [(1, 2, 8)], gg.ShapeError,
     r"max_pool1d: padding \(2,\) must be at most half the kernel size"),
    ("avg_pool3d-dims", lambda x: F.avg_pool3d(x, 2), [(2, 5, 5)], gg.ShapeError,
     r"avg_pool3d: expects a 4-D \(C, D, H, W\) or 5-D"),
    ("adaptive_avg_pool2d-dims", lambda x: F.adaptive_avg_pool2d(x, 2), [(4,)], gg.ShapeError,
     r"adaptive_avg_pool2d: expects a 3-D or 4-D input, got \(4,\) f32"),
    ("interpolate-mode-dims", lambda x: F.interpolate(x, scale_factor=2, mode="bilinear"),
     [(1, 2, 5, 5, 5)], NotImplementedError, "bilinear mode needs a 4-D input"),
    ("interpolate-size-and-scale", lambda x: F.interpolate(x, 3, 2.0), [(1, 2, 5)], ValueError,
     "only one of size or scale_factor"),
    ("interpolate-align-nearest", lambda x: F.interpolate(x, 3, align_corners=True),
     [(1, 2, 5)], ValueError, "align_corners option can only be set"),
    ("fold-columns", lambda x: F.fold(x, (3, 3), 2), [(1, 5, 4)], gg.ShapeError,
     r"fold: expects an input of shape \(N, C \* 4, 4\)"),
    ("unfold-kernel", lambda x: F.unfold(x, 4), [(1, 2, 3, 5)], gg.ShapeError,
     r"unfold: kernel \(4, 4\)"),
    ("pad-reflect-dims", lambda x: F.pad(x, (1, 1), mode="reflect"), [(1, 2, 5, 5, 5)],
     NotImplementedError, r"pad: reflect padding of 1 dims needs a 2-D or 3-D input"),
    ("pixel_shuffle-channels", lambda x: F.pixel_shuffle(x, 2), [(1, 3, 2, 2)], gg.ShapeError,
     r"pixel_shuffle: .* upscale_factor \*\* 2 = 4, got \(1, 3, 2, 2\) f32"),
    ("max_unpool-output_size", lambda x: F.max_unpool2d(x, x.long(), 2, output_size=(9, 9)),
     [(1, 1, 2, 2)], ValueError, r'max_unpool2d: invalid output_size "\(9, 9\)"'),
]


@pytest.mark.parametrize("fn, shapes, error, text", [pytest.param(*e[1:], id=e[0])
                                                    for e in ERRORS])
def test_errors_are_clear_and_the_same_eager_and_compiled(fn, shapes, error, text):
    inputs = [gg.tensor(rand(*s)) for s in shapes]
    with pytest.raises(error, match=text) as eager:
        fn(*inputs)
    with pytest.raises(error, match=text) as compiled:
        gg.compile(fn)(*inputs)
    assert str(eager.value) in str(compiled.value)


def test_max_pool_ties_and_indices_pick_the_first_maximum_like_torch():
    torch = pytest.importorskip("torch")
    x = np.zeros((1, 1, 4, 6))
    x[0, 0, 1:3, 2:5] = 1.0                        # ties inside overlapping windows
    for fn in ("max_pool2d", "adaptive_max_pool2d"):
        args = (3, 1, 1) if fn == "max_pool2d" else ((3, 4),)
        xt = torch.tensor(x, requires_grad=True)
        tv, ti = getattr(torch.nn.functional, fn)(xt, *args, return_indices=True)
        tv.sum().backward()
        xg = gg.tensor(x, requires_grad=True)
        v, i = getattr(F, fn)(xg, *args, return_indices=True)
        v.sum().backward()
        np.testing.assert_array_equal(i.numpy(), ti.numpy())
        np.testing.assert_array_equal(xg.grad.numpy(), xt.grad.numpy())

"""The numba backend's view intrinsics equal NumPy's views: same values, same memory (writes
through them land in the source), and a copy only where NumPy could not give a view."""
import numpy as np
import pytest

pytest.importorskip("numba")
from numba import njit  # noqa: E402

from graphgrad.runtime.native import views  # noqa: E402


@njit
def _buffer(arena):
    return views.buffer(arena, 64, (3, 5), np.float32), views.buffer(arena, 0, (4,), np.int64)


def test_buffer_is_the_arenas_bytes_at_the_offset():
    arena = np.arange(256, dtype=np.uint8)
    a, b = _buffer(arena)
    np.testing.assert_array_equal(a, arena[64:124].view(np.float32).reshape(3, 5))
    np.testing.assert_array_equal(b, arena[:32].view(np.int64))
    assert a.flags.c_contiguous and a.dtype == np.float32
    a[1, 2] = 7.5                              # the same memory
    assert arena[64:124].view(np.float32)[7] == 7.5


@pytest.mark.parametrize("axes", [(0, 2, 1, 3), (0, 2, 3, 1), (3, 2, 1, 0), (0, 1, 2, 3)])
@pytest.mark.parametrize("source", ["contiguous", "strided"])
def test_permuted_is_numpys_transpose(axes, source):
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    if source == "strided":
        x = np.arange(2 * 3 * 4 * 10, dtype=np.float32).reshape(2, 3, 4, 10)[..., ::2]
    permute = njit(lambda a: views.permuted(a, axes))
    got, want = permute(x), np.transpose(x, axes)
    assert got.shape == want.shape and got.strides == want.strides
    np.testing.assert_array_equal(got, want)
    got[1, 0, 0, 0] = -1.0
    assert want[1, 0, 0, 0] == -1.0            # a view of x


@njit
def _reshaped(a):
    return views.reshaped(a, (6, 4))


def test_reshaped_views_a_contiguous_array_and_copies_a_strided_one():
    x = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
    y = _reshaped(x)
    np.testing.assert_array_equal(y, x.reshape(6, 4))
    y[0, 0] = 100.0
    assert x[0, 0, 0] == 100.0
    t = np.arange(24, dtype=np.float64).reshape(4, 3, 2).transpose(2, 1, 0)
    z = _reshaped(t)
    np.testing.assert_array_equal(z, np.ascontiguousarray(t).reshape(6, 4))
    z[0, 0] = -5.0
    assert t[0, 0, 0] == 0.0                   # a copy: the source is unchanged


def test_flat_views_and_copies_back_for_any_layout():
    @njit
    def double(out, a):
        o = views.flat_out(out)
        f = views.flat(a)
        for k in range(o.shape[0]):
            o[k] = 2.0 * f[k]
        views.store(out, o)

    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    for out in (np.zeros((3, 4), np.float32), np.zeros((4, 3), np.float32).T):
        double(out, a.T.copy().T)              # a Fortran-ordered operand
        np.testing.assert_array_equal(out, 2.0 * a)
    out = np.zeros((4, 3), np.float32).T
    views.copy_into(out, a)
    np.testing.assert_array_equal(out, a)


@njit
def _loop_arg(a):
    return views.loop_arg(a)


def test_loop_arg_is_the_flat_view_of_a_contiguous_array_and_any_other_array_itself():
    """Kernels get contiguous operands flat, so one kernel serves every rank it is called
    with; a strided operand goes in as it is (the kernel copies it)."""
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    flat = _loop_arg(x)
    assert flat.shape == (24,)
    flat[5] = -1.0
    assert x[0, 1, 1] == -1.0                  # a view of x
    strided = x[:, :, ::2]
    same = _loop_arg(strided)
    assert same.shape == strided.shape and same.strides == strided.strides
    same[1, 2, 1] = 9.0
    assert x[1, 2, 2] == 9.0


@njit
def _new_arrays():
    return views.new_array((3, 4), np.float32), views.new_array((5,), np.int64)


def test_new_array_has_the_shape_and_dtype_asked_for():
    a, b = _new_arrays()
    assert a.shape == (3, 4) and a.dtype == np.float32 and a.flags.c_contiguous
    assert b.shape == (5,) and b.dtype == np.int64

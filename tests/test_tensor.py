"""Tensor storage semantics that the torch-oracle table cannot see: which results share memory
with their source, as in torch."""
import numpy as np

import graphgrad as gg


def test_copy_copies_the_source():
    src = gg.ones(3)
    dst = gg.zeros(3)
    dst.copy_(src)
    dst.numpy()[0] = 5.0
    assert src.tolist() == [1.0, 1.0, 1.0]
    assert dst.tolist() == [5.0, 1.0, 1.0]


def test_copy_of_a_broadcast_source_is_writable():
    dst = gg.zeros(2, 3)
    dst.copy_(gg.ones(3))
    dst.numpy()[0, 0] = 7.0
    assert dst.tolist() == [[7.0, 1.0, 1.0], [1.0, 1.0, 1.0]]


def test_copy_from_a_numpy_backed_tensor_does_not_follow_it():
    array = np.arange(3.0)
    dst = gg.zeros(3, dtype=gg.float64)
    dst.copy_(gg.from_numpy(array))
    array[1] = 10.0
    assert dst.tolist() == [0.0, 1.0, 2.0]


def test_data_assignment_shares_memory():
    p = gg.zeros(3)
    t = gg.ones(3)
    p.data = t
    assert np.shares_memory(p.numpy(), t.numpy())

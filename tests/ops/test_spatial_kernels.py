"""The `out=` kernels of the 3-D convolution and pooling primitives, max_pool_indices, unfold
and fold write every element of the buffer the compiled runtime hands them (a reused buffer
holds old values), for each node of these ops in the op-table graphs."""
import numpy as np

import graphgrad as gg
from graphgrad.ops import convolution as C
from graphgrad.ops import patches as PT
from graphgrad.ops import pooling as P

OPS = (C.CONV3D, C.CONV3D_INPUT_GRAD, C.CONV3D_WEIGHT_GRAD, P.MAX_POOL3D,
       P.MAX_POOL3D_BACKWARD, P.MAX_POOL3D_SELECT, P.AVG_POOL3D, P.AVG_POOL3D_BACKWARD,
       P.MAX_POOL_INDICES, PT.UNFOLD, PT.FOLD)


def test_out_kernels_overwrite_the_whole_planned_buffer():
    from op_cases_spatial import CASES
    checked = set()
    for case in CASES:
        arrays = case.arrays(np.float64 if case.float_positions else None)
        graph = gg.trace(case.fn, *[gg.tensor(a) for a in arrays])
        env = dict(zip(graph.inputs, arrays))
        for node in graph.nodes:
            args = [env[v] for v in node.inputs]
            env[node.out] = expected = np.asarray(node.op.impl(*args, **node.attrs))
            if node.op not in OPS:
                continue
            garbage = np.nan if expected.dtype.kind == "f" else 7
            out = np.full(expected.shape, garbage, expected.dtype)
            assert node.op.out_impl(out, *args, **node.attrs) is out
            np.testing.assert_array_equal(out, expected, err_msg=f"{case.id}: {node.op.name}")
            checked.add(node.op.name)
    assert checked == {op.name for op in OPS}


def test_unfold_writes_into_a_non_contiguous_buffer():
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 4))
    attrs = {"kernel": (2, 2), "stride": (1, 1), "padding": (0, 0, 0, 0), "dilation": (1, 1)}
    want = PT.UNFOLD.impl(x, **attrs)
    wide = np.zeros(want.shape[:-1] + (2 * want.shape[-1],))
    PT.UNFOLD.out_impl(wide[..., ::2], x, **attrs)
    np.testing.assert_array_equal(wide[..., ::2], want)

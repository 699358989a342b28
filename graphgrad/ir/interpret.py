"""The reference interpreter: runs any graph node by node through each op's NumPy kernel
(`Op.impl`), fused nodes included (they run their inner graph the same way). Slow and simple on
purpose: it is the oracle every backend is tested against."""
import numpy as np

from graphgrad.errors import GraphgradError, RuntimeExecutionError


def interpret(graph, arrays, on_result=None):
    """The graph's outputs (as arrays) for input `arrays`. `on_result(node, out, inputs)`, when
    given, sees every node's result (anomaly checks use it)."""
    if len(arrays) != len(graph.inputs):
        raise ValueError(f"{graph.name}: {len(arrays)} arrays for {len(graph.inputs)} inputs")
    env = dict(zip(graph.inputs, arrays))
    for node in graph.nodes:
        inputs = [env[v] for v in node.inputs]
        try:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                out = np.asarray(node.op.impl(*inputs, **node.attrs))
        except GraphgradError:
            raise
        except Exception as e:
            raise RuntimeExecutionError(f"{e}\n  while interpreting {node}") from e
        if on_result is not None:
            on_result(node, out, inputs)
        env[node.out] = out
    return tuple(np.array(env[v]) for v in graph.outputs)

"""graphgrad's intermediate representation: typed values, single-output nodes, graphs."""
from graphgrad.ir.fused import FUSED, inner_graph
from graphgrad.ir.graph import Graph, GraphBuilder, Node, Value, verify
from graphgrad.ir.interpret import interpret
from graphgrad.ir.op import REGISTRY, Op, get_op, register
from graphgrad.ir.types import TensorType

__all__ = ["Graph", "GraphBuilder", "Node", "Value", "verify", "Op", "REGISTRY", "get_op",
           "register", "TensorType", "interpret", "FUSED", "inner_graph"]

"""The rewrite driver's shortcuts change nothing: from the second round on it tries again only
the nodes with something new within `simplify.DEPTH` producer steps, which is exact only if no
rule looks further up; and the result equals trying every node in every round."""
import numpy as np
import pytest
from hypothesis import given
from test_passes import GOLDEN, PROPERTY_SETTINGS, build, programs

import graphgrad as gg
import graphgrad.nn.functional as F
from graphgrad.passes import autodiff, cse, dce, fold, pattern
from graphgrad.passes.simplify import DEPTH, RULES, simplify
from helpers import small_mlp, training_step


class _Recording(dict):
    """value -> node, checking that every value the rules read while trying a node is within
    DEPTH producer steps of it (the node being tried is the last one registered)."""

    def __init__(self):
        super().__init__()
        self.current = None
        self.reach = None
        self.reads = 0

    def __setitem__(self, value, node):
        super().__setitem__(value, node)
        self.current, self.reach = node, None

    def _read(self, value):
        if self.current is None:
            return
        if self.reach is None:
            self.reach = level = {self.current.out}
            for _ in range(DEPTH):
                level = {v for u in level if dict.get(self, u) is not None
                         for v in dict.__getitem__(self, u).inputs}
                self.reach = self.reach | level
        self.reads += 1
        assert value in self.reach, f"a rule read {value} more than {DEPTH} steps above " \
            f"{self.current}: raise simplify.DEPTH"

    def get(self, value, default=None):
        self._read(value)
        return super().get(value, default)

    def __getitem__(self, value):
        self._read(value)
        return super().__getitem__(value)

    def __contains__(self, value):
        self._read(value)
        return super().__contains__(value)


def _graphs():
    """Graphs on which every rule of simplify fires (and then some)."""
    x = gg.tensor(np.linspace(-1, 1, 12).reshape(3, 4))
    for _, fn, _ in GOLDEN:
        yield gg.trace(fn, x)
    logits, target = gg.randn(8, 5), gg.tensor(np.arange(8) % 5)
    yield gg.grad(lambda z: F.cross_entropy(z, target)).compiled.graph(logits)
    model = small_mlp()
    step = gg.compile(training_step(model, gg.optim.SGD(model.parameters(), lr=0.1,
                                                         momentum=0.9)))
    yield step.graph(gg.randn(16, 4), gg.tensor(np.arange(16) % 3), which="step")


def _check_reads(graph):
    recorded = []

    def producers():
        recorded.append(_Recording())
        return recorded[-1]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pattern, "_Producers", producers)
        simplify(fold(cse(simplify(graph))))
    return sum(r.reads for r in recorded)


def test_rules_read_no_further_than_depth():
    assert sum(_check_reads(g) for g in _graphs()) > 0
    cross_entropy = list(_graphs())[len(GOLDEN)]     # the deepest rule (one-hot) fires here
    assert "log_softmax" in str(simplify(cross_entropy))


def _every_node_every_round(graph):
    return pattern.rewrite(graph, RULES, depth=None)


def test_trying_only_nodes_near_changes_gives_the_same_graphs():
    for g in _graphs():
        assert str(simplify(g)) == str(_every_node_every_round(g))
        joint = fold(cse(simplify(g)))
        assert str(simplify(joint)) == str(_every_node_every_round(joint))


@PROPERTY_SETTINGS
@given(program=programs())
def test_same_graphs_on_random_programs(program):
    graph, _ = build(program)
    assert str(simplify(graph)) == str(_every_node_every_round(graph))
    for v in graph.inputs:
        v.requires_grad = True
    joint = autodiff(graph, wrt=graph.inputs, of=graph.outputs[:1])
    assert str(simplify(joint)) == str(_every_node_every_round(joint))
    _check_reads(joint)


def test_passes_do_not_redo_reachability_on_dead_free_graphs():
    graph = gg.trace(lambda x: (x * 1.0 + 0.0).tanh(), gg.ones(3))
    simplified = simplify(graph)
    assert dce(simplified) is simplified and dce(dce(graph)) is dce(graph)

"""The optimizer guard's fast check agrees with its snapshot comparison."""
import numpy as np

import graphgrad as gg
from graphgrad import nn, optim
from graphgrad.compiler.state_guards import OptimizerGuard


def _guard():
    gg.manual_seed(0)
    model = nn.Linear(3, 2)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = gg.tensor(np.ones((4, 3), np.float32))
    model(x).sum().backward()
    opt.step()
    return model, opt, OptimizerGuard(opt)


def _agrees(guard):
    same = guard.getter() == guard.expected
    assert guard.matches() == same
    return same


def test_fast_check_matches_unchanged_state_and_sees_every_change():
    model, opt, guard = _guard()
    assert _agrees(guard)
    buf = opt.state[model.weight]["momentum_buffer"]
    opt.state[model.weight]["momentum_buffer"] = gg.zeros_like(buf)     # a new state tensor
    assert not _agrees(guard)
    opt.state[model.weight]["momentum_buffer"] = buf
    assert _agrees(guard)
    opt.state[model.weight]["extra"] = gg.zeros(1)                       # a new state key
    assert not _agrees(guard)
    del opt.state[model.weight]["extra"]
    assert _agrees(guard)
    opt.add_param_group({"params": [nn.Parameter(gg.zeros(2))]})
    assert not _agrees(guard)
    guard.refresh()
    assert _agrees(guard)
    opt.state.clear()
    assert not _agrees(guard)

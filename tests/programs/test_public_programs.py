"""PyTorch programs in the style of well-known public ones (the official MNIST example, the
word-language-model example, minGPT) run on graphgrad with only their import lines changed,
eagerly and compiled, and match torch from the same weights."""
import functools
import importlib.util
import pathlib
import re
import sys
import types

import numpy as np
import pytest

import graphgrad as gg

HERE = pathlib.Path(__file__).parent
IMPORT = re.compile(r"^(import|from)\s+torch\b")


def graphgrad_source(source):
    """The program with `torch` replaced by `graphgrad` in its import lines, and nowhere else."""
    out = []
    for line in source.splitlines(keepends=True):
        if IMPORT.match(line):
            line = re.sub(r"\btorch\b", "graphgrad", line)
            line = re.sub(r"^import graphgrad$", "import graphgrad as torch", line.rstrip("\n"))
            line += "\n"
        out.append(line)
    return "".join(out)


def load(name, lib):
    source = (HERE / f"{name}.py").read_text()
    if lib == "graphgrad":
        source = graphgrad_source(source)
    module = types.ModuleType(f"program_{name}_{lib}")
    exec(compile(source, str(HERE / f"{name}.py"), "exec"), module.__dict__)
    return module


def test_only_import_lines_change():
    for path in HERE.glob("[!t]*.py"):
        before = path.read_text().splitlines()
        after = graphgrad_source(path.read_text()).splitlines()
        changed = [a for a, b in zip(before, after) if a != b]
        assert changed and all(IMPORT.match(line) for line in changed), path.name
        assert all("graphgrad" not in line for line in before), path.name


def without_dropout(model):
    """Dropout draws different numbers in torch and graphgrad: compare without it."""
    for m in model.modules():
        if type(m).__name__.startswith("Dropout"):
            m.p = 0.0
        if isinstance(getattr(m, "dropout", None), float):
            m.dropout = 0.0
    return model


def twins(program, torch_program, *args):
    """A graphgrad model holding the torch model's weights (as a user would copy them)."""
    import torch
    torch.manual_seed(0)
    t_model = without_dropout(torch_program.build_model(*args))
    g_model = without_dropout(program.build_model(*args))
    g_model.load_state_dict({k: gg.tensor(v.detach().numpy().copy())
                             for k, v in t_model.state_dict().items()})
    return t_model, g_model


def runs(name, *args, **train_kwargs):
    """(torch eager, graphgrad eager, graphgrad compiled) results of `train`."""
    torch = pytest.importorskip("torch")
    del torch
    t_prog, g_prog = load(name, "torch"), load(name, "graphgrad")
    data = g_prog.data(np.random.default_rng(0))
    results = []
    for lib, compiled in (("torch", False), ("graphgrad", False), ("graphgrad", True)):
        t_model, g_model = twins(g_prog, t_prog, *args)
        program, model = (t_prog, t_model) if lib == "torch" else (g_prog, g_model)
        results.append(program.train(model, data, compile=gg.compile if compiled else None,
                                     **train_kwargs))
    return results


def test_mnist_example():
    (t_loss, t_correct), (e_loss, e_correct), (c_loss, c_correct) = runs("mnist_example")
    np.testing.assert_allclose(e_loss, t_loss, rtol=2e-4, atol=1e-5)
    np.testing.assert_allclose(c_loss, t_loss, rtol=2e-4, atol=1e-5)
    assert e_correct == c_correct == t_correct


@pytest.mark.parametrize("rnn_type", ["LSTM", "GRU", "RNN_TANH"])
def test_word_language_model(rnn_type):
    t_loss, e_loss, c_loss = runs("word_language_model", rnn_type)
    np.testing.assert_allclose(e_loss, t_loss, rtol=2e-4, atol=1e-5)
    np.testing.assert_allclose(c_loss, t_loss, rtol=2e-4, atol=1e-5)


def test_mingpt():
    (t_loss, t_sample), (e_loss, e_sample), (c_loss, c_sample) = runs("mingpt")
    np.testing.assert_allclose(e_loss, t_loss, rtol=2e-4, atol=1e-5)
    np.testing.assert_allclose(c_loss, t_loss, rtol=2e-4, atol=1e-5)
    assert e_sample == c_sample == t_sample


@pytest.mark.parametrize("name", ["mnist_example", "word_language_model", "mingpt"])
def test_runs_compiled_like_eager_without_torch(name):
    """The graphgrad side alone (no torch needed): compiled equals eager."""
    program = load(name, "graphgrad")
    data = program.data(np.random.default_rng(0))
    results = []
    for compiled in (False, True):
        gg.manual_seed(0)
        model = without_dropout(program.build_model())
        results.append(program.train(model, data, compile=gg.compile if compiled else None))
    eager, compiled = results
    first = lambda r: r[0] if isinstance(r, tuple) else r     # noqa: E731
    np.testing.assert_allclose(first(compiled), first(eager), rtol=1e-5, atol=1e-6)


# minGPT's step takes numba about 70 s to compile on a machine with an empty cache
@pytest.mark.parametrize("name", ["mnist_example",
                                  pytest.param("mingpt", marks=pytest.mark.slow)])
def test_on_the_numba_backend_trains_like_eager(name):
    """The MNIST example (native loops, convolutions and max pooling) and minGPT
    (native batched attention products), import lines changed only, their training steps
    compiled for the numba backend: losses equal eager's."""
    pytest.importorskip("numba")
    program = load(name, "graphgrad")
    data = program.data(np.random.default_rng(0))
    results = []
    for compile in (None, functools.partial(gg.compile, backend="numba")):
        gg.manual_seed(0)
        model = without_dropout(program.build_model())
        results.append(program.train(model, data, compile=compile))
    first = lambda r: r[0] if isinstance(r, tuple) else r     # noqa: E731
    np.testing.assert_allclose(first(results[1]), first(results[0]), rtol=1e-4, atol=1e-5)


del importlib, sys

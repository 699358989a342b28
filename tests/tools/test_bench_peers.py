"""The benchmark's optional peers train exactly like graphgrad (same weights, same batch, same
step), and the bench runs without them."""
import numpy as np
import pytest

from graphgrad.tools import bench, bench_peers


def _losses(step, args, n=3):
    return [float(step(*args)) for _ in range(n)]


def _ours(workload):
    step, args = bench.make_step(workload, "eager")
    return _losses(step, args)


@pytest.mark.parametrize("workload", ["tiny", "cnn", "transformer", "transformer-tanh"])
def test_torch_peer_trains_like_graphgrad(workload):
    pytest.importorskip("torch")
    step, args = bench_peers.make_torch_step(bench, workload, False, threads=1)
    np.testing.assert_allclose(_losses(step, args), _ours(workload), rtol=2e-5)


@pytest.mark.parametrize("maker", ["make_jax_step", "make_pytensor_step"])
def test_jax_and_pytensor_peers_train_like_graphgrad(maker):
    pytest.importorskip("jax" if "jax" in maker else "pytensor")
    step, args = getattr(bench_peers, maker)(bench, "small")
    np.testing.assert_allclose(_losses(step, args), _ours("small"), rtol=2e-5)


def test_transformer_workloads_differ_only_in_gelu():
    exact, tanh = bench.build_model("transformer"), bench.build_model("transformer-tanh")
    assert exact.blocks[0].mlp[1].approximate == "none"
    assert tanh.blocks[0].mlp[1].approximate == "tanh"


def test_missing_peers_are_omitted(monkeypatch):
    monkeypatch.setattr(bench_peers, "installed", lambda name: False)
    assert bench_peers.peer_makers(bench, "tiny", 1) == []
    rows = bench.main(["tiny"], repeat=3, warmup=1, peers=True, out=lambda s: None)
    assert not any(k in rows[0] for k, _ in bench_peers.COLUMNS)


def test_peer_columns_and_torch_ratio_in_the_table(monkeypatch):
    pytest.importorskip("torch")
    every = bench_peers.peer_makers        # torch.compile alone takes ~20 s to compile
    monkeypatch.setattr(bench_peers, "peer_makers",
                        lambda b, w, t: [m for m in every(b, w, t) if m[0] == "torch"])
    lines = []
    rows = bench.main(["tiny"], repeat=3, warmup=1, peers=True, out=lines.append)
    assert rows[0]["torch"]["median_us"] > 0 and "compiled/torch" in rows[0]["ratios"]
    assert "torch*" in lines[1] and "c/torch" in lines[1]

"""Data-parallel training over MPI: 2 ranks with batch B each equal one process with batch 2B
(float64, eager and compiled); the all-reduce is a node of the compiled step's graph."""
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import graphgrad as gg

pytest.importorskip("mpi4py")
import graphgrad.distributed as dist  # noqa: E402

HERE = os.path.dirname(__file__)
sys.path.insert(0, HERE)
import dp_worker  # noqa: E402


def test_a_single_process_is_a_world_of_one():
    dist.init()
    assert dist.rank() == 0 and dist.world_size() == 1
    t = gg.tensor([1.0, 2.0])
    assert dist.all_reduce(t) is t and t.tolist() == [1.0, 2.0]
    dist.barrier()


def test_all_reduce_is_a_node_of_the_compiled_step_and_has_a_gradient():
    dist.init()
    model, opt = dp_worker.make("sgd")

    def step(x, y):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        dist.all_reduce_gradients(model, bucket_bytes=200)    # several buckets
        opt.step()
        return loss
    c = gg.compile(step)
    x, y = gg.randn(4, 5, dtype=gg.float64), gg.randn(4, 3, dtype=gg.float64)
    c(x, y)
    names = [n.op.name for n in c.graph(x, y, which="step").nodes]
    assert names.count("all_reduce") >= 2
    w = gg.tensor([1.0, 2.0], requires_grad=True)
    dist.all_reduce(w * 3.0).sum().backward()                     # VJP: all-reduce of g
    assert w.grad.tolist() == [3.0, 3.0]


def _mpiexec():
    """The launcher installed beside this Python (the MPI mpi4py was built for), else PATH's."""
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return here if os.path.exists(here) else shutil.which("mpiexec")


@pytest.mark.skipif(_mpiexec() is None, reason="mpiexec not installed")
@pytest.mark.parametrize("mode, optimizer, how, dtype", [
    (mode, optimizer, how, "float64") for mode in ("eager", "compiled")
    for optimizer in ("sgd", "adamw") for how in ("explicit", "ddp")] + [
    ("eager", "adamw", "ddp", "float32"), ("compiled", "sgd", "ddp", "float32")])
def test_two_ranks_equal_one_process_with_the_whole_batch(tmp_path, mode, optimizer, how,
                                                          dtype):
    out = str(tmp_path / "rank0.npz")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [os.path.dirname(os.path.dirname(HERE)), os.environ.get("PYTHONPATH", "")]))
    run = subprocess.run([_mpiexec(), "-n", "2", sys.executable,
                          os.path.join(HERE, "dp_worker.py"), mode, optimizer, out, how,
                          dtype],
                         capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    saved = np.load(out)
    model, opt = dp_worker.make(optimizer, dtype)
    losses, weights = dp_worker.train(model, opt, dp_worker.batches(50, 8, dtype),
                                      mode == "compiled")
    # the same sums in another order: exact to float64 rounding, float32 within tolerance
    rtol, atol = (1e-10, 1e-12) if dtype == "float64" else (2e-4, 1e-5)
    np.testing.assert_allclose(saved["losses"], losses, rtol=rtol)
    for i, w in enumerate(weights):
        np.testing.assert_allclose(saved[f"arr_{i}"], w, rtol=rtol, atol=atol)


def test_distributed_sampler_reads_the_world():
    from graphgrad.utils.data import DistributedSampler
    dist.init()
    sampler = DistributedSampler(list(range(10)), shuffle=False)
    assert list(sampler) == list(range(10))          # a world of one reads everything


def _launch(n, script, *args, timeout=120):
    """Run `script` (a path, or a name in this folder) on n ranks (n == 1: plain python)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [os.path.dirname(os.path.dirname(HERE)), HERE, os.environ.get("PYTHONPATH", "")]))
    command = [sys.executable, os.path.join(HERE, script), *map(str, args)]
    if n > 1:
        command = [_mpiexec(), "-n", str(n)] + command
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.mark.skipif(_mpiexec() is None, reason="mpiexec not installed")
def test_a_killed_rank_stops_the_job_and_the_run_resumes_from_its_checkpoint(tmp_path):
    import time
    whole, broken = tmp_path / "whole", tmp_path / "broken"
    whole.mkdir()
    broken.mkdir()
    run = _launch(2, "resume_worker.py", whole, 0)
    assert run.returncode == 0, run.stderr[-2000:]
    started = time.monotonic()
    run = _launch(2, "resume_worker.py", broken, 12, timeout=60)
    assert run.returncode != 0 and time.monotonic() - started < 60
    assert "Killed" in run.stdout + run.stderr
    assert gg.load(str(broken / "ckpt.gg"))["step"] == 10     # the last complete checkpoint
    run = _launch(1, "resume_worker.py", broken, 0)             # resumed on another world size
    assert run.returncode == 0, run.stderr[-2000:]
    expected = float((whole / "final.txt").read_text())
    assert float((broken / "final.txt").read_text()) == pytest.approx(expected, rel=1e-10)


@pytest.mark.skipif(_mpiexec() is None, reason="mpiexec not installed")
def test_a_rank_that_raises_stops_every_rank_with_its_traceback(tmp_path):
    script = tmp_path / "fails.py"
    script.write_text(
        "import graphgrad as gg, graphgrad.distributed as dist\n"
        "dist.init()\n"
        "if dist.rank() == 1:\n"
        "    raise RuntimeError('bad batch on rank 1')\n"
        "dist.all_reduce(gg.ones(2))\n")
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(HERE)))
    run = subprocess.run([_mpiexec(), "-n", "2", sys.executable, str(script)],
                         capture_output=True, text=True, timeout=60, env=env)
    assert run.returncode != 0
    assert "rank 1 of 2 failed; stopping all ranks" in run.stderr
    assert "bad batch on rank 1" in run.stderr


def test_ddp_step_has_one_bucketed_all_reduce_and_matches_the_plain_model():
    dist.init()
    model, opt = dp_worker.make("sgd")
    ddp = dist.DistributedDataParallel(model)
    plain, plain_opt = dp_worker.make("sgd")
    x, y = gg.randn(4, 5, dtype=gg.float64), gg.randn(4, 3, dtype=gg.float64)
    step = gg.compile(lambda x, y: _step(ddp, opt, x, y))
    for _ in range(3):
        np.testing.assert_allclose(float(step(x, y)), float(_step(plain, plain_opt, x, y)),
                                   rtol=1e-12)
    traced = [n.op.name for n in step.graph(x, y, which="step").nodes]
    optimized = [n.op.name for n in step.graph(x, y, which="joint").nodes]
    assert traced.count("all_reduce") == 4                  # one per parameter, as traced
    assert optimized.count("all_reduce") == 1               # one flat bucket after the pass


def _step(model, opt, x, y):
    opt.zero_grad()
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    opt.step()
    return loss


def test_bucket_pass_respects_the_bucket_size_and_keeps_values():
    from graphgrad.ir.interpret import interpret
    from graphgrad.passes import bucket_all_reduce
    dist.init()
    model, opt = dp_worker.make("sgd")
    ddp = dist.DistributedDataParallel(model)
    x, y = gg.randn(4, 5, dtype=gg.float64), gg.randn(4, 3, dtype=gg.float64)
    step = gg.compile(lambda x, y: _step(ddp, opt, x, y), passes=[])
    step(x, y)
    graph = step.graph(x, y, which="joint")
    small = bucket_all_reduce(graph, bucket_bytes=8 * 16 * 5)     # the first weight fills one
    assert [n.op.name for n in small.nodes].count("all_reduce") == 2
    assert bucket_all_reduce(small) is not small
    rng = np.random.default_rng(0)
    feeds = [rng.standard_normal(v.type.shape).astype(v.type.dtype) for v in graph.inputs]
    for a, b in zip(interpret(graph, feeds), interpret(small, feeds)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.skipif(_mpiexec() is None, reason="mpiexec not installed")
@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_distributed_example_trains_and_resumes_on_two_ranks(tmp_path, model):
    sys.path.insert(0, os.path.join(os.path.dirname(HERE)))
    from test_datasets import write_idx_set
    write_idx_set(tmp_path, n_train=64, n_test=16)
    example = os.path.join(os.path.dirname(os.path.dirname(HERE)), "examples",
                           "distributed_mnist.py")
    ckpt = tmp_path / "run.gg"
    common = ["--root", tmp_path, "--batch-size", 16, "--checkpoint", ckpt, "--model", model]
    run = _launch(2, example, "--epochs", 1, *common, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "epoch 1: loss" in run.stdout and "on 2 rank(s)" in run.stdout
    assert gg.load(str(ckpt))["epoch"] == 1
    run = _launch(2, example, "--epochs", 2, "--resume", ckpt, *common, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "epoch 2: loss" in run.stdout and "epoch 1:" not in run.stdout


@pytest.mark.skipif(_mpiexec() is None, reason="mpiexec not installed")
def test_bench_distributed_reports_throughput_and_bytes():
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(HERE)))
    run = subprocess.run([_mpiexec(), "-n", "2", sys.executable, "-m",
                          "graphgrad.tools.bench_distributed", "--workload", "small",
                          "--steps", "3"], capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "small: 2 rank(s), global batch 64" in run.stdout
    assert "MiB all-reduced per step in 1 call(s)" in run.stdout


@pytest.mark.skipif(_mpiexec() is None, reason="mpiexec not installed")
def test_batchnorm_statistics_and_dropout_streams_are_per_rank_weights_stay_synchronized(
        tmp_path):
    runs = {}
    for mode in ("eager", "compiled"):
        out = tmp_path / mode
        run = _launch(2, "bn_dropout_worker.py", mode, out)
        assert run.returncode == 0, run.stderr[-2000:]
        runs[mode] = [np.load(f"{out}.rank{r}.npz") for r in range(2)]
    for mode, (r0, r1) in runs.items():
        weights = [k for k in r0.files if k.startswith("arr_")]
        for k in weights:                          # synchronous: identical on every rank
            np.testing.assert_array_equal(r0[k], r1[k], err_msg=mode)
        assert not np.array_equal(r0["mask"], r1["mask"])           # a stream per rank
        assert not np.allclose(r0["running_mean"], r1["running_mean"])  # per-rank statistics
    for k in runs["eager"][0].files:                  # compiled == eager, rank by rank
        np.testing.assert_allclose(runs["compiled"][0][k], runs["eager"][0][k], rtol=1e-10)


def test_per_rank_seeds_differ_by_rank_and_repeat():
    dist.init()
    dist.manual_seed(5)
    a = gg.rand(4).numpy()
    dist.manual_seed(5)
    assert np.array_equal(gg.rand(4).numpy(), a)


@pytest.mark.skipif(_mpiexec() is None, reason="mpiexec not installed")
def test_a_rank_that_hangs_stops_the_job_after_the_timeout(tmp_path):
    import time
    script = tmp_path / "hangs.py"
    script.write_text(
        "import time, graphgrad as gg, graphgrad.distributed as dist\n"
        "dist.init()\n"
        "if dist.rank() == 1:\n"
        "    time.sleep(120)\n"
        "dist.all_reduce(gg.ones(2))\n")
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(HERE)),
               GRAPHGRAD_DIST_TIMEOUT="2")
    started = time.monotonic()
    run = subprocess.run([_mpiexec(), "-n", "2", sys.executable, str(script)],
                         capture_output=True, text=True, timeout=60, env=env)
    assert run.returncode != 0 and time.monotonic() - started < 30
    assert "waited 2 s in all_reduce" in run.stderr


@pytest.mark.skipif(_mpiexec() is None, reason="mpiexec not installed")
def test_broadcast_optimizer_state_gives_every_rank_rank_zeros_state(tmp_path):
    script = tmp_path / "opt_state.py"
    script.write_text(
        "import sys, numpy as np, graphgrad as gg, graphgrad.distributed as dist\n"
        "dist.init()\n"
        "gg.manual_seed(0)\n"
        "m = gg.nn.Linear(3, 2)\n"
        "opt = gg.optim.Adam(m.parameters(), lr=0.1 if dist.rank() == 0 else 0.5)\n"
        "for _ in range(dist.rank() + 1):\n"
        "    opt.zero_grad()\n"
        "    (m(gg.ones(4, 3) * (dist.rank() + 1)) ** 2).sum().backward()\n"
        "    opt.step()\n"
        "dist.broadcast_parameters(m)\n"
        "dist.broadcast_optimizer_state(opt)\n"
        "s = opt.state[m.weight]\n"
        "np.savez(sys.argv[1] + str(dist.rank()), lr=opt.param_groups[0]['lr'],\n"
        "         step=np.asarray(s['step'].numpy() if hasattr(s['step'], 'numpy')\n"
        "                         else s['step']), avg=s['exp_avg'].numpy(),\n"
        "         sq=s['exp_avg_sq'].numpy(), w=m.weight.numpy())\n")
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(HERE)))
    out = str(tmp_path / "rank")
    run = subprocess.run([_mpiexec(), "-n", "2", sys.executable, str(script), out],
                         capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    r0, r1 = np.load(out + "0.npz"), np.load(out + "1.npz")
    assert float(r1["lr"]) == 0.1 and float(r1["step"]) == 1.0
    for k in ("avg", "sq", "w"):
        np.testing.assert_array_equal(r0[k], r1[k])

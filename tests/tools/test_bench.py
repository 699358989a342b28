"""The benchmark harness: its NumPy reference computes the same step, and it reports."""
import json

import numpy as np
import pytest

from graphgrad.tools import bench


@pytest.mark.parametrize("workload", ["tiny", "deep-narrow"])
def test_hand_numpy_reference_trains_exactly_like_graphgrad(workload):
    step, (x, y) = bench.make_step(workload, "eager")
    ref, (xn, yn) = bench.make_numpy_step(workload, "numpy")
    ours = [step(x, y).item() for _ in range(5)]
    theirs = [ref(xn, yn) for _ in range(5)]
    np.testing.assert_allclose(theirs, ours, rtol=1e-5)


def test_bench_runs_and_writes_json_and_markdown(tmp_path):
    lines = []
    path = tmp_path / "bench.json"
    rows = bench.main(["tiny", "cnn"], repeat=5, warmup=1, json_path=str(path), markdown=True,
                      out=lines.append)
    assert [r["workload"] for r in rows] == ["tiny", "cnn"]
    tiny = rows[0]
    for key in ("eager", "unoptimized", "compiled", "numpy", "gemm"):
        assert tiny[key]["median_us"] > 0
    assert tiny["ratios"]["compiled/eager"] > 0 and "compiled/numpy" in tiny["ratios"]
    assert "numpy" not in rows[1]
    table = "\n".join(lines)
    assert "| tiny |" in table and "hand NumPy" in table
    saved = json.loads(path.read_text())
    assert saved["rows"][0]["workload"] == "tiny" and "threads" in saved["machine"]


def test_plot_needs_matplotlib_or_draws(tmp_path):
    rows = bench.main(["tiny"], repeat=3, warmup=1, out=lambda s: None)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="matplotlib"):
            bench.plot(rows, tmp_path / "b.png")
        return
    path = bench.plot(rows, tmp_path / "b.png")
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.skipif(not hasattr(__import__("os"), "sched_setaffinity"), reason="Linux only")
def test_bench_command_runs_on_as_many_cpus_as_threads():
    # XLA's own thread pool ignores the BLAS variables: only the CPU set holds it to one
    import subprocess
    import sys
    code = ("import os\n"
            "from graphgrad.__main__ import _pin_threads\n"
            "for k in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):\n"
            "    os.environ[k] = '1'\n"
            "_pin_threads(1)\n"
            "print(len(os.sched_getaffinity(0)))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "1"

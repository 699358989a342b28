"""`python -m graphgrad demo`, shortened: trains compiled, reports accuracy, writes the
diagrams and prints the eager-vs-compiled table; without scikit-learn it says it fell back."""
import importlib.util
import os
import re
import shutil
import sys

import pytest

from graphgrad.tools.demo import load_data, run_demo


def _run(tmp_path, steps=40):
    lines = []
    out_dir = tmp_path / "demo"
    result = run_demo(str(out_dir), steps, out=lines.append, bench_workloads=("tiny",),
                      bench_repeat=5)
    return result, "\n".join(lines), out_dir


def test_demo_trains_writes_graphs_and_compares(tmp_path):
    pytest.importorskip("sklearn")
    result, text, out_dir = _run(tmp_path)
    assert "digits" in result["dataset"]
    assert result["accuracy"] > 0.8            # 40 steps; the full demo reaches about 98%
    assert "test accuracy" in text and "traced 1 time(s)" in text
    fmt = "svg" if shutil.which("dot") else "dot"
    for which in ("forward", "backward", "step"):
        assert (out_dir / f"train_step_{which}.{fmt}").stat().st_size > 0
    assert "fused[" in (out_dir / "train_step.txt").read_text()
    assert "c/eager" in text and "tiny" in text
    assert sorted(os.path.basename(f) for f in result["files"]) == sorted(os.listdir(out_dir))
    if importlib.util.find_spec("threadpoolctl"):   # every BLAS library loaded runs one thread,
        table = next(line for line in text.splitlines() if line.startswith("graphgrad bench"))
        counts = re.findall(r": (\d+)", table.split("BLAS threads:")[1])   # also the data's
        assert counts and set(counts) == {"1"}, table


def test_demo_falls_back_to_spiral_without_sklearn(tmp_path, monkeypatch):
    for name in [m for m in sys.modules if m == "sklearn" or m.startswith("sklearn.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "sklearn", None)      # import sklearn -> ImportError
    result, text, out_dir = _run(tmp_path, steps=20)
    assert "spiral" in result["dataset"]
    assert "scikit-learn is not installed" in text
    assert (out_dir / "train_step.txt").exists()


def test_load_data_split_is_stratified_and_reproducible():
    pytest.importorskip("sklearn")
    _, x_train, _, x_test, y_test, note = load_data(seed=0)
    assert note is None
    assert x_train.shape[1:] == (1, 8, 8) and len(x_train) + len(x_test) == 1797
    assert set(y_test.tolist()) == set(range(10))
    again = load_data(seed=0)
    assert (again[4] == y_test).all()


def test_demo_refuses_zero_steps(tmp_path):
    with pytest.raises(ValueError, match="steps"):
        run_demo(str(tmp_path), 0, out=lambda line: None, bench_workloads=())

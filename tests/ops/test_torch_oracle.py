"""The torch-oracle op table (see tests/torch_oracle.py): every row of every
`torch_cases_*.py` file against PyTorch, eager and compiled, contiguous and strided, plus float64
finite differences."""
import importlib
import pathlib

import pytest
from torch_oracle import check_case, check_gradcheck


def _collect():
    """Every row; a row whose id another file already uses is named after its file too."""
    cases, seen = [], set()
    for path in sorted(pathlib.Path(__file__).parent.glob("torch_cases_*.py")):
        rows = importlib.import_module(path.stem).CASES
        ids = [c.id for c in rows]
        assert len(ids) == len(set(ids)), f"{path.name}: repeated ids " \
            f"{sorted(i for i in ids if ids.count(i) > 1)}"
        for c in rows:
            if c.id in seen:
                c.id = f"{c.id}~{path.stem[len('torch_cases_'):]}"
            seen.add(c.id)
        cases += rows
    return cases


CASES = _collect()
IDS = [c.id for c in CASES]


def _dtype_params():
    params = []
    for c in CASES:
        for dtype in c.dtypes:
            params.append(pytest.param(c, dtype, id=f"{c.id}-{dtype}"))
    return params


@pytest.mark.parametrize("case, dtype", _dtype_params())
def test_matches_torch(case, dtype):
    pytest.importorskip("torch")
    check_case(case, dtype)


@pytest.mark.parametrize("case", [c for c in CASES if c.layouts], ids=lambda c: c.id)
def test_matches_torch_on_strided_inputs(case):
    pytest.importorskip("torch")
    check_case(case, case.dtypes[-1], layout="strided")


@pytest.mark.parametrize("case", [c for c in CASES if c.gradcheck and c.grad_positions
                                  and c.dtypes[-1].kind == "f"], ids=lambda c: c.id)
def test_gradcheck(case):
    check_gradcheck(case)


def test_ids_are_unique():
    assert len(IDS) == len(set(IDS)), sorted(i for i in IDS if IDS.count(i) > 1)

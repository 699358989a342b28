"""Choosing a runtime backend: checked without numba installed too."""
import sys

import pytest

import graphgrad as gg


def test_missing_numba_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "numba", None)      # import numba now fails
    with pytest.raises(ImportError, match=r"graphgrad\[fast\]"):
        gg.compile(lambda x: x, backend="numba")
    with pytest.raises(ValueError, match="unknown backend"):
        gg.compile(lambda x: x, backend="cuda")


def test_backend_setting_from_the_environment():
    from graphgrad.config import Config
    assert Config({}).backend == "numpy"
    assert Config({"GRAPHGRAD_BACKEND": "numba"}).backend == "numba"

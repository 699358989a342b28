"""graphgrad.utils: data loading (graphgrad.utils.data)."""
from graphgrad.utils import data  # noqa: F401

__all__ = ["data"]

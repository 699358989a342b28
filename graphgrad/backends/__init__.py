"""`gg.backends`: torch.backends' switches, accepted so that programs setting them run. None of
them changes what graphgrad computes (it runs on the CPU, deterministically)."""
from graphgrad.backends import cuda, cudnn, mps  # noqa: F401

__all__ = ["cuda", "cudnn", "mps"]

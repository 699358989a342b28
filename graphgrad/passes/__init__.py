"""Graph -> Graph passes and the pass manager."""
from graphgrad.passes.autodiff import autodiff, emit_backward
from graphgrad.passes.dce import dce
from graphgrad.passes.manager import PassRecord, run_passes
from graphgrad.passes.partition import partition

# the passes run on every compiled graph unless `gg.compile(passes=...)` says otherwise
DEFAULT_PASSES = [dce]

__all__ = ["autodiff", "emit_backward", "dce", "partition", "run_passes", "PassRecord",
           "DEFAULT_PASSES"]

"""Graph -> Graph passes and the pass manager."""
from graphgrad.passes.autodiff import autodiff, emit_backward
from graphgrad.passes.bucket import bucket_all_reduce
from graphgrad.passes.cse import cse
from graphgrad.passes.dce import dce
from graphgrad.passes.fold import fold
from graphgrad.passes.fuse import fuse, fused_groups
from graphgrad.passes.manager import PassRecord, run_passes
from graphgrad.passes.partition import partition
from graphgrad.passes.simplify import simplify

# the passes run on every compiled graph unless `gg.compile(passes=...)` says otherwise
DEFAULT_PASSES = [simplify, cse, fold, simplify, dce, bucket_all_reduce, fuse]

__all__ = ["autodiff", "emit_backward", "simplify", "cse", "fold", "dce", "bucket_all_reduce",
           "fuse", "fused_groups",
           "partition",
           "run_passes", "PassRecord", "DEFAULT_PASSES"]

"""`gg.backends.cuda`: `matmul.allow_tf32` and friends are accepted flags; no CUDA exists."""


class _MatmulFlags:
    allow_tf32 = False
    allow_fp16_reduced_precision_reduction = True
    allow_bf16_reduced_precision_reduction = True


matmul = _MatmulFlags()


def is_built():
    return False

"""graphgrad.linalg: the names of torch.linalg (norms, singular values, cross and dot products,
diagonals), usable eagerly and inside compiled functions."""
from graphgrad.ops.linalg import matmul  # noqa: F401
from graphgrad.ops.linalg_inverse import LinAlgError, det, inv, slogdet  # noqa: F401
from graphgrad.ops.matrix import linalg_cross as cross  # noqa: F401
from graphgrad.ops.matrix import linalg_diagonal as diagonal  # noqa: F401
from graphgrad.ops.matrix import vecdot  # noqa: F401
from graphgrad.ops.norms import linalg_norm as norm  # noqa: F401
from graphgrad.ops.norms import matrix_norm, svdvals, vector_norm  # noqa: F401

__all__ = ["cross", "diagonal", "matmul", "matrix_norm", "norm", "svdvals", "vecdot",
           "vector_norm"]

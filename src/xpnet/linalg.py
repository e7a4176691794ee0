"""``xpnet.linalg``: torch.linalg's names (norms, inverses, solves, determinants), each with
its gradient; written with the Array API's ``linalg`` extension, so they run on every backend.

See :mod:`xpnet.functional.linalg_solve` and :mod:`xpnet.functional.linalg_norms` for the rules.
"""

from __future__ import annotations

from .functional.linalg_norms import matrix_norm, norm, vector_norm
from .functional.linalg_solve import LinAlgError, det, inv, slogdet, solve

__all__ = ["LinAlgError", "det", "inv", "matrix_norm", "norm", "slogdet", "solve", "vector_norm"]

"""NumPy-only fast paths (siblings of generic ``xp`` functions, see ``_backend._siblings``).

Today: optimizer updates of large parameters run in cache-sized blocks on
every core (:mod:`xpnet.cpu.blocked`), and the scatter-add behind the gradient
of integer-array indexing runs ``np.add.at`` (:mod:`xpnet.cpu.scatter`), and
the bias + activation of fused layers runs in place with 0-d constants
(:mod:`xpnet.cpu.activation`), and a small network's whole SGD step runs as a
plan with its options made 0-d arrays once (:func:`sgd_plan`). Each
sibling returns None where it does not apply, and the generic twin runs instead.
"""

from .activation import bias_act
from .optim import adam_step, sgd_plan, sgd_step
from .scatter import scatter_add

__all__ = ["adam_step", "bias_act", "scatter_add", "sgd_plan", "sgd_step"]

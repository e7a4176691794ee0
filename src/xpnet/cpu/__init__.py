"""NumPy-only fast paths (siblings of generic ``xp`` functions, see ``_backend._siblings``).

Today: optimizer updates of large parameters run in cache-sized blocks on
every core (:mod:`xpnet.cpu.blocked`). Each sibling returns None where it does
not apply, and the generic twin runs instead.
"""

from .optim import adam_step, sgd_step

__all__ = ["adam_step", "sgd_step"]

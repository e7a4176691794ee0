"""``xpnet.nn.functional``: torch's import path for :mod:`xpnet.functional` (``import ... as F``).

The same function objects as :mod:`xpnet.functional`, re-exported through its
``__all__``: an op added there appears here with no edit to this file, so a
program renamed from ``torch.nn.functional`` finds every op xpnet has.

>>> import xpnet.nn.functional as F
>>> F.relu is xpnet.functional.relu
True
"""

from ..functional import *  # noqa: F403  (the list is ``xpnet.functional.__all__``)
from ..functional import __all__ as __all__

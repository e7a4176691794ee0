"""``xpnet.autograd.functional``: torch's ``torch.autograd.functional`` (``from torch.autograd.functional
import jacobian`` renamed): vjp, jvp, jacobian, hessian, hvp, vhp over whole functions.

The functions live in :mod:`xpnet._autograd_api.functional` (they build on Tensor, which this
package must not import when it loads); see docs/higher-order.md.
"""

from .._autograd_api.functional import hessian, hvp, jacobian, jvp, vhp, vjp

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]

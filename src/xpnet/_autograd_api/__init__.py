"""torch's autograd API beyond ``backward()``: ``Function``, ``grad``, ``gradcheck`` and the
grad-mode switches. Reached as ``xn.autograd.<name>`` (and ``xn.set_grad_enabled``,
``xn.inference_mode``); see :mod:`xpnet.autograd` for the sweep itself."""

# double_rules registers the double-backward rules of fused nodes and composites on import
from . import double_activations as double_activations
from . import double_dtypes as double_dtypes
from . import double_function as double_function
from . import double_gaps as double_gaps
from . import double_hooks as double_hooks
from . import double_inplace as double_inplace
from . import double_linalg as double_linalg
from . import double_losses as double_losses
from . import double_more as double_more
from . import double_products as double_products
from . import double_reductions as double_reductions
from . import double_rules as double_rules
from . import double_shrink as double_shrink
from .function import Function, FunctionCtx
from .grad import grad
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .mode import inference_mode, set_grad_enabled

gradcheck.GradcheckError = GradcheckError  # type: ignore[attr-defined]  # torch.autograd.gradcheck.GradcheckError

__all__ = ["Function", "FunctionCtx", "GradcheckError", "grad", "gradcheck", "gradgradcheck",
           "inference_mode", "set_grad_enabled"]

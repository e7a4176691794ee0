"""Optimizers, learning-rate schedulers and gradient clipping, with PyTorch's names and rules.

>>> opt = optim.Adam(model.parameters(), lr=1e-3)
>>> sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=100)
>>> for x, y in batches:
...     opt.zero_grad(); loss_fn(model(x), y).backward()
...     optim.clip_grad_norm_(model.parameters(), 1.0); opt.step()
>>> sched.step()
"""

from ..nn.utils import clip_grad_norm_, clip_grad_value_
from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "NAdam", "Optimizer", "RAdam",
           "RMSprop", "clip_grad_norm_", "clip_grad_value_", "lr_scheduler"]

# gaps2
from .asgd import ASGD
from .rprop import Rprop

__all__ += ["ASGD", "Rprop"]
from .lbfgs import LBFGS  # noqa: E402

__all__ += ["LBFGS"]

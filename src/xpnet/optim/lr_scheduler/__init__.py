"""Learning-rate schedules: change each group's ``"lr"`` once per ``scheduler.step()``.

Call ``scheduler.step()`` after ``optimizer.step()``, once per epoch (or per
batch for ``CyclicLR`` and ``OneCycleLR``), as in PyTorch. The rules are
PyTorch's chainable ones: each step updates the group's current ``lr``, so two
schedulers can act on the same optimizer and a learning rate you set by hand is
carried forward.

========================  ================================================================
module                    schedules
========================  ================================================================
:mod:`.base`              ``LRScheduler``, ``LambdaLR``, ``StepLR``, ``MultiStepLR``,
                          ``ConstantLR``, ``LinearLR``, ``ExponentialLR``, ``PolynomialLR``,
                          ``CosineAnnealingLR``
:mod:`.cyclic`            ``CyclicLR``, ``OneCycleLR``, ``CosineAnnealingWarmRestarts``
:mod:`.composite`         ``SequentialLR``, ``ChainedScheduler``
:mod:`.plateau`           ``ReduceLROnPlateau``
========================  ================================================================
"""

from .base import (
    ConstantLR,
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    LRScheduler,
    MultiStepLR,
    PolynomialLR,
    StepLR,
)
from .composite import ChainedScheduler, SequentialLR
from .cyclic import CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR
from .plateau import ReduceLROnPlateau

__all__ = ["ChainedScheduler", "ConstantLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts",
           "CyclicLR", "ExponentialLR", "LRScheduler", "LambdaLR", "LinearLR", "MultiStepLR",
           "OneCycleLR", "PolynomialLR", "ReduceLROnPlateau", "SequentialLR", "StepLR"]

"""CuPy fast paths: fused ``ElementwiseKernel`` siblings of generic ``xp`` functions.

Imported only for CuPy namespaces (by :func:`xpnet._backend.sibling`); CuPy
itself is imported when a kernel is first compiled. Each function here has
the signature and the results of its generic twin and returns None for
inputs it does not cover (a dtype other than float32/float64, mixed dtypes,
a negative LeakyReLU slope), so the caller falls back to the twin:

========================  ===========================================  ==========================
sibling                   twin                                         kernels per call
========================  ===========================================  ==========================
``bias_act``              :func:`xpnet.functional.fused.bias_act`      1 forward, 1 backward
``sgd_step``              :func:`xpnet.optim.sgd.sgd_step`             1 (whole update)
``adam_step``             :func:`xpnet.optim.adam.adam_step`           1 (whole update)
========================  ===========================================  ==========================

Kernels are compiled with ``--fmad=false``, so products and sums round as in
the twin's separate CuPy ops (no fused multiply-add).
"""

from .activation import bias_act
from .optim import adam_step, sgd_step

__all__ = ["adam_step", "bias_act", "sgd_step"]

"""Bias + activation in one kernel, and its derivative in one kernel (generic: ``Ops.bias_act``).

Forward: ``z`` (the fresh GEMM output) is updated in place to ``Y = act(z + b)``;
GELU keeps ``Z = z + b`` (its derivative needs it) and writes ``Y`` to a new array.
Backward: ``D = G * act'(.)`` into a new array, in the dtype the generic code's ``G * act'(.)``
promotes to (a float64 ``G`` into a float32 layer: both cast to float64 first). The
formulas are the generic code's:

    relu        Y = max(Z, 0)                  D = G if Y > 0 else 0
    leaky_relu  Y = Z if Z > 0 else s Z        D = G if Y > 0 else G s     (s >= 0)
    sigmoid     Y = 1/(1 + e) or e/(1 + e),    D = G Y (1 - Y)
                e = exp(-|Z|), by the sign of Z
    tanh        Y = tanh(Z)                    D = G (1 - Y Y)
    gelu_tanh   c = clip(Z, -10, 10), t = tanh(S (c + A c c c)),  Y = 0.5 Z (1 + t)
                D = G (0.5 (1 + t) + 0.5 c (1 - t t) S (1 + 3A c c))
"""

from __future__ import annotations

from typing import Any

from ._cuda_kernel import Kernel, literal, promoted
from ._ops import GELU_A, GELU_CLIP, GELU_S

S, A, CLIP = literal(GELU_S), literal(GELU_A), literal(GELU_CLIP)
A3 = literal(3 * GELU_A)  # the generic code computes 3 * A in double, then casts
_CLIP = f"T c = z < -{CLIP} ? -{CLIP} : (z > {CLIP} ? {CLIP} : z);"  # NaN passes through
_TANH_FIT = f"T t = tanh({S} * (c + {A} * c * c * c));"

# -- forward: z (in-out) <- act(z + b) -------------------------------------------------------
FORWARD = {
    "relu": Kernel("xpnet_bias_relu", "T b", "T z",
                   "T v = z + b; z = (v > (T)0 || v != v) ? v : (T)0;"),  # max(v, 0), NaN kept
    "leaky_relu": Kernel("xpnet_bias_leaky_relu", "T b, T s", "T z",
                         "T v = z + b; z = v > (T)0 ? v : v * s;"),
    "sigmoid": Kernel("xpnet_bias_sigmoid", "T b", "T z",
                      "T v = z + b; T e = exp(-fabs(v)); "
                      "z = v >= (T)0 ? (T)1 / ((T)1 + e) : e / ((T)1 + e);"),
    "tanh": Kernel("xpnet_bias_tanh", "T b", "T z", "z = tanh(z + b);"),
}
GELU_FORWARD = Kernel("xpnet_bias_gelu_tanh", "T b", "T z, T y",
                      f"z = z + b; {_CLIP} {_TANH_FIT} y = (T)0.5 * z * ((T)1 + t);")

# -- backward: D = G act'(.) from the saved Y (GELU: from Z) ------------------------------------
BACKWARD = {
    "relu": Kernel("xpnet_relu_grad", "T g, T y", "T d", "d = y > (T)0 ? g : (T)0;"),
    "leaky_relu": Kernel("xpnet_leaky_relu_grad", "T g, T y, T s", "T d", "d = y > (T)0 ? g : g * s;"),
    "sigmoid": Kernel("xpnet_sigmoid_grad", "T g, T y", "T d", "d = g * y * ((T)1 - y);"),
    "tanh": Kernel("xpnet_tanh_grad", "T g, T y", "T d", "d = g * ((T)1 - y * y);"),
}
GELU_BACKWARD = Kernel("xpnet_gelu_tanh_grad", "T g, T z", "T d",
                       f"{_CLIP} {_TANH_FIT} T du = {S} * ((T)1 + {A3} * c * c); "
                       "d = g * ((T)0.5 * ((T)1 + t) + (T)0.5 * c * ((T)1 - t * t) * du);")


def launch_bias_act(xp: Any, z: Any, bias: Any, activation: str, negative_slope: float) -> Any:
    """``(Y, grad)``: ``Y = act(z + bias)`` in one kernel, ``grad(G) = G act'(z + bias)`` in one.

    For CuPy's backend, which has checked that the kernels cover the call: ``z`` (a fresh
    GEMM output, overwritten) and ``bias`` (None, or broadcasting against ``z``) all float32
    or all float64; ``activation`` in :data:`FORWARD` or ``"gelu_tanh"``; a LeakyReLU slope
    ``>= 0`` (below 0, ``Y > 0`` no longer tells where ``Z > 0``).
    """
    b = 0.0 if bias is None else bias
    if activation == "gelu_tanh":
        y = xp.empty_like(z)
        GELU_FORWARD(b, z, y)  # z <- Z = z + b, y <- Y

        def gelu_grad(g: Any) -> Any:
            return GELU_BACKWARD(*promoted(xp, g, z))

        return y, gelu_grad
    s = (negative_slope,) if activation == "leaky_relu" else ()
    FORWARD[activation](b, *s, z)  # z <- Y, in place
    backward = BACKWARD[activation]

    def grad(g: Any) -> Any:
        return backward(*promoted(xp, g, z), *s)

    return z, grad

"""Random tensors with torch's names: rand, randn, randint, randperm, normal and the ``_like``s.

Every draw comes from the seeded generator of the device it is made on
(:func:`xpnet.manual_seed` seeds them all), so runs repeat on every backend. The
streams are not torch's: the same seed gives other numbers than in torch.
"""

from __future__ import annotations

import math
from typing import Any

from . import _backend, _dtypes
from .creation import _finish, _shape, like
from .tensor import Tensor, leaf

__all__ = ["multinomial", "normal", "rand", "rand_like", "randint", "randn", "randn_like", "randperm"]


def _floating(dt: Any, name: str) -> None:
    if not _dtypes.is_floating(dt):
        raise TypeError(f"{name}: random samples of this kind are floating point, got dtype "
                        f"{_dtypes.wrap(dt)}: pass dtype=xn.float32 (or float64)")


def _draw(kind: str, shape: tuple[int, ...], dtype: Any, device: Any, requires_grad: bool,
          name: str, generator: Any = None) -> Tensor:
    xp, dev = _backend.resolve(device)
    dt = _dtypes.resolve(dtype, xp)
    _floating(dt, name)
    draw = _backend.normal if kind == "normal" else _backend.uniform
    return _finish(draw(shape, xp=xp, device=dev, dtype=dt, generator=generator), xp, requires_grad)


def randn(*size: Any, generator: Any = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False, **kwargs: Any) -> Tensor:
    """Samples of the standard normal N(0, 1): ``randn(2, 3)`` or ``randn((2, 3))``.

    Args:
        *size: the shape: ints (``2, 3``), one tuple (``(2, 3)``), or ``size=(2, 3)``: ``size``.
        generator: an ``xn.Generator`` to draw from; None: the global one (``xn.manual_seed``).
        dtype: an ``xn`` dtype (``xn.float32``), its name, or a dtype of the array library;
            None: the default float dtype (float32, see :func:`set_default_dtype`).
        device: where the tensor lives: ``"cpu"`` (NumPy), ``"cuda"``/``"cuda:N"`` (CuPy), an
            ``xn.device``, or a device object of an array library (``torch.device("cpu")``
            makes a torch tensor); None: the default device (:func:`set_default_device`).
        requires_grad: record operations on the result for autograd (floating dtypes only).
        **kwargs: ``size=`` as a keyword.

    Raises:
        TypeError: a non-floating dtype, an unknown dtype, a size that is not ints, or ``requires_grad``
            with a non-floating dtype.
        ValueError: an unknown device.
        RuntimeError: the device's library cannot reach its device (CuPy without a GPU).
    """
    return _draw("normal", _shape(size, **kwargs), dtype, device, requires_grad, "randn", generator)


def rand(*size: Any, generator: Any = None, dtype: Any = None, device: Any = None,
         requires_grad: bool = False, **kwargs: Any) -> Tensor:
    """Samples of the uniform U[0, 1): ``rand(2, 3)`` or ``rand((2, 3))``.

    Args:
        *size: the shape: ints (``2, 3``), one tuple (``(2, 3)``), or ``size=(2, 3)``: ``size``.
        generator: an ``xn.Generator`` to draw from; None: the global one (``xn.manual_seed``).
        dtype: an ``xn`` dtype (``xn.float32``), its name, or a dtype of the array library;
            None: the default float dtype (float32, see :func:`set_default_dtype`).
        device: where the tensor lives: ``"cpu"`` (NumPy), ``"cuda"``/``"cuda:N"`` (CuPy), an
            ``xn.device``, or a device object of an array library (``torch.device("cpu")``
            makes a torch tensor); None: the default device (:func:`set_default_device`).
        requires_grad: record operations on the result for autograd (floating dtypes only).
        **kwargs: ``size=`` as a keyword.

    Raises:
        TypeError: a non-floating dtype, an unknown dtype, a size that is not ints, or ``requires_grad``
            with a non-floating dtype.
        ValueError: an unknown device.
        RuntimeError: the device's library cannot reach its device (CuPy without a GPU).
    """
    return _draw("uniform", _shape(size, **kwargs), dtype, device, requires_grad, "rand", generator)


def _draw_like(kind: str, input: Any, dtype: Any, device: Any, requires_grad: bool,
               name: str) -> Tensor:
    xp, dev, dt, shape = like(input, name, dtype, device)
    _floating(dt, name)
    draw = _backend.normal if kind == "normal" else _backend.uniform
    return _finish(draw(shape, xp=xp, device=dev, dtype=dt), xp, requires_grad)


def randn_like(input: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False,
               memory_format: Any = None) -> Tensor:
    """N(0, 1) samples of ``input``'s shape, dtype, library and device.

    Args:
        input: a Tensor (or array) whose shape, dtype, library and device the result takes.
        dtype: overrides ``input``'s dtype.
        device: overrides ``input``'s device (and library, e.g. ``"cuda"``).
        requires_grad: record operations on the result for autograd (floating dtypes only).
        memory_format: accepted for torch programs and ignored (arrays have one layout).

    Raises:
        TypeError: ``input`` is not a Tensor or array, a non-floating dtype, an unknown dtype, a size that
            is not ints, or ``requires_grad`` with a non-floating dtype.
        ValueError: an unknown device.
        RuntimeError: the device's library cannot reach its device (CuPy without a GPU).
    """
    return _draw_like("normal", input, dtype, device, requires_grad, "randn_like")


def rand_like(input: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False,
              memory_format: Any = None) -> Tensor:
    """U[0, 1) samples of ``input``'s shape, dtype, library and device.

    Args:
        input: a Tensor (or array) whose shape, dtype, library and device the result takes.
        dtype: overrides ``input``'s dtype.
        device: overrides ``input``'s device (and library, e.g. ``"cuda"``).
        requires_grad: record operations on the result for autograd (floating dtypes only).
        memory_format: accepted for torch programs and ignored (arrays have one layout).

    Raises:
        TypeError: ``input`` is not a Tensor or array, a non-floating dtype, an unknown dtype, a size that
            is not ints, or ``requires_grad`` with a non-floating dtype.
        ValueError: an unknown device.
        RuntimeError: the device's library cannot reach its device (CuPy without a GPU).
    """
    return _draw_like("uniform", input, dtype, device, requires_grad, "rand_like")


def randint(*args: Any, size: Any = None, generator: Any = None, dtype: Any = None,
            device: Any = None, requires_grad: bool = False) -> Tensor:
    """Integers drawn uniformly from ``[low, high)``: ``randint(high, size)`` or
    ``randint(low, high, size)``; int64 unless ``dtype`` says otherwise.

    Drawn as ``floor(low + u * (high - low))`` with u ~ U[0, 1) in float64 (exact for
    ranges below 2**53).

    Args:
        *args: ``(high, size)`` or ``(low, high, size)``: ``low`` (default 0) and ``high``
            are ints, ``size`` a tuple of ints.
        size: the shape, as a keyword.
        generator: an ``xn.Generator`` to draw from; None: the global one (``xn.manual_seed``).
        dtype: an ``xn`` dtype (``xn.float32``), its name, or a dtype of the array library;
            None: int64.
        device: where the tensor lives: ``"cpu"`` (NumPy), ``"cuda"``/``"cuda:N"`` (CuPy), an
            ``xn.device``, or a device object of an array library (``torch.device("cpu")``
            makes a torch tensor); None: the default device (:func:`set_default_device`).
        requires_grad: record operations on the result for autograd (floating dtypes only).

    Raises:
        TypeError: an unknown dtype, a size that is not ints, or ``requires_grad`` with a
            non-floating dtype.
        ValueError: an unknown device.
        RuntimeError: the device's library cannot reach its device (CuPy without a GPU).
        RuntimeError: ``low >= high``.
    """
    if size is not None:
        args = (*args, size)
    if len(args) == 2:
        low, (high, shape) = 0, args
    elif len(args) == 3:
        low, high, shape = args
    else:
        raise TypeError("randint() takes (high, size) or (low, high, size), e.g. randint(0, 10, (3,))")
    low, high = int(low), int(high)
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    shape = _shape((shape,))
    xp, dev = _backend.resolve(device)
    dt = _dtypes.resolve(dtype if dtype is not None else "int64", xp)
    u = _backend.uniform(shape, xp=xp, device=dev, dtype=xp.float64, generator=generator)
    values = xp.floor(u * (high - low)) + low
    return _finish(xp.astype(values, dt), xp, requires_grad)


def randperm(n: int, *, generator: Any = None, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """A random permutation of ``0 .. n-1`` (int64 unless ``dtype`` says otherwise).

    Args:
        n: the number of values (0 or more).
        generator: an ``xn.Generator`` to draw from; None: the global one (``xn.manual_seed``).
        dtype: an ``xn`` dtype (``xn.float32``), its name, or a dtype of the array library;
            None: int64.
        device: where the tensor lives: ``"cpu"`` (NumPy), ``"cuda"``/``"cuda:N"`` (CuPy), an
            ``xn.device``, or a device object of an array library (``torch.device("cpu")``
            makes a torch tensor); None: the default device (:func:`set_default_device`).
        requires_grad: record operations on the result for autograd (floating dtypes only).

    Raises:
        TypeError: an unknown dtype, a size that is not ints, or ``requires_grad`` with a
            non-floating dtype.
        ValueError: an unknown device.
        RuntimeError: the device's library cannot reach its device (CuPy without a GPU).
        RuntimeError: ``n`` is not a non-negative int.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise RuntimeError(f"randperm: n must be a non-negative int, got {n!r}")
    xp, dev = _backend.resolve(device)
    dt = _dtypes.resolve(dtype if dtype is not None else "int64", xp)
    values = _backend.permutation(n, xp=xp, device=dev, generator=generator)
    return _finish(values if values.dtype == dt else xp.astype(values, dt), xp, requires_grad)


def normal(mean: Any, std: Any = 1.0, size: Any = None, *, generator: Any = None, dtype: Any = None,
           device: Any = None, requires_grad: bool = False) -> Tensor:
    """Samples of N(mean, std**2).

    As torch: ``normal(mean_tensor, std_tensor)`` (broadcast), ``normal(mean_tensor, std)``,
    ``normal(mean, std_tensor)``, or ``normal(mean, std, size)`` with numbers. A tensor
    argument gives its library, device and dtype; the result is not differentiable.

    Args:
        mean: a number or a floating Tensor.
        std: a number or a floating Tensor (broadcast with ``mean``).
        size: the shape, needed (only) when ``mean`` and ``std`` are both numbers.
        generator: an ``xn.Generator`` to draw from; None: the global one (``xn.manual_seed``).
        dtype: an ``xn`` dtype (``xn.float32``), its name, or a dtype of the array library;
            None: a tensor argument's dtype, else the default float dtype.
        device: where the tensor lives: ``"cpu"`` (NumPy), ``"cuda"``/``"cuda:N"`` (CuPy), an
            ``xn.device``, or a device object of an array library (``torch.device("cpu")``
            makes a torch tensor); used when both are numbers; None: the default device
            (:func:`set_default_device`).
        requires_grad: record operations on the result for autograd (floating dtypes only).

    Raises:
        TypeError: an unknown dtype, a size that is not ints, or ``requires_grad`` with a
            non-floating dtype.
        ValueError: an unknown device.
        RuntimeError: the device's library cannot reach its device (CuPy without a GPU).
        TypeError: two numbers without ``size``.
    """
    tensors = [t for t in (mean, std) if isinstance(t, Tensor) or _backend.is_array(t)]
    if not tensors:
        if size is None:
            raise TypeError("normal(mean, std) with two numbers needs size=..., e.g. normal(0., 1., (3,))")
        z = randn(_shape((size,)), generator=generator, dtype=dtype, device=device)
        out = z.array * std + mean
        return _finish(out, z.xp, requires_grad)
    arrays = [t.array if isinstance(t, Tensor) else t for t in tensors]
    xp = _backend.namespace(arrays[0])
    m = mean.array if isinstance(mean, Tensor) else mean
    s = std.array if isinstance(std, Tensor) else std
    shape = tuple(xp.broadcast_arrays(*arrays)[0].shape) if len(arrays) == 2 else tuple(arrays[0].shape)
    dt = arrays[0].dtype
    _floating(dt, "normal")
    z = _backend.normal(shape, xp=xp, device=_backend.device(arrays[0]), dtype=dt, generator=generator)
    return leaf(z * s + m, xp) if not requires_grad else _finish(z * s + m, xp, True)


def multinomial(input: Any, num_samples: int, replacement: bool = False, *,
                generator: Any = None) -> Tensor:
    """Category indices drawn with probabilities proportional to the rows of ``input``.

    input: (C,) or (N, C) non-negative weights (need not sum to 1); out: (num_samples,)
    or (N, num_samples) int64, on input's library and device, from its device's seeded
    generator (or ``generator``'s; no host read). With ``replacement``: inverse CDF of U[0, 1) draws.
    Without: the ``num_samples`` smallest keys ``E / w`` (E ~ Exp(1)), which draws
    categories one after another without replacement (zero weights come last).
    Raises RuntimeError for ``num_samples`` < 1, or > C without replacement.
    The streams are not torch's: the same seed gives other draws than in torch.
    """
    w = input if isinstance(input, Tensor) else Tensor(input)
    a, xp = w.array, w.xp
    if a.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got shape {tuple(a.shape)}")
    if not _dtypes.is_floating(a.dtype):
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got {w.dtype}")
    c = a.shape[-1]
    if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 1:
        raise RuntimeError(f"multinomial: cannot sample {num_samples!r} samples: pass an int >= 1")
    if not replacement and num_samples > c:
        raise RuntimeError(f"multinomial: cannot sample n_sample={num_samples} > prob_dist.size(-1)={c} "
                           "samples without replacement (pass replacement=True)")
    rows = a if a.ndim == 2 else xp.reshape(a, (1, c))
    dev, n = _backend.device(a), rows.shape[0]
    if replacement:
        cdf = xp.cumulative_sum(rows, axis=-1)
        cdf = cdf / cdf[:, -1:]
        u = _backend.uniform((n, num_samples), xp=xp, device=dev, dtype=a.dtype, generator=generator)
        below = xp.expand_dims(cdf, axis=1) <= xp.expand_dims(u, axis=2)  # (n, samples, C)
        picked = xp.sum(xp.astype(below, xp.int64), axis=-1)  # < C: the last cdf value is 1 > u
    else:
        e = -xp.log1p(-_backend.uniform((n, c), xp=xp, device=dev, dtype=a.dtype,
                                        generator=generator))  # Exp(1)
        positive = rows > 0
        keys = xp.where(positive, e / xp.where(positive, rows, xp.ones_like(rows)), xp.full_like(e, math.inf))
        picked = xp.astype(xp.argsort(keys, axis=-1, stable=True)[:, :num_samples], xp.int64)
    out = picked if a.ndim == 2 else xp.reshape(picked, (num_samples,))
    return leaf(out, xp)

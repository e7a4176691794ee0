"""``parameters_to_vector`` and ``vector_to_parameters`` (torch.nn.utils'), re-exported by
:mod:`xpnet.nn.utils`: all parameters as one flat vector, and back."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import _backend
from ..tensor import Tensor


def _params(parameters: Tensor | Iterable[Tensor], where: str) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"{where} expects Tensors (model.parameters()), got {type(p).__name__}")
    if params:
        first = params[0]
        for p in params[1:]:
            if p.xp is not first.xp or not _backend.same_device(first.xp, first.array, p.array):
                raise TypeError("Found two parameters on different devices, this is currently not "
                                "supported. (move the model to one device with .to(...))")
    return params


def parameters_to_vector(parameters: Tensor | Iterable[Tensor]) -> Tensor:
    """One 1-D Tensor holding every parameter, flattened, in order (differentiable: a cat).

    Raises TypeError (torch's) when the parameters are on different devices.
    """
    from .. import functional as F

    params = _params(parameters, "parameters_to_vector")
    return F.cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec: Any, parameters: Tensor | Iterable[Tensor]) -> None:
    """Copy slices of the 1-D ``vec`` into each parameter's data, in order (torch's
    ``param.data = vec[i:i+n].view_as(param).data``: the parameters then share ``vec``'s memory).

    Raises TypeError when ``vec`` is not a Tensor (torch's words), RuntimeError when it is
    shorter than the parameters together.
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__} "
                        "(pass an xpnet Tensor, e.g. parameters_to_vector(...))")
    params = _params(parameters, "vector_to_parameters")
    total = sum(p.numel() for p in params)
    if vec.numel() < total:
        raise RuntimeError(f"vector_to_parameters: vec has {vec.numel()} elements but the "
                           f"parameters need {total}")
    flat = vec.xp.reshape(vec.array, (-1,))
    pointer = 0
    for p in params:
        n = p.numel()
        p.array = vec.xp.reshape(flat[pointer:pointer + n], tuple(p.shape))
        pointer += n

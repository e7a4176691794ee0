"""``DistributedDataParallel``: the same model on every rank, gradients averaged after backward.

>>> dist.init_process_group("mpi")
>>> model = nn.parallel.DistributedDataParallel(model)   # rank 0's weights on every rank
>>> loss = loss_fn(model(xb), yb)   # each rank its own shard of the batch
>>> loss.backward()                 # ... and every rank holds the average gradient
>>> opt.step()                      # the same update everywhere: the weights stay equal

With batch ``b`` on each of ``n`` ranks and a mean loss, the averaged gradient is
the gradient of the mean loss over the ``n b`` samples: training matches one
process with batch ``n b`` (tests/mpi/test_ddp.py holds this to 1e-12 in float64).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ...autograd import is_grad_enabled
from ...distributed import all_gather_object, broadcast, get_world_size
from ..module import Module
from ._reducer import Reducer


class DistributedDataParallel(Module):
    """Wrap ``module`` for data-parallel training over the process group.

    At wrap time (a collective: every rank wraps its model) the ranks check that
    their models have the same parameters and buffers (names, shapes, dtypes),
    then rank 0's values are broadcast into every rank's parameters and buffers.
    Calling it calls ``module``; the ``backward()`` of the result averages every
    parameter's ``.grad`` over the ranks, as one all-reduce per bucket of at most
    ``bucket_cap_mb`` MB over a flat gradient array (see ``_reducer``), after the
    whole backward sweep of the model.

    Args:
        module: the model (its parameters on this rank's device).
        bucket_cap_mb: the size of a bucket (default 25, as torch).
        mixed_precision: not supported: anything but None raises NotImplementedError.
        device_mesh: not supported: anything but None raises NotImplementedError.

    ``device_ids``, ``output_device``, ``dim``, ``broadcast_buffers``, ``process_group``,
    ``find_unused_parameters``, ``check_reduction``, ``gradient_as_bucket_view``,
    ``static_graph``, ``delay_all_reduce_named_params``, ``param_to_hook_all_reduce``:
    accepted for torch programs, no effect (buffers are broadcast at wrap time only;
    every parameter without a gradient counts as zeros).

    ``.module`` is the wrapped model (save ``model.module.state_dict()``);
    ``no_sync()`` skips the averaging for gradient accumulation. Raises
    RuntimeError without a process group, ValueError when the ranks' models differ.
    After the averaging, each ``p.grad``'s array is a view of the bucket's buffer,
    overwritten by the next reduction (as torch's ``gradient_as_bucket_view``).
    """

    def __init__(self, module: Module, device_ids: Any = None, output_device: Any = None,
                 dim: int = 0, broadcast_buffers: bool = True, process_group: Any = None,
                 bucket_cap_mb: float = 25, find_unused_parameters: bool = False,
                 check_reduction: bool = False, gradient_as_bucket_view: bool = False,
                 static_graph: bool = False, delay_all_reduce_named_params: Any = None,
                 param_to_hook_all_reduce: Any = None, mixed_precision: Any = None,
                 device_mesh: Any = None) -> None:
        if mixed_precision is not None or device_mesh is not None:
            raise NotImplementedError("DistributedDataParallel: mixed_precision and device_mesh are not "
                                      "supported: cast the model with .to(dtype=...) instead")
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel wraps an nn.Module, got {type(module).__name__}")
        if isinstance(bucket_cap_mb, bool) or not bucket_cap_mb > 0:
            raise ValueError(f"bucket_cap_mb must be a positive number, got {bucket_cap_mb!r}")
        self.world_size = get_world_size()  # RuntimeError without a process group
        self.module = module
        self.require_backward_grad_sync = True
        params: list[Any] = [p for p in module.parameters() if p.requires_grad]
        state = list(module.named_parameters()) + list(module.named_buffers())
        _same_everywhere(self.world_size, state)
        for _, tensor in state:
            broadcast(tensor, src=0)
        self._reducer = Reducer(params, int(bucket_cap_mb * 1024 * 1024))

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """``module(*args, **kwargs)``; its backward averages the gradients (outside ``no_sync``)."""
        out = self.module(*args, **kwargs)
        if self.world_size == 1 or not self.require_backward_grad_sync or not is_grad_enabled():
            return out
        return self._reducer.watch(out)

    @contextmanager
    def no_sync(self) -> Iterator[None]:
        """Forwards inside do not average their gradients: they accumulate on each rank, and the
        first backward of a forward outside averages the accumulated sum (torch's ``no_sync``)."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def __repr__(self) -> str:
        inner = repr(self.module).replace("\n", "\n  ")
        return f"DistributedDataParallel(\n  (module): {inner}\n)"


def _same_everywhere(size: int, state: list[tuple[str, Any]]) -> None:
    """ValueError, the same on every rank, when a rank's parameters or buffers differ from rank 0's."""
    mine = [(name, tuple(t.array.shape), str(t.array.dtype).rsplit(".", 1)[-1]) for name, t in state]
    every: list[Any] = [None] * size
    all_gather_object(every, mine)  # names and shapes: small, pickled once at wrap time
    reference = every[0]
    for rank, theirs in enumerate(every):
        if theirs == reference:
            continue
        if len(theirs) != len(reference):
            raise ValueError(
                f"DistributedDataParallel: rank {rank}'s model has {len(theirs)} parameters and "
                f"buffers, rank 0's has {len(reference)}: build the same model on every rank")
        for ours, other in zip(reference, theirs):
            if ours != other:
                raise ValueError(
                    f"DistributedDataParallel: parameter or buffer mismatch between ranks: rank 0 has "
                    f"{ours[0]!r} of shape {ours[1]} and dtype {ours[2]}, rank {rank} has "
                    f"{other[0]!r} of shape {other[1]} and dtype {other[2]}: build the same model "
                    f"(and .to(dtype=...)) on every rank before wrapping it")


__all__ = ["DistributedDataParallel"]

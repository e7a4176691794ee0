"""torch's backend object: torch tensors (CPU or CUDA) through ``array_api_compat.torch``.

It overrides devices (``torch.device``; ``"cpu"``/``"cuda:N"`` strings given for a
torch tensor mean torch's), host reads (free on the CPU only), memory (a view
knows it is one), moves (``from_numpy``/``.to``) and random numbers (one
``torch.Generator`` per device, so draws happen where the tensor lives).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import Backend


class TorchBackend(Backend):
    """torch tensors, on any device torch has."""

    library = "torch"
    has_views = True
    device_modules = ("torch",)
    namespace_module = "array_api_compat.torch"

    def describe(self, dev: Any) -> str:
        return f"torch {dev}"

    def device_name(self, dev: Any) -> tuple[str, int | None]:
        return str(dev.type), dev.index

    def parse_device(self, text: str, current: Any) -> Any:
        if text == "cpu" or text == "cuda" or (text.startswith("cuda:") and text[5:].isdigit()):
            import torch

            return torch.device(text)
        return None

    def on_host(self, dev: Any) -> bool:
        return bool(dev.type == "cpu")

    def owns_memory(self, array: Any) -> bool:
        return not array._is_view()

    def to_numpy(self, array: Any) -> np.ndarray:
        return array.detach().cpu().numpy()

    def host_memory(self, array: Any) -> str:
        return "shared" if array.device.type == "cpu" else "fresh"  # .cpu(): a new tensor

    def from_numpy(self, host: np.ndarray, dev: Any) -> Any:
        import torch

        if not host.flags.writeable or not host.flags.c_contiguous:
            host = np.ascontiguousarray(host).copy()  # torch.from_numpy wants its own writeable memory
        return torch.from_numpy(host).to(dev)

    def generator(self, dev: Any, seed: int) -> Any:
        import torch

        return torch.Generator(device=dev).manual_seed(seed)

    def generator_state(self, gen: Any) -> Any:
        return gen.get_state().tolist()  # torch's ByteTensor, as a list of ints

    def set_generator_state(self, gen: Any, state: Any) -> Any:
        import torch

        gen.set_state(torch.tensor(state, dtype=torch.uint8))
        return gen

    def draw(self, gen: Any, kind: str, shape: tuple[int, ...], dev: Any, dtype: Any) -> Any:
        import torch

        sample = torch.rand if kind == "uniform" else torch.randn
        return sample(shape, generator=gen, dtype=dtype, device=dev)

    def draw_permutation(self, gen: Any, n: int, dev: Any) -> Any:
        import torch

        return torch.randperm(n, generator=gen, device=dev)

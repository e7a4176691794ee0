"""array-api-strict's backend object: the standard and nothing else, on two devices.

array-api-strict is the portability proof: an array library with only what the
standard promises, a CPU device and fake ``device1``/``device2`` devices that
refuse to mix. Nothing is overridden but how its devices are named and read
back to the host.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import Backend

_NAMES = {"cpu": "CPU_DEVICE", "cpu_device": "CPU_DEVICE", "device1": "device1", "device2": "device2"}


class StrictBackend(Backend):
    """array-api-strict arrays, on ``CPU_DEVICE``, ``device1`` or ``device2``."""

    library = "array_api_strict"
    device_modules = ("array_api_strict",)
    namespace_module = "array_api_strict"

    def describe(self, dev: Any) -> str:
        return f"array_api_strict {getattr(dev, '_device', dev)}"

    def device_name(self, dev: Any) -> tuple[str, int | None]:
        name = str(getattr(dev, "_device", dev))
        return ("cpu" if name == "CPU_DEVICE" else name), None

    def parse_device(self, text: str, current: Any) -> Any:
        name = _NAMES.get(text)
        return None if name is None else type(current)(name)

    def to_numpy(self, array: Any) -> np.ndarray:
        cpu = type(array.device)("CPU_DEVICE")
        if array.device != cpu:
            array = array.to_device(cpu)
        return np.asarray(array)

"""Files xn.load refuses without parsing: pickles, above all torch's ``.pt`` / ``.pth``.

``torch.save`` writes a zip holding ``<name>/data.pkl`` (or, with the legacy
format, a bare pickle). Unpickling can run any code, so xn.load never does:
it names the file's kind and the route that works, safetensors.
"""

from __future__ import annotations

import io
import zipfile

from .files import CheckpointError

_PICKLE_MAGIC = (b"\x80", b"(", b"c", b"]", b"}")
ROUTE = ("on the torch side, save the weights as safetensors: "
         "`from safetensors.torch import save_file; save_file(model.state_dict(), \"model.safetensors\")`, "
         "then `model.load_state_dict(xn.load(\"model.safetensors\"))` here")
NEVER = ("xn.load never unpickles, because unpickling can run any code "
         "(weights_only=False does not change that)")


def refuse_pickles(raw: bytes, where: str) -> None:
    """Raise CheckpointError if ``raw`` is a pickle or a torch.save zip; return otherwise."""
    if raw.startswith(b"PK"):
        if _is_torch_zip(raw):
            raise CheckpointError(f"{where} was written by torch.save (a zip holding a pickle, data.pkl): "
                                  f"{NEVER}. To move weights from torch to xpnet, {ROUTE}")
        return
    if raw[:1] in _PICKLE_MAGIC:
        raise CheckpointError(f"{where} looks like a Python pickle (torch.save, pickle.dump), not an xpnet "
                              f"checkpoint: {NEVER}. For a torch model's weights, {ROUTE}")


def _is_torch_zip(raw: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:  # reads the central directory only
            return any(name == "data.pkl" or name.endswith("/data.pkl") for name in zf.namelist())
    except Exception:  # damaged beyond reading: the archive's own checks say so
        return False

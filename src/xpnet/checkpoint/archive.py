"""The checkpoint file: a ``.npz`` archive (a zip of ``.npy`` arrays) plus ``manifest.json``.

Layout, every member stored uncompressed::

    arrays/0.npy, arrays/1.npy, ...   the arrays, host NumPy, written with allow_pickle=False
    manifest.json                     {"format": "xpnet-checkpoint", "version": 1,
                                       "tree": <the structure, see tree.py>,
                                       "arrays": [{"dtype": "<f4", "shape": [4, 2],
                                                   "sha256": "..."}, ...]}
    zip comment                       SHA-256 (hex) of every byte before it

``np.load(path)`` reads the arrays too (it is a plain ``.npz``). Reading checks,
before any value is used: the whole file's SHA-256 (any flipped byte or
truncation), the zip's CRC of every member, each array's SHA-256 and its dtype
and shape against the manifest; object arrays (pickles) are refused without
being parsed. Serialisation is host-side by definition, so
this module uses NumPy's ``.npy`` format directly.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Callable
from typing import Any, BinaryIO

import numpy as np  # the .npy format; arrays of every backend reach it via _backend.to_numpy

from .. import _backend

FORMAT, VERSION = "xpnet-checkpoint", 1
MANIFEST = "manifest.json"
_KINDS = "biufc"  # bool, int, uint, float, complex: never object, void, strings or dates
_PICKLE_MAGIC = (b"\x80", b"(", b"c", b"]", b"}")
_DIGEST = 64  # hex characters of a SHA-256


class CheckpointError(ValueError):
    """A checkpoint file that is damaged, of another format, or does not match its manifest."""


def member(i: int) -> str:
    return f"arrays/{i}.npy"


# -- writing -------------------------------------------------------------------------------
def npy_bytes(array: Any) -> bytes:
    """``array`` (of any backend) as the bytes of a ``.npy`` file, via host NumPy."""
    # np.asarray, not np.ascontiguousarray: the latter turns a 0-d array into shape (1,)
    host = np.asarray(_backend.to_numpy(array), order="C")
    if host.dtype.kind not in _KINDS:
        raise TypeError(f"cannot save an array of dtype {host.dtype}: only bool, int and float arrays")
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, host, allow_pickle=False)
    return buffer.getvalue()


def seal(archive: bytes) -> bytes:
    """Put the SHA-256 of the archive's bytes into its (last, 64-byte) zip comment."""
    body = archive[:-_DIGEST]
    return body + hashlib.sha256(body).hexdigest().encode("ascii")


def write_archive(f: BinaryIO, tree: Any, arrays: list[Any]) -> None:
    """Write the arrays, then the manifest that describes them, sealed, into the open file ``f``."""
    entries = []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.comment = b"0" * _DIGEST  # a placeholder of the digest's length: see seal()
        for i, array in enumerate(arrays):
            payload = npy_bytes(array)
            header = _header(payload)
            entries.append({"dtype": header[2].str, "shape": list(header[0]),
                            "sha256": hashlib.sha256(payload).hexdigest()})
            zf.writestr(member(i), payload)
        manifest = {"format": FORMAT, "version": VERSION, "tree": tree, "arrays": entries}
        zf.writestr(MANIFEST, json.dumps(manifest, allow_nan=False))
    f.write(seal(buffer.getvalue()))


def atomic_write(path: str | os.PathLike[str], write: Callable[[BinaryIO], None]) -> None:
    """Call ``write(f)`` on a temporary file beside ``path``, fsync it, then rename it over ``path``.

    ``os.replace`` is atomic: readers see the old file or the whole new one, and
    a crash or an exception while writing leaves the old file as it was.
    """
    target = os.path.abspath(os.fspath(path))
    directory, name = os.path.split(target)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot save to {os.fspath(path)!r}: the folder {directory!r} "
                                f"does not exist (create it first, e.g. os.makedirs)")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable (POSIX)
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


# -- reading -------------------------------------------------------------------------------
def read_archive(path: str | os.PathLike[str]) -> tuple[Any, list[np.ndarray]]:
    """``(tree, host arrays)`` of a checkpoint file, every check passed; else CheckpointError."""
    with open(path, "rb") as f:  # FileNotFoundError and PermissionError stay themselves
        raw = f.read()
    where = os.fspath(path)
    if raw[:1] in _PICKLE_MAGIC and not raw.startswith(b"PK"):
        raise CheckpointError(
            f"{where} looks like a Python pickle (torch.save, pickle.dump), not an xpnet checkpoint: "
            f"xn.load never unpickles, because unpickling can run any code")
    digest = raw[-_DIGEST:]
    if len(raw) <= _DIGEST or hashlib.sha256(raw[:-_DIGEST]).hexdigest().encode("ascii") != digest:
        if not raw.startswith(b"PK"):
            raise CheckpointError(f"{where} is not an xpnet checkpoint: not a zip/.npz archive")
        try:  # a whole zip without a manifest (np.savez) says so
            with zipfile.ZipFile(io.BytesIO(raw)) as zf:
                has_manifest = MANIFEST in zf.namelist()
        except Exception:  # damaged beyond reading: the checksum message below says it
            has_manifest = True
        if not has_manifest:
            raise CheckpointError(_no_manifest(where))
        raise CheckpointError(
            f"{where} fails its SHA-256 check: the file is truncated or corrupted (or not written "
            f"by xn.save); nothing was loaded")
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile:
        raise CheckpointError(f"{where} is not an xpnet checkpoint: not a zip/.npz archive, or "
                              f"truncated ({len(raw)} bytes)") from None
    with zf:
        try:
            manifest = _manifest(zf, where)
            entries = manifest["arrays"]
            names = {member(i) for i in range(len(entries))} | {MANIFEST}
            extra = sorted(set(zf.namelist()) - names)
            if extra:
                raise CheckpointError(f"{where} holds members its manifest does not list: {extra}")
            arrays = [_read_array(zf, i, entry, where) for i, entry in enumerate(entries)]
        except CheckpointError:
            raise
        except Exception as exc:  # whatever a hostile (even well-sealed) file triggers
            raise CheckpointError(f"{where} is damaged: {type(exc).__name__}: {exc}") from None
    return manifest["tree"], arrays


def _manifest(zf: zipfile.ZipFile, where: str) -> dict[str, Any]:
    if MANIFEST not in zf.namelist():
        raise CheckpointError(_no_manifest(where))
    manifest = json.loads(zf.read(MANIFEST).decode("utf-8"))
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CheckpointError(f"{where}: {MANIFEST} is not an xpnet checkpoint manifest")
    if manifest.get("version") != VERSION:
        raise CheckpointError(f"{where} is checkpoint format version {manifest.get('version')!r}; "
                              f"this xpnet reads version {VERSION}: upgrade xpnet")
    if not isinstance(manifest.get("arrays"), list) or "tree" not in manifest:
        raise CheckpointError(f"{where}: {MANIFEST} lacks 'arrays' or 'tree'")
    return manifest


def _no_manifest(where: str) -> str:
    return (f"{where} has no {MANIFEST}: not an xpnet checkpoint (a plain np.savez file?); "
            f"read bare arrays with np.load(path, allow_pickle=False)")


def _read_array(zf: zipfile.ZipFile, i: int, entry: dict[str, Any], where: str) -> np.ndarray:
    name = member(i)
    payload = zf.read(name)  # checks the zip's CRC-32
    if hashlib.sha256(payload).hexdigest() != entry["sha256"]:
        raise CheckpointError(f"{where}: {name} fails its SHA-256 check: the file is corrupted")
    shape, _fortran, dtype = _header(payload)
    if dtype.kind not in _KINDS:
        raise CheckpointError(f"{where}: {name} has dtype {dtype} (object arrays are pickles): "
                              f"refused, nothing was unpickled")
    if dtype.str != entry["dtype"] or list(shape) != entry["shape"]:
        raise CheckpointError(
            f"{where}: {name} is {dtype.str} of shape {tuple(shape)} but the manifest says "
            f"{entry['dtype']} of shape {tuple(entry['shape'])}: the file was altered")
    array = np.lib.format.read_array(io.BytesIO(payload), allow_pickle=False)
    return array if array.flags.writeable else array.copy()  # read from bytes: read-only


def _header(payload: bytes) -> tuple[tuple[int, ...], bool, np.dtype[Any]]:
    """``(shape, fortran_order, dtype)`` from a ``.npy`` header, without reading the data."""
    f = io.BytesIO(payload)
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(f)
    if version == (2, 0):
        return np.lib.format.read_array_header_2_0(f)
    raise ValueError(f"unsupported .npy version {version}")

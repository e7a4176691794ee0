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
truncation), that the archive is unambiguous (no two members of one name, no
duplicate key in the manifest) and holds only stored members whose sizes add up
to no more than the file (a compressed member could inflate a small file to
gigabytes), the zip's CRC of every member, each array's SHA-256, its dtype and
shape against the manifest and its data length against its shape; object
arrays (pickles) are refused without being parsed. So memory stays within a
small multiple of the file's size, whatever the file says. Arrays written in
big-endian order (by a big-endian machine) load in native order.
Serialisation is host-side by definition, so this module uses NumPy's ``.npy``
format directly.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import zipfile
from typing import Any, BinaryIO

import numpy as np  # the .npy format; arrays of every backend reach it via _backend.to_numpy

from .. import _backend
from .files import CheckpointError

FORMAT, VERSION = "xpnet-checkpoint", 1
MANIFEST = "manifest.json"
_KINDS = "biufc"  # bool, int, uint, float, complex: never object, void, strings or dates
# ... and of those, the standard sizes every array library has (no float128 / complex256)
_STANDARD = frozenset(["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                       "float16", "float32", "float64", "complex64", "complex128"])
_DIGEST = 64  # hex characters of a SHA-256
_NPY_HEADER_MAX = 64 * 1024  # .npy headers are under 10 kB (NumPy's own limit when it reads them)


def member(i: int) -> str:
    return f"arrays/{i}.npy"


# -- writing -------------------------------------------------------------------------------
def npy_bytes(array: Any) -> bytes:
    """``array`` (of any backend) as the bytes of a ``.npy`` file, via host NumPy."""
    # np.asarray, not np.ascontiguousarray: the latter turns a 0-d array into shape (1,)
    host = np.asarray(_backend.to_numpy(array), order="C")
    if host.dtype.kind not in _KINDS or host.dtype.name not in _STANDARD:
        raise TypeError(f"cannot save an array of dtype {host.dtype}: only bool, int, float "
                        f"(16, 32, 64 bits) and complex (64, 128) arrays; convert it, e.g. "
                        f"array.astype(np.float64)")
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
            header = _header(io.BytesIO(payload))
            entries.append({"dtype": header[2].str, "shape": list(header[0]),
                            "sha256": hashlib.sha256(payload).hexdigest()})
            zf.writestr(member(i), payload)
        manifest = {"format": FORMAT, "version": VERSION, "tree": tree, "arrays": entries}
        zf.writestr(MANIFEST, json.dumps(manifest, allow_nan=False))
    f.write(seal(buffer.getvalue()))


# -- reading -------------------------------------------------------------------------------
def read_archive(raw: bytes, where: str) -> tuple[Any, list[np.ndarray]]:
    """``(tree, host arrays)`` of a checkpoint's bytes, every check passed; else CheckpointError."""
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
            raise CheckpointError(no_manifest(where))
        raise CheckpointError(
            f"{where} fails its SHA-256 check: the file is truncated or corrupted (or not written "
            f"by xn.save); nothing was loaded")
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
    except Exception:
        raise CheckpointError(f"{where} is not an xpnet checkpoint: not a zip/.npz archive, or "
                              f"truncated ({len(raw)} bytes)") from None
    with zf:
        try:
            check_members(zf, len(raw), where)
            manifest = _manifest(zf, where)
            entries = manifest["arrays"]
            if len(entries) >= len(zf.infolist()):  # one member per array, plus the manifest
                raise CheckpointError(f"{where}: its manifest lists {len(entries)} array(s) but the archive "
                                      f"holds {len(zf.infolist()) - 1} array member(s): the file was altered")
            names = {member(i) for i in range(len(entries))} | {MANIFEST}
            extra = sorted(set(zf.namelist()) - names)
            if extra:
                raise CheckpointError(f"{where} holds members its manifest does not list: {extra[:5]}")
            arrays = [_read_array(zf, i, entry, where) for i, entry in enumerate(entries)]
        except CheckpointError:
            raise
        except Exception as exc:  # whatever a hostile (even well-sealed) file triggers
            raise CheckpointError(f"{where} is damaged: {type(exc).__name__}: {str(exc)[:200]}") from None
    return manifest["tree"], arrays


def check_members(zf: zipfile.ZipFile, size: int, where: str) -> None:
    """Refuse an ambiguous or inflating archive before reading any member.

    Every member must be stored (not compressed, not encrypted), named once, and
    their sizes together must fit in the file's ``size`` bytes: then no read can
    return more than the file holds.
    """
    infos = zf.infolist()
    seen: set[str] = set()
    total = 0
    for info in infos:
        if info.filename in seen:
            raise CheckpointError(f"{where} holds two members named {info.filename!r}: an ambiguous "
                                  f"archive (which one is meant?), refused; xn.save writes each once")
        seen.add(info.filename)
        if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:
            raise CheckpointError(
                f"{where}: member {info.filename!r} is compressed or encrypted (zip method "
                f"{info.compress_type}); xn.save stores members uncompressed, and a compressed member "
                f"could inflate far beyond the file's size: refused")
        if info.file_size != info.compress_size or info.header_offset + info.compress_size > size:
            raise CheckpointError(f"{where}: member {info.filename!r} declares {info.file_size} bytes, "
                                  f"more than the file holds: refused")
        total += info.file_size
    if total > size:
        raise CheckpointError(f"{where}: its members declare {total} bytes in all, more than the file's "
                              f"{size} (overlapping members): refused")


def strict_json(data: bytes, where: str, what: str) -> Any:
    """Parse JSON, refusing duplicate keys (which one would be meant?) and NaN/Infinity literals."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(items)
        if len(out) != len(items):
            keys = [k for k, _ in items]
            twice = sorted({k for k in keys if keys.count(k) > 1})
            raise CheckpointError(f"{where}: {what} holds the key(s) {twice[:5]} twice: an ambiguous "
                                  f"file (which value is meant?), refused")
        return out

    def constant(name: str) -> Any:
        raise CheckpointError(f"{where}: {what} holds {name}, which is not JSON")

    return json.loads(data.decode("utf-8"), object_pairs_hook=pairs, parse_constant=constant)


def _manifest(zf: zipfile.ZipFile, where: str) -> dict[str, Any]:
    if MANIFEST not in zf.namelist():
        raise CheckpointError(no_manifest(where))
    manifest = strict_json(zf.read(MANIFEST), where, MANIFEST)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CheckpointError(f"{where}: {MANIFEST} is not an xpnet checkpoint manifest")
    if manifest.get("version") != VERSION:
        raise CheckpointError(f"{where} is checkpoint format version {manifest.get('version')!r}; "
                              f"this xpnet reads version {VERSION}: upgrade xpnet")
    if not isinstance(manifest.get("arrays"), list) or "tree" not in manifest:
        raise CheckpointError(f"{where}: {MANIFEST} lacks 'arrays' or 'tree'")
    return manifest


def no_manifest(where: str) -> str:
    return (f"{where} has no {MANIFEST}: not an xpnet checkpoint (a plain np.savez file?); "
            f"read bare arrays with np.load(path, allow_pickle=False)")


def _declared(entry: Any, name: str, where: str) -> tuple[np.dtype[Any], tuple[int, ...]]:
    """The dtype and shape the manifest declares for an array, checked to be plain data."""
    if not (isinstance(entry, dict) and isinstance(entry.get("dtype"), str)
            and isinstance(entry.get("shape"), list) and isinstance(entry.get("sha256"), str)
            and all(type(n) is int and n >= 0 for n in entry["shape"])):
        raise CheckpointError(f"{where}: the manifest's entry for {name} is not a dtype, shape and "
                              f"sha256: {str(entry)[:80]}")
    dtype = np.dtype(entry["dtype"])
    if (dtype.kind not in _KINDS or dtype.fields is not None or dtype.subdtype is not None
            or dtype.name not in _STANDARD):
        raise CheckpointError(f"{where}: {name} is declared as dtype {dtype} (object arrays are "
                              f"pickles; xn.save writes bool, int, float and complex of the standard "
                              f"sizes): refused, nothing was unpickled")
    return dtype, tuple(entry["shape"])


def _read_array(zf: zipfile.ZipFile, i: int, entry: Any, where: str) -> np.ndarray:
    name = member(i)
    dtype, shape = _declared(entry, name, where)
    nbytes = math.prod(shape) * dtype.itemsize
    stored = zf.getinfo(name).file_size
    if not nbytes <= stored <= nbytes + _NPY_HEADER_MAX:
        raise CheckpointError(f"{where}: {name} holds {stored} bytes but the manifest declares "
                              f"{dtype.str} of shape {shape} ({nbytes} bytes of data): the file was altered")
    payload = zf.read(name)  # checks the zip's CRC-32
    if hashlib.sha256(payload).hexdigest() != entry["sha256"]:
        raise CheckpointError(f"{where}: {name} fails its SHA-256 check: the file is corrupted")
    header = io.BytesIO(payload)
    found_shape, fortran, found = _header(header)
    if found.kind not in _KINDS:
        raise CheckpointError(f"{where}: {name} has dtype {found} (object arrays are pickles): "
                              f"refused, nothing was unpickled")
    if found.str != dtype.str or tuple(found_shape) != shape:
        raise CheckpointError(
            f"{where}: {name} is {found.str} of shape {tuple(found_shape)} but the manifest says "
            f"{entry['dtype']} of shape {shape}: the file was altered")
    offset = header.tell()
    if len(payload) - offset != nbytes:
        raise CheckpointError(f"{where}: {name} holds {len(payload) - offset} bytes of data; its shape "
                              f"{shape} and dtype {dtype.str} need {nbytes}: the file was altered")
    flat = np.frombuffer(payload, dtype=dtype, count=math.prod(shape), offset=offset)
    view = flat.reshape(shape, order="F" if fortran else "C")
    # one copy: writeable (a buffer of bytes is read-only), C order, native byte order
    # (a big-endian machine's '>f4' becomes '<f4' here: torch and array-api-strict take only native)
    return np.array(view, dtype=dtype.newbyteorder("="), order="C")


def _header(f: io.BytesIO) -> tuple[tuple[int, ...], bool, np.dtype[Any]]:
    """``(shape, fortran_order, dtype)`` from a ``.npy`` header, without reading the data."""
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(f)
    if version == (2, 0):
        return np.lib.format.read_array_header_2_0(f)
    raise ValueError(f"unsupported .npy version {version}")

"""Hostile bytes fed to xn.load: nothing but CheckpointError comes out, and memory stays bounded.

Random bytes, every truncation of valid files, and random edits inside well-sealed
archives (flipped bytes, renamed or doubled members, compressed members, altered
declared shapes and dtypes, lying .npy headers, altered safetensors headers). The
edits are re-sealed (the archive's SHA-256 recomputed, and the manifest's checksums
too where the strategy says so), so that they reach the checks past the seal.
Every load runs under tracemalloc: its peak must stay under a small bound.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tracemalloc
import warnings
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import xpnet as xn
from xpnet.checkpoint import archive

MiB = 1 << 20
# XPNET_FUZZ_EXAMPLES=5000 for a deeper search than the suite's quick one
FUZZ = settings(max_examples=int(os.environ.get("XPNET_FUZZ_EXAMPLES", "60")), deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _valid_xpnet() -> bytes:
    buffer = io.BytesIO()
    xn.save({"model": {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.ones(2)},
             "step": 3, "betas": (0.9, 0.999), "flags": np.array([True, False])}, buffer)
    return buffer.getvalue()


def _valid_safetensors() -> bytes:
    from safetensors.numpy import save

    return bytes(save({"w": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.ones(2, dtype=np.int64)}))


VALID = _valid_xpnet()


def _load(data: bytes) -> str:
    """Load ``data``; 'loaded' or 'refused' (any other exception fails the test), memory bounded."""
    tracemalloc.start()
    try:
        try:
            xn.load(io.BytesIO(data))
            outcome = "loaded"
        except xn.CheckpointError:
            outcome = "refused"
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    bound = 8 * MiB + 8 * len(data)
    assert peak < bound, f"peak {peak / MiB:.1f} MiB loading {len(data)} bytes"
    return outcome


def _members(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(info.filename, zf.read(info)) for info in zf.infolist()]


def _seal(members, compressed=frozenset()) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w") as zf:
        warnings.simplefilter("ignore")  # duplicate names are one of the edits
        zf.comment = b"0" * 64
        for name, data in members:
            zf.writestr(name, data, zipfile.ZIP_DEFLATED if name in compressed else zipfile.ZIP_STORED)
    return archive.seal(buffer.getvalue())


def _with_checksums(members):
    """The manifest's sha256 entries recomputed from the (edited) members, where it still parses."""
    table = dict(members)
    try:
        manifest = json.loads(table["manifest.json"])
        for i, entry in enumerate(manifest["arrays"]):
            entry["sha256"] = hashlib.sha256(table[f"arrays/{i}.npy"]).hexdigest()
    except Exception:
        return members
    text = json.dumps(manifest).encode()
    return [(n, text if n == "manifest.json" else d) for n, d in members]


# -- random bytes -----------------------------------------------------------------------------------
_PREFIXES = st.sampled_from([b"", b"PK\x03\x04", b"PK\x05\x06", b"\x80\x02", b"\x93NUMPY",
                             (40).to_bytes(8, "little") + b"{", (2**63).to_bytes(8, "little") + b"{"])


@FUZZ
@given(prefix=_PREFIXES, body=st.binary(max_size=4096))
def test_random_bytes_are_refused(prefix, body):
    assert _load(prefix + body) == "refused"


def test_every_truncation_of_a_valid_file_is_refused():
    for data in (VALID, _valid_safetensors()):
        assert _load(data) == "loaded"
        for end in range(len(data)):
            assert _load(data[:end]) == "refused", end


@FUZZ
@given(data=st.data())
def test_a_flipped_byte_anywhere_is_refused(data):
    raw = bytearray(VALID)
    offset = data.draw(st.integers(0, len(raw) - 1))
    raw[offset] ^= data.draw(st.integers(1, 255))
    assert _load(bytes(raw)) == "refused"


# -- edits inside sealed archives -------------------------------------------------------------------
_NAMES = st.sampled_from(["manifest.json", "arrays/0.npy", "arrays/1.npy", "arrays/2.npy"])


@FUZZ
@given(data=st.data(), fix_checksums=st.booleans())
def test_edited_members_of_a_sealed_archive_fail_cleanly(data, fix_checksums):
    members = _members(VALID)
    compressed: set[str] = set()
    for _ in range(data.draw(st.integers(1, 3))):
        kind = data.draw(st.sampled_from(["flip", "truncate", "rename", "duplicate", "drop", "compress",
                                          "append"]))
        i = data.draw(st.integers(0, len(members) - 1))
        name, body = members[i]
        if kind == "flip" and body:
            edited = bytearray(body)
            edited[data.draw(st.integers(0, len(body) - 1))] ^= data.draw(st.integers(1, 255))
            members[i] = (name, bytes(edited))
        elif kind == "truncate":
            members[i] = (name, body[: data.draw(st.integers(0, len(body)))])
        elif kind == "rename":
            # any name zipfile can write (it cuts a name at NUL, cannot write an empty one, and
            # encodes names as UTF-8, which has no lone surrogates)
            other = st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)),
                            min_size=1, max_size=12)
            members[i] = (data.draw(_NAMES | other), body)
        elif kind == "duplicate":
            members.append((name, data.draw(st.sampled_from([body, body[::-1], b""]))))
        elif kind == "drop" and len(members) > 1:
            del members[i]
        elif kind == "compress":
            compressed.add(name)
        elif kind == "append":
            members.append((data.draw(_NAMES), data.draw(st.binary(max_size=64))))
    if fix_checksums:
        members = _with_checksums(members)
    assert _load(_seal(members, frozenset(compressed))) in ("loaded", "refused")


_JSON = st.recursive(st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False)
                     | st.text(max_size=8),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                                  max_size=4),
                     max_leaves=12)
_DTYPES = st.sampled_from(["<f4", ">f4", "<f8", ">f8", "|b1", "<i8", ">i2", "|u1", "<c8", "<f2", "|O", "<U4",
                           "|V8", "<M8[s]", "<m8[s]", "|S3", "x", "", "<f4,<f4", "(2,)<f4", "<f16"])
_SHAPES = st.lists(st.integers(-2, 2**40), max_size=4) | st.lists(st.integers(0, 4), max_size=3) | _JSON


@FUZZ
@given(data=st.data())
def test_an_altered_manifest_fails_cleanly(data):
    members = dict(_members(VALID))
    manifest = json.loads(members["manifest.json"])
    for _ in range(data.draw(st.integers(1, 3))):
        field = data.draw(st.sampled_from(["dtype", "shape", "sha256", "entry", "tree", "arrays", "top"]))
        entries = manifest.get("arrays")
        if field in ("dtype", "shape", "sha256", "entry"):
            if not (isinstance(entries, list) and entries and all(isinstance(e, dict) for e in entries)):
                continue  # an earlier edit replaced the list: nothing to edit inside it
            i = data.draw(st.integers(0, len(entries) - 1))
            if field == "entry":
                entries[i] = data.draw(_JSON)
            else:
                strategy = {"dtype": _DTYPES | _JSON, "shape": _SHAPES, "sha256": _JSON}[field]
                entries[i][field] = data.draw(strategy)
        elif field == "tree":
            manifest["tree"] = data.draw(_JSON | st.fixed_dictionaries({"array": _JSON}))
        elif field == "arrays":
            manifest["arrays"] = data.draw(_JSON)
        else:
            manifest[data.draw(st.sampled_from(["format", "version", "tree", "arrays"]))] = data.draw(_JSON)
    members["manifest.json"] = json.dumps(manifest).encode()
    assert _load(_seal(members.items())) in ("loaded", "refused")


def _npy_header(descr: str, fortran: bool, shape: object) -> bytes:
    text = f"{{'descr': {descr!r}, 'fortran_order': {fortran}, 'shape': {shape!r}, }}"
    text += " " * (-(len(text) + 11) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text.encode("latin-1")


@FUZZ
@given(descr=_DTYPES, fortran=st.booleans(),
       shape=st.lists(st.integers(0, 2**33), max_size=3).map(tuple) | st.tuples(st.integers(-3, 3)),
       body=st.binary(max_size=256), agree=st.booleans())
def test_a_lying_npy_header_with_agreeing_manifest_and_checksum_fails_cleanly(descr, fortran, shape, body,
                                                                               agree):
    """A .npy header with any dtype and shape over any data; the manifest agrees or not; checksums hold."""
    payload = _npy_header(descr, fortran, shape) + body
    declared = {"dtype": descr, "shape": list(shape)} if agree else {"dtype": "<f4", "shape": [2, 3]}
    entry = {**declared, "sha256": hashlib.sha256(payload).hexdigest()}
    manifest = {"format": "xpnet-checkpoint", "version": 1, "tree": {"tensor": 0}, "arrays": [entry]}
    assert _load(_seal([("arrays/0.npy", payload), ("manifest.json", json.dumps(manifest))])) in (
        "loaded", "refused")


@pytest.mark.parametrize("descr, tag", [("<f16", "tensor"), ("<c32", "array"), ("<c8", "tensor")])
def test_a_dtype_no_tensor_holds_is_refused_as_a_checkpoint_error(descr, tag):
    """Found by the property above: a float128 array (or a complex one under a "tensor" leaf) in a
    checkpoint whose checksums agree came out as a TypeError from Tensor(...), not CheckpointError."""
    payload = _npy_header(descr, False, (0,))
    entry = {"dtype": descr, "shape": [0], "sha256": hashlib.sha256(payload).hexdigest()}
    manifest = {"format": "xpnet-checkpoint", "version": 1, "tree": {tag: 0}, "arrays": [entry]}
    assert _load(_seal([("arrays/0.npy", payload), ("manifest.json", json.dumps(manifest))])) == "refused"


def test_saving_a_long_double_array_is_refused(tmp_path):
    with pytest.raises(TypeError, match=r"cannot save an array of dtype float128.*astype"):
        xn.save({"x": np.zeros(2, np.longdouble)}, tmp_path / "x.npz")
    assert not (tmp_path / "x.npz").exists()


# -- safetensors -----------------------------------------------------------------------------------
_ST_DTYPES = st.sampled_from(["F32", "F64", "I64", "BOOL", "U8", "BF16", "F8_E4M3", "F16", "C64", "X", ""])


@FUZZ
@given(data=st.data())
def test_an_altered_safetensors_file_fails_cleanly(data):
    pytest.importorskip("safetensors")
    raw = _valid_safetensors()
    size = int.from_bytes(raw[:8], "little")
    header, body = json.loads(raw[8:8 + size]), raw[8 + size:]
    for _ in range(data.draw(st.integers(1, 3))):
        key = data.draw(st.sampled_from(sorted(header)))
        field = data.draw(st.sampled_from(["dtype", "shape", "data_offsets", "entry", "body", "key"]))
        if field in ("dtype", "shape", "data_offsets") and isinstance(header[key], dict):
            header[key][field] = data.draw(_ST_DTYPES | _JSON if field == "dtype" else _SHAPES)
        elif field == "entry":
            header[key] = data.draw(_JSON)
        elif field == "key":
            header[data.draw(st.text(max_size=6))] = header.pop(key)
        elif field == "body":
            body = data.draw(st.binary(max_size=128) | st.just(body[: len(body) // 2]))
    text = json.dumps(header).encode()
    lie = data.draw(st.sampled_from([0, 0, 1, -1, 2**40]))
    assert _load((len(text) + lie).to_bytes(8, "little", signed=False) + text + body) in ("loaded", "refused")

"""xn.save / xn.load: every backend round-trips, writes are atomic, damaged files fail cleanly."""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import xpnet as xn
from xpnet import nn, optim
from xpnet.checkpoint import archive


def _assert_next_step_matches(xp, x, original, reloaded):
    """One more training step of the original and of the reloaded model+optimizer agrees."""
    for m, o in (original, reloaded):
        o.zero_grad()
        (m(x) ** 2).mean().backward()
        o.step()
    for a, b in zip(original[0].parameters(), reloaded[0].parameters()):
        np.testing.assert_allclose(xp.numpy(a), xp.numpy(b), rtol=1e-6)


def _model(xp):
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).to(xp.device)


def _trained(xp):
    model = _model(xp)
    opt = optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.99))
    x = xp.array(np.random.default_rng(0).normal(size=(5, 3)))
    loss = (model(x) ** 2).mean()
    loss.backward()
    opt.step()
    return model, opt, x


def test_model_and_optimizer_round_trip_on_every_backend(xp, tmp_path):
    model, opt, x = _trained(xp)
    path = tmp_path / "ckpt.npz"
    xn.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}, path)
    state = xn.load(path, device=xp.device)
    assert state["epoch"] == 3 and state["optimizer"]["param_groups"][0]["betas"] == (0.8, 0.99)
    assert list(state["optimizer"]["state"]) == [0, 1, 2, 3]  # int keys stay ints
    for key, value in state["model"].items():
        assert xp.same_place(value)
        np.testing.assert_array_equal(xp.numpy(value), xp.numpy(model.state_dict()[key]))
    twin = _model(xp)
    twin_opt = optim.Adam(twin.parameters(), lr=0.5)
    twin.load_state_dict(state["model"])
    twin_opt.load_state_dict(state["optimizer"])
    _assert_next_step_matches(xp, x, (model, opt), (twin, twin_opt))


def test_a_checkpoint_from_any_backend_loads_on_numpy_and_back(xp, tmp_path):
    model, _, _ = _trained(xp)
    xn.save(model.state_dict(), tmp_path / "m.npz")
    host = xn.load(tmp_path / "m.npz")  # default: NumPy cpu
    assert all(isinstance(v, np.ndarray) and v.flags.writeable for v in host.values())
    on_numpy = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    on_numpy.load_state_dict(host)
    xn.save(on_numpy.state_dict(), tmp_path / "n.npz")
    back = xn.load(tmp_path / "n.npz", device=xp.device)
    for key, value in model.state_dict().items():
        assert xp.same_place(back[key])
        np.testing.assert_array_equal(xp.numpy(back[key]), xp.numpy(value))


class _Scaled(nn.Module):
    """A model with a 0-d Parameter (a temperature), as in temperature scaling."""

    def __init__(self):
        super().__init__()
        self.temp = nn.Parameter(xn.tensor(1.0))
        self.fc = nn.Linear(2, 2)

    def forward(self, x):
        return self.fc(x) / self.temp


def test_a_0d_array_keeps_its_shape_and_dtype(xp, tmp_path):
    xn.save({"a": xp.array(2.5, dtype="float64"), "i": xp.array(3, dtype="int32"),
             "t": xn.Tensor(xp.array(1.5))}, tmp_path / "s.npz")
    got = xn.load(tmp_path / "s.npz", device=xp.device)
    assert tuple(got["a"].shape) == () and xp.numpy(got["a"]).dtype == np.float64
    assert tuple(got["i"].shape) == () and xp.numpy(got["i"]).dtype == np.int32
    assert got["t"].shape == () and got["t"].item() == 1.5 and xp.same_place(got["t"])
    assert xp.numpy(got["a"]) == 2.5 and xp.numpy(got["i"]) == 3


def test_a_model_with_a_scalar_parameter_and_its_adam_state_reload(xp, tmp_path):
    x = xp.array(np.random.default_rng(0).normal(size=(4, 2)))
    model = _Scaled().to(xp.device)
    opt = optim.Adam(model.parameters(), lr=0.1)
    (model(x) ** 2).mean().backward()
    opt.step()
    xn.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, tmp_path / "c.npz")
    state = xn.load(tmp_path / "c.npz", device=xp.device)
    twin = _Scaled().to(xp.device)
    twin_opt = optim.Adam(twin.parameters(), lr=0.1)
    twin.load_state_dict(state["model"])
    twin_opt.load_state_dict(state["optimizer"])
    assert twin.temp.shape == () and twin_opt.state[twin.temp]["exp_avg"].shape == ()
    _assert_next_step_matches(xp, x, (model, opt), (twin, twin_opt))


def test_plain_data_and_tensors_round_trip(tmp_path):
    obj = {"name": "run", "ratio": 0.5, "nan": math.nan, "inf": -math.inf, "none": None, "flag": True,
           "nested": [1, (2, "x"), {"deep": np.arange(3, dtype=np.int32)}], 7: "int key",
           "scalar": np.float32(1.5), "t": xn.tensor([1.0, 2.0]), "b": np.array([True, False])}
    xn.save(obj, tmp_path / "d.npz")
    got = xn.load(tmp_path / "d.npz")
    assert got["name"] == "run" and got["ratio"] == 0.5 and math.isnan(got["nan"])
    assert got["inf"] == -math.inf and got["none"] is None and got["flag"] is True and got[7] == "int key"
    assert got["nested"][1] == (2, "x") and got["nested"][2]["deep"].dtype == np.int32
    assert got["scalar"] == 1.5 and isinstance(got["t"], xn.Tensor) and got["t"].tolist() == [1.0, 2.0]
    assert got["b"].dtype == np.bool_
    assert set(np.load(tmp_path / "d.npz", allow_pickle=False).files) >= {"arrays/0"}  # a plain .npz


def test_objects_that_are_not_data_are_refused_with_their_place(tmp_path):
    with pytest.raises(TypeError, match=r"obj\['opt'\]\[0\]: a function"):
        xn.save({"opt": [lambda: 0]}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="dtype object"):
        xn.save({"o": np.array([object()])}, tmp_path / "x.npz")
    assert not (tmp_path / "x.npz").exists() and os.listdir(tmp_path) == []


def test_loading_into_a_model_with_other_keys_names_them(tmp_path):
    xn.save(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).state_dict(), tmp_path / "m.npz")
    other = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))  # its second Linear is "1", not "2"
    with pytest.raises(RuntimeError, match=r"(?s)Missing key\(s\) in state_dict: \"1.weight\", \"1.bias\".*"
                                           r"Unexpected key\(s\) in state_dict: \"2.weight\", \"2.bias\""):
        other.load_state_dict(xn.load(tmp_path / "m.npz"))
    wider = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2))
    with pytest.raises(RuntimeError, match=r"size mismatch for 0.weight"):
        wider.load_state_dict(xn.load(tmp_path / "m.npz"))


# -- atomic writes ------------------------------------------------------------------------------
def test_a_save_that_fails_midway_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    xn.save({"w": np.zeros(3), "v": np.zeros(2)}, path)
    before = path.read_bytes()
    real, calls = archive.npy_bytes, []

    def failing(array):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full (simulated)")
        return real(array)

    monkeypatch.setattr(archive, "npy_bytes", failing)
    with pytest.raises(OSError, match="simulated"):
        xn.save({"w": np.ones(3), "v": np.ones(2)}, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["ckpt.npz"]  # no temp file left
    np.testing.assert_array_equal(xn.load(path)["w"], np.zeros(3))


def test_a_process_killed_while_saving_leaves_the_old_file(tmp_path):
    path = tmp_path / "ckpt.npz"
    xn.save({"w": np.zeros(1000)}, path)
    script = f"""
import os, numpy as np, xpnet as xn
import xpnet.checkpoint as checkpoint
def dying(f, tree, arrays):
    f.write(b"PK half a checkpoint")
    f.flush()
    os._exit(9)  # killed mid-write: no cleanup runs
checkpoint.write_archive = dying
xn.save({{"w": np.ones(1000)}}, {str(path)!r})
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60, check=False)
    assert done.returncode == 9, done.stderr
    np.testing.assert_array_equal(xn.load(path)["w"], np.zeros(1000))


def test_saving_into_a_missing_folder_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        xn.save({"w": np.zeros(1)}, tmp_path / "no" / "ckpt.npz")


# -- damaged and hostile files ----------------------------------------------------------------------
@pytest.fixture
def good(tmp_path):
    path = tmp_path / "good.npz"
    xn.save({"model": {"w": np.arange(12, dtype=np.float32).reshape(3, 4), "b": np.ones(4)}, "step": 5}, path)
    return path


def _members(path):
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _write(path, members, seal=True):
    """A well-formed archive (sealed like xn.save's, so that only the altered part is wrong)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.comment = b"0" * 64
        for name, data in members.items():
            zf.writestr(name, data)
    path.write_bytes(archive.seal(buffer.getvalue()) if seal else buffer.getvalue())
    return path


def _npy(array):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def _edit_manifest(path, edit):
    members = _members(path)
    manifest = json.loads(members["manifest.json"])
    edit(manifest)
    members["manifest.json"] = json.dumps(manifest).encode()
    return _write(path, members)


@pytest.mark.parametrize("keep", [0.0, 0.1, 0.5, 0.9, 0.99])
def test_a_truncated_file_fails_cleanly(good, keep):
    data = good.read_bytes()
    good.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(xn.CheckpointError):
        xn.load(good)


def test_any_flipped_byte_fails_cleanly(good):
    data = good.read_bytes()
    for offset in [*range(0, len(data), max(1, len(data) // 60)), len(data) - 1]:
        damaged = bytearray(data)
        damaged[offset] ^= 0x55
        good.write_bytes(bytes(damaged))
        with pytest.raises(xn.CheckpointError):
            xn.load(good)


def test_a_payload_that_fails_its_manifest_checksum(good):
    members = _members(good)
    payload = bytearray(members["arrays/0.npy"])
    payload[-1] ^= 1
    members["arrays/0.npy"] = bytes(payload)
    with pytest.raises(xn.CheckpointError, match="SHA-256"):
        xn.load(_write(good, members))


def test_a_wrong_dtype_against_the_manifest(good):
    def edit(m):
        m["arrays"][0]["dtype"] = "<f8"

    with pytest.raises(xn.CheckpointError, match=r"<f4 of shape .* manifest says <f8"):
        xn.load(_edit_manifest(good, edit))
    members = _members(good)  # or the array swapped for one of another dtype, checksum updated
    members["arrays/0.npy"] = _npy(np.arange(12, dtype=np.int64).reshape(3, 4))

    def fix_sha(m):
        m["arrays"][0]["sha256"] = hashlib.sha256(members["arrays/0.npy"]).hexdigest()

    _write(good, members)
    with pytest.raises(xn.CheckpointError, match="<i8"):
        xn.load(_edit_manifest(good, fix_sha))


def test_a_wrong_shape_against_the_manifest(good):
    def edit(m):
        m["arrays"][0]["shape"] = [4, 3]

    with pytest.raises(xn.CheckpointError,
                       match=r"shape \(3, 4\) but the manifest says <f4 of shape \(4, 3\)"):
        xn.load(_edit_manifest(good, edit))


def test_a_0d_array_against_a_manifest_shape_of_1(tmp_path):
    path = tmp_path / "s.npz"
    xn.save({"temp": np.float32(2.0) * np.ones((), np.float32)}, path)  # a 0-d array

    def edit(m):
        m["arrays"][0]["shape"] = [1]

    with pytest.raises(xn.CheckpointError, match=r"shape \(\) but the manifest says <f4 of shape \(1,\)"):
        xn.load(_edit_manifest(path, edit))


def test_a_missing_manifest(good, tmp_path):
    members = _members(good)
    del members["manifest.json"]
    with pytest.raises(xn.CheckpointError, match=r"no manifest\.json"):
        xn.load(_write(good, members))
    np.savez(tmp_path / "plain.npz", w=np.ones(3))
    with pytest.raises(xn.CheckpointError, match=r"no manifest\.json.*np\.load"):
        xn.load(tmp_path / "plain.npz")


def test_a_manifest_that_is_not_ours_or_refers_to_nothing(good):
    original = good.read_bytes()

    def _edit_manifest(path, edit):  # each case edits the original file
        path.write_bytes(original)
        return globals()["_edit_manifest"](path, edit)

    with pytest.raises(xn.CheckpointError, match="not an xpnet checkpoint manifest"):
        xn.load(_edit_manifest(good, lambda m: m.update(format="other")))
    with pytest.raises(xn.CheckpointError, match="version 99"):
        xn.load(_edit_manifest(good, lambda m: m.update(version=99)))
    with pytest.raises(xn.CheckpointError, match="refers to array 7"):
        xn.load(_edit_manifest(good, lambda m: m.update(tree={"array": 7})))
    with pytest.raises(xn.CheckpointError, match="entry xpnet does not write"):
        xn.load(_edit_manifest(good, lambda m: m.update(tree={"object": "os.system"})))
    good.write_bytes(original)  # nested past any recursion limit
    members = _members(good)
    deep = '{"list": [' * 100_000 + "0" + "]}" * 100_000
    tree = f'"tree": {deep}, "x": '.encode()
    members["manifest.json"] = members["manifest.json"].replace(b'"tree": ', tree)
    with pytest.raises(xn.CheckpointError):
        xn.load(_write(good, members))


class _Exploit:
    """Unpickling this writes a marker file: proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f"__import__('pathlib').Path({self.marker!r}).write_text('pwned')",)


def _pickle_payloads(marker):
    exploit = pickle.dumps(_Exploit(marker))
    objects = np.empty(1, dtype=object)
    objects[0] = _Exploit(marker)
    return exploit, _npy(objects)


def test_the_exploit_really_runs_when_unpickled(tmp_path):
    """The control: the payloads below are live (so the next test proves something)."""
    marker = tmp_path / "marker"
    exploit, _ = _pickle_payloads(marker)
    pickle.loads(exploit)
    assert marker.read_text() == "pwned"


@pytest.mark.parametrize("form", ["pickle file", "object array in an npz", "object array, sealed and listed"])
def test_pickle_payloads_are_refused_and_never_run(good, tmp_path, form):
    marker = tmp_path / "marker"
    exploit, object_npy = _pickle_payloads(marker)
    if form == "pickle file":
        good.write_bytes(exploit)
        match = "pickle"
    elif form == "object array in an npz":
        _write(good, {"arrays/0.npy": object_npy}, seal=False)
        match = "CheckpointError|SHA-256|manifest"
    else:
        members = _members(good)
        members["arrays/0.npy"] = object_npy
        manifest = json.loads(members["manifest.json"])
        manifest["arrays"][0].update(dtype="|O", shape=[1], sha256=hashlib.sha256(object_npy).hexdigest())
        members["manifest.json"] = json.dumps(manifest).encode()
        _write(good, members)
        match = "object arrays are pickles"
    with pytest.raises(xn.CheckpointError, match=match if form != "object array in an npz" else None):
        xn.load(good)
    assert not marker.exists()


def test_a_missing_file_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        xn.load(tmp_path / "nope.npz")


def test_checkpoint_error_is_a_value_error():
    assert issubclass(xn.CheckpointError, ValueError)


def test_the_file_is_a_plain_zip_of_npy_files_and_a_manifest(good):
    assert sorted(_members(good)) == ["arrays/0.npy", "arrays/1.npy", "manifest.json"]
    assert Path(good).read_bytes()[-64:] == hashlib.sha256(Path(good).read_bytes()[:-64]).hexdigest().encode()

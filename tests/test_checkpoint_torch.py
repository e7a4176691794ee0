"""Weights that cross torch and xpnet: safetensors both ways, torch pickles refused, torch.load arguments."""

from __future__ import annotations

import io
import sys
import zipfile

import numpy as np
import pytest

import xpnet as xn
from xpnet import nn

safetensors_torch = pytest.importorskip("safetensors.torch")


def _xpnet_mlp(xp):
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).to(xp.device)


def _torch_mlp(torch):
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))


def _inputs():
    return np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)


def test_a_torch_safetensors_file_loads_into_an_xpnet_model(xp, torch, tmp_path):
    """torch: save_file(model.state_dict(), ...); xpnet: model.load_state_dict(xn.load(...))."""
    reference = _torch_mlp(torch)
    path = tmp_path / "m.safetensors"
    safetensors_torch.save_file(reference.state_dict(), str(path))
    state = xn.load(path, map_location=xp.device)
    assert sorted(state) == sorted(reference.state_dict())
    assert all(xp.same_place(v) for v in state.values())
    model = _xpnet_mlp(xp)
    model.load_state_dict(state)
    x = _inputs()
    with torch.no_grad():
        expected = reference(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(xp.numpy(model(xp.tensor(x))), expected, rtol=1e-5, atol=1e-6)


def test_an_xpnet_safetensors_file_loads_into_a_torch_model(xp, torch, tmp_path):
    """xpnet: xn.save(model.state_dict(), "m.safetensors"); torch: model.load_state_dict(load_file(...))."""
    model = _xpnet_mlp(xp)
    path = tmp_path / "m.safetensors"
    xn.save(model.state_dict(), path)
    state = safetensors_torch.load_file(str(path))
    for key, value in model.state_dict().items():
        assert state[key].dtype == torch.float32
        np.testing.assert_array_equal(state[key].numpy(), xp.numpy(value))
    reference = _torch_mlp(torch)
    reference.load_state_dict(state)  # strict: the same names and shapes as torch's
    x = _inputs()
    with torch.no_grad():
        expected = reference(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(xp.numpy(model(xp.tensor(x))), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", ["float16", "float64", "int64", "int8", "uint8", "bool"])
def test_safetensors_dtypes_and_shapes_match_torch(torch, tmp_path, dtype):
    values = {"v": (np.arange(6).reshape(2, 3) % 2).astype(dtype), "s": np.array(3, dtype=dtype)}
    xn.save(values, tmp_path / "x.safetensors")
    from_torch = safetensors_torch.load_file(str(tmp_path / "x.safetensors"))
    back = xn.load(tmp_path / "x.safetensors")
    for key, value in values.items():
        assert from_torch[key].dtype == torch.from_numpy(value).dtype
        assert tuple(from_torch[key].shape) == value.shape == back[key].shape
        np.testing.assert_array_equal(from_torch[key].numpy(), value)
        assert back[key].dtype == value.dtype and back[key].flags.writeable
        np.testing.assert_array_equal(back[key], value)


def test_a_bfloat16_safetensors_file_says_how_to_convert(torch, tmp_path):
    safetensors_torch.save_file({"w": torch.ones(2, dtype=torch.bfloat16)}, str(tmp_path / "b.safetensors"))
    with pytest.raises(xn.CheckpointError, match=r"bfloat16.*v\.float\(\)"):
        xn.load(tmp_path / "b.safetensors")


def test_a_safetensors_file_holds_only_a_flat_dict_of_arrays(tmp_path):
    with pytest.raises(TypeError, match=r"'lr' holds a float.*xpnet's own format"):
        xn.save({"w": np.zeros(2), "lr": 0.1}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="got a list"):
        xn.save([np.zeros(2)], tmp_path / "x.safetensors")
    assert list(tmp_path.iterdir()) == []


def test_a_safetensors_file_is_told_by_its_bytes_whatever_its_name(torch, tmp_path):
    path = tmp_path / "weights.bin"
    path.write_bytes(safetensors_torch.save({"w": torch.arange(3.0)}))
    np.testing.assert_array_equal(xn.load(path)["w"], [0.0, 1.0, 2.0])
    buffer = io.BytesIO(path.read_bytes())
    np.testing.assert_array_equal(xn.load(buffer)["w"], [0.0, 1.0, 2.0])


def test_a_duplicate_key_in_a_safetensors_header_is_refused(torch, tmp_path):
    data = safetensors_torch.save({"a": torch.zeros(2), "b": torch.ones(2)})
    size = int.from_bytes(data[:8], "little")
    header = data[8:8 + size].replace(b'"b":', b'"a":')
    (tmp_path / "d.safetensors").write_bytes(data[:8] + header + data[8 + size:])
    with pytest.raises(xn.CheckpointError, match=r"holds the key\(s\) \['a'\] twice"):
        xn.load(tmp_path / "d.safetensors")


def test_without_the_safetensors_package_the_message_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "safetensors", None)  # import safetensors now raises ImportError
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    with pytest.raises(ImportError, match=r'pip install "xpnet\[safetensors\]"'):
        xn.save({"w": np.zeros(2)}, tmp_path / "m.safetensors")
    xn.save({"w": np.zeros(2)}, tmp_path / "m.pth")  # xpnet's own format needs nothing more
    assert xn.load(tmp_path / "m.pth")["w"].shape == (2,)


# -- torch pickles -----------------------------------------------------------------------------------
class _Exploit:
    """Unpickling this writes a marker file: proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f"__import__('pathlib').Path({self.marker!r}).write_text('pwned')",)


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy pickle"])
@pytest.mark.parametrize("name", ["model.pt", "model.pth", "model.npz"])
def test_a_torch_save_file_is_refused_with_the_safetensors_route(torch, tmp_path, legacy, name):
    marker = tmp_path / "marker"
    path = tmp_path / name
    payload = {"state": _torch_mlp(torch).state_dict(), "hook": _Exploit(marker)}
    torch.save(payload, path, _use_new_zipfile_serialization=not legacy)
    for weights_only in (None, True, False):
        with pytest.raises(xn.CheckpointError, match=r"safetensors\.torch import save_file; "
                                                     r"save_file\(model\.state_dict\(\)") as caught:
            xn.load(path, weights_only=weights_only)
        assert "never unpickles" in str(caught.value) and str(path) in str(caught.value)
    assert not marker.exists()
    torch.load(path, weights_only=False)  # the control: the payload is live
    assert marker.read_text() == "pwned"


# -- torch.load's and torch.save's arguments -------------------------------------------------------------
def test_save_writes_xpnets_format_under_any_name_and_load_takes_torchs_arguments(xp, tmp_path):
    model = _xpnet_mlp(xp)
    path = tmp_path / "model.pth"
    xn.save({"model": model.state_dict(), "epoch": 4}, path)
    with zipfile.ZipFile(path) as zf:
        assert "manifest.json" in zf.namelist()  # not a pickle, whatever the name
    for kwargs in ({}, {"weights_only": True}, {"weights_only": False}):
        got = xn.load(path, map_location=xp.device, **kwargs)
        assert got["epoch"] == 4
        for key, value in model.state_dict().items():
            assert xp.same_place(got["model"][key])
            np.testing.assert_array_equal(xp.numpy(got["model"][key]), xp.numpy(value))
    positional = xn.load(str(path), xp.device)  # torch.load(f, map_location)
    assert all(xp.same_place(v) for v in positional["model"].values())


@pytest.mark.parametrize("map_location", [None, "cpu", "numpy"])
def test_map_location_none_or_cpu_gives_numpy(tmp_path, map_location):
    xn.save({"w": np.arange(3.0)}, tmp_path / "m.pth")
    got = xn.load(tmp_path / "m.pth", map_location=map_location)
    assert isinstance(got["w"], np.ndarray)


def test_map_location_as_a_torch_device_gives_torch_tensors(torch, tmp_path):
    xn.save({"w": np.arange(3.0)}, tmp_path / "m.pth")
    got = xn.load(tmp_path / "m.pth", map_location=torch.device("cpu"))
    assert isinstance(got["w"], torch.Tensor) and got["w"].device == torch.device("cpu")
    safetensors_torch.save_file({"w": torch.arange(3.0)}, str(tmp_path / "m.safetensors"))
    got = xn.load(tmp_path / "m.safetensors", map_location=torch.device("cpu"))
    assert isinstance(got["w"], torch.Tensor) and got["w"].tolist() == [0.0, 1.0, 2.0]


def test_torchs_device_remapping_is_refused_with_the_fix(tmp_path):
    xn.save({"w": np.zeros(1)}, tmp_path / "m.pth")
    with pytest.raises(TypeError, match="give the one device"):
        xn.load(tmp_path / "m.pth", map_location={"cuda:0": "cpu"})
    with pytest.raises(TypeError, match="give the one device"):
        xn.load(tmp_path / "m.pth", map_location=lambda storage, loc: storage)
    with pytest.raises(TypeError, match="give one"):
        xn.load(tmp_path / "m.pth", map_location="cpu", device="cuda")

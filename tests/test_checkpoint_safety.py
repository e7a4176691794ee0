"""xn.save / xn.load file safety: bounded reads, regular files only, permissions, temp files, ambiguity.

Each test here failed before the fix it holds (issue 12, items 8-13).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import subprocess
import sys
import time
import tracemalloc
import warnings
import zipfile

import numpy as np
import pytest

import xpnet as xn
from xpnet import nn
from xpnet.checkpoint import archive, files

MiB = 1 << 20


@pytest.fixture
def good(tmp_path):
    path = tmp_path / "good.npz"
    xn.save({"model": {"w": np.arange(12, dtype=np.float32).reshape(3, 4), "b": np.ones(4)}, "step": 5}, path)
    return path


def _members(path):
    with zipfile.ZipFile(path) as zf:
        return [(info.filename, zf.read(info)) for info in zf.infolist()]


def _sealed(path, members, compressed=()):
    """Write ``members`` (name, bytes) as an archive sealed like xn.save's: only what we change is wrong.

    Members named in ``compressed`` are DEFLATE-compressed (xn.save stores every member).
    """
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w") as zf:
        warnings.simplefilter("ignore")  # zipfile warns about a duplicate name: that is the point
        zf.comment = b"0" * 64
        for name, data in members:
            zf.writestr(name, data, zipfile.ZIP_DEFLATED if name in compressed else zipfile.ZIP_STORED)
    path.write_bytes(archive.seal(buffer.getvalue()))
    return path


def _npy(array):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _manifest(arrays_npy, tree):
    headers = [archive._header(io.BytesIO(p)) for p in arrays_npy]
    entries = [{"dtype": h[2].str, "shape": list(h[0]), "sha256": hashlib.sha256(p).hexdigest()}
               for h, p in zip(headers, arrays_npy)]
    return {"format": "xpnet-checkpoint", "version": 1, "tree": tree, "arrays": entries}


def _peak_while(fn):
    """(what fn raised or returned, peak traced memory in bytes while it ran)."""
    tracemalloc.start()
    try:
        try:
            result = fn()
        except Exception as exc:
            result = exc
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# -- 8: compressed members and declared sizes: every read capped by the file -------------------------
def test_a_deflate_bomb_is_refused_without_inflating(tmp_path):
    """32 MiB of zeros compressed into a ~32 KiB member, listed and checksummed as if xn.save wrote it."""
    payload = _npy(np.zeros(4 * MiB, dtype=np.float64))
    manifest = _manifest([payload], {"array": 0})
    members = [("arrays/0.npy", payload), ("manifest.json", json.dumps(manifest))]
    path = _sealed(tmp_path / "bomb.npz", members, compressed={"arrays/0.npy"})
    assert path.stat().st_size < MiB
    result, peak = _peak_while(lambda: xn.load(path))
    assert isinstance(result, xn.CheckpointError) and "compressed" in str(result), result
    assert peak < 8 * MiB, f"peak {peak / MiB:.1f} MiB while refusing a {path.stat().st_size} byte file"


def test_a_compressed_manifest_is_refused(good):
    with pytest.raises(xn.CheckpointError, match=r"'manifest.json' is compressed"):
        xn.load(_sealed(good, _members(good), compressed={"manifest.json"}))


def test_an_array_header_declaring_a_huge_shape_allocates_nothing(tmp_path):
    """A .npy header that says 1 GiB over 80 bytes of data, its manifest entry and checksum agreeing."""
    real = _npy(np.zeros(10, dtype=np.float64))
    header_end = real.index(b"\n") + 1
    header = real[:header_end].replace(b"(10,)", b"(134217728,)")
    header = header[:8] + (len(header) - 10).to_bytes(2, "little") + header[10:]
    payload = header + real[header_end:]
    entry = {"dtype": "<f8", "shape": [134217728], "sha256": hashlib.sha256(payload).hexdigest()}
    manifest = {"format": "xpnet-checkpoint", "version": 1, "tree": {"array": 0}, "arrays": [entry]}
    members = [("arrays/0.npy", payload), ("manifest.json", json.dumps(manifest))]
    path = _sealed(tmp_path / "liar.npz", members)
    result, peak = _peak_while(lambda: xn.load(path))
    assert isinstance(result, xn.CheckpointError) and "bytes" in str(result), result
    assert peak < 8 * MiB, f"peak {peak / MiB:.1f} MiB while refusing a {path.stat().st_size} byte file"


def test_a_manifest_listing_more_arrays_than_the_archive_holds_is_refused_before_reading(good):
    members = dict(_members(good))
    manifest = json.loads(members["manifest.json"])
    manifest["arrays"] = manifest["arrays"] * 50_000
    members["manifest.json"] = json.dumps(manifest).encode()
    with pytest.raises(xn.CheckpointError, match=r"lists 100000 array\(s\) but the archive holds 2"):
        xn.load(_sealed(good, members.items()))


# -- 9: regular files only; file objects read within their size -------------------------------------
_SPECIAL_FILES = """
import json, os, resource, sys
import xpnet as xn
resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))  # without the fix: a MemoryError, not a swap storm
out = {}
for path in sys.argv[1:]:
    try:
        xn.load(path)
        out[path] = "loaded"
    except xn.CheckpointError as exc:
        out[path] = "CheckpointError: " + str(exc)
    except BaseException as exc:
        out[path] = type(exc).__name__
with open("/dev/zero", "rb") as f:
    try:
        xn.load(f)
        out["open /dev/zero"] = "loaded"
    except xn.CheckpointError as exc:
        out["open /dev/zero"] = "CheckpointError: " + str(exc)
    except BaseException as exc:
        out["open /dev/zero"] = type(exc).__name__
print(json.dumps(out))
"""


@pytest.mark.skipif(not os.path.exists("/dev/zero") or not hasattr(os, "mkfifo"), reason="POSIX only")
def test_a_link_to_dev_zero_a_fifo_or_a_device_is_refused_unread(tmp_path):
    link = tmp_path / "model.npz"
    link.symlink_to("/dev/zero")
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)  # opening it for reading would block until a writer comes
    paths = [str(link), str(fifo), "/dev/null"]
    # a child process, so that a regression hangs or runs out of memory there, and fails here
    done = subprocess.run([sys.executable, "-c", _SPECIAL_FILES, *paths], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout)
    assert out[str(link)].startswith("CheckpointError") and "character device" in out[str(link)]
    assert str(link) in out[str(link)] and "regular file" in out[str(link)]
    assert out[str(fifo)].startswith("CheckpointError") and "FIFO" in out[str(fifo)]
    assert out["/dev/null"].startswith("CheckpointError") and "character device" in out["/dev/null"]
    assert out["open /dev/zero"].startswith("CheckpointError") and "/dev/zero is a character device" in out[
        "open /dev/zero"]


def test_a_folder_is_an_is_a_directory_error(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a folder"):
        xn.load(tmp_path)


def test_file_objects_load_within_their_size(good):
    data = good.read_bytes()
    buffer = io.BytesIO(b"junk" + data)
    buffer.seek(4)  # from the current position, as torch.load reads
    assert xn.load(buffer)["step"] == 5
    with open(good, "rb") as f:
        assert xn.load(f)["step"] == 5

    class Stream:  # a socket-like reader: no size to bound a read
        def read(self, n=-1):
            return b"\0" * (n if n and n > 0 else MiB)

    with pytest.raises(xn.CheckpointError, match="not seekable"):
        xn.load(Stream())
    with open(good, encoding="latin-1") as text, pytest.raises(xn.CheckpointError, match="text mode"):
        xn.load(text)


def test_save_and_load_through_file_objects(xp):
    model = nn.Sequential(nn.Linear(3, 2)).to(xp.device)
    buffer = io.BytesIO()
    xn.save({"model": model.state_dict(), "epoch": 2}, buffer)
    buffer.seek(0)
    got = xn.load(buffer, map_location=xp.device)
    assert got["epoch"] == 2
    for key, value in model.state_dict().items():
        assert xp.same_place(got["model"][key])
        np.testing.assert_array_equal(xp.numpy(got["model"][key]), xp.numpy(value))


# -- 10: permissions -------------------------------------------------------------------------------
@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077])
def test_a_new_file_honours_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        xn.save({"w": np.zeros(2)}, tmp_path / "new.npz")
        xn.save({"w": np.zeros(2)}, tmp_path / "new.safetensors")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.npz").stat().st_mode) == 0o666 & ~umask
    assert stat.S_IMODE((tmp_path / "new.safetensors").stat().st_mode) == 0o666 & ~umask


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
@pytest.mark.parametrize("mode", [0o600, 0o640, 0o660])
def test_a_replaced_file_keeps_its_mode(tmp_path, mode):
    path = tmp_path / "secret.npz"
    xn.save({"w": np.zeros(2)}, path)
    path.chmod(mode)
    xn.save({"w": np.ones(2)}, path)
    assert stat.S_IMODE(path.stat().st_mode) == mode
    np.testing.assert_array_equal(xn.load(path)["w"], np.ones(2))


# -- 11: temporary files: recognisable, and cleaned up after a killed save ------------------------------
_KILLED_SAVE = """
import os, signal, sys, numpy as np, xpnet as xn
import xpnet.checkpoint as checkpoint
def dying(f, tree, arrays):
    f.write(b"PK half a checkpoint" * 1000)
    f.flush()
    os.kill(os.getpid(), signal.SIGKILL)  # kill -9 mid-write: no cleanup runs
checkpoint.write_archive = dying
xn.save({"w": np.ones(1000)}, sys.argv[1])
"""


@pytest.mark.skipif(os.name == "nt", reason="SIGKILL")
def test_a_killed_save_leaves_a_recognisable_temp_file_that_the_next_save_removes(tmp_path):
    path = tmp_path / "ckpt.npz"
    xn.save({"w": np.zeros(1000)}, path)
    seen = set()
    for _ in range(3):  # each killed save removes the one killed before it: one leftover at most
        done = subprocess.run([sys.executable, "-c", _KILLED_SAVE, str(path)], capture_output=True,
                              timeout=120, check=False)
        assert done.returncode == -9, done.stderr
        leftovers = [p.name for p in tmp_path.iterdir() if p.name != "ckpt.npz"]
        assert len(leftovers) == 1 and leftovers[0].startswith(".ckpt.npz.xpnet-tmp-"), leftovers
        assert (tmp_path / leftovers[0]).stat().st_size == 20_000  # the half-written checkpoint
        seen.add(leftovers[0])
    assert len(seen) == 3
    np.testing.assert_array_equal(xn.load(path)["w"], np.zeros(1000))  # the old file is whole
    xn.save({"w": np.ones(1000)}, path)
    assert os.listdir(tmp_path) == ["ckpt.npz"]
    np.testing.assert_array_equal(xn.load(path)["w"], np.ones(1000))


def _dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.skipif(os.name == "nt", reason="POSIX")
def test_only_stale_temp_files_of_the_same_target_are_removed(tmp_path):
    ours = files.temp_name("ckpt.npz")  # this process: a save in another thread, maybe
    dead = ours.replace(f"-{os.getpid()}-", f"-{_dead_pid()}-")
    elsewhere_recent = dead.replace(files._HOST, "otherhost")  # another machine (NFS): the pid says nothing
    elsewhere_old = elsewhere_recent.replace("-otherhost-", "-otherhost2-")
    keep = [ours, elsewhere_recent, dead.replace(".ckpt.npz.", ".other.npz."),  # another target
            ".ckpt.npz.xpnet-tmp-notours", ".ckpt.npz.tmp", "ckpt.npz.xpnet-tmp-x-1-deadbeef",
            dead + ".bak", "notes.txt"]
    for name in [*keep, dead, elsewhere_old]:
        (tmp_path / name).write_bytes(b"x")
    day_and_more = time.time() - files.STALE_AFTER_S - 60
    os.utime(tmp_path / elsewhere_old, (day_and_more, day_and_more))
    os.mkdir(tmp_path / "dir")
    link = dead[:-8] + "0badf00d"
    (tmp_path / link).symlink_to(tmp_path / "notes.txt")  # a link matching the pattern: not a regular file
    xn.save({"w": np.zeros(1)}, tmp_path / "ckpt.npz")
    left = set(os.listdir(tmp_path))
    assert left == {*keep, link, "dir", "ckpt.npz"}, left ^ {*keep, link, "dir", "ckpt.npz"}
    assert (tmp_path / "notes.txt").read_bytes() == b"x"


def test_a_failed_save_removes_its_own_temp_file(tmp_path, monkeypatch):
    monkeypatch.setattr(archive, "npy_bytes", lambda a: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError, match="disk full"):
        xn.save({"w": np.zeros(1)}, tmp_path / "c.npz")
    assert os.listdir(tmp_path) == []


# -- 12: ambiguous archives ---------------------------------------------------------------------------
def test_two_members_of_one_name_are_refused(good):
    members = _members(good)
    first = dict(members)["arrays/0.npy"]
    other = _npy(np.full((3, 4), 7, dtype=np.float32))
    manifest = json.loads(dict(members)["manifest.json"])
    # the second copy is what an unguarded reader returns: make it pass every other check
    digest = hashlib.sha256(first).hexdigest()
    index = next(i for i, e in enumerate(manifest["arrays"]) if e["sha256"] == digest)
    manifest["arrays"][index]["sha256"] = hashlib.sha256(other).hexdigest()
    members = [(n, json.dumps(manifest).encode() if n == "manifest.json" else d) for n, d in members]
    with pytest.raises(xn.CheckpointError, match=r"two members named 'arrays/0.npy'"):
        xn.load(_sealed(good, [*members, ("arrays/0.npy", other)]))


def test_duplicate_keys_in_the_manifest_are_refused(good):
    members = dict(_members(good))
    text = members["manifest.json"].decode()
    doubled = text.replace('"tree": ', '"tree": {"dict": []}, "tree": ', 1)
    assert json.loads(doubled)["tree"] != {"dict": []}  # plain JSON: the last one wins silently
    members["manifest.json"] = doubled.encode()
    with pytest.raises(xn.CheckpointError, match=r"manifest.json holds the key\(s\) \['tree'\] twice"):
        xn.load(_sealed(good, members.items()))


@pytest.mark.parametrize("pairs", [[["w", {"array": 0}], ["w", 5]], [[1, "a"], [True, "b"]],
                                   [[2, 0], [2.0, 1]]])
def test_duplicate_keys_in_a_saved_dict_are_refused(tmp_path, pairs):
    payload = _npy(np.zeros(2))
    manifest = _manifest([payload], {"dict": pairs})
    path = _sealed(tmp_path / "d.npz", [("arrays/0.npy", payload), ("manifest.json", json.dumps(manifest))])
    with pytest.raises(xn.CheckpointError, match="twice"):
        xn.load(path)


# -- 13: big-endian arrays ------------------------------------------------------------------------------
def test_big_endian_arrays_load_in_native_order_on_every_backend(xp, tmp_path):
    """What a big-endian machine writes: '>f4' and '>i8' in the file; usable arrays on every backend."""
    w = (np.arange(6).reshape(2, 3) / 4).astype(">f4")
    b = np.array([0.5, -1.0], dtype=">f4")
    path = tmp_path / "be.npz"
    xn.save({"0.weight": w, "0.bias": b, "count": np.arange(3, dtype=">i8")}, path)
    assert {e["dtype"] for e in json.loads(dict(_members(path))["manifest.json"])["arrays"]} == {">f4", ">i8"}
    got = xn.load(path, map_location=xp.device)
    assert xp.same_place(got["count"]) and xp.numpy(got["count"]).dtype == np.int64
    np.testing.assert_array_equal(xp.numpy(got["count"]), [0, 1, 2])
    model = nn.Sequential(nn.Linear(3, 2)).to(xp.device)
    del got["count"]
    model.load_state_dict(got)
    x = xp.tensor([[1.0, 2.0, 3.0]])
    expected = np.asarray(w, dtype=np.float32) @ np.array([1.0, 2.0, 3.0], np.float32) + b.astype(np.float32)
    np.testing.assert_allclose(xp.numpy(model(x))[0], expected, rtol=1e-6)
    for key in ("0.weight", "0.bias"):
        assert xp.same_place(got[key]) and xp.numpy(got[key]).dtype == np.float32


def test_big_endian_arrays_load_natively_on_numpy(tmp_path):
    xn.save({"w": np.arange(4, dtype=">f8")}, tmp_path / "be.npz")
    got = xn.load(tmp_path / "be.npz")["w"]
    assert got.dtype.isnative and got.dtype == np.float64 and got.flags.writeable
    np.testing.assert_array_equal(got, [0, 1, 2, 3])


# -- where a save goes: through symlinks, into pipes and devices, never over a folder ---------------------
@pytest.mark.skipif(os.name == "nt", reason="POSIX symlinks and modes")
def test_a_save_through_a_symlink_replaces_the_file_it_points_to_and_keeps_the_link(tmp_path):
    (tmp_path / "disk").mkdir()
    real = tmp_path / "disk" / "ckpt.npz"
    xn.save({"w": np.zeros(2)}, real)
    real.chmod(0o600)
    link = tmp_path / "latest.npz"
    link.symlink_to(real)
    xn.save({"w": np.ones(2)}, link)
    assert link.is_symlink() and os.readlink(link) == str(real)  # the link stays a link
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    np.testing.assert_array_equal(xn.load(real)["w"], np.ones(2))
    assert sorted(os.listdir(tmp_path)) == ["disk", "latest.npz"]
    assert os.listdir(tmp_path / "disk") == ["ckpt.npz"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_a_save_into_a_fifo_writes_into_it_and_never_replaces_it(tmp_path):
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()  # blocks in open() until a writer comes
    xn.save({"w": np.arange(3.0)}, fifo)
    reader.join(timeout=60)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and os.listdir(tmp_path) == ["pipe"]
    np.testing.assert_array_equal(xn.load(io.BytesIO(received[0]))["w"], [0.0, 1.0, 2.0])


def test_a_save_onto_a_folder_says_so(tmp_path):
    with pytest.raises(IsADirectoryError, match="it is a folder"):
        xn.save({"w": np.zeros(1)}, tmp_path)
    assert os.listdir(tmp_path) == []

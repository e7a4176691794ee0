"""The CuPy double (tests/_cupy_double.py) cannot drift from the real, installed CuPy.

CuPy imports without a GPU, so every name the double offers, and every name
xpnet's sources spell ``cupy.<...>``, is looked up in the real module here:
module functions, ``ndarray`` methods, ``random.Generator``, ``cuda.Device``,
``Stream``, ``Event``, ``ElementwiseKernel``, with their signatures where CuPy
publishes one (``inspect.signature`` for Python functions, the documented
signature for Cython classes). The double also raises where CuPy raises.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import operator
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

real = pytest.importorskip("cupy", reason="cupy not installed (it imports without a GPU)")

from _cuda_on_cpu import CXX  # noqa: E402
from _cupy_double import HostRead, installed, session_double  # noqa: E402

SRC = Path(__file__).resolve().parents[1] / "src" / "xpnet"


@pytest.fixture
def double(tmp_path_factory):
    d = session_double(tmp_path_factory.getbasetemp() / "cupy-double")
    with installed(d) as compat_cupy:
        d.compat = compat_cupy
        yield d


def _real_attr(dotted: str):
    """The real CuPy's ``dotted`` name; a submodule (``cupy.cuda.nccl``) is imported on the way,
    quietly (CuPy warns when an optional library such as NCCL is not installed)."""
    obj = real
    parts = dotted.split(".")
    for i, part in enumerate(parts[1:], start=2):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    obj = importlib.import_module(".".join(parts[:i]))
                except ImportError as exc:
                    raise AttributeError(dotted) from exc
    return obj


def _documented(obj) -> inspect.Signature:
    """The signature a Cython class documents on its first docstring line: ``Name(a, b=1, **kwargs)``."""
    first = (obj.__doc__ or "").strip().splitlines()[0]
    match = re.fullmatch(r"\w+\((.*)\)", first)
    assert match, f"no documented signature on {obj!r}: {first!r}"
    params = re.sub(r"\b(?:int|bool|double|str|object)\s+(?=\w)", "", match.group(1))  # Cython's C types
    return inspect.signature(eval(f"lambda {params}: None", {"numpy": np}))


def _documented_args(obj) -> set[str]:
    """The argument names in a Cython class's ``Args:`` docstring section."""
    section = (obj.__doc__ or "").split("Args:", 1)[1].split("Attributes:", 1)[0]
    return set(re.findall(r"^\s{4,8}(\w+) \(", section, flags=re.M))


def _compatible(ours: inspect.Signature, theirs: inspect.Signature) -> None:
    """Same parameter names, kinds and defaults, in order (``self`` left out)."""
    ours_p = [p for p in ours.parameters.values() if p.name != "self"]
    theirs_p = [p for p in theirs.parameters.values() if p.name != "self"]
    assert [(p.name, p.kind, p.default) for p in ours_p] == [(p.name, p.kind, p.default) for p in theirs_p]


def test_every_cupy_name_in_xpnets_sources_exists_in_the_real_cupy():
    """``cupy.cuda.Device``, ``cupy.random.default_rng``, ... as spelled anywhere in src/xpnet."""
    names = set()
    for path in SRC.rglob("*.py"):
        names |= set(re.findall(r"\bcupy(?:\.[A-Za-z_]\w*)+", path.read_text()))
    names = {n for n in names if not n.startswith("cupy.cuda.Device(") and n != "cupy.py"}
    assert "cupy.cuda.Device" in names and "cupy.random.default_rng" in names  # the scan sees them
    missing = []
    for name in sorted(names):
        try:
            _real_attr(name)
        except AttributeError:
            missing.append(name)
    assert not missing, f"xpnet names CuPy attributes that CuPy {real.__version__} lacks: {missing}"


def test_the_generator_has_only_the_real_methods(double):
    gen = double.state.cupy.random.default_rng(0)
    assert not hasattr(real.random.Generator, "permutation")  # CuPy 14: the defect of issue 17
    with pytest.raises(AttributeError):
        gen.permutation(5)
    for name in ("random", "standard_normal"):  # what xpnet draws with
        assert hasattr(real.random.Generator, name)
        getattr(gen, name)(3)
    _compatible(inspect.signature(double.state.cupy.random.default_rng),
                inspect.signature(real.random.default_rng))


def test_hand_written_classes_match_the_real_ones(double):
    cuda = double.state.cupy.cuda
    for ours, theirs in [(cuda.Device, real.cuda.Device), (cuda.Stream, real.cuda.Stream),
                         (cuda.Event, real.cuda.Event)]:
        public = {n for n in vars(ours) if not n.startswith("_") or n in ("__enter__", "__exit__", "__int__")}
        assert public <= set(dir(theirs)), f"{ours.__name__}: {sorted(public - set(dir(theirs)))}"
    _compatible(inspect.signature(cuda.Device), _documented(real.cuda.Device))
    for ours, theirs in [(cuda.Event, real.cuda.Event), (cuda.Stream, real.cuda.Stream)]:
        names = set(inspect.signature(ours).parameters)
        assert names <= _documented_args(theirs), (ours.__name__, names - _documented_args(theirs))
    kernel = double.state.cupy.ElementwiseKernel
    _compatible(inspect.signature(kernel), _documented(real.ElementwiseKernel))
    call_args = re.findall(r"^    (\w+)[ :]", real.ElementwiseKernel.__call__.__doc__.split("Args:")[1], re.M)
    assert set(inspect.signature(kernel.__call__).parameters) - {"self"} <= set(call_args)
    for name in ("getDeviceCount", "getDevice", "setDevice", "getDeviceProperties", "CUDARuntimeError"):
        assert hasattr(real.cuda.runtime, name)
    for name in ("get_current_stream", "get_elapsed_time", "is_available", "ExternalStream"):
        assert hasattr(real.cuda, name)
    for name in ("get_current_stream", "get_elapsed_time"):
        theirs = getattr(real.cuda, name)
        ours = inspect.signature(getattr(cuda, name))
        doc = _documented(theirs) if theirs.__doc__ and theirs.__doc__.strip().startswith(name) else None
        if doc is not None:
            _compatible(ours, doc)


def test_module_functions_are_the_real_ones_with_numpy_behind(double):
    cupy = double.state.cupy
    assert set(cupy.__all__) == {n for n in dir(real) if not n.startswith("_")}
    with pytest.raises(AttributeError):
        cupy.not_a_cupy_function  # noqa: B018
    with pytest.raises(TypeError):  # a ufunc takes out/dtype/casting only, as CuPy's
        cupy.add(cupy.ones(2), 1, where=True)
    with pytest.raises(TypeError):  # the real signature is checked: cupy.zeros has no device=
        cupy.zeros(3, device=0)
    a = cupy.arange(4, dtype=cupy.float32)
    for name in ("astype", "reshape", "sum", "copy"):
        assert hasattr(real.ndarray, name) and callable(getattr(a, name))
    with pytest.raises(AttributeError):
        a.not_an_ndarray_method  # noqa: B018
    assert float((a * 2).sum()) == 12.0


def test_numpy_arrays_are_refused_as_cupy_refuses_them(double):
    cupy = double.state.cupy
    with pytest.raises(TypeError, match="Unsupported type"):
        cupy.add(cupy.ones(2), np.ones(2))
    with pytest.raises(TypeError, match="Implicit conversion"):
        np.asarray(cupy.ones(2))
    host = np.ones(3)
    dev = cupy.asarray(host)
    host[0] = 5
    assert dev.get()[0] == 1.0  # host data is copied to the GPU


@pytest.mark.skipif(CXX is None, reason="no C++ compiler")
def test_kernels_raise_where_cupy_raises(double):
    cupy = double.state.cupy
    k = cupy.ElementwiseKernel("T g, T y", "T d", "d = g * y;", "xpnet_test_mul")
    f32, f64 = cupy.ones(3, dtype=cupy.float32), cupy.ones(3, dtype=cupy.float64)
    with pytest.raises(TypeError, match="Type is mismatched"):
        k(f64, f32)
    with pytest.raises(TypeError, match="Unsupported type"):
        k(f32, np.asarray(2.0, dtype=np.float32))  # a 0-d NumPy array
    out = k(f32, 2.0)  # a Python scalar is cast to T
    assert out.dtype == np.float32 and out.get().tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(TypeError):
        cupy.ElementwiseKernel("T x", "T y", "y = x;", "k", not_an_option=1)


def test_two_devices_and_the_current_device_rule(double):
    cupy = double.state.cupy
    assert cupy.cuda.runtime.getDeviceCount() == 2
    a0 = cupy.ones(2)
    with cupy.cuda.Device(1):
        a1 = cupy.ones(2)
        assert cupy.cuda.runtime.getDevice() == 1
        assert (a1 + 1).device == cupy.cuda.Device(1)
        with pytest.raises(ValueError, match="Peer access is unavailable"):
            a0 + 1
    assert a0.device.id == 0 and a1.device.id == 1 and cupy.cuda.Device().id == 0
    with pytest.raises(ValueError, match="is different from the current device"):
        a1 * 2
    with pytest.raises(RuntimeError, match="invalid device"):
        cupy.cuda.Device(2).use()


READS = {
    "bool": bool, "int": int, "float": float, "operator.index": operator.index,
    "item": lambda a: a.item(), "tolist": lambda a: a.tolist(), "get": lambda a: a.get(),
    "mask-get": lambda a: a[a > 0], "mask-set": lambda a: a.__setitem__(a > 0, 0),
    "nonzero": lambda a: a.nonzero(), "synchronize": lambda a: a.device.synchronize(),
}


@pytest.mark.parametrize("read", list(READS))
def test_no_host_read_mode_raises_on_every_wait(double, read):
    cupy = double.state.cupy
    a = cupy.asarray(np.asarray(1, dtype=np.int64))
    if read.startswith("mask") or read == "nonzero":
        a = cupy.arange(3)
    READS[read](a)  # reads are allowed outside the mode
    with double.no_host_read(), pytest.raises(HostRead):
        READS[read](a)
    with double.no_host_read():
        a[cupy.asarray(np.asarray(0))] if a.ndim else a + 1  # integer-array indexing waits for nothing


def test_array_api_compat_clip_and_sign_wait_for_the_gpu(double):
    """Why xpnet writes its own: array-api-compat's CuPy clip and sign assign through masks."""
    x = double.compat.asarray(np.asarray([-2.0, 0.5, np.nan]))
    with double.no_host_read():
        with pytest.raises(HostRead):
            double.compat.clip(x, -1.0, 1.0)
        with pytest.raises(HostRead):
            double.compat.sign(x)


def test_the_double_keeps_no_names_the_real_module_lacks():
    """The hand-written module attributes of the double's cuda module exist in the real one."""
    tree = ast.parse((Path(__file__).parent / "_cupy_double_cuda.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "update" and node.keywords:
            target = ast.unparse(node.func.value)
            module = {"runtime.__dict__": real.cuda.runtime, "cuda.__dict__": real.cuda}[target]
            for kw in node.keywords:
                assert hasattr(module, kw.arg), f"{target}: {kw.arg}"

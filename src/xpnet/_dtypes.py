"""Library-independent dtype names: ``xn.float32`` means float32 on every backend.

A :class:`DType` is only a name. It compares equal to the backend's own dtype
object of the same name (``xn.float32 == numpy.float32``), to its name as a
string, and resolves to a concrete dtype once a namespace is known.
"""

from __future__ import annotations

from typing import Any

# Names the Array API standard defines, in the order we try them.
_NAMES = (
    "float32", "float64", "float16",
    "int64", "int32", "int16", "int8",
    "uint8", "uint16", "uint32", "uint64",
    "bool",
    "complex64", "complex128",
)
FLOATING = ("float16", "float32", "float64")


class DType:
    """A dtype named independently of any array library (``xn.float32``).

    The same ``xn`` dtype means the matching dtype of each library (``xn.float32`` is
    ``numpy.float32``, ``torch.float32``, ...); it compares equal to them and to its name.

    Args:
        name: the standard name, such as ``"float32"`` or ``"int64"``. Users take the
            module's instances (``xn.float32``, ``xn.long``...) rather than building one.
    """

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"xpnet.{self.name}"

    __str__ = __repr__  # as torch: str(xn.int64) == "xpnet.int64"

    def __hash__(self) -> int:
        return hash(self.name)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DType):
            return self.name == other.name
        if isinstance(other, str):
            return self.name == other
        try:
            return _name_of_native(other) == self.name
        except TypeError:
            return NotImplemented

    @property
    def is_floating_point(self) -> bool:
        return self.name in FLOATING


    @property
    def is_signed(self) -> bool:
        return self.name.startswith(("int", "float", "complex"))

    @property
    def itemsize(self) -> int:
        """Bytes per element (torch's ``dtype.itemsize``)."""
        return 1 if self.name == "bool" else int("".join(c for c in self.name if c.isdigit())) // 8


float32 = DType("float32")
float64 = DType("float64")
float16 = DType("float16")
int64 = DType("int64")
int32 = DType("int32")
int16 = DType("int16")
int8 = DType("int8")
uint8 = DType("uint8")
bool_ = DType("bool")

_BY_NAME = {n: DType(n) for n in _NAMES}
_BY_NAME.update({d.name: d for d in (float32, float64, float16, int64, int32, int16, int8, uint8,
                                     bool_)})
complex64 = DType("complex64")
complex128 = DType("complex128")
_BY_NAME["complex64"] = complex64
_BY_NAME["complex128"] = complex128

# torch's other spellings (``dtype=xn.float``, ``xn.long``, ...) are exported by
# ``xpnet/__init__.py`` under those names (here they would shadow the builtins).
_NATIVE_NAMES: dict[tuple[type, Any], str] = {}


def _name_of_native(dtype: Any) -> str:
    """The standard name of a backend dtype object (``numpy.dtype('float32')`` -> ``'float32'``)."""
    # Keyed with the type first: dtypes of different libraries may hash alike
    # and some (array-api-strict) warn when compared with another library's.
    key = (type(dtype), dtype)
    try:
        return _NATIVE_NAMES[key]
    except (KeyError, TypeError):
        pass
    if isinstance(dtype, type):  # a scalar type such as numpy.float32
        name = dtype.__name__
    else:
        name = getattr(dtype, "name", None) or str(dtype).rsplit(".", 1)[-1]
    if not isinstance(name, str):
        raise TypeError(f"{dtype!r} is not an Array API dtype")
    if name == "bool_":
        name = "bool"
    if name not in _BY_NAME:
        raise TypeError(f"{dtype!r} is not an Array API dtype")
    try:
        _NATIVE_NAMES[key] = name
    except TypeError:  # unhashable dtype object: just do not cache it
        pass
    return name


def is_dtype(obj: Any) -> bool:
    """Whether ``obj`` names a dtype: an ``xn`` dtype, a dtype name, or a backend dtype object."""
    if isinstance(obj, DType):
        return True
    if isinstance(obj, str):
        return obj in _BY_NAME or obj == "bool_"
    if obj is None:
        return False
    try:
        _name_of_native(obj)
    except TypeError:
        return False
    return True


def wrap(native: Any) -> DType:
    """The :class:`DType` for a backend dtype object."""
    return _BY_NAME[_name_of_native(native)]


_FLOATING: dict[tuple[type, Any], bool] = {}


def is_floating(native: Any) -> bool:
    """Whether a backend dtype object is a floating-point dtype (checked on every op: cached)."""
    key = (type(native), native)
    try:
        return _FLOATING[key]
    except KeyError:
        floating = _FLOATING[key] = wrap(native).is_floating_point
        return floating
    except TypeError:  # an unhashable dtype
        return wrap(native).is_floating_point


def resolve(dtype: Any, xp: Any, default: str | None = "default") -> Any:
    """The concrete dtype of namespace ``xp`` for ``dtype``.

    ``dtype`` may be None (``default``: the default float dtype unless told, see
    :func:`get_default_dtype`; None gives None), a name (``"float64"``), an ``xn``
    dtype, or a dtype object of any backend (resolved by name, so a NumPy dtype
    names the same dtype on CuPy or torch).
    """
    if dtype is None:
        if default is None:
            return None
        name = _default_float[0].name if default == "default" else default
    else:
        name = resolve_name(dtype)
    concrete = getattr(xp, name, None)
    if concrete is None:
        raise TypeError(f"dtype {name} is not available in {xp.__name__}")
    return concrete


_SUPPORTED: dict[tuple[type, Any], bool] = {}


def check_supported(native: Any, where: str) -> None:
    """Raise TypeError unless ``native`` (a backend dtype) is one a tensor may hold.

    Tensors hold real numbers (float16/32/64, signed and unsigned integers) or
    bool. Complex numbers would lose their imaginary part in a float layer, and
    object, string or date arrays are not numbers: all are refused where data
    comes in (``xn.tensor``, ``xn.asarray``, ``Tensor(...)``, arrays given to ops,
    layers and losses), with the fix in the message. Cached per dtype: free after
    the first call.
    """
    key = (type(native), native)
    try:
        if _SUPPORTED[key]:
            return
    except (KeyError, TypeError):
        try:
            name: str | None = _name_of_native(native)
        except TypeError:
            name = None
        ok = name is not None and not name.startswith("complex")
        try:
            _SUPPORTED[key] = ok
        except TypeError:
            pass
        if ok:
            return
    raise TypeError(_unsupported_message(native, where))


def _unsupported_message(native: Any, where: str) -> str:
    text = str(native)
    kind = getattr(native, "kind", "")
    head = (f"{where}: an array of dtype {text} cannot be a tensor: tensors hold real numbers "
            f"(float16/32/64, int, uint) or bool; ")
    if "complex" in text or kind == "c":
        return head + ("split a complex array into real features first, e.g. "
                       "np.stack([z.real, z.imag], axis=-1), or keep abs(z) or z.real "
                       "(xpnet never drops the imaginary part silently)")
    if kind == "O" or text == "object":
        return head + ("an object array (from None, mixed types or ragged lists) is not numbers: "
                       "replace None by a number (e.g. float('nan')) and convert, e.g. "
                       "np.asarray(data, dtype=np.float32)")
    if kind in ("U", "S") or "str" in text or "bytes" in text:
        return head + ("parse the strings into numbers first, e.g. np.asarray(data, "
                       "dtype=np.float32), or encode categories as integer class indices")
    return head + "convert it first, e.g. array.astype(np.float32)"


# -- the default dtype --------------------------------------------------------------------------
_default_float = [float32]


def get_default_dtype() -> DType:
    """The floating dtype that creation functions and int-to-float promotion give (float32)."""
    return _default_float[0]


def set_default_dtype(dtype: Any) -> None:
    """Set the default floating dtype (torch's ``set_default_dtype``): float32 or float64 or float16.

    Raises TypeError for a non-floating dtype, as torch does.
    """
    name = resolve_name(dtype)
    if name not in FLOATING:
        raise TypeError(f"only floating-point types are supported as the default type, got {name}: "
                        "use xn.float32 or xn.float64")
    _default_float[0] = _BY_NAME[name]


def resolve_name(dtype: Any) -> str:
    """The standard name of any dtype spelling (an ``xn`` dtype, a name, a backend dtype)."""
    if isinstance(dtype, DType):
        return dtype.name
    if isinstance(dtype, str):
        name = "bool" if dtype == "bool_" else dtype
        if name not in _BY_NAME:
            raise TypeError(f"unknown dtype {dtype!r}: expected one of {', '.join(_NAMES)}")
        return name
    return _name_of_native(dtype)


# -- torch's promotion rule ---------------------------------------------------------------------
# Categories: bool < integer < floating < complex. Between categories the higher one wins;
# within one, a dimensioned tensor wins over a 0-d one, else the larger type (torch's rule).
def _kind(name: str) -> int:
    if name == "bool":
        return 0
    if name.startswith(("int", "uint")):
        return 1
    return 2 if name.startswith("float") else 3


def _bits(name: str) -> int:
    return 8 if name == "bool" else int("".join(c for c in name if c.isdigit()))


def _same_kind(a: str, b: str) -> str:
    """The smallest type of the category holding both ``a`` and ``b`` (same category)."""
    if a.startswith("uint") != b.startswith("uint") and _kind(a) == 1:  # signed with unsigned
        signed, unsigned = (a, b) if b.startswith("uint") else (b, a)
        return f"int{min(64, max(_bits(signed), 2 * _bits(unsigned)))}"
    return a if _bits(a) >= _bits(b) else b


_PROMOTED: dict[tuple[str, str, bool, bool], str | None] = {}


def promote_names(a: str, b: str, a_scalar_like: bool = False, b_scalar_like: bool = False) -> str:
    """torch's result dtype name of a binary op between tensors of dtypes ``a`` and ``b``.

    ``*_scalar_like``: the operand is a 0-d tensor (it gives way to a dimensioned
    tensor of the same category: ``float32 (3,) + float64 ()`` is float32).
    """
    key = (a, b, a_scalar_like, b_scalar_like)
    out = _PROMOTED.get(key)
    if out is None:
        ka, kb = _kind(a), _kind(b)
        if ka != kb:
            out = a if ka > kb else b
        elif a_scalar_like != b_scalar_like:
            out = b if a_scalar_like else a
        else:
            out = _same_kind(a, b)
        _PROMOTED[key] = out
    return out


def promote_scalar_name(a: str, scalar: Any) -> str:
    """torch's result dtype name of a tensor of dtype ``a`` with a Python number.

    A number never widens a tensor of its own category (float32 * 2.5 is float32,
    int32 + 3 is int32); a float meets an integer or bool tensor in the default
    float dtype; an int meets a bool tensor as int64.
    """
    kind = _kind(a)
    if type(scalar) is float and kind < 2:
        return get_default_dtype().name
    if type(scalar) is not bool and kind == 0:
        return "int64"
    return a

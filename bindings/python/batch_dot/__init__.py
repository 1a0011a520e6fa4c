"""Python bindings (ctypes) for libbatch_dot: Keras's ``batch_dot`` for NumPy
arrays of any strides -- float32, float64, float16, bfloat16 (``ml_dtypes``),
int8 and uint8 -- and for any object with ``__dlpack__`` (JAX, PyTorch, NumPy).

    >>> import numpy as np, batch_dot as bd
    >>> x = np.array([[1., 2.], [3., 4.]]); y = np.array([[5., 6.], [7., 8.]])
    >>> bd.batch_dot(x, y, axes=1)
    array([[17.],
           [53.]])

Arrays are passed to the library as they are -- transposed, sliced with a
step, reversed (negative strides) or broadcast (zero strides) -- without being
copied: the binding describes each view to the C library by a layout (shape,
strides in elements, offset and length) anchored at the lowest address the
view reaches, and calls ``batch_dot_compute`` with each array's dtype code.
Only arrays that the C ABI cannot describe at all (a stride that is not a
multiple of the item size, or a misaligned data pointer) are copied, and only
when they are inputs.

Objects that are not NumPy arrays but have ``__dlpack__`` (a JAX CPU array, a
PyTorch CPU tensor) are read in place through their DLPack capsule and passed
to ``batch_dot_dlpack``; see ``batch_dot_dlpack`` for how the capsule is
handled.

Finding the library, in order: the environment variable ``BATCH_DOT_LIBRARY``
(a path to the shared library; if set, it must load), then a
``libbatch_dot.so`` inside or next to this package (where ``pip install
./bindings/python`` puts it), then ``target/release`` and ``target/debug`` of
the source tree this package lives in, then
``ctypes.util.find_library("batch_dot")`` (the system's search path).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import operator
import os
import sys
from typing import Optional, Sequence, Tuple

import numpy as np

__all__ = [
    "batch_dot",
    "batch_dot_dlpack",
    "infer_shape",
    "array_layout",
    "library_version",
    "status_string",
    "last_error_message",
    "lib",
    "Layout",
    "Options",
    "BatchDotError",
    "ShapeError",
    "NullPointerError",
    "InvalidRankError",
    "InvalidAxesError",
    "BatchAxisError",
    "BatchMismatchError",
    "ContractionMismatchError",
    "InvalidShapeError",
    "OutputShapeError",
    "OutOfBoundsError",
    "BatchDotOverflowError",
    "AliasingError",
    "InvalidArgumentError",
    "AllocationError",
    "InternalError",
    "UnsupportedDtypeError",
    "MAX_NDIM",
    "AXIS_DEFAULT",
    "DIM_UNKNOWN",
    "ABI_VERSION",
    "OPT_SCALE",
]

__version__ = "0.1.0"

# ---------------------------------------------------------------------------
# Constants (include/batch_dot.h)
# ---------------------------------------------------------------------------

#: The ABI this binding was written for; the loaded library must report it.
ABI_VERSION = 0
MAX_NDIM = 16
AXIS_DEFAULT = -(2**63)  # INT64_MIN
DIM_UNKNOWN = -1

STATUS_OK = 0
STATUS_NULL_POINTER = 1
STATUS_INVALID_RANK = 2
STATUS_INVALID_AXES = 3
STATUS_BATCH_AXIS = 4
STATUS_BATCH_MISMATCH = 5
STATUS_CONTRACTION_MISMATCH = 6
STATUS_INVALID_SHAPE = 7
STATUS_OUTPUT_SHAPE = 8
STATUS_OUT_OF_BOUNDS = 9
STATUS_OVERFLOW = 10
STATUS_ALIASING = 11
STATUS_INVALID_ARGUMENT = 12
STATUS_ALLOCATION = 13
STATUS_INTERNAL = 14
STATUS_UNSUPPORTED_DTYPE = 15

# dtype codes (BATCH_DOT_DTYPE_*): ABI, never renumbered.
DTYPE_F32 = 1
DTYPE_F64 = 2
DTYPE_F16 = 3
DTYPE_BF16 = 4
DTYPE_S8 = 5
DTYPE_U8 = 6
DTYPE_S32 = 7

#: ``batch_dot_options.flags``: out = alpha*(x.y) + beta*out.
OPT_SCALE = 1


# ---------------------------------------------------------------------------
# C structs
# ---------------------------------------------------------------------------


class Layout(ctypes.Structure):
    """``batch_dot_layout``: 280 bytes, no padding, no pointers."""

    _fields_ = [
        ("ndim", ctypes.c_int32),
        ("flags", ctypes.c_uint32),
        ("offset", ctypes.c_int64),
        ("len", ctypes.c_int64),
        ("shape", ctypes.c_int64 * MAX_NDIM),
        ("strides", ctypes.c_int64 * MAX_NDIM),
    ]

    def __repr__(self) -> str:
        n = max(0, min(self.ndim, MAX_NDIM))
        return (
            f"Layout(ndim={self.ndim}, flags={self.flags}, offset={self.offset}, "
            f"len={self.len}, shape={tuple(self.shape[:n])}, strides={tuple(self.strides[:n])})"
        )


class Options(ctypes.Structure):
    """``batch_dot_options`` (32 bytes); build it with ``Options.default()``.
    With ``flags = OPT_SCALE`` the call computes ``alpha*(x.y) + beta*out``."""

    _fields_ = [
        ("struct_size", ctypes.c_size_t),
        ("num_threads", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("alpha", ctypes.c_double),
        ("beta", ctypes.c_double),
    ]

    @classmethod
    def default(cls) -> "Options":
        o = cls()
        lib.batch_dot_options_init(ctypes.byref(o))
        return o


assert ctypes.sizeof(Layout) == 280, "batch_dot_layout must be 280 bytes"
assert ctypes.sizeof(Options) == 32, "batch_dot_options must be 32 bytes"

# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


class BatchDotError(Exception):
    """A failed libbatch_dot call. ``status`` is the C status value,
    ``status_name`` its stable name ("BATCH_DOT_STATUS_BATCH_MISMATCH"),
    ``message`` the library's message (also ``str(err)``)."""

    status: int = -1

    def __init__(self, message: str, status: Optional[int] = None):
        super().__init__(message)
        if status is not None:
            self.status = status
        self.message = message

    @property
    def status_name(self) -> str:
        return status_string(self.status)

    def __str__(self) -> str:
        return self.message


class NullPointerError(BatchDotError, ValueError):
    status = STATUS_NULL_POINTER


class ShapeError(BatchDotError, ValueError):
    """Base of the errors about ranks, shapes and axes (all ValueErrors)."""


class InvalidRankError(ShapeError):
    status = STATUS_INVALID_RANK


class InvalidAxesError(ShapeError):
    status = STATUS_INVALID_AXES


class BatchAxisError(ShapeError):
    status = STATUS_BATCH_AXIS


class BatchMismatchError(ShapeError):
    status = STATUS_BATCH_MISMATCH


class ContractionMismatchError(ShapeError):
    status = STATUS_CONTRACTION_MISMATCH


class InvalidShapeError(ShapeError):
    status = STATUS_INVALID_SHAPE


class OutputShapeError(ShapeError):
    status = STATUS_OUTPUT_SHAPE


class OutOfBoundsError(BatchDotError, ValueError):
    status = STATUS_OUT_OF_BOUNDS


class BatchDotOverflowError(BatchDotError, OverflowError):
    status = STATUS_OVERFLOW


class AliasingError(BatchDotError, ValueError):
    status = STATUS_ALIASING


class InvalidArgumentError(BatchDotError, ValueError):
    status = STATUS_INVALID_ARGUMENT


class AllocationError(BatchDotError, MemoryError):
    status = STATUS_ALLOCATION


class InternalError(BatchDotError, RuntimeError):
    status = STATUS_INTERNAL


class UnsupportedDtypeError(BatchDotError, TypeError):
    """A dtype, or a combination of x, y and out dtypes, that the library
    does not compute (status 15; a TypeError)."""

    status = STATUS_UNSUPPORTED_DTYPE


_ERRORS = {
    cls.status: cls
    for cls in (
        NullPointerError,
        InvalidRankError,
        InvalidAxesError,
        BatchAxisError,
        BatchMismatchError,
        ContractionMismatchError,
        InvalidShapeError,
        OutputShapeError,
        OutOfBoundsError,
        BatchDotOverflowError,
        AliasingError,
        InvalidArgumentError,
        AllocationError,
        InternalError,
        UnsupportedDtypeError,
    )
}

# ---------------------------------------------------------------------------
# Loading the library
# ---------------------------------------------------------------------------

_NAMES = {
    "linux": ("libbatch_dot.so", "libbatch_dot.so.0"),
    "darwin": ("libbatch_dot.dylib", "libbatch_dot.0.dylib"),
    "win32": ("batch_dot.dll",),
}.get(sys.platform, ("libbatch_dot.so", "libbatch_dot.so.0"))


def _candidates():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.normpath(os.path.join(here, "..", "..", ".."))
    dirs = (
        here,  # inside the package
        os.path.dirname(here),  # next to it
        os.path.join(repo, "target", "release"),
        os.path.join(repo, "target", "debug"),
    )
    for d in dirs:
        for n in _NAMES:
            p = os.path.join(d, n)
            if os.path.isfile(p):
                yield p
    found = ctypes.util.find_library("batch_dot")
    if found:
        yield found


def _load() -> Tuple[ctypes.CDLL, str]:
    env = os.environ.get("BATCH_DOT_LIBRARY")
    if env:
        try:
            return ctypes.CDLL(env), env
        except OSError as e:
            raise ImportError(f"batch_dot: cannot load BATCH_DOT_LIBRARY={env!r}: {e}") from e
    errors = []
    for p in _candidates():
        try:
            return ctypes.CDLL(p), p
        except OSError as e:
            errors.append(f"{p}: {e}")
    raise ImportError(
        "batch_dot: libbatch_dot not found; set BATCH_DOT_LIBRARY to the path of "
        "libbatch_dot.so, or build it with `cargo build --release`"
        + ("".join("\n  " + e for e in errors))
    )


class _Lib:
    """The raw C functions (ctypes function pointers with argtypes/restype
    set), for power users: ``lib.batch_dot_f32(byref(xl), xp, byref(yl), yp,
    ax, ay, byref(ol), op, None)`` returns the raw status. ``lib.path`` is the
    file that was loaded, ``lib.cdll`` the ``ctypes.CDLL``.

    The high-level functions look these attributes up at every call, so a
    test may replace one (e.g. to record the pointers passed)."""

    def __init__(self, cdll: ctypes.CDLL, path: str):
        self.cdll = cdll
        self.path = path
        c_i64p = ctypes.POINTER(ctypes.c_int64)
        c_layp = ctypes.POINTER(Layout)
        c_optp = ctypes.POINTER(Options)

        def fn(name, restype, *argtypes):
            f = getattr(cdll, name)
            f.restype = restype
            f.argtypes = list(argtypes)
            setattr(self, name, f)

        fn("batch_dot_abi_version", ctypes.c_uint32)
        fn("batch_dot_version", ctypes.c_uint32)
        fn("batch_dot_version_string", ctypes.c_char_p)
        fn("batch_dot_status_string", ctypes.c_char_p, ctypes.c_int32)
        fn("batch_dot_last_error_message", ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t)
        fn("batch_dot_options_init", None, c_optp)
        fn("batch_dot_layout_init_contiguous", ctypes.c_int32, c_layp, ctypes.c_int32, c_i64p)
        fn(
            "batch_dot_infer_shape",
            ctypes.c_int32,
            ctypes.c_int32,
            c_i64p,
            ctypes.c_int32,
            c_i64p,
            ctypes.c_int64,
            ctypes.c_int64,
            ctypes.POINTER(ctypes.c_int32),
            c_i64p,
        )
        for name in ("batch_dot_f32", "batch_dot_f64"):
            fn(
                name,
                ctypes.c_int32,
                c_layp,
                ctypes.c_void_p,
                c_layp,
                ctypes.c_void_p,
                ctypes.c_int64,
                ctypes.c_int64,
                c_layp,
                ctypes.c_void_p,
                c_optp,
            )
        vp, i32, i64 = ctypes.c_void_p, ctypes.c_int32, ctypes.c_int64
        fn("batch_dot_compute", i32, i32, c_layp, vp, i32, c_layp, vp, i64, i64, i32, c_layp, vp, c_optp)
        fn("batch_dot_dtype_size", ctypes.c_size_t, i32)
        fn("batch_dot_dtype_name", ctypes.c_char_p, i32)
        # batch_dot_dlpack (include/batch_dot_dlpack.h) takes DLTensor
        # pointers, passed as addresses. None in a library without it.
        if hasattr(cdll, "batch_dot_dlpack"):
            fn("batch_dot_dlpack", i32, vp, vp, i64, i64, vp, c_optp)
        else:
            self.batch_dot_dlpack = None

    def __repr__(self) -> str:
        return f"<batch_dot.lib {self.path!r}>"


def _open() -> _Lib:
    cdll, path = _load()
    try:
        abi = cdll.batch_dot_abi_version
    except AttributeError as e:
        raise ImportError(f"batch_dot: {path} is not libbatch_dot (no batch_dot_abi_version)") from e
    abi.restype = ctypes.c_uint32
    abi.argtypes = []
    got = abi()
    if got != ABI_VERSION:
        raise ImportError(
            f"batch_dot: {path} has ABI version {got}, but this binding was written "
            f"for ABI version {ABI_VERSION}"
        )
    try:
        return _Lib(cdll, path)
    except AttributeError as e:
        raise ImportError(
            f"batch_dot: {path} lacks a function this binding needs ({e}); it is older "
            "than the binding: rebuild it with `cargo build --release`"
        ) from e


lib = _open()

# ---------------------------------------------------------------------------
# Small wrappers
# ---------------------------------------------------------------------------


def status_string(status: int) -> str:
    """Stable name of a status value ("BATCH_DOT_STATUS_UNKNOWN" if unknown)."""
    return lib.batch_dot_status_string(int(status)).decode("ascii")


def last_error_message() -> str:
    """The library's message of the last failed call on this thread."""
    n = lib.batch_dot_last_error_message(None, 0)
    buf = ctypes.create_string_buffer(n + 1)
    lib.batch_dot_last_error_message(buf, n + 1)
    return buf.value.decode("utf-8", "replace")


def library_version() -> str:
    """Version of the loaded library, "MAJOR.MINOR.PATCH"."""
    return lib.batch_dot_version_string().decode("ascii")


def _check(status: int) -> None:
    if status != STATUS_OK:
        # ctypes runs the call and this read on the same OS thread.
        raise _ERRORS.get(status, BatchDotError)(last_error_message(), status)


# ---------------------------------------------------------------------------
# Axes
# ---------------------------------------------------------------------------


def _is_int(a) -> bool:
    if isinstance(a, (float, complex, str, bytes)) or isinstance(a, np.floating):
        return False
    if isinstance(a, np.ndarray):
        return False
    try:
        operator.index(a)
    except TypeError:
        return False
    return True


def _parse_axes(axes) -> Tuple[int, int]:
    """Keras's axes forms -> (axis_x, axis_y) for C. Raises InvalidAxesError
    (a ValueError) for nested or wrong-length axes, TypeError for non-ints."""
    if axes is None:
        return AXIS_DEFAULT, AXIS_DEFAULT
    if _is_int(axes):
        a = operator.index(axes)
        return a, a
    if isinstance(axes, (str, bytes)) or not isinstance(axes, (Sequence, np.ndarray)):
        raise TypeError(f"axes must be None, an int or a pair of ints; got {axes!r}")
    items = list(axes)
    if any(isinstance(a, (list, tuple, np.ndarray)) for a in items):
        raise InvalidAxesError(
            "Multiple target dimensions are not supported. "
            f"Expected: None, int, (int, int), Provided: {axes!r}"
        )
    if len(items) != 2:
        raise InvalidAxesError(
            f"axes must be None, an int or a pair of ints (int, int); got {len(items)} "
            f"values: {axes!r}"
        )
    for a in items:
        if not _is_int(a):
            raise TypeError(f"axes must be None, an int or a pair of ints; got {axes!r}")
    a0, a1 = (operator.index(a) for a in items)
    for a in (a0, a1):
        if not (-(2**63) <= a < 2**63):
            raise InvalidAxesError(f"axis {a} does not fit in int64")
    return a0, a1


def _shape_array(shape):
    arr = (ctypes.c_int64 * MAX_NDIM)()
    for i, d in enumerate(shape):
        arr[i] = d
    return arr


def _infer(x_shape, y_shape, ax: int, ay: int):
    """Calls batch_dot_infer_shape; returns the result shape as ints."""
    for s in (x_shape, y_shape):
        if len(s) > MAX_NDIM:
            raise InvalidRankError(
                f"Cannot do batch_dot on inputs with more than {MAX_NDIM} dimensions. "
                f"Received inputs with shapes {tuple(x_shape)} and {tuple(y_shape)}."
            )
    xs, ys = _shape_array(x_shape), _shape_array(y_shape)
    out_ndim = ctypes.c_int32(0)
    out_shape = (ctypes.c_int64 * MAX_NDIM)()
    _check(
        lib.batch_dot_infer_shape(
            len(x_shape), xs, len(y_shape), ys, ax, ay, ctypes.byref(out_ndim), out_shape
        )
    )
    return tuple(out_shape[: out_ndim.value])


def _axes_for(x_shape, y_shape, axes) -> Tuple[int, int]:
    """_parse_axes, but errors that Keras reports before looking at the axes
    (rank < 2, different batch sizes) win over a malformed ``axes``."""
    try:
        return _parse_axes(axes)
    except (InvalidAxesError, TypeError):
        if len(x_shape) <= MAX_NDIM and len(y_shape) <= MAX_NDIM:
            xs, ys = _shape_array(x_shape), _shape_array(y_shape)
            nd = ctypes.c_int32(0)
            os_ = (ctypes.c_int64 * MAX_NDIM)()
            st = lib.batch_dot_infer_shape(
                len(x_shape), xs, len(y_shape), ys, 1, 1, ctypes.byref(nd), os_
            )
            if st in (STATUS_INVALID_RANK, STATUS_INVALID_SHAPE, STATUS_BATCH_MISMATCH):
                _check(st)
        raise


def infer_shape(x_shape, y_shape, axes=None) -> Tuple[Optional[int], ...]:
    """Shape of ``batch_dot(x, y, axes)`` for operands of these shapes, without
    any data. ``None`` (or -1) is an extent not known yet (a dynamic batch,
    say): it propagates to the result, which then holds ``None`` there, and the
    checks that need it are skipped, as in Keras's static shape inference."""
    xs = tuple(DIM_UNKNOWN if d is None else operator.index(d) for d in x_shape)
    ys = tuple(DIM_UNKNOWN if d is None else operator.index(d) for d in y_shape)
    ax, ay = _axes_for(xs, ys, axes)
    return tuple(None if d == DIM_UNKNOWN else d for d in _infer(xs, ys, ax, ay))


# ---------------------------------------------------------------------------
# Layouts of NumPy arrays
# ---------------------------------------------------------------------------


def _describable(a: np.ndarray) -> bool:
    """Whether the C ABI can describe the array without a copy."""
    if not a.flags.aligned:
        return False
    isz = a.itemsize
    return all(s % isz == 0 for d, s in zip(a.shape, a.strides) if d > 1)


def array_layout(a: np.ndarray) -> Tuple[int, Layout]:
    """``(data_pointer, layout)`` describing the array ``a`` as it is, without
    copying: the pointer is the lowest address any element of the view has
    (for negative strides it lies before ``a``'s first element), ``offset`` is
    element [0, ..., 0] counted from it, ``len`` the span of the view in
    elements. Strides of extent-1 dimensions are set to 0. Raises ValueError
    when the strides are not multiples of the item size or ndim > 16."""
    if a.ndim > MAX_NDIM:
        raise InvalidRankError(f"an array of ndim {a.ndim} > {MAX_NDIM} has no layout")
    isz = a.itemsize
    lay = Layout()
    lay.ndim = a.ndim
    lay.flags = 0
    base = a.ctypes.data
    for i, d in enumerate(a.shape):
        lay.shape[i] = d
    if a.size == 0:
        lay.offset = 0
        lay.len = 0
        return base, lay
    lo = hi = 0  # in elements, relative to element [0, ..., 0]
    for i, (d, s) in enumerate(zip(a.shape, a.strides)):
        if d <= 1:
            lay.strides[i] = 0
            continue
        if s % isz:
            raise InvalidArgumentError(
                f"stride {s} bytes of dimension {i} is not a multiple of the item size {isz}",
                STATUS_INVALID_ARGUMENT,
            )
        se = s // isz
        lay.strides[i] = se
        if se < 0:
            lo += (d - 1) * se
        else:
            hi += (d - 1) * se
    lay.offset = -lo
    lay.len = hi - lo + 1
    return base + lo * isz, lay


# ---------------------------------------------------------------------------
# dtypes
# ---------------------------------------------------------------------------

_CODES = {
    np.dtype(np.float32): DTYPE_F32,
    np.dtype(np.float64): DTYPE_F64,
    np.dtype(np.float16): DTYPE_F16,
    np.dtype(np.int8): DTYPE_S8,
    np.dtype(np.uint8): DTYPE_U8,
    np.dtype(np.int32): DTYPE_S32,
}

#: The output dtype when neither ``out`` nor ``out_dtype`` says: the inputs'
#: dtype for floats (Keras), int32 for int8/uint8 inputs.
_DEFAULT_OUT = {
    DTYPE_F32: DTYPE_F32,
    DTYPE_F64: DTYPE_F64,
    DTYPE_F16: DTYPE_F16,
    DTYPE_BF16: DTYPE_BF16,
    DTYPE_S8: DTYPE_S32,
    DTYPE_U8: DTYPE_S32,
}

_SUPPORTED = "float32, float64, float16, bfloat16 (ml_dtypes), int8 and uint8"


def _is_bfloat16(dt: np.dtype) -> bool:
    # Without importing ml_dtypes: an array of its bfloat16 exists only if
    # ml_dtypes has been imported already.
    mod = sys.modules.get("ml_dtypes")
    return mod is not None and dt == np.dtype(mod.bfloat16)


def _bfloat16() -> np.dtype:
    """``ml_dtypes.bfloat16``, imported now (it is optional)."""
    try:
        import ml_dtypes
    except ImportError as e:
        raise ImportError(
            "batch_dot: a bfloat16 result needs the ml_dtypes package (pip install "
            "ml_dtypes), or pass out_dtype=numpy.float32"
        ) from e
    return np.dtype(ml_dtypes.bfloat16)


def _code_of(dt: np.dtype) -> int:
    """The dtype code of a NumPy dtype, 0 if it has none."""
    code = _CODES.get(dt)
    if code is not None:
        return code
    return DTYPE_BF16 if _is_bfloat16(dt) else 0


def _numpy_dtype(code: int) -> np.dtype:
    if code == DTYPE_BF16:
        return _bfloat16()
    for dt, c in _CODES.items():
        if c == code:
            return dt
    raise AssertionError(code)  # pragma: no cover


def _out_code(in_code: int, out, out_dtype) -> int:
    """The output's dtype code: ``out``'s, else ``out_dtype``'s, else the
    default for the inputs' dtype."""
    if out_dtype is not None:
        want = np.dtype(out_dtype)
        code = _code_of(want)
        if code == 0:
            raise UnsupportedDtypeError(
                f"out_dtype={want} is not a dtype of libbatch_dot (float32, float64, "
                "float16, bfloat16 or int32)",
                STATUS_UNSUPPORTED_DTYPE,
            )
        if out is not None and isinstance(out, np.ndarray) and out.dtype != want:
            raise TypeError(f"out has dtype {out.dtype}, but out_dtype={want}")
        return code
    if isinstance(out, np.ndarray):
        code = _code_of(out.dtype)
        if code == 0:
            raise UnsupportedDtypeError(
                f"out has dtype {out.dtype}, not a dtype of libbatch_dot (float32, "
                "float64, float16, bfloat16 or int32, native byte order)",
                STATUS_UNSUPPORTED_DTYPE,
            )
        return code
    return _DEFAULT_OUT.get(in_code, DTYPE_F32)


def _as_input(v, name: str) -> np.ndarray:
    if not isinstance(v, np.ndarray):
        v = np.asarray(v)
        if v.dtype.kind in "biu":
            v = v.astype(np.float64)
    if _code_of(v.dtype) in (0, DTYPE_S32):
        raise UnsupportedDtypeError(
            f"batch_dot supports {_SUPPORTED} arrays (native byte order); "
            f"{name} has dtype {v.dtype}",
            STATUS_UNSUPPORTED_DTYPE,
        )
    if not _describable(v):
        # Strides the C ABI cannot express (not a multiple of the item size)
        # or a misaligned pointer: the only case where an input is copied.
        v = np.ascontiguousarray(v)
    return v


def _options(num_threads, alpha: float, beta: float) -> Options:
    opts = Options()
    lib.batch_dot_options_init(ctypes.byref(opts))
    nt = operator.index(num_threads)
    if not 0 <= nt < 2**32:
        raise ValueError(f"num_threads must be in 0..2**32-1, got {nt}")
    opts.num_threads = nt
    if alpha != 1.0 or beta != 0.0:
        opts.flags = OPT_SCALE
        opts.alpha = alpha
        opts.beta = beta
    return opts


def _has_dlpack(v) -> bool:
    return not isinstance(v, np.ndarray) and hasattr(type(v), "__dlpack__")


def batch_dot(
    x,
    y,
    axes=None,
    out=None,
    num_threads: int = 0,
    *,
    alpha: float = 1.0,
    beta: float = 0.0,
    out_dtype=None,
):
    """Keras's ``batch_dot(x, y, axes)`` (docs/SEMANTICS.md) of two arrays of
    any strides; with ``alpha``/``beta``, ``alpha * batch_dot(x, y, axes) +
    beta * out`` in the same call.

    dtypes (docs/API.md, "Element types"): float32, float64, float16 and
    ``ml_dtypes.bfloat16`` inputs give a result of the inputs' dtype (16-bit
    ones: the float32 sum rounded once), or a float32 result with
    ``out_dtype=numpy.float32`` (the float32 sum itself); int8 x int8 and
    uint8 x int8 (uint8 only as x) give an exact int32 result (wrapping
    modulo 2**32). x and y otherwise have the same dtype.

    ``axes``: None, an int ``a`` (= ``(a, a)``), or a pair ``(a0, a1)``;
    negative axes count from the end of each operand. ``out``: an array of
    the result's shape and dtype (any non-overlapping strides, not
    overlapping the inputs) to write into; it is returned. Otherwise a new
    C-contiguous array is returned. ``num_threads``: 0 = the library's
    default (1, or BATCH_DOT_NUM_THREADS), n = at most n threads.

    ``alpha``, ``beta`` (keyword only): the library's scale flag
    (docs/API.md, "Scale, accumulate, strided layouts"), applied as each
    tile is stored, with no extra pass over ``out``. ``beta == 0`` never
    reads ``out`` (NaN there is overwritten); ``beta != 0`` accumulates into
    the given ``out`` and needs one (ValueError otherwise). ``alpha=1,
    beta=0`` is the plain call. An int32 result takes alpha 1 and beta 0 or 1
    only (the library's InvalidArgumentError otherwise).

    x, y or out may be any object with ``__dlpack__`` (a JAX or PyTorch CPU
    array): the call then goes through ``batch_dot_dlpack`` (NumPy arrays
    among the operands are described directly), and returns ``out`` or a new
    NumPy array.

    Raises UnsupportedDtypeError (a TypeError, status 15) for dtypes or
    combinations the library does not compute, and BatchDotError subclasses
    (ValueErrors for shape and axes errors) carrying ``.status``,
    ``.status_name`` and the library's message."""
    if _has_dlpack(x) or _has_dlpack(y) or (out is not None and _has_dlpack(out)):
        return _dlpack_call(x, y, axes, out, num_threads, alpha, beta, out_dtype, direct=True)
    x = _as_input(x, "x")
    y = _as_input(y, "y")
    xc, yc = _code_of(x.dtype), _code_of(y.dtype)
    alpha, beta = float(alpha), float(beta)
    if beta != 0.0 and out is None:
        raise ValueError(f"beta={beta} accumulates into out: pass out= (an existing array)")
    if out is not None:
        if not isinstance(out, np.ndarray):
            raise TypeError(f"out must be a numpy.ndarray, not {type(out).__name__}")
        if not out.flags.writeable:
            raise ValueError("out is read-only")
    oc = _out_code(xc, out, out_dtype)
    ax, ay = _axes_for(x.shape, y.shape, axes)
    if out is None:
        shape = _infer(x.shape, y.shape, ax, ay)
        out = np.empty(shape, dtype=_numpy_dtype(oc))
    elif x.ndim > MAX_NDIM or y.ndim > MAX_NDIM:
        _infer(x.shape, y.shape, ax, ay)  # raises InvalidRankError
    opts = _options(num_threads, alpha, beta)
    xp, xl = array_layout(x)
    yp, yl = array_layout(y)
    if out.ndim > MAX_NDIM:
        shape = _infer(x.shape, y.shape, ax, ay)
        raise OutputShapeError(
            f"out has shape {out.shape}, but batch_dot of shapes {x.shape} and {y.shape} "
            f"has shape {shape}."
        )
    op, ol = array_layout(out)
    _check(
        lib.batch_dot_compute(
            xc,
            ctypes.byref(xl),
            xp,
            yc,
            ctypes.byref(yl),
            yp,
            ax,
            ay,
            oc,
            ctypes.byref(ol),
            op,
            ctypes.byref(opts),
        )
    )
    return out


# ---------------------------------------------------------------------------
# DLPack
# ---------------------------------------------------------------------------


class DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class DLTensor(ctypes.Structure):
    """DLPack's ``DLTensor`` (dlpack.h, 48 bytes on 64-bit targets)."""

    _fields_ = [
        ("data", ctypes.c_void_p),
        ("device", DLDevice),
        ("ndim", ctypes.c_int32),
        ("dtype", DLDataType),
        ("shape", ctypes.POINTER(ctypes.c_int64)),
        ("strides", ctypes.POINTER(ctypes.c_int64)),
        ("byte_offset", ctypes.c_uint64),
    ]


class DLManagedTensor(ctypes.Structure):
    """What a capsule named "dltensor" points to (DLPack before 1.0)."""

    _fields_ = [
        ("dl_tensor", DLTensor),
        ("manager_ctx", ctypes.c_void_p),
        ("deleter", ctypes.c_void_p),
    ]


class DLPackVersion(ctypes.Structure):
    _fields_ = [("major", ctypes.c_uint32), ("minor", ctypes.c_uint32)]


class DLManagedTensorVersioned(ctypes.Structure):
    """What a capsule named "dltensor_versioned" points to (DLPack 1.x)."""

    _fields_ = [
        ("version", DLPackVersion),
        ("manager_ctx", ctypes.c_void_p),
        ("deleter", ctypes.c_void_p),
        ("flags", ctypes.c_uint64),
        ("dl_tensor", DLTensor),
    ]


kDLCPU = 1
kDLCUDAHost = 3
# DLDataTypeCode
kDLInt, kDLUInt, kDLFloat, kDLBfloat, kDLComplex, kDLBool = 0, 1, 2, 4, 5, 6
DLPACK_FLAG_BITMASK_READ_ONLY = 1 << 0
DLPACK_FLAG_BITMASK_IS_COPIED = 1 << 1
#: The newest DLPack this binding reads (passed as ``max_version``).
DLPACK_MAX_VERSION = (1, 1)

_DL_TO_NUMPY = {
    (kDLFloat, 32): np.dtype(np.float32),
    (kDLFloat, 64): np.dtype(np.float64),
    (kDLFloat, 16): np.dtype(np.float16),
    (kDLInt, 8): np.dtype(np.int8),
    (kDLUInt, 8): np.dtype(np.uint8),
    (kDLInt, 32): np.dtype(np.int32),
}

_capsule_get_name = ctypes.pythonapi.PyCapsule_GetName
_capsule_get_name.restype = ctypes.c_char_p
_capsule_get_name.argtypes = [ctypes.py_object]
_capsule_get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_get_pointer.restype = ctypes.c_void_p
_capsule_get_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]


class _Operand:
    """One tensor of a DLPack call: the address of its DLTensor, and what
    must stay alive while the library reads it (the capsule, which owns the
    DLManagedTensor and is deleted by its producer's destructor, the
    producer itself, or the arrays a directly described tensor points to)."""

    __slots__ = ("addr", "tensor", "keep")

    def __init__(self, addr: int, tensor: DLTensor, keep):
        self.addr = addr
        self.tensor = tensor
        self.keep = keep

    @property
    def shape(self) -> Tuple[int, ...]:
        t = self.tensor
        if not 0 <= t.ndim <= 64 or (t.ndim and not t.shape):
            return ()
        return tuple(t.shape[: t.ndim])


def _dl_dtype(dt: np.dtype) -> Tuple[int, int]:
    if _is_bfloat16(dt):
        return kDLBfloat, 16
    kind = {"f": kDLFloat, "i": kDLInt, "u": kDLUInt, "c": kDLComplex, "b": kDLBool}.get(dt.kind)
    if kind is None or not dt.isnative:
        raise UnsupportedDtypeError(
            f"an array of dtype {dt} has no DLPack dtype", STATUS_UNSUPPORTED_DTYPE
        )
    return kind, dt.itemsize * 8


def _ndarray_operand(a: np.ndarray, name: str, is_out: bool) -> _Operand:
    """A DLTensor describing the NumPy array ``a`` in place (what its own
    ``__dlpack__`` would export, but also for read-only and bfloat16
    arrays)."""
    if a.ndim > MAX_NDIM:
        raise InvalidRankError(f"{name} has ndim {a.ndim} > {MAX_NDIM}")
    code, bits = _dl_dtype(a.dtype)
    if not _describable(a):
        if is_out:
            raise InvalidArgumentError(
                f"{name}: strides {a.strides} are not multiples of the item size "
                f"{a.itemsize}, or the data is misaligned",
                STATUS_INVALID_ARGUMENT,
            )
        a = np.ascontiguousarray(a)
    shape = (ctypes.c_int64 * max(a.ndim, 1))(*a.shape)
    strides = (ctypes.c_int64 * max(a.ndim, 1))(
        *(s // a.itemsize if d > 1 else 0 for d, s in zip(a.shape, a.strides))
    )
    t = DLTensor()
    t.data = a.ctypes.data
    t.device.device_type = kDLCPU
    t.device.device_id = 0
    t.ndim = a.ndim
    t.dtype.code, t.dtype.bits, t.dtype.lanes = code, bits, 1
    t.shape = ctypes.cast(shape, ctypes.POINTER(ctypes.c_int64))
    t.strides = ctypes.cast(strides, ctypes.POINTER(ctypes.c_int64))
    t.byte_offset = 0
    return _Operand(ctypes.addressof(t), t, (a, shape, strides))


def _call_dlpack(obj, name: str):
    """``obj.__dlpack__()`` as the DLPack Python specification says: on the
    CPU ``stream=None``; ``max_version`` says that this consumer reads
    versioned capsules; producers older than the 2023.12 specification do
    not take it (TypeError), and the oldest take no keyword at all."""
    f = obj.__dlpack__
    attempts = (
        dict(stream=None, max_version=DLPACK_MAX_VERSION),
        dict(stream=None),
        dict(),
    )
    for i, kwargs in enumerate(attempts):
        try:
            return f(**kwargs)
        except TypeError:
            if i == len(attempts) - 1:
                raise
    raise AssertionError  # pragma: no cover


def _capsule_operand(obj, name: str, is_out: bool) -> _Operand:
    """The DLTensor in ``obj``'s DLPack capsule, read in place.

    Ownership: the capsule is not consumed (not renamed "used_dltensor"). It
    stays alive, with ``obj``, until the call returns; dropping it then runs
    the producer's capsule destructor, which calls the DLManagedTensor's
    deleter. The library only reads the tensor during the call."""
    cap = _call_dlpack(obj, name)
    if type(cap).__name__ != "PyCapsule":
        raise TypeError(f"{name}.__dlpack__() returned {type(cap).__name__}, not a PyCapsule")
    cname = _capsule_get_name(cap)
    if cname == b"dltensor_versioned":
        ptr = _capsule_get_pointer(cap, cname)
        m = DLManagedTensorVersioned.from_address(ptr)
        if m.version.major != 1:
            raise BufferError(
                f"{name}.__dlpack__() returned DLPack {m.version.major}.{m.version.minor}; "
                "this binding reads DLPack 1.x"
            )
        if is_out and m.flags & DLPACK_FLAG_BITMASK_READ_ONLY:
            raise ValueError(f"{name} is read-only (its DLPack capsule says so)")
        if is_out and m.flags & DLPACK_FLAG_BITMASK_IS_COPIED:
            raise ValueError(f"{name}: its producer exported a copy, so writes would be lost")
        addr = ptr + DLManagedTensorVersioned.dl_tensor.offset
    elif cname == b"dltensor":
        addr = _capsule_get_pointer(cap, cname)
    else:
        raise BufferError(
            f"{name}.__dlpack__() returned a capsule named {cname!r} "
            "(not 'dltensor' or 'dltensor_versioned': already consumed?)"
        )
    return _Operand(addr, DLTensor.from_address(addr), (cap, obj))


def _operand(v, name: str, is_out: bool, direct: bool) -> _Operand:
    if isinstance(v, np.ndarray) and (direct or not hasattr(v, "__dlpack__")):
        if is_out and not v.flags.writeable:
            raise ValueError(f"{name} is read-only")
        return _ndarray_operand(v, name, is_out)
    if hasattr(type(v), "__dlpack__"):
        try:
            return _capsule_operand(v, name, is_out)
        except BufferError:
            if not isinstance(v, np.ndarray):
                raise
            # NumPy exports no bfloat16 (nor, before 2.1, read-only arrays):
            # such an array is described directly, which is the same DLTensor.
            if is_out and not v.flags.writeable:
                raise ValueError(f"{name} is read-only") from None
            return _ndarray_operand(v, name, is_out)
    if is_out:
        raise TypeError(f"{name} must be a numpy.ndarray or have __dlpack__, not {type(v).__name__}")
    return _ndarray_operand(_as_input(v, name), name, False)


def _dlpack_call(x, y, axes, out, num_threads, alpha, beta, out_dtype, direct):
    if lib.batch_dot_dlpack is None:
        raise NotImplementedError(
            f"batch_dot: {lib.path} has no batch_dot_dlpack (a library older than the binding)"
        )
    alpha, beta = float(alpha), float(beta)
    if beta != 0.0 and out is None:
        raise ValueError(f"beta={beta} accumulates into out: pass out= (an existing array)")
    xo = _operand(x, "x", False, direct)
    yo = _operand(y, "y", False, direct)
    ax, ay = _axes_for(xo.shape, yo.shape, axes)
    if out is None:
        shape = _infer(xo.shape, yo.shape, ax, ay)
        dt = xo.tensor.dtype
        in_code = {
            (kDLFloat, 32): DTYPE_F32,
            (kDLFloat, 64): DTYPE_F64,
            (kDLFloat, 16): DTYPE_F16,
            (kDLBfloat, 16): DTYPE_BF16,
            (kDLInt, 8): DTYPE_S8,
            (kDLUInt, 8): DTYPE_U8,
        }.get((dt.code, dt.bits), 0) if dt.lanes == 1 else 0
        # An x dtype the library does not take still gets an output (float32),
        # so that the library itself reports it (UNSUPPORTED_DTYPE).
        out = np.empty(shape, dtype=_numpy_dtype(_out_code(in_code, None, out_dtype)))
        oo = _ndarray_operand(out, "out", True)
    else:
        if out_dtype is not None:
            _out_code(0, out, out_dtype)  # out_dtype must be out's dtype
        oo = _operand(out, "out", True, direct)
        if out_dtype is not None and not isinstance(out, np.ndarray):
            want = np.dtype(out_dtype)
            got = _DL_TO_NUMPY.get((oo.tensor.dtype.code, oo.tensor.dtype.bits))
            if want != got and not (_is_bfloat16(want) and oo.tensor.dtype.code == kDLBfloat):
                raise TypeError(f"out has DLPack dtype {_dl_name(oo.tensor.dtype)}, but out_dtype={want}")
    opts = _options(num_threads, alpha, beta)
    _check(lib.batch_dot_dlpack(xo.addr, yo.addr, ax, ay, oo.addr, ctypes.byref(opts)))
    # xo, yo and oo (and the capsules they hold) are alive until here.
    del xo, yo, oo
    return out


def _dl_name(dt: DLDataType) -> str:
    return f"(code {dt.code}, bits {dt.bits}, lanes {dt.lanes})"


def batch_dot_dlpack(
    x,
    y,
    axes=None,
    out=None,
    num_threads: int = 0,
    *,
    alpha: float = 1.0,
    beta: float = 0.0,
    out_dtype=None,
):
    """``batch_dot`` for objects with ``__dlpack__`` (a JAX CPU array, a
    PyTorch CPU tensor, a NumPy >= 1.22 array), read in place: each operand's
    ``__dlpack__()`` capsule gives a DLTensor, and the library's
    ``batch_dot_dlpack`` maps it to a layout and dtype (devices kDLCPU and
    kDLCUDAHost; docs/API.md, "DLPack").

    Every operand goes through its own ``__dlpack__`` (``stream=None`` and
    ``max_version``, retried without them for producers that do not take
    them; both "dltensor" and "dltensor_versioned" capsules are read).
    Capsules are not consumed: each is kept alive, with its producer, for
    the call and then released, so that the producer's own capsule
    destructor calls the deleter; the binding never renames a capsule nor
    calls a deleter itself. Objects without ``__dlpack__`` (lists, say) are
    read as NumPy arrays.

    The result is ``out`` (any writable object with ``__dlpack__``, or a
    NumPy array) or a new NumPy array: of the inputs' dtype, int32 for int8
    and uint8 inputs, or ``out_dtype``. Arguments, alpha/beta and errors are
    those of ``batch_dot``."""
    return _dlpack_call(x, y, axes, out, num_threads, alpha, beta, out_dtype, direct=False)

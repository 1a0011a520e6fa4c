"""Python bindings (ctypes) for libbatch_dot: Keras's ``batch_dot`` for NumPy
float32/float64 arrays of any strides.

    >>> import numpy as np, batch_dot as bd
    >>> x = np.array([[1., 2.], [3., 4.]]); y = np.array([[5., 6.], [7., 8.]])
    >>> bd.batch_dot(x, y, axes=1)
    array([[17.],
           [53.]])

Arrays are passed to the library as they are -- transposed, sliced with a
step, reversed (negative strides) or broadcast (zero strides) -- without being
copied: the binding describes each view to the C library by a layout (shape,
strides in elements, offset and length) anchored at the lowest address the
view reaches. Only arrays that the C ABI cannot describe at all (a stride that
is not a multiple of the item size, or a misaligned data pointer) are copied,
and only when they are inputs.

Finding the library, in order: the environment variable ``BATCH_DOT_LIBRARY``
(a path to the shared library; if set, it must load), then a
``libbatch_dot.so`` inside or next to this package, then ``target/release`` and
``target/debug`` of the source tree this package lives in, then
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
    return _Lib(cdll, path)


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


_FUNCS = {np.dtype(np.float32): "batch_dot_f32", np.dtype(np.float64): "batch_dot_f64"}


def _as_input(v, name: str) -> np.ndarray:
    if not isinstance(v, np.ndarray):
        v = np.asarray(v)
        if v.dtype.kind in "biu":
            v = v.astype(np.float64)
    if v.dtype not in _FUNCS:
        raise TypeError(
            f"batch_dot supports float32 and float64 arrays (native byte order); "
            f"{name} has dtype {v.dtype}"
        )
    if not _describable(v):
        # Strides the C ABI cannot express (not a multiple of the item size)
        # or a misaligned pointer: the only case where an input is copied.
        v = np.ascontiguousarray(v)
    return v


def batch_dot(
    x,
    y,
    axes=None,
    out: Optional[np.ndarray] = None,
    num_threads: int = 0,
    *,
    alpha: float = 1.0,
    beta: float = 0.0,
) -> np.ndarray:
    """Keras's ``batch_dot(x, y, axes)`` (docs/SEMANTICS.md) of two float32 or two
    float64 arrays of any strides; with ``alpha``/``beta``,
    ``alpha * batch_dot(x, y, axes) + beta * out`` in the same call.

    ``axes``: None, an int ``a`` (= ``(a, a)``), or a pair ``(a0, a1)``;
    negative axes count from the end of each operand. ``out``: an array of
    the result's shape and the inputs' dtype (any non-overlapping strides,
    not overlapping the inputs) to write into; it is returned. Otherwise a
    new C-contiguous array is returned. ``num_threads``: 0 = the library's
    default (1, or BATCH_DOT_NUM_THREADS), n = at most n threads.

    ``alpha``, ``beta`` (keyword only): the library's scale flag
    (docs/API.md, "Scale, accumulate, strided layouts"), applied as each
    tile is stored, with no extra pass over ``out``. ``beta == 0`` never
    reads ``out`` (NaN there is overwritten); ``beta != 0`` accumulates into
    the given ``out`` and needs one (ValueError otherwise). ``alpha=1,
    beta=0`` is the plain call.

    Raises TypeError for unsupported or mixed dtypes, and BatchDotError
    subclasses (ValueErrors for shape and axes errors) carrying ``.status``,
    ``.status_name`` and the library's message."""
    x = _as_input(x, "x")
    y = _as_input(y, "y")
    if x.dtype != y.dtype:
        raise TypeError(
            f"batch_dot needs x and y of the same dtype; got {x.dtype} and {y.dtype}"
        )
    func_name = _FUNCS[x.dtype]
    alpha, beta = float(alpha), float(beta)
    if beta != 0.0 and out is None:
        raise ValueError(f"beta={beta} accumulates into out: pass out= (an existing array)")
    ax, ay = _axes_for(x.shape, y.shape, axes)
    if out is None:
        shape = _infer(x.shape, y.shape, ax, ay)
        out = np.empty(shape, dtype=x.dtype)
    else:
        if not isinstance(out, np.ndarray):
            raise TypeError(f"out must be a numpy.ndarray, not {type(out).__name__}")
        if out.dtype != x.dtype:
            raise TypeError(f"out has dtype {out.dtype}, but the inputs are {x.dtype}")
        if not out.flags.writeable:
            raise ValueError("out is read-only")
        if x.ndim > MAX_NDIM or y.ndim > MAX_NDIM:
            _infer(x.shape, y.shape, ax, ay)  # raises InvalidRankError
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
    xp, xl = array_layout(x)
    yp, yl = array_layout(y)
    if out.ndim > MAX_NDIM:
        shape = _infer(x.shape, y.shape, ax, ay)
        raise OutputShapeError(
            f"out has shape {out.shape}, but batch_dot of shapes {x.shape} and {y.shape} "
            f"has shape {shape}."
        )
    op, ol = array_layout(out)
    func = getattr(lib, func_name)
    _check(
        func(
            ctypes.byref(xl),
            xp,
            ctypes.byref(yl),
            yp,
            ax,
            ay,
            ctypes.byref(ol),
            op,
            ctypes.byref(opts),
        )
    )
    return out

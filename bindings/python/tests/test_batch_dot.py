"""Tests of the Python binding against np.einsum, the seed page's examples,
errors, the out= argument and the no-copy guarantee (float32 and float64;
the other dtypes and DLPack are in test_dtypes.py and test_dlpack.py). Run
from a checkout with
BATCH_DOT_LIBRARY=target/release/libbatch_dot.so python3 -m pytest bindings/python/tests
or, against an installed package (pip install ./bindings/python), with
BATCH_DOT_TEST_INSTALLED=1 from outside the source tree.
"""

import ctypes
import os
import shutil
import string
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
INSTALLED = os.environ.get("BATCH_DOT_TEST_INSTALLED") == "1"
if not INSTALLED:
    sys.path.insert(0, os.path.dirname(HERE))

import batch_dot as bd  # noqa: E402

DTYPES = [np.float32, np.float64]


# ---------------------------------------------------------------------------
# An independent reference: docs/SEMANTICS.md §1-§2 with np.einsum
# ---------------------------------------------------------------------------


def norm_axes(n, m, axes):
    if axes is None:
        return (n - 1, m - 1) if m == 2 else (n - 1, m - 2)
    if isinstance(axes, (int, np.integer)):
        axes = (int(axes), int(axes))
    a0, a1 = (int(a) for a in axes)
    return (a0 + n if a0 < 0 else a0), (a1 + m if a1 < 0 else a1)


def reference(x, y, axes):
    n, m = x.ndim, y.ndim
    a0, a1 = norm_axes(n, m, axes)
    letters = iter(string.ascii_letters[2:])
    xs = ["a"] + ["b" if i == a0 else next(letters) for i in range(1, n)]
    ys = ["a"] + ["b" if j == a1 else next(letters) for j in range(1, m)]
    out = "a" + "".join(c for c in xs[1:] + ys[1:] if c != "b")
    # Sum in float64 (exact for the small integers used below), then cast.
    r = np.einsum(f"{''.join(xs)},{''.join(ys)}->{out}", x.astype(np.float64), y.astype(np.float64))
    if r.ndim == 1:
        r = r[:, None]
    return r.astype(x.dtype)


def strided_view(rng, shape, dtype, broadcast=True):
    """A view of `shape` whose memory order is permuted, stepped (::2, ::3)
    and reversed (::-1, ::-2) per axis, and where some axes broadcast
    (stride 0). Values are small integers, so every sum is exact."""
    nd = len(shape)
    perm = rng.permutation(nd)
    steps = [int(rng.choice([1, 2, 3, -1, -2])) for _ in range(nd)]
    bcast = [broadcast and shape[i] > 1 and rng.random() < 0.2 for i in range(nd)]
    # view axis k (memory order) is logical axis perm[k]
    vshape = [1 if bcast[perm[k]] else shape[perm[k]] for k in range(nd)]
    base = rng.integers(-4, 5, size=[d * abs(steps[perm[k]]) for k, d in enumerate(vshape)]).astype(dtype)
    v = base[tuple(slice(None, None, steps[perm[k]]) for k in range(nd))]
    v = v.transpose(np.argsort(perm))
    if any(bcast):
        v = np.broadcast_to(v, shape)
    assert v.shape == tuple(shape)
    return v


def random_case(rng):
    n, m = int(rng.integers(2, 6)), int(rng.integers(2, 6))
    form = rng.choice(["none", "int", "negint", "pair", "negpair", "list", "nparray"])
    if form == "none":
        axes = None
    elif form == "int":
        axes = int(rng.integers(1, min(n, m)))
    elif form == "negint":
        axes = -int(rng.integers(1, min(n, m)))
    else:
        a0, a1 = int(rng.integers(1, n)), int(rng.integers(1, m))
        if form == "negpair":
            a0, a1 = a0 - n, a1 - m
        axes = {"pair": (a0, a1), "negpair": (a0, a1), "list": [a0, a1], "nparray": np.array([a0, a1])}[form]
    a0, a1 = norm_axes(n, m, axes)
    big = n + m <= 6
    dim = lambda: int(rng.integers(1, 5 if big else 4))  # noqa: E731
    xs = [dim() for _ in range(n)]
    ys = [dim() for _ in range(m)]
    ys[0] = xs[0]
    ys[a1] = xs[a0]
    if rng.random() < 0.05:  # empty batch, contraction or free dim
        which = rng.integers(3)
        if which == 0:
            xs[0] = ys[0] = 0
        elif which == 1:
            xs[a0] = ys[a1] = 0
        else:
            xs[int(rng.integers(1, n))] = 0
            ys[a1] = xs[a0]
    return xs, ys, axes


# ---------------------------------------------------------------------------
# The seed page (shared/seed/keras-batch_dot-doc.txt) and SPEC examples
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_seed_docstring_example(dtype):
    x = np.array([[1, 2], [3, 4]], dtype=dtype)
    y = np.array([[5, 6], [7, 8]], dtype=dtype)
    r = bd.batch_dot(x, y, axes=1)
    assert r.dtype == dtype
    assert r.shape == (2, 1)
    np.testing.assert_array_equal(r, [[17], [53]])
    # "the main diagonal of x.dot(y.T)"
    np.testing.assert_array_equal(r[:, 0], np.diag(x @ y.T))


def test_python_lists_become_float64():
    r = bd.batch_dot([[1, 2], [3, 4]], [[5, 6], [7, 8]], axes=1)
    assert r.dtype == np.float64
    np.testing.assert_array_equal(r, [[17], [53]])


@pytest.mark.parametrize("dtype", DTYPES)
def test_seed_shape_inference_examples(dtype):
    assert bd.infer_shape((100, 20), (100, 30, 20), axes=(1, 2)) == (100, 30)
    assert bd.infer_shape((32, 20, 1), (32, 30, 20), axes=[1, 2]) == (32, 1, 30)
    x = np.ones((100, 20), dtype)
    y = np.ones((100, 30, 20), dtype)
    r = bd.batch_dot(x, y, axes=(1, 2))
    assert r.shape == (100, 30)
    np.testing.assert_array_equal(r, np.full((100, 30), 20, dtype))
    x = np.ones((32, 20, 1), dtype)
    y = np.ones((32, 30, 20), dtype)
    r = bd.batch_dot(x, y, axes=[1, 2])
    assert r.shape == (32, 1, 30)
    np.testing.assert_array_equal(r, np.full((32, 1, 30), 20, dtype))


@pytest.mark.parametrize(
    "xs, ys, axes, expected",
    [
        ((3, 4), (3, 4), None, (3, 1)),
        ((3, 4), (3, 4), True, (3, 1)),
        ((3, 4), (3, 4, 5), None, (3, 5)),
        ((3, 4, 5), (3, 5), None, (3, 4)),
        ((3, 4, 5), (3, 4), (1, 1), (3, 5)),
        ((3, 4, 5), (3, 6, 5), -1, (3, 4, 6)),
        ((2, 3, 4, 5), (2, 5, 6, 7), (3, 1), (2, 3, 4, 6, 7)),
        ((2, 3, 4, 5), (2, 6, 5, 7), None, (2, 3, 4, 6, 7)),
        ((2, 3, 4, 5, 6), (2, 2, 3, 4, 5), (2, 3), (2, 3, 5, 6, 2, 3, 5)),
        ((2, 1, 2, 2), (2, 1, 2, 2), (2, 2), (2, 1, 2, 1, 2)),
        ((1, 2, 1), (1, 2, 1, 16), (2, 2), (1, 2, 2, 16)),
        ((8, 7, 4, 2), (8, 7, 2, 5), None, (8, 7, 4, 7, 5)),
        ((0, 4), (0, 4), 1, (0, 1)),
        ((3, 0), (3, 0), 1, (3, 1)),
        ((3, 0, 4), (3, 4, 5), None, (3, 0, 5)),
        ((3, 2, 0, 0), (3, 0), (3, 1), (3, 2, 0)),
        ((1, 3, 2), (1, 1, 2, 3), (-2, -1), (1, 2, 1, 2)),
    ],
)
def test_spec_edge_table(xs, ys, axes, expected):
    assert bd.infer_shape(xs, ys, axes) == expected
    rng = np.random.default_rng(1)
    x = rng.integers(-3, 4, xs).astype(np.float64)
    y = rng.integers(-3, 4, ys).astype(np.float64)
    r = bd.batch_dot(x, y, axes)
    assert r.shape == expected
    np.testing.assert_array_equal(r, reference(x, y, axes))


def test_contraction_of_length_zero_gives_positive_zero():
    r = bd.batch_dot(np.ones((3, 4, 0)), np.ones((3, 0, 5)))
    assert r.shape == (3, 4, 5)
    assert np.all(r == 0) and not np.any(np.signbit(r))
    r = bd.batch_dot(np.array([[-0.0, -0.0]]), np.array([[1.0, 1.0]]), 1)
    assert r[0, 0] == 0 and not np.signbit(r[0, 0])


def test_nan_and_inf_propagate():
    x = np.array([[np.inf, 1.0], [np.nan, 0.0]])
    y = np.array([[0.0, 1.0], [1.0, 1.0]])
    assert np.isnan(bd.batch_dot(x, y, 1)).all()


def test_infer_shape_unknown_extents():
    # SPEC §3: (None,4)·(3,4) -> (3,1); Keras 2.3 test_batch_dot_shape
    assert bd.infer_shape((None, 4), (3, 4), 1) == (3, 1)
    assert bd.infer_shape((None, 4), (None, 4)) == (None, 1)
    assert bd.infer_shape((None, 3, 4, 5), (None, 2, 3, 4), (2, 3)) == (None, 3, 5, 2, 3)
    assert bd.infer_shape((None, 3, 4, 5), (None, 2, 4), 2) == (None, 3, 5, 2)
    assert bd.infer_shape((None, 3, 4), (None, 2, 3, 4), (2, 3)) == (None, 3, 2, 3)
    assert bd.infer_shape((None, 4, 3), (None, 3, 5), (2, 1)) == (None, 4, 5)
    assert bd.infer_shape((None, 4), (None, 3, 4), (1, 2)) == (None, 3)
    # an unknown contraction skips the contraction check
    assert bd.infer_shape((2, None), (2, 7), 1) == (2, 1)
    with pytest.raises(bd.InvalidShapeError):
        bd.infer_shape((2, -2), (2, 2), 1)


# ---------------------------------------------------------------------------
# Random layouts against einsum
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(400))
def test_random_layouts_match_einsum(seed):
    rng = np.random.default_rng(seed)
    dtype = DTYPES[seed % 2]
    xs, ys, axes = random_case(rng)
    x = strided_view(rng, xs, dtype) if rng.random() < 0.85 else rng.integers(-4, 5, xs).astype(dtype)
    y = strided_view(rng, ys, dtype) if rng.random() < 0.85 else rng.integers(-4, 5, ys).astype(dtype)
    expected = reference(x, y, axes)
    assert bd.infer_shape(xs, ys, axes) == expected.shape
    r = bd.batch_dot(x, y, axes, num_threads=int(rng.integers(0, 3)))
    assert r.dtype == dtype and r.shape == expected.shape
    assert r.flags.c_contiguous
    np.testing.assert_array_equal(r, expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_random_normal_data_within_bound(dtype):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((6, 50, 3)).astype(dtype)[:, ::-2].transpose(0, 2, 1)  # (6,3,25)
    y = rng.standard_normal((6, 25, 4)).astype(dtype)
    r = bd.batch_dot(x, y)
    ref = np.einsum("bik,bkj->bij", x.astype(np.float64), y.astype(np.float64))
    bound = 25 * np.finfo(dtype).eps * np.einsum("bik,bkj->bij", np.abs(x), np.abs(y)).astype(np.float64)
    assert np.all(np.abs(r - ref) <= bound + 1e-300)


@pytest.mark.parametrize("dtype", DTYPES)
def test_x_and_y_may_be_the_same_array(dtype):
    x = np.arange(24, dtype=dtype).reshape(2, 3, 4)
    np.testing.assert_array_equal(bd.batch_dot(x, x, 2), reference(x, x, 2))
    np.testing.assert_array_equal(bd.batch_dot(x, x[:, ::-1], 2), reference(x, x[:, ::-1], 2))


def test_threads_give_bitwise_identical_results():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((16, 9, 33)).astype(np.float32)
    y = rng.standard_normal((16, 33, 7)).astype(np.float32)
    r1 = bd.batch_dot(x, y, num_threads=1)
    for nt in (0, 2, 3):
        assert bd.batch_dot(x, y, num_threads=nt).tobytes() == r1.tobytes()


# ---------------------------------------------------------------------------
# out=
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_out_strided(dtype):
    rng = np.random.default_rng(11)
    x = strided_view(rng, (4, 3, 5), dtype, broadcast=False)
    y = strided_view(rng, (4, 5, 2), dtype)
    expected = reference(x, y, None)  # (4, 3, 2)
    buf = np.full((8, 2, 6), np.nan, dtype=dtype)
    out = buf[::-2, :, ::2].transpose(0, 2, 1)[:, :, ::-1]  # (4, 3, 2), strided, reversed
    assert out.shape == (4, 3, 2) and not out.flags.c_contiguous
    r = bd.batch_dot(x, y, out=out)
    assert r is out
    np.testing.assert_array_equal(out, expected)
    # only the elements out reaches were written; the rest is still NaN
    mask = np.ones(buf.shape, bool)
    mask[::-2, :, ::2] = False
    assert np.isnan(buf[mask]).all()
    assert not np.isnan(buf[~mask]).any()


def test_out_errors():
    x = np.ones((2, 3, 4))
    y = np.ones((2, 4, 5))
    with pytest.raises(bd.OutputShapeError) as e:
        bd.batch_dot(x, y, out=np.empty((2, 5, 3)))
    assert e.value.status == bd.STATUS_OUTPUT_SHAPE
    assert e.value.status_name == "BATCH_DOT_STATUS_OUTPUT_SHAPE"
    with pytest.raises(bd.UnsupportedDtypeError) as e:  # float64 inputs, float32 out
        bd.batch_dot(x, y, out=np.empty((2, 3, 5), np.float32))
    assert e.value.status == 15
    with pytest.raises(ValueError, match="read-only"):
        bd.batch_dot(x, y, out=np.broadcast_to(np.empty((1, 3, 5)), (2, 3, 5)))
    # a writable out with a zero stride: not non-overlapping by construction
    base = np.zeros(15)
    z = np.lib.stride_tricks.as_strided(base, (2, 3, 5), (0, 40, 8), writeable=True)
    with pytest.raises(bd.AliasingError) as e:
        bd.batch_dot(x, y, out=z)
    assert e.value.status == 11
    # out overlapping an input
    big = np.zeros((2, 3, 5))
    with pytest.raises(bd.AliasingError):
        bd.batch_dot(big[:, :, :4], np.ones((2, 4, 5)), out=big)
    np.testing.assert_array_equal(big, 0)  # nothing written on error


# ---------------------------------------------------------------------------
# The views are passed without copying
# ---------------------------------------------------------------------------


class Recorder:
    """Stands in for lib.batch_dot_compute: records what was passed, then
    calls the real function."""

    def __init__(self, real):
        self.real = real
        self.calls = []

    def __call__(self, xc, xl, xp, yc, yl, yp, ax, ay, oc, ol, op, opts):
        lay = lambda ref: ctypes.cast(ref, ctypes.POINTER(bd.Layout)).contents  # noqa: E731
        self.calls.append(
            dict(
                x=(xp, _copy_layout(lay(xl))),
                y=(yp, _copy_layout(lay(yl))),
                out=(op, _copy_layout(lay(ol))),
                axes=(ax, ay),
                dtypes=(xc, yc, oc),
            )
        )
        return self.real(xc, xl, xp, yc, yl, yp, ax, ay, oc, ol, op, opts)


def _copy_layout(l):
    c = bd.Layout()
    ctypes.memmove(ctypes.byref(c), ctypes.byref(l), ctypes.sizeof(bd.Layout))
    return c


def element_addresses(v):
    """Addresses of every element of the view, from its interface alone."""
    start = v.__array_interface__["data"][0]
    idx = np.indices(v.shape).reshape(v.ndim, -1)
    return start + (np.array(v.strides)[:, None] * idx).sum(axis=0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["transposed", "step2", "reversed", "mixed", "broadcast"])
def test_views_are_not_copied(monkeypatch, dtype, kind):
    base_x = np.arange(2 * 6 * 8, dtype=dtype).reshape(2, 6, 8)
    base_y = np.arange(2 * 8 * 10, dtype=dtype).reshape(2, 8, 10)
    if kind == "transposed":
        x, y = base_x.transpose(0, 2, 1), base_y.transpose(0, 2, 1)  # (2,8,6) (2,10,8)
        axes = (1, 2)
    elif kind == "step2":
        x, y = base_x[:, ::2, ::2], base_y[:, ::2, ::2]  # (2,3,4) (2,4,5)
        axes = None
    elif kind == "reversed":
        x, y = base_x[::-1, ::-1, ::-1], base_y[:, ::-1]  # (2,6,8) (2,8,10)
        axes = None
    elif kind == "mixed":
        x, y = base_x[::-1, ::-2, 1::3].transpose(0, 2, 1), base_y[:, 1::3, ::-2]  # (2,3,3) (2,3,5)
        axes = (1, 1)
    else:
        x, y = np.broadcast_to(base_x[:1, :, :1], (2, 6, 3)), base_y[:, ::-2, :6].transpose(0, 2, 1)  # (2,6,3) (2,6,4)
        axes = (1, 1)
    rec = Recorder(bd.lib.batch_dot_compute)
    monkeypatch.setattr(bd.lib, "batch_dot_compute", rec)
    r = bd.batch_dot(x, y, axes)
    np.testing.assert_array_equal(r, reference(x, y, axes))
    assert len(rec.calls) == 1
    call = rec.calls[0]
    code = bd.DTYPE_F32 if dtype == np.float32 else bd.DTYPE_F64
    assert call["dtypes"] == (code, code, code)
    for v, base, (ptr, lay) in ((x, base_x, call["x"]), (y, base_y, call["y"])):
        addrs = element_addresses(v)
        isz = v.itemsize
        # The pointer passed is the lowest address of the view itself...
        assert ptr == addrs.min()
        # ...which lies inside the original array: nothing was copied.
        b0 = base.__array_interface__["data"][0]
        assert b0 <= ptr and addrs.max() + isz <= b0 + base.nbytes
        assert lay.len == (addrs.max() - addrs.min()) // isz + 1
        assert ptr + lay.offset * isz == v.__array_interface__["data"][0]
        assert tuple(lay.shape[: lay.ndim]) == v.shape
        for i, (d, s) in enumerate(zip(v.shape, v.strides)):
            if d > 1:
                assert lay.strides[i] * isz == s
    assert call["out"][0] == r.__array_interface__["data"][0]


def test_array_layout_negative_strides():
    a = np.arange(24.0).reshape(4, 6)
    v = a[::-1, ::-2]
    ptr, lay = bd.array_layout(v)
    assert ptr == a.__array_interface__["data"][0] + 8  # a[0, 1]: the lowest address
    assert (lay.ndim, lay.offset, lay.len) == (2, 3 * 6 + 4, 3 * 6 + 4 + 1)
    assert tuple(lay.strides[:2]) == (-6, -2)


def test_indescribable_strides_are_copied_for_inputs():
    rec = np.zeros(12, dtype=[("a", np.int16), ("f", np.float32)])  # itemsize 6
    rec["f"] = np.arange(12)
    x = rec["f"].reshape(3, 4)  # strides not multiples of 4
    assert x.strides[1] % 4 != 0
    r = bd.batch_dot(x, np.ones((3, 4), np.float32), 1)
    np.testing.assert_array_equal(r[:, 0], np.arange(12).reshape(3, 4).sum(1))
    with pytest.raises(ValueError):
        bd.batch_dot(np.ones((3, 4), np.float32), np.ones((3, 4), np.float32), 1, out=rec["f"].reshape(3, 4)[:, :1])


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "xs, ys, axes, exc, status, message",
    [
        ((3,), (3, 4), 1, bd.InvalidRankError, 2,
         "Cannot do batch_dot on inputs with rank < 2. Received inputs with shapes (3,) and (3, 4)."),
        ((3, 4), (5, 4), 1, bd.BatchMismatchError, 5,
         "Cannot do batch_dot on inputs with different batch sizes. Received inputs with shapes (3, 4) and (5, 4)."),
        ((1, 4), (2, 4), 1, bd.BatchMismatchError, 5, None),
        ((3, 4, 5), (3, 6, 5), (2, 1), bd.ContractionMismatchError, 6,
         "Cannot do batch_dot on inputs with shapes (3, 4, 5) and (3, 6, 5) with axes=[2, 1]. x.shape[2] != y.shape[1] (5 != 6)."),
        ((3, 4), (3, 5, 4), None, bd.ContractionMismatchError, 6, None),
        ((3, 4), (3, 4), 0, bd.BatchAxisError, 4, None),
        ((3, 4), (3, 4), (0, 1), bd.BatchAxisError, 4, None),
        ((3, 4), (3, 4), -2, bd.BatchAxisError, 4, None),
        ((3, 4), (3, 4), False, bd.BatchAxisError, 4, None),
        ((3, 4), (3, 4), 2, bd.InvalidAxesError, 3, None),
        ((3, 4), (3, 4), (1, 2), bd.InvalidAxesError, 3, None),
        ((3, 4), (3, 4), -3, bd.InvalidAxesError, 3, None),
        ((3, 5, 5), (3, 5, 5), (1, -5), bd.InvalidAxesError, 3, None),
        ((3, 4, 5), (3, 4, 6), -3, bd.BatchAxisError, 4, None),
        ((3, 4), (3, 4), ([1], [1]), bd.InvalidAxesError, 3,
         "Multiple target dimensions are not supported. Expected: None, int, (int, int), Provided: ([1], [1])"),
        ((3, 4), (3, 4), [[1], [1]], bd.InvalidAxesError, 3, None),
        ((3, 4), (3, 4), (1,), bd.InvalidAxesError, 3, None),
        ((3, 4), (3, 4), (), bd.InvalidAxesError, 3, None),
        ((3, 4), (3, 4), (1, 1, 1), bd.InvalidAxesError, 3, None),
        # Keras checks the batch before looking at the axes
        ((3, 4), (5, 4), [[1], [1]], bd.BatchMismatchError, 5, None),
        ((3,), (3, 4), (1, 2, 3), bd.InvalidRankError, 2, None),
        ((2,) * 17, (2, 2), 1, bd.InvalidRankError, 2, None),
    ],
)
@pytest.mark.parametrize("dtype", DTYPES)
def test_errors(xs, ys, axes, exc, status, message, dtype):
    x, y = np.ones(xs, dtype), np.ones(ys, dtype)
    with pytest.raises(exc) as e:
        bd.batch_dot(x, y, axes)
    err = e.value
    assert isinstance(err, bd.BatchDotError) and isinstance(err, ValueError)
    assert isinstance(err, bd.ShapeError)
    assert err.status == status
    assert err.status_name == bd.status_string(status)
    assert err.status_name.startswith("BATCH_DOT_STATUS_")
    assert err.message and str(err) == err.message
    if message is not None:
        assert err.message == message
    # infer_shape reports the same error
    with pytest.raises(exc) as e2:
        bd.infer_shape(xs, ys, axes)
    assert e2.value.status == status and e2.value.message == err.message


def test_type_errors():
    f32, f64 = np.ones((2, 3), np.float32), np.ones((2, 3), np.float64)
    # mixed dtypes: the library's UNSUPPORTED_DTYPE (a TypeError)
    with pytest.raises(bd.UnsupportedDtypeError) as e:
        bd.batch_dot(f32, f64, 1)
    assert isinstance(e.value, TypeError) and e.value.status == 15
    assert e.value.message.startswith("the combination (x float32, y float64, out float32) is not supported")
    # dtypes with no code: the binding says so, with the same class and status
    for dt in (np.int64, np.int16, np.complex64, ">f4", np.int32):
        with pytest.raises(bd.UnsupportedDtypeError) as e:
            bd.batch_dot(np.ones((2, 3), dt), np.ones((2, 3), dt), 1)
        assert e.value.status == bd.STATUS_UNSUPPORTED_DTYPE and "x has dtype" in e.value.message
    with pytest.raises(TypeError):
        bd.batch_dot(f64, f64, 1.0)
    with pytest.raises(TypeError):
        bd.batch_dot(f64, f64, (1.0, 1.0))
    with pytest.raises(TypeError):
        bd.batch_dot(f64, f64, "1")
    # numpy integers are ints
    np.testing.assert_array_equal(bd.batch_dot(f64, f64, np.int64(1)), [[3], [3]])


def test_error_hierarchy_and_status_names():
    assert issubclass(bd.InternalError, RuntimeError)
    assert issubclass(bd.AllocationError, MemoryError)
    assert issubclass(bd.BatchDotOverflowError, OverflowError)
    assert issubclass(bd.UnsupportedDtypeError, TypeError)
    names = [bd.status_string(s) for s in range(16)]
    assert names[0] == "BATCH_DOT_STATUS_OK"
    assert names[5] == "BATCH_DOT_STATUS_BATCH_MISMATCH"
    assert names[14] == "BATCH_DOT_STATUS_INTERNAL"
    assert names[15] == "BATCH_DOT_STATUS_UNSUPPORTED_DTYPE"
    assert sorted(bd._ERRORS) == list(range(1, 16))
    assert bd.status_string(99) == "BATCH_DOT_STATUS_UNKNOWN"
    for s, cls in bd._ERRORS.items():
        assert cls.status == s


def test_overflow_in_infer_shape():
    with pytest.raises(bd.BatchDotOverflowError) as e:
        bd.infer_shape((2**40, 2**30, 2), (2**40, 2, 2**30))
    assert e.value.status == bd.STATUS_OVERFLOW


def test_error_messages_are_per_thread():
    results = {}

    def worker(i):
        try:
            for _ in range(200):
                try:
                    bd.batch_dot(np.ones((i + 1, 2)), np.ones((i + 2, 2)), 1)
                except bd.BatchMismatchError as e:
                    assert f"shapes ({i + 1}, 2) and ({i + 2}, 2)" in e.message, e.message
                bd.batch_dot(np.ones((2, 2)), np.ones((2, 2)), 1)
                assert bd.last_error_message() == ""
            results[i] = True
        except Exception as e:  # pragma: no cover
            results[i] = e

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(v is True for v in results.values()), results


# ---------------------------------------------------------------------------
# Low-level functions and loading
# ---------------------------------------------------------------------------


def test_low_level_lib():
    assert bd.lib.batch_dot_abi_version() == bd.ABI_VERSION == 0
    v = bd.lib.batch_dot_version()
    assert bd.library_version() == f"{v >> 16}.{(v >> 8) & 255}.{v & 255}"
    lay = bd.Layout()
    shape = (ctypes.c_int64 * 3)(2, 0, 4)
    assert bd.lib.batch_dot_layout_init_contiguous(ctypes.byref(lay), 3, shape) == 0
    assert tuple(lay.strides[:3]) == (4, 4, 1) and lay.len == 0
    o = bd.Options.default()
    assert o.struct_size == ctypes.sizeof(bd.Options) and o.num_threads == 0
    # a raw call with contiguous layouts
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    y = np.array([[5.0, 6.0], [7.0, 8.0]])
    out = np.zeros((2, 1))
    xp, xl = bd.array_layout(x)
    yp, yl = bd.array_layout(y)
    op, ol = bd.array_layout(out)
    st = bd.lib.batch_dot_f64(ctypes.byref(xl), xp, ctypes.byref(yl), yp, bd.AXIS_DEFAULT, bd.AXIS_DEFAULT, ctypes.byref(ol), op, None)
    assert st == 0
    np.testing.assert_array_equal(out, [[17], [53]])
    st = bd.lib.batch_dot_f64(ctypes.byref(xl), xp, ctypes.byref(yl), yp, bd.AXIS_DEFAULT, 1, ctypes.byref(ol), op, None)
    assert st == bd.STATUS_INVALID_AXES and bd.last_error_message()


def _run_import(env_lib, tmp_path):
    code = "import batch_dot, sys; print(batch_dot.lib.path)"
    # the batch_dot under test: the source tree's, or the installed one
    env = dict(os.environ, BATCH_DOT_LIBRARY=env_lib, PYTHONPATH=os.path.dirname(os.path.dirname(bd.__file__)))
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=tmp_path)


def test_missing_library_is_import_error(tmp_path):
    p = _run_import(str(tmp_path / "nope.so"), tmp_path)
    assert p.returncode != 0 and "ImportError" in p.stderr and "BATCH_DOT_LIBRARY" in p.stderr


@pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler")
def test_abi_mismatch_is_import_error(tmp_path):
    src = tmp_path / "fake.c"
    src.write_text(textwrap.dedent("""
        #include <stdint.h>
        uint32_t batch_dot_abi_version(void) { return 1; }
    """))
    so = tmp_path / "libfake.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(so), str(src)], check=True)
    p = _run_import(str(so), tmp_path)
    assert p.returncode != 0
    assert "ImportError" in p.stderr and "ABI version 1" in p.stderr


def test_library_found_through_env():
    env = os.environ.get("BATCH_DOT_LIBRARY")
    if env:
        assert os.path.samefile(bd.lib.path, env)


@pytest.mark.skipif(not INSTALLED, reason="tests an installed package (BATCH_DOT_TEST_INSTALLED=1)")
def test_installed_package_ships_the_library():
    # pip install ./bindings/python put libbatch_dot.so inside the package,
    # and the package (not a source tree, not BATCH_DOT_LIBRARY) loaded it.
    pkg = os.path.dirname(os.path.abspath(bd.__file__))
    assert "BATCH_DOT_LIBRARY" not in os.environ
    assert os.path.dirname(os.path.abspath(bd.lib.path)) == pkg
    assert not os.path.exists(os.path.join(pkg, "..", "..", "Cargo.toml"))
    assert bd.lib.batch_dot_dlpack is not None


# ---------------------------------------------------------------------------
# alpha / beta: out = alpha * (x.y) + beta * out (the scale flag)
# ---------------------------------------------------------------------------


def small_ints(rng, shape, dtype):
    return rng.integers(-4, 5, size=shape).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("alpha", [1.0, 0.0, -1.0, 0.5, -2.25, 3.0])
@pytest.mark.parametrize("beta", [0.0, 1.0, -1.0, 0.5, -3.0])
@pytest.mark.parametrize("num_threads", [1, 2])
def test_alpha_beta_into_strided_out(dtype, alpha, beta, num_threads):
    # Small integers and dyadic alpha/beta: every value is exact, so the
    # comparison with einsum is exact. out is strided and reversed; the
    # elements it does not reach hold NaN, and so does out itself when
    # beta == 0 (it must not be read).
    rng = np.random.default_rng(18)
    x = strided_view(rng, (4, 3, 5), dtype, broadcast=False)
    y = strided_view(rng, (4, 5, 2), dtype)
    out0 = small_ints(rng, (4, 3, 2), dtype)
    buf = np.full((8, 2, 6), np.nan, dtype=dtype)
    out = buf[::-2, :, ::2].transpose(0, 2, 1)[:, :, ::-1]
    if beta != 0:
        out[...] = out0
    expected = alpha * reference(x, y, None).astype(np.float64)
    if beta != 0:
        expected += beta * out0.astype(np.float64)
    r = bd.batch_dot(x, y, out=out, alpha=alpha, beta=beta, num_threads=num_threads)
    assert r is out
    np.testing.assert_array_equal(out, expected.astype(dtype))
    mask = np.ones(buf.shape, bool)
    mask[::-2, :, ::2] = False
    assert np.isnan(buf[mask]).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_alpha_without_out_and_attention_scores(dtype):
    # Scaled scores q.k^T / sqrt(d) in one call, against einsum.
    rng = np.random.default_rng(5)
    q = rng.standard_normal((6, 7, 16)).astype(dtype)
    k = rng.standard_normal((6, 9, 16)).astype(dtype)
    scores = bd.batch_dot(q, k, axes=2, alpha=16**-0.5)
    assert scores.shape == (6, 7, 9) and scores.dtype == dtype
    want = np.einsum("bid,bjd->bij", q.astype(np.float64), k.astype(np.float64)) / 4.0
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(scores, want, rtol=tol, atol=tol)
    # beta=1 accumulates a second product into them (K split across calls).
    q2 = rng.standard_normal((6, 7, 16)).astype(dtype)
    k2 = rng.standard_normal((6, 9, 16)).astype(dtype)
    bd.batch_dot(q2, k2, axes=2, out=scores, alpha=16**-0.5, beta=1.0)
    want += np.einsum("bid,bjd->bij", q2.astype(np.float64), k2.astype(np.float64)) / 4.0
    np.testing.assert_allclose(scores, want, rtol=10 * tol, atol=10 * tol)


def test_alpha_beta_flag_and_errors(monkeypatch):
    # alpha=1, beta=0 is the plain call (no flag); anything else sets it.
    seen = []
    real = bd.lib.batch_dot_compute

    def spy(xc, xl, xp, yc, yl, yp, ax, ay, oc, ol, op, opts):
        o = opts._obj
        seen.append((o.struct_size, o.flags, o.alpha, o.beta))
        return real(xc, xl, xp, yc, yl, yp, ax, ay, oc, ol, op, opts)

    monkeypatch.setattr(bd.lib, "batch_dot_compute", spy)
    x = np.ones((2, 3))
    out = np.full((2, 1), 5.0)
    bd.batch_dot(x, x, axes=1)
    bd.batch_dot(x, x, axes=1, out=out, beta=1)
    bd.batch_dot(x, x, axes=1, alpha=1.0, beta=0.0)
    bd.batch_dot(x, x, axes=1, alpha=-0.5)
    assert seen == [
        (32, 0, 1.0, 0.0),
        (32, bd.OPT_SCALE, 1.0, 1.0),
        (32, 0, 1.0, 0.0),
        (32, bd.OPT_SCALE, -0.5, 0.0),
    ]
    np.testing.assert_array_equal(out, [[8.0], [8.0]])
    # beta != 0 needs an out to accumulate into.
    with pytest.raises(ValueError, match="beta"):
        bd.batch_dot(x, x, axes=1, beta=0.5)
    # Errors of scaled calls are still exceptions carrying the status.
    with pytest.raises(bd.OutputShapeError) as e:
        bd.batch_dot(x, x, axes=1, out=np.zeros((2, 2)), alpha=2.0, beta=1.0)
    assert e.value.status == bd.STATUS_OUTPUT_SHAPE
    # alpha and beta are keyword-only.
    with pytest.raises(TypeError):
        bd.batch_dot(x, x, 1, None, 0, 2.0)


# ---------------------------------------------------------------------------
# The README snippet ("Use it from Python")
# ---------------------------------------------------------------------------


def test_readme_snippet():
    import numpy as np
    import batch_dot

    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    y = np.array([[5.0, 6.0], [7.0, 8.0]])
    print(batch_dot.batch_dot(x, y, axes=1))  # [[17.] [53.]]

    # Any strides, no copies: transposed, stepped, reversed views.
    a = np.random.rand(100, 30, 20).astype(np.float32)
    b = np.random.rand(100, 20).astype(np.float32)
    r = batch_dot.batch_dot(b, a[:, ::-1], axes=(1, 2))  # shape (100, 30)
    assert r.shape == (100, 30)

    # Write into an existing (strided) array; shapes only.
    out = np.empty((100, 60), np.float32)[:, ::2]
    batch_dot.batch_dot(b, a, axes=(1, 2), out=out)
    assert batch_dot.infer_shape((None, 20), (None, 30, 20), axes=(1, 2)) == (None, 30)

    # Attention scores q·kᵀ/√d in one call (no pass over them after).
    q = np.random.rand(8, 64, 32).astype(np.float32)  # (batch*heads, seq, d)
    k = np.random.rand(8, 64, 32).astype(np.float32)
    s = batch_dot.batch_dot(q, k, axes=2, alpha=32**-0.5)  # (8, 64, 64)
    assert s.shape == (8, 64, 64)
    np.testing.assert_allclose(s, np.einsum("bid,bjd->bij", q, k) / np.sqrt(32), rtol=1e-5)

    try:
        batch_dot.batch_dot(x, np.ones((2, 3)), axes=1)
    except batch_dot.BatchDotError as e:  # a ValueError
        print(e.status_name, e)  # BATCH_DOT_STATUS_CONTRACTION_MISMATCH Cannot do ...
        assert e.status_name == "BATCH_DOT_STATUS_CONTRACTION_MISMATCH"
    np.testing.assert_allclose(out, np.einsum("bk,bjk->bj", b, a), rtol=1e-5)

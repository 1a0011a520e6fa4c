"""float16, bfloat16 (ml_dtypes), int8 and uint8 through the binding, each
against an independent reference: NumPy's float64 or int64 arithmetic on the
exactly converted inputs, rounded by NumPy (float16) or ml_dtypes
(bfloat16), or wrapped modulo 2**32 (int32). docs/API.md, "Element types".
"""

import ctypes
import os
import string
import subprocess
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if os.environ.get("BATCH_DOT_TEST_INSTALLED") != "1":
    sys.path.insert(0, os.path.dirname(HERE))

import batch_dot as bd  # noqa: E402

ml_dtypes = pytest.importorskip("ml_dtypes")
BF16 = np.dtype(ml_dtypes.bfloat16)
F16 = np.dtype(np.float16)
FLOAT16S = [F16, BF16]


# ---------------------------------------------------------------------------
# References (docs/SEMANTICS.md §1-§2 with np.einsum, in float64 / int64)
# ---------------------------------------------------------------------------


def norm_axes(n, m, axes):
    if axes is None:
        return (n - 1, m - 1) if m == 2 else (n - 1, m - 2)
    if isinstance(axes, (int, np.integer)):
        axes = (int(axes), int(axes))
    a0, a1 = (int(a) for a in axes)
    return (a0 + n if a0 < 0 else a0), (a1 + m if a1 < 0 else a1)


def exact(x, y, axes, acc):
    """The sum in `acc` (float64: exact for the dyadic values used; int64:
    exact) of the inputs converted exactly."""
    n, m = x.ndim, y.ndim
    a0, a1 = norm_axes(n, m, axes)
    letters = iter(string.ascii_letters[2:])
    xs = ["a"] + ["b" if i == a0 else next(letters) for i in range(1, n)]
    ys = ["a"] + ["b" if j == a1 else next(letters) for j in range(1, m)]
    out = "a" + "".join(c for c in xs[1:] + ys[1:] if c != "b")
    r = np.einsum(f"{''.join(xs)},{''.join(ys)}->{out}", x.astype(acc), y.astype(acc))
    if r.ndim == 1:
        r = r[:, None]
    return r


def wrap32(v):
    """int64 -> int32 modulo 2**32 (two's complement), by integer arithmetic."""
    v = np.asarray(v, np.int64)
    return ((v + 2**31) % 2**32 - 2**31).astype(np.int32)


def dyadic(rng, shape, dtype):
    """Values k/8, |k| <= 64: exact in float16 and bfloat16 (7 significant
    bits at most), so every product and every float32 sum of a few hundred
    of them is exact, and the only rounding is the final one."""
    return (rng.integers(-64, 65, size=shape) / 8.0).astype(dtype)


def strided(rng, a):
    """`a`'s values in a transposed, stepped and reversed view of a bigger
    buffer (same shape, same values)."""
    nd = a.ndim
    perm = rng.permutation(nd)
    steps = [int(rng.choice([1, 2, -1, -2])) for _ in range(nd)]
    shape_m = [a.shape[perm[k]] for k in range(nd)]
    base = np.zeros([d * abs(steps[perm[k]]) for k, d in enumerate(shape_m)], a.dtype)
    v = base[tuple(slice(None, None, steps[perm[k]]) for k in range(nd))].transpose(np.argsort(perm))
    v[...] = a
    assert v.shape == a.shape
    return v, base


# ---------------------------------------------------------------------------
# float16 and bfloat16
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOAT16S, ids=["float16", "bfloat16"])
@pytest.mark.parametrize(
    "xs, ys, axes",
    [
        ((3, 5), (3, 5), 1),
        ((4, 7, 9), (4, 9, 6), None),
        ((2, 3, 40), (2, 5, 40), 2),
        ((2, 3, 4, 5), (2, 5, 6, 7), (3, 1)),
        ((5, 300), (5, 300, 2), (1, 1)),
        ((3, 0, 4), (3, 4, 5), None),
        ((3, 4, 0), (3, 0, 5), None),
    ],
)
def test_16bit_rounded_once(dtype, xs, ys, axes):
    rng = np.random.default_rng(sum(xs) + sum(ys))
    x, y = dyadic(rng, xs, dtype), dyadic(rng, ys, dtype)
    want = exact(x, y, axes, np.float64)  # exact, and exact in float32 too
    r = bd.batch_dot(x, y, axes)
    assert r.dtype == dtype and r.shape == want.shape
    # one rounding of the exact sum, done by NumPy (float16) or ml_dtypes
    np.testing.assert_array_equal(r.view(np.uint16), want.astype(dtype).view(np.uint16))
    # out_dtype=float32: the float32 sum itself, unrounded
    r32 = bd.batch_dot(x, y, axes, out_dtype=np.float32)
    assert r32.dtype == np.float32
    np.testing.assert_array_equal(r32, want.astype(np.float32))
    assert np.array_equal(r32, want)  # the sums are exact in float32


def test_16bit_rounding_is_not_truncation():
    # 1 + 2**-8 + 2**-9 is halfway-plus in bfloat16 (8 significant bits): it
    # rounds up to 1 + 2**-7, where truncation would give 1.
    x = np.array([[1.0, 2.0**-8, 2.0**-9]], BF16)
    y = np.ones((1, 3), BF16)
    r = bd.batch_dot(x, y, 1)
    assert float(r[0, 0]) == 1 + 2.0**-7 == float(np.float64(1 + 2**-8 + 2**-9).astype(BF16))
    # float16: 2048 + 1 is a tie (11 significant bits) -> even (2048);
    # 2048 + 1 + 2**-4 is above it -> 2050.
    x = np.array([[2048.0, 1.0, 0.0], [2048.0, 1.0, 2.0**-4]], F16)
    r = bd.batch_dot(x, np.ones((2, 3), F16), 1)
    assert r[:, 0].tolist() == [2048.0, 2050.0]


@pytest.mark.parametrize("dtype", FLOAT16S, ids=["float16", "bfloat16"])
def test_16bit_random_normal_within_bound(dtype):
    # docs/API.md: within 2(K+2)·2**-24·Σ|x·y| of the exact sum before the
    # final rounding, so within that plus half an ulp of the output after it.
    rng = np.random.default_rng(4)
    x = rng.standard_normal((5, 6, 200)).astype(dtype)
    y = rng.standard_normal((5, 200, 7)).astype(dtype)
    ref = np.einsum("bik,bkj->bij", x.astype(np.float64), y.astype(np.float64))
    mag = np.einsum("bik,bkj->bij", np.abs(x.astype(np.float64)), np.abs(y.astype(np.float64)))
    bound = 2 * (200 + 2) * 2.0**-24 * mag
    r32 = bd.batch_dot(x, y, out_dtype=np.float32)
    assert np.all(np.abs(r32.astype(np.float64) - ref) <= bound)
    r = bd.batch_dot(x, y).astype(np.float64)
    ulp_half = np.abs(ref) * (2.0**-11 if dtype == F16 else 2.0**-8)
    assert np.all(np.abs(r - ref) <= bound + ulp_half + 1e-300)
    # the 16-bit result is the float32 sum rounded once
    np.testing.assert_array_equal(bd.batch_dot(x, y), r32.astype(dtype))


def test_16bit_overflow_nan_inf():
    x = np.array([[60000.0, 60000.0], [np.inf, 1.0], [np.nan, 1.0]], F16)
    y = np.ones((3, 2), F16)
    r = bd.batch_dot(x, y, 1)
    assert r[0, 0] == np.inf and r[1, 0] == np.inf and np.isnan(r[2, 0])
    r32 = bd.batch_dot(x, y, 1, out_dtype=np.float32)
    assert r32[0, 0] == 120000.0  # the float32 sum does not overflow


def spy_compute(monkeypatch):
    """Records (x_dtype, x_data, y_dtype, y_data, out_dtype, out_data) of
    each batch_dot_compute call, then makes the real call."""
    calls = []
    real = bd.lib.batch_dot_compute

    def spy(xc, xl, xp, yc, yl, yp, ax, ay, oc, ol, op, opts):
        calls.append((xc, xp, yc, yp, oc, op))
        return real(xc, xl, xp, yc, yl, yp, ax, ay, oc, ol, op, opts)

    monkeypatch.setattr(bd.lib, "batch_dot_compute", spy)
    return calls


def inside(p, base):
    b0 = base.__array_interface__["data"][0]
    return b0 <= p < b0 + base.nbytes


@pytest.mark.parametrize("dtype", FLOAT16S, ids=["float16", "bfloat16"])
@pytest.mark.parametrize("seed", range(12))
def test_16bit_strided_views_and_out(monkeypatch, dtype, seed):
    rng = np.random.default_rng(100 + seed)
    x0, y0 = dyadic(rng, (3, 4, 6), dtype), dyadic(rng, (3, 6, 5), dtype)
    x, xbase = strided(rng, x0)
    y, ybase = strided(rng, y0)
    want = exact(x0, y0, None, np.float64)
    calls = spy_compute(monkeypatch)
    code = bd.DTYPE_F16 if dtype == F16 else bd.DTYPE_BF16
    for odt, oc in ((dtype, code), (np.dtype(np.float32), bd.DTYPE_F32)):
        buf = np.full((6, 4, 10), np.nan, odt)
        out = buf[::2, :, ::2][:, ::-1]  # (3, 4, 5): stepped and reversed
        r = bd.batch_dot(x, y, out=out)
        assert r is out
        np.testing.assert_array_equal(out.astype(np.float64), want.astype(odt).astype(np.float64))
        assert np.isnan(buf[1::2].astype(np.float32)).all()  # untouched
        # the views were passed in place: their pointers lie in their buffers
        xc, xp, yc, yp, oc_, op = calls.pop()
        assert (xc, yc, oc_) == (code, code, oc)
        assert inside(xp, xbase) and inside(yp, ybase) and inside(op, buf)


@pytest.mark.parametrize("dtype", FLOAT16S, ids=["float16", "bfloat16"])
def test_16bit_alpha_beta(dtype):
    rng = np.random.default_rng(9)
    x, y = dyadic(rng, (2, 3, 4), dtype), dyadic(rng, (2, 4, 5), dtype)
    out0 = dyadic(rng, (2, 3, 5), dtype)
    out = out0.copy()
    bd.batch_dot(x, y, out=out, alpha=0.5, beta=-2.0)
    want = 0.5 * exact(x, y, None, np.float64) - 2.0 * out0.astype(np.float64)
    np.testing.assert_array_equal(out.view(np.uint16), want.astype(dtype).view(np.uint16))


# ---------------------------------------------------------------------------
# int8 and uint8
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("xdt", [np.int8, np.uint8])
@pytest.mark.parametrize(
    "xs, ys, axes",
    [
        ((3, 5), (3, 5), 1),
        ((4, 7, 33), (4, 33, 6), None),
        ((2, 3, 4, 5), (2, 5, 6, 7), (3, 1)),
        ((2, 9, 130), (2, 11, 130), 2),
        ((3, 4, 0), (3, 0, 5), None),
    ],
)
def test_int8_exact(xdt, xs, ys, axes):
    rng = np.random.default_rng(sum(xs) * 7 + sum(ys))
    info = np.iinfo(xdt)
    x = rng.integers(info.min, info.max + 1, size=xs).astype(xdt)
    y = rng.integers(-128, 128, size=ys).astype(np.int8)
    r = bd.batch_dot(x, y, axes)
    assert r.dtype == np.int32
    np.testing.assert_array_equal(r, wrap32(exact(x, y, axes, np.int64)))
    # extreme values everywhere: -128·-128 and 255·-128
    x[...] = info.min if xdt == np.int8 else info.max
    y[...] = -128
    np.testing.assert_array_equal(bd.batch_dot(x, y, axes), wrap32(exact(x, y, axes, np.int64)))


@pytest.mark.parametrize("xdt, k", [(np.int8, 131073), (np.uint8, 65795)])
def test_int8_sum_wraps_modulo_2_32(xdt, k):
    # K just past what int32 holds (docs/API.md: K > 131071 for S8·S8,
    # K > 65793 for U8·S8): the sum wraps, never saturates.
    x = np.full((2, k), -128 if xdt == np.int8 else 255, xdt)
    y = np.full((2, k), -128, np.int8)
    x[1, ::3] = 0
    want = wrap32(exact(x, y, 1, np.int64))
    exact_sum = int(x[0].astype(np.int64) @ y[0].astype(np.int64))
    assert not -(2**31) <= exact_sum < 2**31  # it does wrap
    np.testing.assert_array_equal(bd.batch_dot(x, y, 1), want)


@pytest.mark.parametrize("xdt", [np.int8, np.uint8])
@pytest.mark.parametrize("seed", range(12))
def test_int8_strided_views_and_out(monkeypatch, xdt, seed):
    rng = np.random.default_rng(200 + seed)
    x0 = rng.integers(np.iinfo(xdt).min, np.iinfo(xdt).max + 1, size=(3, 5, 7)).astype(xdt)
    y0 = rng.integers(-128, 128, size=(3, 7, 4)).astype(np.int8)
    x, xbase = strided(rng, x0)
    y, ybase = strided(rng, y0)
    want = wrap32(exact(x0, y0, None, np.int64))
    calls = spy_compute(monkeypatch)
    buf = np.full((6, 5, 8), -1, np.int32)
    out = buf[::-2, :, 1::2]  # (3, 5, 4), reversed and stepped
    assert bd.batch_dot(x, y, out=out) is out
    np.testing.assert_array_equal(out, want)
    assert (buf[::2] == -1).all() and (buf[:, :, ::2] == -1).all()  # untouched (rows 5, 3, 1 written)
    ((xc, xp, yc, yp, oc, op),) = calls
    assert (xc, yc, oc) == (bd.DTYPE_S8 if xdt == np.int8 else bd.DTYPE_U8, bd.DTYPE_S8, bd.DTYPE_S32)
    # the views were passed in place: their pointers lie in their buffers
    assert inside(xp, xbase) and inside(yp, ybase) and inside(op, buf)


def test_int32_beta_one_accumulates_with_wrap():
    rng = np.random.default_rng(3)
    x = rng.integers(-128, 128, size=(4, 3, 50)).astype(np.int8)
    y = rng.integers(-128, 128, size=(4, 50, 2)).astype(np.int8)
    out0 = rng.integers(-(2**31), 2**31, size=(4, 3, 2)).astype(np.int32)
    out0[0, 0, 0] = 2**31 - 1
    out = out0.copy()
    bd.batch_dot(x, y, out=out, beta=1)
    np.testing.assert_array_equal(out, wrap32(out0.astype(np.int64) + exact(x, y, None, np.int64)))
    # beta = 0 with alpha = 1 is the plain call: out is not read
    out[...] = 12345
    bd.batch_dot(x, y, out=out, alpha=1.0, beta=0.0)
    np.testing.assert_array_equal(out, wrap32(exact(x, y, None, np.int64)))


@pytest.mark.parametrize(
    "alpha, beta, message",
    [
        (2.0, 0.0, "options->alpha = 2: an int32 output takes alpha = 1 only."),
        (0.5, 1.0, "options->alpha = 0.5: an int32 output takes alpha = 1 only."),
        (1.0, 0.5, "options->beta = 0.5: an int32 output takes beta = 0 or 1 only."),
        (1.0, -1.0, "options->beta = -1: an int32 output takes beta = 0 or 1 only."),
        (float("nan"), 0.0, "options->alpha = NaN: an int32 output takes alpha = 1 only."),
    ],
)
def test_int32_alpha_beta_errors(alpha, beta, message):
    x = np.ones((2, 3), np.int8)
    out = np.full((2, 1), 7, np.int32)
    with pytest.raises(bd.InvalidArgumentError) as e:
        bd.batch_dot(x, x, 1, out=out, alpha=alpha, beta=beta)
    assert e.value.status == bd.STATUS_INVALID_ARGUMENT == 12
    assert e.value.message == message
    np.testing.assert_array_equal(out, 7)  # nothing written


# ---------------------------------------------------------------------------
# Combinations, out_dtype and errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "xdt, ydt, odt",
    [
        (np.int8, np.uint8, None),  # uint8 only as x
        (np.uint8, np.uint8, None),
        (np.int8, np.int8, np.float32),
        (np.float16, BF16, None),
        (BF16, np.float32, None),
        (np.float16, np.float16, np.float64),
        (np.float32, np.float32, np.float16),
        (np.int8, np.int8, np.int8),
    ],
)
def test_unsupported_combinations_are_the_librarys_status(xdt, ydt, odt):
    x, y = np.ones((2, 3), xdt), np.ones((2, 3), ydt)
    with pytest.raises(bd.UnsupportedDtypeError) as e:
        bd.batch_dot(x, y, 1, out_dtype=odt)
    err = e.value
    assert isinstance(err, TypeError) and err.status == 15
    assert err.status_name == "BATCH_DOT_STATUS_UNSUPPORTED_DTYPE"
    assert err.message.startswith("the combination (x ") and "is not supported" in err.message


def test_out_dtype_and_out_must_agree():
    x = np.ones((2, 3), np.float16)
    with pytest.raises(TypeError, match="out_dtype"):
        bd.batch_dot(x, x, 1, out=np.zeros((2, 1), np.float16), out_dtype=np.float32)
    with pytest.raises(bd.UnsupportedDtypeError):
        bd.batch_dot(x, x, 1, out_dtype=np.int64)
    out = np.zeros((2, 1), np.float32)
    assert bd.batch_dot(x, x, 1, out=out, out_dtype="float32") is out
    np.testing.assert_array_equal(out, [[3], [3]])


def test_shape_errors_carry_the_status_for_every_dtype():
    for dt in (np.float16, BF16, np.int8, np.uint8):
        y = np.ones((3, 4, 5), np.int8 if dt == np.uint8 else dt)
        with pytest.raises(bd.ContractionMismatchError) as e:
            bd.batch_dot(np.ones((3, 4, 5), dt), y, (2, 1))
        assert e.value.status == 6 and "x.shape[2] != y.shape[1] (5 != 4)" in e.value.message


def test_ml_dtypes_is_imported_lazily(tmp_path):
    # `import batch_dot` does not import ml_dtypes (it is optional), and
    # float16/int8 calls work without it.
    code = (
        "import sys, numpy as np, batch_dot as bd\n"
        "assert 'ml_dtypes' not in sys.modules, 'imported'\n"
        "bd.batch_dot(np.ones((2, 3), np.float16), np.ones((2, 3), np.float16), 1)\n"
        "bd.batch_dot(np.ones((2, 3), np.int8), np.ones((2, 3), np.int8), 1)\n"
        "assert 'ml_dtypes' not in sys.modules, 'imported by a call'\n"
        "print('ok')\n"
    )
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(bd.__file__)))
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert p.returncode == 0 and p.stdout.strip() == "ok", p.stderr


def test_readme_python_snippet_dtypes():
    # The README's 16-bit and int8 calls, checked against NumPy.
    import ml_dtypes
    import numpy as np
    import batch_dot

    q = np.random.rand(8, 64, 32).astype(ml_dtypes.bfloat16)
    k = np.random.rand(8, 64, 32).astype(ml_dtypes.bfloat16)
    s = batch_dot.batch_dot(q, k, axes=2, out_dtype=np.float32)  # float32 (8, 64, 64)
    assert s.dtype == np.float32 and s.shape == (8, 64, 64)
    ref = np.einsum("bid,bjd->bij", q.astype(np.float64), k.astype(np.float64))
    assert np.all(np.abs(s - ref) <= 2 * 34 * 2.0**-24 * ref + 1e-30)

    a = np.random.randint(0, 256, (4, 16, 64), dtype=np.uint8)  # activations
    w = np.random.randint(-128, 128, (4, 64, 8), dtype=np.int8)  # weights
    acc = batch_dot.batch_dot(a, w)  # int32 (4, 16, 8), exact
    assert acc.dtype == np.int32
    np.testing.assert_array_equal(acc, np.einsum("bik,bkj->bij", a.astype(np.int64), w.astype(np.int64)))


def test_layout_pointer_of_16bit_views():
    # array_layout works in elements of 2 bytes: a reversed bfloat16 view
    a = np.arange(24, dtype=np.float32).astype(BF16).reshape(4, 6)
    v = a[::-1, ::-2]
    ptr, lay = bd.array_layout(v)
    assert ptr == a.__array_interface__["data"][0] + 2  # a[0, 1]
    assert tuple(lay.strides[:2]) == (-6, -2) and lay.offset == 3 * 6 + 4
    assert ctypes.sizeof(bd.Layout) == 280

"""Objects with __dlpack__ through the binding (batch_dot_dlpack in C):
NumPy's own capsules (versioned and not), producers of older DLPack
versions, hand-made capsules, and JAX CPU arrays (when JAX is installed;
scripts/suites/70-python.sh installs it and sets BATCH_DOT_REQUIRE_JAX=1).
Every result is compared with NumPy's float64 or int64 arithmetic.
"""

import ctypes
import gc
import os
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if os.environ.get("BATCH_DOT_TEST_INSTALLED") != "1":
    sys.path.insert(0, os.path.dirname(HERE))

import batch_dot as bd  # noqa: E402

ml_dtypes = pytest.importorskip("ml_dtypes")
BF16 = np.dtype(ml_dtypes.bfloat16)

pytestmark = pytest.mark.skipif(
    bd.lib.batch_dot_dlpack is None, reason="this libbatch_dot has no batch_dot_dlpack"
)


def ref(x, y, sub, acc=np.float64):
    return np.einsum(sub, np.asarray(x).astype(acc), np.asarray(y).astype(acc))


def wrap32(v):
    v = np.asarray(v, np.int64)
    return ((v + 2**31) % 2**32 - 2**31).astype(np.int32)


def small(rng, shape, dtype):
    if np.dtype(dtype) == np.uint8:
        return rng.integers(0, 256, size=shape).astype(dtype)
    if np.dtype(dtype) == np.int8:
        return rng.integers(-128, 128, size=shape).astype(dtype)
    return (rng.integers(-64, 65, size=shape) / 8.0).astype(dtype)  # exact sums


class Producer:
    """A foreign DLPack producer (as a JAX or PyTorch array is to NumPy):
    only __dlpack__ and __dlpack_device__, handing out the capsules of the
    NumPy array it wraps. Records the keyword arguments of each call."""

    def __init__(self, a):
        self.a = a
        self.kwargs = []

    def __dlpack__(self, **kwargs):
        self.kwargs.append(kwargs)
        return self.a.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self.a.__dlpack_device__()


class LegacyProducer(Producer):
    """A producer of the 2021 specification: takes `stream` only, and hands
    out unversioned "dltensor" capsules."""

    def __dlpack__(self, stream=None):
        self.kwargs.append(dict(stream=stream))
        return self.a.__dlpack__(stream=stream)


class OldestProducer(Producer):
    """A producer whose __dlpack__ takes no argument at all."""

    def __dlpack__(self):
        self.kwargs.append({})
        return self.a.__dlpack__()


_capsule_new = ctypes.pythonapi.PyCapsule_New
_capsule_new.restype = ctypes.py_object
_capsule_new.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]


class HandMade:
    """A capsule built here (no destructor), to set fields NumPy never sets:
    the device, NULL strides, the capsule's name."""

    def __init__(self, a, device_type=bd.kDLCPU, strides=True, name=b"dltensor", dtype=None):
        self.a = a
        self.m = bd.DLManagedTensor()
        t = self.m.dl_tensor
        t.data = a.ctypes.data
        t.device.device_type = device_type
        t.ndim = a.ndim
        t.dtype.code, t.dtype.bits, t.dtype.lanes = dtype or bd._dl_dtype(a.dtype) + (1,)
        self.shape = (ctypes.c_int64 * a.ndim)(*a.shape)
        self.strides = (ctypes.c_int64 * a.ndim)(*(s // a.itemsize for s in a.strides))
        t.shape = ctypes.cast(self.shape, ctypes.POINTER(ctypes.c_int64))
        if strides:
            t.strides = ctypes.cast(self.strides, ctypes.POINTER(ctypes.c_int64))
        self.name = ctypes.create_string_buffer(name)
        self.capsule = _capsule_new(ctypes.addressof(self.m), ctypes.addressof(self.name), None)

    def __dlpack__(self, stream=None, max_version=None):
        return self.capsule


# ---------------------------------------------------------------------------
# NumPy's own capsules
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "xdt, ydt, odt",
    [
        (np.float32, np.float32, np.float32),
        (np.float64, np.float64, np.float64),
        (np.float16, np.float16, np.float16),
        (np.int8, np.int8, np.int32),
        (np.uint8, np.int8, np.int32),
    ],
)
@pytest.mark.parametrize("wrap", [lambda a: a, Producer, LegacyProducer, OldestProducer],
                         ids=["ndarray", "producer", "legacy", "oldest"])
def test_numpy_capsules(xdt, ydt, odt, wrap):
    rng = np.random.default_rng(1)
    xb, yb = small(rng, (4, 10, 12), xdt), small(rng, (4, 9, 8), ydt)
    x = xb[:, ::-2, 1::2]  # (4, 5, 6), strided and reversed
    y = yb[:, :6, :].transpose(0, 2, 1)[:, ::-1]  # (4, 8, 6), transposed and reversed
    r = bd.batch_dot_dlpack(wrap(x), wrap(y), axes=(2, 2))
    assert isinstance(r, np.ndarray) and r.dtype == odt and r.shape == (4, 5, 8)
    want = ref(x, y, "bik,bjk->bij", np.int64 if odt == np.int32 else np.float64)
    if odt == np.int32:
        np.testing.assert_array_equal(r, wrap32(want))
    else:
        np.testing.assert_array_equal(r, want.astype(odt))


def test_dlpack_kwargs_and_fallbacks():
    x = np.ones((2, 3), np.float32)
    p, lp, op = Producer(x), LegacyProducer(x), OldestProducer(x)
    for a, b in ((p, lp), (lp, op), (op, p)):
        np.testing.assert_array_equal(bd.batch_dot_dlpack(a, b, 1), [[3], [3]])
    # The spec's call first: stream=None (CPU) and the newest version read.
    assert p.kwargs == [dict(stream=None, max_version=bd.DLPACK_MAX_VERSION)] * 2
    assert lp.kwargs == [dict(stream=None)] * 2  # after a TypeError
    assert op.kwargs == [{}] * 2  # after two


def test_views_are_read_in_place(monkeypatch):
    seen = []
    real = bd.lib.batch_dot_dlpack

    def spy(xa, ya, ax, ay, oa, opts):
        for a in (xa, ya, oa):
            t = bd.DLTensor.from_address(a)
            seen.append((t.data, t.byte_offset, tuple(t.strides[: t.ndim]) if t.strides else None))
        return real(xa, ya, ax, ay, oa, opts)

    monkeypatch.setattr(bd.lib, "batch_dot_dlpack", spy)
    base = np.arange(2 * 6 * 8, dtype=np.float32).reshape(2, 6, 8)
    x = base[:, ::-2, 1::3]  # (2, 3, 3)
    y = base[:, 1::2, ::-3].transpose(0, 2, 1)  # (2, 3, 3)
    out = np.zeros((2, 3, 6), np.float32)[:, :, ::2]
    r = bd.batch_dot_dlpack(Producer(x), Producer(y), 2, out=Producer(out))
    assert isinstance(r, Producer) and r.a is out
    np.testing.assert_array_equal(out, ref(x, y, "bik,bjk->bij").astype(np.float32))
    for (data, off, strides), v in zip(seen, (x, y, out)):
        assert data + off == v.__array_interface__["data"][0]  # element [0,0,0], no copy
        assert strides == tuple(s // 4 for s in v.strides)


def test_capsules_are_not_consumed_and_are_released():
    a = np.arange(12.0).reshape(3, 4)
    kept = []

    class Keeper(Producer):
        def __dlpack__(self, **kwargs):
            c = super().__dlpack__(**kwargs)
            kept.append(c)
            return c

    bd.batch_dot_dlpack(Keeper(a), Keeper(a), 1)
    # not renamed "used_dltensor": the capsule keeps its owner's destructor
    assert [bd._capsule_get_name(c) for c in kept] == [b"dltensor_versioned"] * 2
    kept.clear()
    # ... which runs when the capsule goes: nothing holds `a` afterwards.
    before = sys.getrefcount(a)
    for _ in range(50):
        bd.batch_dot_dlpack(Producer(a), LegacyProducer(a), 1, out=Producer(np.empty((3, 1))))
    gc.collect()
    assert sys.getrefcount(a) == before


def test_hand_made_capsules():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    want = ref(x, x, "bk,bk->b")[:, None]
    # NULL strides: compact row-major
    np.testing.assert_array_equal(bd.batch_dot_dlpack(HandMade(x, strides=False), x, 1), want)
    # pinned host memory is host memory
    np.testing.assert_array_equal(bd.batch_dot_dlpack(HandMade(x, device_type=bd.kDLCUDAHost), x, 1), want)
    # a GPU tensor: the library's INVALID_ARGUMENT
    with pytest.raises(bd.InvalidArgumentError) as e:
        bd.batch_dot_dlpack(HandMade(x, device_type=2), x, 1)
    assert e.value.status == 12 and e.value.message
    # lanes != 1: UNSUPPORTED_DTYPE
    with pytest.raises(bd.UnsupportedDtypeError) as e:
        bd.batch_dot_dlpack(HandMade(x, dtype=(bd.kDLFloat, 32, 2)), x, 1)
    assert e.value.status == 15
    # a capsule someone already consumed
    with pytest.raises(BufferError, match="used_dltensor"):
        bd.batch_dot_dlpack(HandMade(x, name=b"used_dltensor"), x, 1)


def test_bfloat16_and_out_dtype():
    rng = np.random.default_rng(2)
    x, y = small(rng, (3, 4, 20), BF16), small(rng, (3, 20, 5), BF16)
    want = ref(x, y, "bik,bkj->bij")
    # NumPy does not export bfloat16: such arrays are described directly
    r = bd.batch_dot_dlpack(x, y)
    assert r.dtype == BF16
    np.testing.assert_array_equal(r.view(np.uint16), want.astype(BF16).view(np.uint16))
    f16 = Producer(x.astype(np.float16))
    r = bd.batch_dot_dlpack(f16, Producer(y.astype(np.float16)), out_dtype=np.float32)
    assert r.dtype == np.float32
    np.testing.assert_array_equal(r, want.astype(np.float32))


def test_int32_out_through_dlpack_with_beta():
    rng = np.random.default_rng(5)
    x, y = small(rng, (2, 3, 40), np.uint8), small(rng, (2, 40, 4), np.int8)
    out0 = rng.integers(-(2**31), 2**31, size=(2, 3, 4)).astype(np.int32)
    out = out0.copy()
    bd.batch_dot_dlpack(Producer(x), Producer(y), out=Producer(out), beta=1)
    np.testing.assert_array_equal(out, wrap32(out0.astype(np.int64) + ref(x, y, "bik,bkj->bij", np.int64)))
    with pytest.raises(bd.InvalidArgumentError) as e:
        bd.batch_dot_dlpack(Producer(x), Producer(y), out=Producer(out), alpha=3)
    assert e.value.message == "options->alpha = 3: an int32 output takes alpha = 1 only."


def test_errors_carry_the_status():
    x = np.ones((3, 4), np.float32)
    with pytest.raises(bd.BatchMismatchError) as e:
        bd.batch_dot_dlpack(Producer(x), Producer(np.ones((5, 4), np.float32)), 1)
    assert e.value.status == 5 and "shapes (3, 4) and (5, 4)" in e.value.message
    out = np.full((3, 1), 7.0, np.float32)
    with pytest.raises(bd.ContractionMismatchError) as e:  # reported by batch_dot_dlpack itself
        bd.batch_dot_dlpack(Producer(x), Producer(np.ones((3, 5), np.float32)), 1, out=Producer(out))
    assert e.value.status == 6
    with pytest.raises(bd.OutputShapeError) as e:
        bd.batch_dot_dlpack(Producer(x), Producer(x), 1, out=Producer(np.zeros((3, 2), np.float32)))
    assert e.value.status == 8
    with pytest.raises(bd.UnsupportedDtypeError) as e:  # int16: the library says so
        bd.batch_dot_dlpack(Producer(np.ones((3, 4), np.int16)), Producer(np.ones((3, 4), np.int16)), 1)
    assert e.value.status == 15
    with pytest.raises(bd.UnsupportedDtypeError) as e:  # float32 into float16
        bd.batch_dot_dlpack(Producer(x), Producer(x), 1, out=Producer(np.zeros((3, 1), np.float16)))
    assert e.value.status == 15
    with pytest.raises(bd.AliasingError) as e:
        big = np.zeros((3, 5), np.float32)
        bd.batch_dot_dlpack(Producer(big[:, :4]), Producer(x), 1, out=Producer(big[:, 4:]))
    assert e.value.status == 11
    np.testing.assert_array_equal(out, 7.0)  # nothing written on error


def test_out_must_be_writable():
    x = np.ones((2, 3), np.float32)
    ro = np.zeros((2, 1), np.float32)
    ro.flags.writeable = False
    with pytest.raises((ValueError, BufferError)):
        bd.batch_dot_dlpack(x, x, 1, out=Producer(ro))
    with pytest.raises(ValueError, match="read-only"):
        bd.batch_dot_dlpack(x, x, 1, out=ro)
    with pytest.raises(TypeError):
        bd.batch_dot_dlpack(x, x, 1, out=[[0.0], [0.0]])


def test_batch_dot_dispatches_foreign_objects(monkeypatch):
    calls = []
    real = bd.lib.batch_dot_dlpack
    monkeypatch.setattr(bd.lib, "batch_dot_dlpack", lambda *a: calls.append(1) or real(*a))
    rng = np.random.default_rng(3)
    x, y = small(rng, (2, 3, 4), np.float32), small(rng, (2, 4, 5), np.float32)
    r = bd.batch_dot(Producer(x), y[:, ::-1])  # mixed: NumPy's array described directly
    np.testing.assert_array_equal(r, ref(x, y[:, ::-1], "bik,bkj->bij").astype(np.float32))
    assert len(calls) == 1
    bd.batch_dot(x, y)  # NumPy arrays only: batch_dot_compute
    assert len(calls) == 1


# ---------------------------------------------------------------------------
# JAX
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def jnp():
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    if os.environ.get("BATCH_DOT_REQUIRE_JAX") == "1":
        import jax.numpy  # a missing JAX fails here instead of skipping
    else:
        pytest.importorskip("jax")
        import jax.numpy
    return jax.numpy


@pytest.mark.parametrize(
    "xdt, ydt, odt",
    [
        (np.float32, np.float32, np.float32),
        (BF16, BF16, BF16),
        (np.float16, np.float16, np.float16),
        (np.int8, np.int8, np.int32),
        (np.uint8, np.int8, np.int32),
    ],
    ids=["f32", "bf16", "f16", "s8", "u8s8"],
)
def test_jax_arrays(jnp, xdt, ydt, odt):
    rng = np.random.default_rng(4)
    xn, yn = small(rng, (3, 7, 33), xdt), small(rng, (3, 33, 5), ydt)
    x, y = jnp.asarray(xn), jnp.asarray(yn)
    assert x.dtype == xn.dtype and y.dtype == yn.dtype
    r = bd.batch_dot(x, y)
    assert isinstance(r, np.ndarray) and r.dtype == odt and r.shape == (3, 7, 5)
    if odt == np.int32:
        np.testing.assert_array_equal(r, wrap32(ref(xn, yn, "bik,bkj->bij", np.int64)))
    else:
        want = ref(xn, yn, "bik,bkj->bij").astype(odt)
        np.testing.assert_array_equal(r.astype(np.float64), want.astype(np.float64))


def test_jax_is_read_in_place(jnp):
    x = jnp.arange(24, dtype=jnp.float32).reshape(2, 3, 4)
    op = bd._capsule_operand(x, "x", False)
    assert op.tensor.data + op.tensor.byte_offset == x.unsafe_buffer_pointer()
    assert op.tensor.device.device_type == bd.kDLCPU
    del op
    # JAX with NumPy, and 16-bit JAX inputs into a float32 NumPy out
    yn = np.arange(2 * 4 * 5, dtype=np.float32).reshape(2, 5, 4)[:, ::-1].transpose(0, 2, 1)
    r = bd.batch_dot(x, yn)
    np.testing.assert_array_equal(r, ref(np.asarray(x), yn, "bik,bkj->bij").astype(np.float32))
    out = np.zeros((2, 3, 3), np.float32)
    xb = x.astype(jnp.bfloat16)
    assert bd.batch_dot(xb, xb, 2, out=out) is out
    np.testing.assert_array_equal(out, ref(np.asarray(xb), np.asarray(xb), "bik,bjk->bij").astype(np.float32))
    with pytest.raises(bd.ContractionMismatchError) as e:
        bd.batch_dot(x, x, (2, 1))
    assert e.value.status == 6

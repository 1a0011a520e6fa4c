#!/usr/bin/env python3
"""Generate tests/golden/keras_batch_dot_lowp.golden: the REAL tf_keras.backend.batch_dot
in bfloat16 and float16, with an exact-rounding reference for every output.

How to regenerate
-----------------
The committed golden file was made with Python 3.11, tensorflow-cpu 2.21.0,
tf-keras 2.21.0, numpy 2.4.6 and ml_dtypes 0.7.0 (the script records the versions
it ran with in the golden file's header):

    python3 -m venv /tmp/tfvenv
    /tmp/tfvenv/bin/pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0 numpy ml_dtypes
    /tmp/tfvenv/bin/python tests/golden/gen_golden_lowp.py        # run from the repo root
    cargo test --test golden                                     # check the library against it

The script takes an optional output path (default: keras_batch_dot_lowp.golden
next to this script). It reads keras_batch_dot.golden (next to it) for the shapes
and axes of its value cases. Everything is deterministic: fixed seeds, TF on the CPU
with oneDNN off (TF_ENABLE_ONEDNN_OPTS=0) and one thread; a rerun with the same
versions gives a byte-identical file.

What it writes
--------------
Every case runs once per dtype (bfloat16, float16): the inputs are 16-bit bit
patterns, fed to TF through tf.bitcast (so subnormals, -0, Inf and NaN arrive
untouched), and TF's output is read back as bits. The reference is computed
without floating point: every finite bf16 value is an integer multiple of 2^-133
(f16: of 2^-24), so each product is an integer multiple of 2^-266 (2^-48) and the
sum of a row is an exact Python integer. That exact sum is then rounded ONCE, to
nearest even, to the dtype (`round`), and also written as the nearest float64
(`exact`, with Python's correctly rounded int/int division) together with
sum |x*y| (`absum`, the same way). Non-finite products follow IEEE: a NaN
input or Inf*0 gives NaN, +Inf and -Inf together give NaN, otherwise an Inf
gives that Inf. (The shortcut, math.fsum over the products then a cast with
ml_dtypes.bfloat16 / np.float16, rounds twice, exact -> f64 -> 16 bits; the
script counts where it differs from the single rounding: nowhere in this file.)

File format (line based, whitespace separated; '#' lines and blank lines are comments)
--------------------------------------------------------------------------------------
    case <id> <free text description>
    dtype bf16|f16                   the 16-bit type of x, y and TF's output
    x_shape <d0> <d1> ...
    y_shape <d0> <d1> ...
    axes default | axes <a0> <a1>    the C API's (axis_x, axis_y); default = BATCH_DOT_AXIS_DEFAULT
    tf_flush yes|no                  yes: some input or product of the case is nonzero and
                                     below float32's normal range, where TF flushes to zero
    x <hex...>                       x's bit patterns, row-major (C) order, 4 hex digits each
    y <hex...>
    out_shape <d0> <d1> ...          the result's shape (TF's, equal to docs/SEMANTICS.md §1's)
    tf <hex...>                      TF's output bits, row-major
    round <hex...>                   the exact sum rounded once to nearest even in the dtype
                                     (NaN written 7fc0 / 7e00, the class is what counts)
    exact <values...>                the exact sum as the nearest float64 ('%r'), or nan/inf/-inf
    absum <values...>                sum |x*y| as the nearest float64 (inf where a product is
                                     Inf or NaN)
    end
"""

import os
import sys

os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["CUDA_VISIBLE_DEVICES"] = "-1"

import math  # noqa: E402
import platform  # noqa: E402

import ml_dtypes  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras  # noqa: E402
from tf_keras import backend as K  # noqa: E402

tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)

SEED = 20261206
DEFAULT = "default"
MAX_INPUTS = 400
MAX_OUTPUTS = 400
F32_MIN_NORMAL = 2.0 ** -126


class Fmt:
    def __init__(self, name, p, emin, emax, npdt, tfdt, qnan):
        self.name, self.p, self.emin, self.emax = name, p, emin, emax
        self.npdt, self.tfdt, self.qnan = npdt, tfdt, qnan
        self.shift = -(emin - (p - 1))  # value * 2^shift is an integer for every finite value

    def bits(self, vals):
        """float64 values -> 16-bit patterns (rounded to nearest even via float32: exact for
        values already in the format, which is all this script feeds it)."""
        a = np.asarray(vals, dtype=np.float64)
        with np.errstate(over="ignore"):
            return np.ascontiguousarray(a.astype(np.float32).astype(self.npdt)).view(np.uint16)

    def values(self, bits):
        return np.asarray(bits, dtype=np.uint16).view(self.npdt).astype(np.float64)


BF16 = Fmt("bf16", 8, -126, 127, ml_dtypes.bfloat16, tf.bfloat16, 0x7FC0)
F16 = Fmt("f16", 11, -14, 15, np.float16, tf.float16, 0x7E00)
FORMATS = [BF16, F16]


# ----------------------------------------------------------------------------
# Exact arithmetic
# ----------------------------------------------------------------------------
def round_scaled(s, sc, fmt, mode="rne"):
    """The bit pattern of s * 2^-sc (s an int) rounded to fmt: 'rne' (nearest, ties to
    even) or 'trunc' (toward zero). Overflow gives Inf under rne, the max under trunc.
    Zero gives +0 (a nonzero value that rounds to zero keeps its sign)."""
    if s == 0:
        return 0
    neg, a = s < 0, abs(s)
    e = max(a.bit_length() - 1 - sc, fmt.emin)
    qe = e - (fmt.p - 1)  # exponent of the last significand bit
    drop = qe + sc
    if drop <= 0:
        n = a << -drop
    else:
        n = a >> drop
        rem = a - (n << drop)
        if mode == "rne":
            half = 1 << (drop - 1)
            if rem > half or (rem == half and n & 1):
                n += 1
    maxn = (1 << fmt.p) - 1
    top = fmt.emax - (fmt.p - 1)
    if n * 2.0 ** qe > maxn * 2.0 ** top:
        v = math.inf if mode == "rne" else maxn * 2.0 ** top
    else:
        v = math.ldexp(n, qe)
    b = int(fmt.bits([v])[0])
    return b | 0x8000 if neg else b


def scaled_int(v, sc):
    """v (a float64 holding a value of the format, finite) times 2^sc, exactly, as an int."""
    return int(math.ldexp(v, sc))


def norm_axes(xs, ys, axes):
    """docs/SEMANTICS.md §2: the C pair (or DEFAULT) -> non-negative axes."""
    n, m = len(xs), len(ys)
    if axes == DEFAULT:
        return n - 1, (m - 1 if m == 2 else m - 2)
    return (axes[0] + n if axes[0] < 0 else axes[0]), (axes[1] + m if axes[1] < 0 else axes[1])


def contract_layout(xs, ys, a0, a1):
    """Permutations that bring x to (B, Mx..., K) and y to (B, K, My...), and the out shape."""
    n, m = len(xs), len(ys)
    px = [0] + [i for i in range(1, n) if i != a0] + [a0]
    py = [0, a1] + [j for j in range(1, m) if j != a1]
    out = [xs[0]] + [xs[i] for i in px[1:-1]] + [ys[j] for j in py[2:]]
    if len(out) == 1:
        out.append(1)
    return px, py, out


def rows(x, y, a0, a1):
    """x, y float64 arrays -> X (B, M, K), Y (B, K, N) and the output shape."""
    px, py, out = contract_layout(list(x.shape), list(y.shape), a0, a1)
    B, Kc = x.shape[0], x.shape[a0]
    M = int(np.prod([x.shape[i] for i in px[1:-1]]))
    N = int(np.prod([y.shape[j] for j in py[2:]]))
    return np.transpose(x, px).reshape(B, M, Kc), np.transpose(y, py).reshape(B, Kc, N), out


def exact_sums(X, Y, fmt):
    """Per output: ('nan'|'inf'|'-inf'|'fin', S, absS) with S, absS ints scaled by 2^(2*shift)."""
    sc = fmt.shift
    B, M, Kc = X.shape
    N = Y.shape[2]
    res = []
    with np.errstate(invalid="ignore", over="ignore"):
        P = X[:, :, :, None] * Y[:, None, :, :]  # (B, M, K, N), exact in f64 for finite inputs
    fin_x = np.isfinite(X)
    fin_y = np.isfinite(Y)

    def as_ints(a):  # object array of exact ints (0 for the non-finite, handled below)
        out = np.zeros(a.shape, dtype=object)
        for idx, v in np.ndenumerate(a):
            out[idx] = scaled_int(v, sc) if math.isfinite(v) else 0
        return out

    Xi, Yi = as_ints(X), as_ints(Y)
    S = np.matmul(Xi, Yi) if Kc else np.zeros((B, M, N), dtype=object)
    A = np.matmul(np.abs(Xi), np.abs(Yi)) if Kc else np.zeros((B, M, N), dtype=object)
    for b in range(B):
        for i in range(M):
            for j in range(N):
                p = P[b, i, :, j]
                if np.all(fin_x[b, i, :]) and np.all(fin_y[b, :, j]):
                    res.append(("fin", int(S[b, i, j]), int(A[b, i, j])))
                    continue
                if np.any(np.isnan(p)):
                    res.append(("nan", 0, 0))
                elif np.any(p == np.inf) and np.any(p == -np.inf):
                    res.append(("nan", 0, 0))
                elif np.any(p == np.inf):
                    res.append(("inf", 0, 0))
                else:
                    res.append(("-inf", 0, 0))
    return res


def exact_text(kind, s, sc):
    if kind != "fin":
        return kind
    return repr(s / (1 << sc))  # int / int: correctly rounded to float64


def reference_bits(kind, s, fmt):
    if kind == "nan":
        return fmt.qnan
    if kind == "inf":
        return int(fmt.bits([math.inf])[0])
    if kind == "-inf":
        return int(fmt.bits([-math.inf])[0])
    return round_scaled(s, 2 * fmt.shift, fmt)


# ----------------------------------------------------------------------------
# Models of what TF might do (for the header's investigation only)
# ----------------------------------------------------------------------------
def f32_seq_sum(X, Y, flush):
    """float32 sum over k in order, mul then add (products of 16-bit values are exact in
    float32 unless they underflow); flush=True flushes float32 subnormals to zero."""
    def ftz(a):
        return np.where(np.abs(a) < np.float32(F32_MIN_NORMAL), np.copysign(np.float32(0), a), a) if flush else a

    X32, Y32 = ftz(X.astype(np.float32)), ftz(Y.astype(np.float32))
    B, M, Kc = X.shape
    acc = np.zeros((B, M, Y.shape[2]), dtype=np.float32)
    with np.errstate(all="ignore"):
        for k in range(Kc):
            acc = ftz(acc + ftz(X32[:, :, k, None] * Y32[:, None, k, :]))
    return acc.reshape(-1)


def acc16_seq_sum(X, Y, fmt):
    """Accumulate in the 16-bit type itself, every product and sum rounded to it."""
    X16, Y16 = X.astype(np.float32).astype(fmt.npdt), Y.astype(np.float32).astype(fmt.npdt)
    B, M, Kc = X.shape
    acc = np.zeros((B, M, Y.shape[2]), dtype=fmt.npdt)
    with np.errstate(all="ignore"):
        for k in range(Kc):
            acc = (acc + X16[:, :, k, None] * Y16[:, None, k, :]).astype(fmt.npdt)
    return acc.reshape(-1).view(np.uint16)


def round_f32(vals, fmt, mode):
    """float32 values -> 16-bit patterns, rounded ('rne') or truncated ('trunc')."""
    out = []
    for v in vals.astype(np.float64):
        sign = 0x8000 if math.copysign(1, v) < 0 else 0
        if math.isnan(v):
            out.append(fmt.qnan)
        elif math.isinf(v):
            out.append(int(fmt.bits([v])[0]))  # Inf stays Inf, truncated or not
        elif v == 0:
            out.append(sign)
        else:
            out.append(round_scaled(scaled_int(v, 149), 149, fmt, mode))
    return out


def key(b):
    """Monotone integer of a 16-bit float pattern (+0 and -0 both 0)."""
    return -(b & 0x7FFF) if b & 0x8000 else b


def is_nan(b, fmt):
    exp_mask = 0x7F80 if fmt is BF16 else 0x7C00
    return (b & exp_mask) == exp_mask and (b & ~exp_mask & 0x7FFF) != 0


def same(a, b, fmt):
    return (is_nan(a, fmt) and is_nan(b, fmt)) or a == b or (key(a) == 0 and key(b) == 0)


# ----------------------------------------------------------------------------
# TF
# ----------------------------------------------------------------------------
def run_tf(xb, yb, fmt, axes):
    x = tf.bitcast(tf.constant(xb, dtype=tf.uint16), fmt.tfdt)
    y = tf.bitcast(tf.constant(yb, dtype=tf.uint16), fmt.tfdt)
    axes_py = None if axes == DEFAULT else tuple(axes)
    r = K.batch_dot(x, y, axes=axes_py)
    if r.dtype != fmt.tfdt:
        sys.exit("TF returned %s for %s inputs" % (r.dtype, fmt.name))
    return list(r.shape), tf.bitcast(r, tf.uint16).numpy().reshape(-1)


# ----------------------------------------------------------------------------
# Cases
# ----------------------------------------------------------------------------
class Case:
    """xs, ys, axes; make(rng, fmt) -> (x float64 values, y float64 values) in the format."""

    def __init__(self, desc, xs, ys, axes, make, only=None):
        self.desc, self.xs, self.ys, self.axes, self.make, self.only = desc, xs, ys, axes, make, only


def normal(scale=1.0):
    def make(rng, fmt, shape):
        return rng.standard_normal(shape) * scale
    return make


def spread():
    """Normals times 2^U{-12..12}: sums mixing magnitudes."""
    def make(rng, fmt, shape):
        return rng.standard_normal(shape) * 2.0 ** rng.integers(-12, 13, size=shape)
    return make


def ints(lo, hi):
    def make(rng, fmt, shape):
        return rng.integers(lo, hi + 1, size=shape).astype(np.float64)
    return make


def uniform(lo, hi):
    def make(rng, fmt, shape):
        return rng.uniform(lo, hi, size=shape)
    return make


def softmax_rows():
    def make(rng, fmt, shape):
        z = rng.standard_normal(shape) * 2
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    return make


def pair(mx, my):
    """Separate makers for x and y."""
    return (mx, my)


def fixed(xv, yv):
    return (lambda rng, fmt, shape: np.asarray(xv, dtype=np.float64).reshape(shape),
            lambda rng, fmt, shape: np.asarray(yv, dtype=np.float64).reshape(shape))


def c_axes_of(text):
    t = text.split()
    return DEFAULT if t[1] == "default" else (int(t[1]), int(t[2]))


def old_golden_cases():
    """Distinct (x_shape, y_shape, axes) of keras_batch_dot.golden's value cases (TF ok and
    spec ok): the hand-written ones, and every 12th random one, with at most MAX_INPUTS
    input and MAX_OUTPUTS output elements (the larger shapes add bulk, not coverage)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras_batch_dot.golden")
    seen, out = set(), []
    cur = {}
    with open(path) as f:
        for line in f:
            t = line.split()
            if not t or t[0].startswith("#"):
                continue
            if t[0] == "case":
                cur = {"id": int(t[1]), "desc": " ".join(t[2:])}
            elif t[0] in ("x_shape", "y_shape"):
                cur[t[0]] = [int(v) for v in t[1:]]
            elif t[0] == "axes":
                cur["axes"] = c_axes_of(line)
            elif t[0] == "tf":
                cur["tf_ok"] = t[1] == "ok"
            elif t[0] == "expect":
                cur["ok"] = t[1] == "ok"
            elif t[0] == "end":
                if cur.get("tf_ok") and cur.get("ok"):
                    k = (tuple(cur["x_shape"]), tuple(cur["y_shape"]), cur["axes"])
                    random = "random" in cur["desc"]
                    size = int(np.prod(cur["x_shape"])) + int(np.prod(cur["y_shape"]))
                    axes = norm_axes(cur["x_shape"], cur["y_shape"], cur["axes"])
                    _, _, oshape = contract_layout(cur["x_shape"], cur["y_shape"], *axes)
                    small = size <= MAX_INPUTS and int(np.prod(oshape)) <= MAX_OUTPUTS
                    if k not in seen and (not random or cur["id"] % 12 == 0) and small:
                        seen.add(k)
                        out.append(cur)
    cases = []
    for c in out:
        cases.append(Case("golden case %d shapes: %s" % (c["id"], c["desc"]), c["x_shape"], c["y_shape"], c["axes"],
                          pair(spread(), normal()) if c["id"] % 2 else pair(normal(), normal())))
    return cases


def special_cases():
    C = []

    def add(desc, xs, ys, axes, makers, only=None):
        C.append(Case(desc, xs, ys, axes, makers, only))

    nrm = pair(normal(), normal())
    # Attention-like shapes.
    add("attention q.k^T (1,16,64).(1,24,64) axes=(2,2), q/8", [1, 16, 64], [1, 24, 64], (2, 2),
        pair(normal(1 / 8), normal()))
    add("attention q.k^T (1,64,64).(1,16,64) axes=(2,2)", [1, 64, 64], [1, 16, 64], (2, 2), nrm)
    add("attention probs.v (2,16,64).(2,64,16) axes=(2,1), softmax rows", [2, 16, 64], [2, 64, 16], (2, 1),
        pair(softmax_rows(), normal()))
    add("attention (1,32,64).(1,64,16) axes=(2,1), mixed magnitudes", [1, 32, 64], [1, 64, 16], (2, 1),
        pair(spread(), spread()))
    # Rank-2 row dots and rank 4.
    add("row dots (8,7).(8,7) default", [8, 7], [8, 7], DEFAULT, nrm)
    add("row dots (6,64).(6,64) axes=1", [6, 64], [6, 64], (1, 1), pair(spread(), normal()))
    add("row dots (4,1).(4,1) axes=1", [4, 1], [4, 1], (1, 1), nrm)
    add("rank 4 (2,3,4,5).(2,5,3) axes=(3,1)", [2, 3, 4, 5], [2, 5, 3], (3, 1), nrm)
    add("rank 4 (2,3,4,5).(2,4,5,2) axes=(2,1)", [2, 3, 4, 5], [2, 4, 5, 2], (2, 1), nrm)
    add("rank 4.4 (2,2,3,4).(2,2,3,4) axes=(3,3)", [2, 2, 3, 4], [2, 2, 3, 4], (3, 3), pair(spread(), normal()))
    # K = 0.
    add("K=0 (2,3,0).(2,0,4) axes=(2,1) -> +0", [2, 3, 0], [2, 0, 4], (2, 1), nrm)
    add("K=0 (3,0).(3,0) default -> (3,1) +0", [3, 0], [3, 0], DEFAULT, nrm)
    add("K=0 (2,0,3).(2,0,2) axes=(1,1) -> +0", [2, 0, 3], [2, 0, 2], (1, 1), nrm)
    # Long K.
    add("long K (3,300).(3,300) axes=1", [3, 300], [3, 300], (1, 1), nrm)
    add("long K (1,2,1000).(1,1000,3) axes=(2,1)", [1, 2, 1000], [1, 1000, 3], (2, 1), nrm)
    add("long K all positive (2,2000).(2,2000) axes=1 (16-bit accumulation would stall)",
        [2, 2000], [2, 2000], (1, 1), pair(uniform(0, 1), uniform(0, 1)))
    add("long K (1,2,2048).(1,2048,2) axes=(2,1) mixed magnitudes", [1, 2, 2048], [1, 2048, 2], (2, 1),
        pair(spread(), normal()))
    # Small integers: exact in float32, so only the final rounding matters (many ties in bf16).
    add("integers -16..16 (4,6,8).(4,8,5) axes=(2,1): exact in f32, ties", [4, 6, 8], [4, 8, 5], (2, 1),
        pair(ints(-16, 16), ints(-16, 16)))
    add("integers 0..31 (3,5,12).(3,7,12) axes=(2,2): exact in f32, ties", [3, 5, 12], [3, 7, 12], (2, 2),
        pair(ints(0, 31), ints(0, 31)))

    # Hand-made ties and near ties (rows of a (R,3).(R,3) row dot; y is ones unless given).
    def rows_case(desc, xrows, yrows=None, only=None):
        R, Kc = len(xrows), len(xrows[0])
        yrows = yrows if yrows is not None else [[1.0] * Kc for _ in range(R)]
        add(desc, [R, Kc], [R, Kc], (1, 1), fixed(xrows, yrows), only)

    rows_case("bf16 ties: 256+1 -> 256, 256+3 -> 260, 256+1.75 -> 258, 256+1+2^-20 -> 258 (f32 loses 2^-20)",
              [[256, 1, 0], [256, 3, 0], [256, 1.75, 0], [256, 1, 2.0 ** -10], [-256, -3, 0], [257 - 2 ** -7, 0, 0]],
              [[1, 1, 0], [1, 1, 0], [1, 1, 0], [1, 1, 2.0 ** -10], [1, 1, 0], [1, 1, 0]], only=BF16)
    rows_case("f16 ties: 2048+1 -> 2048, 2048+3 -> 2052, 2048+1.5 -> 2050, 2048+1+2^-12 -> 2050",
              [[2048, 1, 0], [2048, 3, 0], [2048, 1.5, 0], [2048, 1, 2.0 ** -6], [-2048, -3, 0], [1, 2.0 ** -11, 0]],
              [[1, 1, 0], [1, 1, 0], [1, 1, 0], [1, 1, 2.0 ** -6], [1, 1, 0], [1, 1, 0]], only=F16)
    # Overflow of the output type.
    rows_case("f16 near max: 65519 -> 65504, 65520 -> inf (tie to even), -65520 -> -inf, 76800-76800 -> 0",
              [[256, 1, 0], [256, 1, 0], [-256, -1, 0], [256, 256, 0], [255, 255, 2], [200, 200, 200]],
              [[255, 239, 0], [255, 240, 0], [255, 240, 0], [300, -300, 0], [255, 2, 7], [200, 200, -200]], only=F16)
    rows_case("bf16 near max: sums beyond bf16 max but inside f32 range, overflow to inf, cancellation of huge",
              [[2.0 ** 127 * 1.9921875, 2.0 ** 120, 0], [2.0 ** 127 * 1.9921875, 2.0 ** 119, 0],
               [2.0 ** 127, 2.0 ** 127, 0], [-2.0 ** 127, -2.0 ** 127, 0], [2.0 ** 100, 2.0 ** 100, 0],
               [2.0 ** 127 * 1.5, 2.0 ** 126, 0]],
              [[1, 1, 0], [1, 1, 0], [1, 1, 0], [1, 1, 0], [2.0 ** 27, -2.0 ** 27, 0], [1, 0.5, 0]], only=BF16)
    add("f16 near max random: products ~ 2^14..2^15, K=3: some sums overflow", [2, 4, 3], [2, 3, 4], (2, 1),
        pair(uniform(120, 180), uniform(120, 180)), only=F16)
    # Subnormal inputs.
    add("f16 subnormal inputs times normals (outputs subnormal and normal)", [2, 3, 8], [2, 8, 3], (2, 1),
        (lambda rng, fmt, s: rng.integers(-1023, 1024, size=s) * 2.0 ** -24,
         lambda rng, fmt, s: rng.standard_normal(s) * 4), only=F16)
    add("f16 subnormal times subnormal (products 2^-48.., sums round to 0 or the min subnormal)",
        [2, 4, 6], [2, 6, 4], (2, 1),
        (lambda rng, fmt, s: rng.integers(-1023, 1024, size=s) * 2.0 ** -24,
         lambda rng, fmt, s: rng.integers(-1023, 1024, size=s) * 2.0 ** -24), only=F16)
    rows_case("f16 subnormal ties: 1.5*2^-24 -> 2^-23, 0.5*2^-24 -> 0, 2.5*2^-24 -> 2^-23",
              [[2.0 ** -24, 2.0 ** -25, 0], [2.0 ** -25, 0, 0], [2.0 ** -23, 2.0 ** -25, 0],
               [-2.0 ** -24, -2.0 ** -25, 0]],
              only=F16)
    add("bf16 subnormal inputs times normals (TF flushes: DAZ)", [2, 3, 8], [2, 8, 3], (2, 1),
        (lambda rng, fmt, s: rng.integers(-127, 128, size=s) * 2.0 ** -133,
         lambda rng, fmt, s: rng.standard_normal(s) * 4), only=BF16)
    add("bf16 tiny normals whose products are f32 subnormals (TF flushes: FTZ)", [2, 3, 8], [2, 8, 3], (2, 1),
        (lambda rng, fmt, s: rng.standard_normal(s) * 2.0 ** -64,
         lambda rng, fmt, s: rng.standard_normal(s) * 2.0 ** -64), only=BF16)
    rows_case("bf16 subnormal ties: 1.5*2^-133 -> 2^-132, 0.5*2^-133 -> 0, 2^-130+2^-134 -> 2^-130",
              [[2.0 ** -133, 2.0 ** -134, 0], [2.0 ** -134, 0, 0], [2.0 ** -130, 2.0 ** -134, 0],
               [2.0 ** -126, -2.0 ** -133, 0]], only=BF16)
    # Inf and NaN.
    inf, nan = math.inf, math.nan
    rows_case("Inf/NaN: inf*1 -> inf, inf*0 -> nan, inf-inf -> nan, nan -> nan, -inf*2 -> -inf, 0*nan -> nan",
              [[inf, 1, 2], [inf, 1, 2], [inf, -inf, 0], [nan, 0, 0], [-inf, 2, 3], [0, 0, 0], [1, 2, 3]],
              [[1, 1, 1], [0, 1, 1], [1, 1, 1], [0, 0, 0], [2, 3, 4], [nan, 1, 1], [inf, -1, -2]])

    def with_nonfinite(rng, fmt, s):
        v = rng.standard_normal(s)
        flat = v.reshape(-1)
        idx = rng.choice(flat.size, size=4, replace=False)
        flat[idx] = [inf, -inf, nan, inf]
        return v

    add("Inf/NaN scattered in x (2,3,4).(2,4,2) axes=(2,1): some outputs finite", [2, 3, 4], [2, 4, 2], (2, 1),
        (with_nonfinite, lambda rng, fmt, s: rng.standard_normal(s) * (rng.random(s) > 0.2)))
    return C


# ----------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------
def hexs(bits):
    return " ".join("%04x" % int(b) for b in bits)


class Stats:
    def __init__(self):
        self.c = {}

    def add(self, k, n=1):
        self.c[k] = self.c.get(k, 0) + n


def shortcut_key(fmt):
    return "%s: fsum + %s rounds differently from the single rounding" % (
        fmt.name, "NumPy" if fmt is F16 else "ml_dtypes")


def emit(out, cid, case, fmt, rng, st):
    xs, ys, axes = case.xs, case.ys, case.axes
    mx, my = case.make
    xv = np.asarray(mx(rng, fmt, xs), dtype=np.float64).reshape(xs)
    yv = np.asarray(my(rng, fmt, ys), dtype=np.float64).reshape(ys)
    xb, yb = fmt.bits(xv).reshape(xs), fmt.bits(yv).reshape(ys)
    x, y = fmt.values(xb), fmt.values(yb)  # exactly the values TF sees
    a0, a1 = norm_axes(xs, ys, axes)
    X, Y, oshape = rows(x, y, a0, a1)
    tshape, tbits = run_tf(xb, yb, fmt, axes)
    if tshape != oshape:
        sys.exit("case %d: TF shape %s != %s" % (cid, tshape, oshape))
    sums = exact_sums(X, Y, fmt)
    sc = 2 * fmt.shift
    ref = [reference_bits(k, s, fmt) for k, s, _ in sums]
    exact = [exact_text(k, s, sc) for k, s, _ in sums]
    absum = [repr(a / (1 << sc)) if k == "fin" else "inf" for k, _, a in sums]

    # float32 normal range: does TF's flush-to-zero touch this case?
    with np.errstate(all="ignore"):
        tiny = lambda a: np.any((a != 0) & (np.abs(a) < F32_MIN_NORMAL))  # noqa: E731
        P = X[:, :, :, None] * Y[:, None, :, :]
        flush = bool(tiny(x) or tiny(y) or tiny(P))
    # Cross-checks of the reference: the fsum + ml_dtypes/NumPy shortcut, and the class.
    for i, (k, s, _) in enumerate(sums):
        if k == "fin":
            fs = float(exact[i])  # what math.fsum over the products gives (correctly rounded)
            with np.errstate(over="ignore"):
                sb = int(np.asarray([fs], np.float64).astype(fmt.npdt).view(np.uint16)[0])
            if not same(sb, ref[i], fmt):
                st.add(shortcut_key(fmt))

    # Investigation: TF against the reference and against models.
    f32s = f32_seq_sum(X, Y, False)
    f32f = f32_seq_sum(X, Y, True)
    models = {
        "exact rounded once (rne)": ref,
        "exact truncated": [reference_bits(k, s, fmt) if k != "fin" else round_scaled(s, sc, fmt, "trunc")
                            for k, s, _ in sums],
        "f32 sum (in k order) rounded (rne)": round_f32(f32s, fmt, "rne"),
        "f32 sum (in k order) truncated": round_f32(f32s, fmt, "trunc"),
        "f32 sum with flush-to-zero, rounded (rne)": round_f32(f32f, fmt, "rne"),
        "f32 sum with flush-to-zero, truncated": round_f32(f32f, fmt, "trunc"),
        "accumulated in %s itself" % fmt.name: list(acc16_seq_sum(X, Y, fmt)),
    }
    grp = "%s %s" % (fmt.name, "flush" if flush else "normal")
    for i, t in enumerate(tbits):
        t = int(t)
        st.add("%s: outputs" % grp)
        k = sums[i][0]
        if k != "fin":
            st.add("%s: non-finite class (%s) %s" % (grp, k, "same in TF" if same(t, ref[i], fmt) else "DIFFERENT in TF"))
            continue
        for name, mb in models.items():
            if same(t, int(mb[i]), fmt):
                st.add("%s: TF == %s" % (grp, name))
        r = ref[i]
        if same(t, r, fmt):
            continue
        d = abs(key(t) - key(r))
        toward0 = abs(key(t)) < abs(key(r))
        st.add("%s: TF differs from the reference by %s ulp%s, %s" % (
            grp, d if d <= 2 else ">2", "" if d == 1 else "s", "toward zero" if toward0 else "away from zero"))

    w = out.append
    w("case %d %s" % (cid, case.desc))
    w("dtype %s" % fmt.name)
    w(("x_shape " + " ".join(map(str, xs))).rstrip())
    w(("y_shape " + " ".join(map(str, ys))).rstrip())
    w("axes default" if axes == DEFAULT else "axes %d %d" % tuple(axes))
    w("tf_flush %s" % ("yes" if flush else "no"))
    w(("x " + hexs(xb.reshape(-1))).rstrip())
    w(("y " + hexs(yb.reshape(-1))).rstrip())
    w("out_shape " + " ".join(map(str, oshape)))
    w(("tf " + hexs(tbits)).rstrip())
    w(("round " + hexs(ref)).rstrip())
    w(("exact " + " ".join(exact)).rstrip())
    w(("absum " + " ".join(absum)).rstrip())
    w("end")
    w("")
    return len(ref)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                               "keras_batch_dot_lowp.golden")
    rng = np.random.default_rng(SEED)
    cases = old_golden_cases() + special_cases()
    body, st = [], Stats()
    for fmt in FORMATS:
        st.add(shortcut_key(fmt), 0)
    cid, nout = 0, 0
    for case in cases:
        for fmt in FORMATS:
            if case.only is not None and case.only is not fmt:
                continue
            cid += 1
            nout += emit(body, cid, case, fmt, rng, st)
    for k, v in sorted(st.c.items()):
        print("%7d  %s" % (v, k))
    doc = __doc__.split("File format", 1)[1].split("\n", 2)[2]
    head = [
        "# keras_batch_dot_lowp.golden: bfloat16 and float16 cases run through the real tf_keras.backend.batch_dot.",
        "# GENERATED by tests/golden/gen_golden_lowp.py; do not edit by hand. Checked by tests/golden.rs.",
        "# Generated with: python %s, tensorflow %s, tf_keras %s, numpy %s, ml_dtypes %s, TF_ENABLE_ONEDNN_OPTS=0,"
        " 1 thread, CPU." % (platform.python_version(), tf.__version__, tf_keras.__version__, np.__version__,
                            ml_dtypes.__version__),
        "# Regenerate: pip install tensorflow-cpu==%s tf-keras==%s numpy ml_dtypes; python tests/golden/gen_golden_lowp.py"
        % (tf.__version__, tf_keras.__version__),
        "# %d cases (%d outputs), seed %d." % (cid, nout, SEED),
        "#",
    ] + ["# " + l if l else "#" for l in FINDINGS.strip("\n").split("\n")] + [
        "#",
        "# Counts (outputs; 'flush' = cases with tf_flush yes):",
    ] + ["#   %6d  %s" % (v, k) for k, v in sorted(st.c.items())] + [
        "#",
        "# Format (line based, whitespace separated; '#' lines and blank lines are comments):",
    ] + ["#" + (" " + l if l.strip() else "") for l in doc.rstrip().split("\n")] + [""]
    with open(path, "w") as f:
        f.write("\n".join(head + body))
    print("wrote %s: %d cases, %d outputs, %d bytes" % (path, cid, nout, os.path.getsize(path)))


FINDINGS = """
What TF does (tf_keras.backend.batch_dot -> tf.matmul -> BatchMatMulV2, Eigen CPU path, oneDNN
off), read off this file's outputs (the counts are below; 'normal' = cases without tf_flush):
* Both dtypes: the inputs are widened to float32, products and sums are float32, and the sum
  is converted once to the 16-bit type. A float32 loop over k in order, converted as below,
  reproduces every finite TF output of the non-flush cases bit for bit. There is no 16-bit
  accumulation: that model misses more than half the outputs, and f16 256*300 + 256*(-300)
  gives 0 in TF where an f16 accumulator gives NaN (Inf - Inf).
* float16: the conversion rounds to nearest even. TF equals the exact sum rounded once except
  in a handful of outputs (attention rows), each one ulp off, where float32's summation error
  straddles a rounding boundary: what any float32 accumulation may do (docs/API.md's bound).
* bfloat16: the conversion TRUNCATES (toward zero). TF equals the float32 sum truncated in
  every non-flush output, and the truncated exact sum in all of them but the three whose
  float32 sum overflows to Inf. It differs from the exact sum rounded once in about 45% of
  them, always by exactly one ulp toward zero, never more. A float32 sum between bf16's max +
  half an ulp and float32's max becomes bf16's max (7f7f) in TF, where rounding gives Inf (one
  step); a float32 overflow gives Inf in both.
* Flush to zero: TF's CPU kernels run with FTZ/DAZ on, so bf16 subnormal inputs (float32
  subnormals) count as zero and products or partial sums below 2^-126 become zero. Every
  output of the tf_flush cases equals a float32 loop with flush-to-zero, then truncated; most
  differ from the exact rounding by many ulps (TF gives 0). f16 subnormals are float32
  normals: not flushed, and f16 subnormal outputs round to nearest even like the rest.
* NaN and Inf: the class is IEEE's in every output (NaN for a NaN input, Inf*0 and Inf-Inf;
  otherwise the Inf's sign). TF's NaN is the x86 default NaN with the sign bit set (ffc0 in
  bf16, fe00 in f16).
So the library's rule (docs/API.md, docs/SEMANTICS.md §12: f32 accumulation, one round to
nearest even, no flushing) matches TF's float16 up to summation order, and TF's bfloat16 to
one ulp except where TF flushes subnormals. tests/golden.rs checks exactly that.
"""

if __name__ == "__main__":
    main()

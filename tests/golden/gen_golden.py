#!/usr/bin/env python3
"""Generate tests/golden/keras_batch_dot.golden from the REAL tf_keras.backend.batch_dot.

How to regenerate
-----------------
The committed golden file was made with Python 3.11, tensorflow-cpu 2.21.0,
tf-keras 2.21.0 and numpy 2.4.6 (the script records the versions it ran with
in the golden file's header):

    python3 -m venv /tmp/tfvenv
    /tmp/tfvenv/bin/pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0 numpy
    # (where tensorflow-cpu has no wheel, `pip install tensorflow` works the same)
    /tmp/tfvenv/bin/python tests/golden/gen_golden.py            # run from the repo root
    cargo test --test golden                                     # check the library against it

The script takes an optional output path (default: keras_batch_dot.golden next
to this script). Everything is deterministic: the inputs come from fixed seeds,
and TF runs on the CPU with oneDNN off (TF_ENABLE_ONEDNN_OPTS=0) and one thread,
so a rerun with the same versions gives a byte-identical file. Other TF versions
or oneDNN on may change the last bits of float outputs; the Rust test compares
with docs/SEMANTICS.md section 6's error bound, so it is not sensitive to that.

What it writes
--------------
For every case: the inputs, what TF did (result shape and values, or the
exception class and message) and what OUR spec (docs/SEMANTICS.md / docs/API.md) demands. The
`expect` line differs from TF exactly where docs/SEMANTICS.md says it must:
  * axes below -rank: TF errors in odd ways or silently returns garbage; spec: INVALID_AXES;
  * axis >= rank: TF IndexError; spec: INVALID_AXES;
  * the section 5 zero-size Reshape bug (B != 0, K == 0, a rank >= 4 operand with a
    zero free dim, no rank-3 operand with a zero free dim): TF InvalidArgumentError;
    spec: ok, an empty (or zero-filled) tensor of the formula's shape;
  * TF's ValueErrors map to INVALID_RANK / BATCH_MISMATCH / BATCH_AXIS /
    CONTRACTION_MISMATCH (docs/API.md status names, without the BATCH_DOT_STATUS_ prefix).
Python-only axes forms (nested, wrong length, floats) are not generated: the C
API cannot express them. Keras axes map to the C pair (axis_x, axis_y) as:
None -> (DEFAULT, DEFAULT); int a (True = 1, False = 0) -> (a, a); pair -> (a0, a1).

Cases: docs/SEMANTICS.md section 7's table, section 2/3/5/6/8 examples, every upstream test
case of section 9 (batch 7 for the None-batch ones), the examples of
shared/seed/keras-batch_dot-doc.txt, then ~300 random cases (ranks 2..5,
extents 0..5, every axes form, batch/contraction mismatches). Half the cases
use small integers (-4..4, so every result is exact in float32), half random
float32 values.

Some cases also carry "static" groups: symbolic shapes where -1 stands for an
unknown dimension (Keras `None`, docs/API.md's BATCH_DOT_DIM_UNKNOWN). TF traces
batch_dot in a tf.function with that input signature and reports the static
result shape; the spec's answer is what batch_dot_infer_shape must return.

File format (line based, whitespace separated; '#' lines and blank lines are comments)
--------------------------------------------------------------------------------------
    case <id> <free text description>
    data int|float                   integer-valued data (results exact) or random float32
    x_shape <d0> <d1> ...            concrete shape of x (may be empty: a rank-0 x)
    y_shape <d0> <d1> ...
    axes default | axes <a0> <a1>    the C API's (axis_x, axis_y); default = BATCH_DOT_AXIS_DEFAULT
    x <values...>                    x in row-major (C) order, float32 values written with '%.9g'
    y <values...>
    tf ok <out shape...> | tf error <Class>: <message>
    out <values...>                  only after `tf ok`: TF's float32 output, row-major
    expect ok <shape...> | expect <STATUS>
    [ static_x_shape <dims, -1 = unknown>     zero or more static groups, each of four lines
      static_y_shape <dims>
      tf_static ok <dims, -1 = unknown> | tf_static error <Class>: <message>
      expect_static ok <dims> | expect_static <STATUS> ]
    end
Values may be nan, inf, -inf, -0. The `expect` line is the contract; the `tf`
lines are what TF did (for reference, and for the values of the ok cases).
"""

import os
import sys

os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["CUDA_VISIBLE_DEVICES"] = "-1"  # no TF32 on a GPU

import math  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras  # noqa: E402
from tf_keras import backend as K  # noqa: E402

tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)
tf.autograph.set_verbosity(0)

DEFAULT = "default"
RANDOM_CASES = 300
SEED = 20240607


# ----------------------------------------------------------------------------
# The spec (docs/SEMANTICS.md section 1-3, docs/API.md check order restricted to what a golden
# case can hit). Shapes may contain -1 (unknown) for the static groups.
# ----------------------------------------------------------------------------
def c_axes(axes_py):
    """Keras axes argument -> the C API's (axis_x, axis_y), or DEFAULT."""
    if axes_py is None:
        return DEFAULT
    if isinstance(axes_py, int):  # bool included, as in Keras
        return (int(axes_py), int(axes_py))
    a0, a1 = axes_py
    return (int(a0), int(a1))


def spec_expect(xs, ys, axes):
    """Return ("ok", out_shape, a0, a1) or (STATUS_NAME, None, None, None)."""
    n, m = len(xs), len(ys)
    if n < 2 or m < 2:
        return ("INVALID_RANK", None, None, None)
    if xs[0] >= 0 and ys[0] >= 0 and xs[0] != ys[0]:
        return ("BATCH_MISMATCH", None, None, None)
    if axes == DEFAULT:
        a0, a1 = n - 1, (m - 1 if m == 2 else m - 2)
    else:
        a0, a1 = axes
        if a0 < 0:
            a0 += n
        if a1 < 0:
            a1 += m
    if a0 == 0 or a1 == 0:
        return ("BATCH_AXIS", None, None, None)
    if not (1 <= a0 < n) or not (1 <= a1 < m):
        return ("INVALID_AXES", None, None, None)
    if xs[a0] >= 0 and ys[a1] >= 0 and xs[a0] != ys[a1]:
        return ("CONTRACTION_MISMATCH", None, None, None)
    batch = xs[0] if xs[0] >= 0 else ys[0]
    out = [batch] + [xs[i] for i in range(1, n) if i != a0] + [ys[j] for j in range(1, m) if j != a1]
    if len(out) == 1:
        out.append(1)
    return ("ok", out, a0, a1)


def reference(x, y, a0, a1, out_shape):
    """float64 per-sample tensordot (the upstream oracle) and sum |x*y| per output."""
    B = x.shape[0]
    xd, yd = x.astype(np.float64), y.astype(np.float64)
    if B == 0 or int(np.prod(out_shape)) == 0:
        z = np.zeros(out_shape)
        return z, z
    ref = np.stack([np.tensordot(xd[b], yd[b], axes=(a0 - 1, a1 - 1)) for b in range(B)])
    mag = np.stack([np.tensordot(np.abs(xd[b]), np.abs(yd[b]), axes=(a0 - 1, a1 - 1)) for b in range(B)])
    return ref.reshape(out_shape), mag.reshape(out_shape)


def tf_reshape_bug(xs, ys, a0, a1):
    """docs/SEMANTICS.md section 5's predicate for TF's zero-size Reshape failure."""
    if xs[0] == 0 or xs[a0] != 0:
        return False

    def free(shape, a):
        return [shape[i] for i in range(1, len(shape)) if i != a]

    ops = [(xs, a0), (ys, a1)]
    some4 = any(len(s) >= 4 and 0 in free(s, a) for s, a in ops)
    rank3_ok = all(free(s, a)[0] != 0 for s, a in ops if len(s) == 3)
    return some4 and rank3_ok


# ----------------------------------------------------------------------------
# Running TF
# ----------------------------------------------------------------------------
def one_line(msg):
    return re.sub(r"\s+", " ", str(msg)).strip()


def run_tf(x, y, axes_py):
    try:
        r = K.batch_dot(tf.constant(x, dtype=tf.float32), tf.constant(y, dtype=tf.float32), axes=axes_py)
        return ("ok", np.asarray(r.numpy(), dtype=np.float32))
    except Exception as e:  # noqa: BLE001 - we record whatever TF raises
        return ("error", "%s: %s" % (type(e).__name__, one_line(e)))


def run_tf_static(xs, ys, axes_py):
    def f(a, b):
        return K.batch_dot(a, b, axes=axes_py)

    spec = [tf.TensorSpec([None if d < 0 else d for d in xs], tf.float32),
            tf.TensorSpec([None if d < 0 else d for d in ys], tf.float32)]
    try:
        out = tf.function(tf.autograph.experimental.do_not_convert(f), input_signature=spec,
                          autograph=False).get_concrete_function().structured_outputs
        return ("ok", [-1 if d is None else int(d) for d in out.shape.as_list()])
    except Exception as e:  # noqa: BLE001
        return ("error", "%s: %s" % (type(e).__name__, one_line(e)))


# ----------------------------------------------------------------------------
# Data and formatting
# ----------------------------------------------------------------------------
def fmt(v):
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return "%.9g" % v


def fmt_vals(a):
    return " ".join(fmt(v) for v in np.asarray(a, dtype=np.float32).reshape(-1))


def make_data(rng, shape, kind):
    size = int(np.prod(shape)) if len(shape) else 1
    if kind == "int":
        vals = rng.integers(-4, 5, size=size).astype(np.float32)
    else:
        scale = np.float32(2.0) ** rng.integers(-3, 4)
        vals = (rng.standard_normal(size) * scale).astype(np.float32)
    return vals.reshape(shape)


class Case:
    def __init__(self, desc, xs, ys, axes_py, kind, x=None, y=None, statics=()):
        self.desc, self.xs, self.ys, self.axes_py, self.kind = desc, list(xs), list(ys), axes_py, kind
        self.x, self.y, self.statics = x, y, list(statics)


class Stats:
    def __init__(self):
        self.counts = {}

    def add(self, key):
        self.counts[key] = self.counts.get(key, 0) + 1


def emit(out, cid, case, rng, stats):
    xs, ys = case.xs, case.ys
    x = case.x if case.x is not None else make_data(rng, xs, case.kind)
    y = case.y if case.y is not None else make_data(rng, ys, case.kind)
    x = np.asarray(x, dtype=np.float32).reshape(xs)
    y = np.asarray(y, dtype=np.float32).reshape(ys)
    axes = c_axes(case.axes_py)
    status, oshape, a0, a1 = spec_expect(xs, ys, axes)
    tf_status, tf_val = run_tf(x, y, case.axes_py)

    # Cross-check TF against the spec; only docs/SEMANTICS.md's documented divergences are allowed.
    if status == "ok" and tf_status == "ok":
        if list(tf_val.shape) != oshape:
            sys.exit("case %d %s: TF shape %s != spec %s" % (cid, case.desc, tf_val.shape, oshape))
        ref, mag = reference(x, y, a0, a1, oshape)
        k = xs[a0]
        err = np.abs(tf_val.astype(np.float64) - ref)
        bound = k * 2.0 ** -24 * mag
        fin = np.isfinite(ref) & (np.abs(ref) <= float(np.finfo(np.float32).max))
        if np.any(err[fin] > bound[fin]) or (case.kind == "int" and np.any(err[fin] != 0)):
            sys.exit("case %d %s: TF value outside the spec bound" % (cid, case.desc))
        # Non-finite references: NaN stays NaN, +-inf (or f32 overflow) keeps its sign.
        nf_ref, nf_tf = ref[~fin], tf_val.astype(np.float64)[~fin]
        if not np.array_equal(np.isnan(nf_ref), np.isnan(nf_tf)) or \
                np.any(np.sign(nf_ref[~np.isnan(nf_ref)]) * np.inf != nf_tf[~np.isnan(nf_ref)]):
            sys.exit("case %d %s: TF non-finite values differ from the reference" % (cid, case.desc))
        stats.add("ok (TF and spec agree)")
    elif status == "ok":
        if not (tf_val.startswith("InvalidArgumentError") and "Reshape" in tf_val and tf_reshape_bug(xs, ys, a0, a1)):
            sys.exit("case %d %s: spec ok, TF failed otherwise: %s" % (cid, case.desc, tf_val))
        stats.add("ok by spec, TF zero-size Reshape bug (divergent)")
    elif tf_status == "ok":
        n, m = len(xs), len(ys)
        below = axes != DEFAULT and (axes[0] < -n or axes[1] < -m)
        if not (status == "INVALID_AXES" and below):
            sys.exit("case %d %s: spec %s but TF returned a result" % (cid, case.desc, status))
        stats.add("error by spec, TF silently returned (axes below -rank)")
    else:
        stats.add("error " + status)
    if tf_status == "ok" and status == "ok" and tf_reshape_bug(xs, ys, a0, a1):
        sys.exit("case %d: predicate says Reshape bug but TF succeeded" % cid)

    w = out.append
    w("case %d %s" % (cid, case.desc))
    w("data %s" % case.kind)
    w(("x_shape " + " ".join(map(str, xs))).rstrip())
    w(("y_shape " + " ".join(map(str, ys))).rstrip())
    w("axes default" if axes == DEFAULT else "axes %d %d" % axes)
    w(("x " + fmt_vals(x)).rstrip())
    w(("y " + fmt_vals(y)).rstrip())
    if tf_status == "ok":
        w("tf ok " + " ".join(map(str, tf_val.shape)))
        w(("out " + fmt_vals(tf_val)).rstrip())
        if np.any((tf_val == 0) & np.signbit(tf_val)):
            stats.add("note: TF output holds -0")
    else:
        w("tf error " + tf_val)
    w("expect ok " + " ".join(map(str, oshape)) if status == "ok" else "expect " + status)

    for sxs, sys_ in case.statics:
        st, sshape, _, _ = spec_expect(sxs, sys_, axes)
        ts, tv = run_tf_static(sxs, sys_, case.axes_py)
        if ts == "ok" and st == "ok":
            if len(tv) != len(sshape) or any(t >= 0 and t != s for t, s in zip(tv, sshape)):
                sys.exit("case %d static %s %s: TF %s vs spec %s" % (cid, sxs, sys_, tv, sshape))
        if (ts == "ok") != (st == "ok"):
            below = axes != DEFAULT and (axes[0] < -len(sxs) or axes[1] < -len(sys_))
            if not (ts == "ok" and st == "INVALID_AXES" and below):
                sys.exit("case %d static %s %s: spec %s, TF %s" % (cid, sxs, sys_, st, tv))
            stats.add("static: error by spec, TF static ok (axes below -rank)")
        stats.add("static groups (infer_shape with unknown dims)")
        w(("static_x_shape " + " ".join(map(str, sxs))).rstrip())
        w(("static_y_shape " + " ".join(map(str, sys_))).rstrip())
        w(("tf_static ok " + " ".join(map(str, tv))) if ts == "ok" else "tf_static error " + tv)
        w("expect_static ok " + " ".join(map(str, sshape)) if st == "ok" else "expect_static " + st)
    w("end")
    w("")


# ----------------------------------------------------------------------------
# Hand-written cases
# ----------------------------------------------------------------------------
def fixed_cases():
    C = []

    def add(desc, xs, ys, axes, kind="int", **kw):
        C.append(Case(desc, xs, ys, axes, kind, **kw))

    # docs/SEMANTICS.md section 7 (edge-case table), in table order.
    for i, ax in enumerate([None, 1, (1, 1), [1, 1], -1, (-1, -1), True]):
        add("sec7 (3,4).(3,4) axes=%r -> (3,1)" % (ax,), [3, 4], [3, 4], ax, "int" if i % 2 == 0 else "float")
    add("sec7 (3,4).(3,4,5) axes=None -> [1,1] (3,5)", [3, 4], [3, 4, 5], None, "float")
    add("sec7 (3,4).(3,5,4) axes=None contraction error axes=[1,1] (4!=5)", [3, 4], [3, 5, 4], None)
    add("sec7 (3,4,5).(3,5) axes=None -> [2,1] (3,4)", [3, 4, 5], [3, 5], None, "float")
    add("sec7 (3,4,5).(3,4) axes=None contraction error (5!=4)", [3, 4, 5], [3, 4], None)
    add("sec7 (3,4,5).(3,4) axes=(1,1) -> (3,5)", [3, 4, 5], [3, 4], (1, 1))
    add("sec7 (3,4,5).(3,6,5) axes=-1 -> [2,2] (3,4,6)", [3, 4, 5], [3, 6, 5], -1, "float")
    add("sec7 (2,3,4,5).(2,5,6,7) axes=(3,1) -> (2,3,4,6,7)", [2, 3, 4, 5], [2, 5, 6, 7], (3, 1))
    add("sec7 (2,3,4,5).(2,6,5,7) axes=None -> [3,2] (2,3,4,6,7)", [2, 3, 4, 5], [2, 6, 5, 7], None)
    add("sec7 (2,3,4,5,6).(2,2,3,4,5) axes=(2,3) -> (2,3,5,6,2,3,5)", [2, 3, 4, 5, 6], [2, 2, 3, 4, 5], (2, 3))
    add("sec7 keras#10588 (2,1,2,2).(2,1,2,2) axes=(2,2) -> (2,1,2,1,2)", [2, 1, 2, 2], [2, 1, 2, 2], (2, 2), "float")
    add("sec7 keras#13300 (1,2,1).(1,2,1,16) axes=(2,2) -> (1,2,2,16)", [1, 2, 1], [1, 2, 1, 16], (2, 2), "float")
    add("sec7 tensorflow#30846 (1,2,6,2).(1,2,2,3) axes=(3,1) -> (1,2,6,2,3)", [1, 2, 6, 2], [1, 2, 2, 3], (3, 1))
    for ax in [0, (0, 1), (1, 0), -2, False]:
        add("sec7 (3,4).(3,4) axes=%r axis-0 error" % (ax,), [3, 4], [3, 4], ax)
    for ax in [2, (1, 2)]:
        add("sec7 (3,4).(3,4) axes=%r TF IndexError" % (ax,), [3, 4], [3, 4], ax)
    add("sec7 (3,4).(3,4) axes=-3 below -rank (TF Transpose error)", [3, 4], [3, 4], -3)
    add("sec7 (3,4,5).(3,5,6) axes=-4 below -rank (TF contraction error axes=[-1,-1])", [3, 4, 5], [3, 5, 6], -4)
    add("sec7 (3,5,5).(3,5,5) axes=(1,-5) below -rank (TF silently returns)", [3, 5, 5], [3, 5, 5], (1, -5), "float")
    add("sec7 (3,4).(5,4) axes=1 batch error", [3, 4], [5, 4], 1)
    add("sec7 (1,4).(2,4) axes=1 batch error, no broadcasting of batch 1", [1, 4], [2, 4], 1)
    add("sec7 (3,).(3,4) rank error", [3], [3, 4], 1)
    add("sec7 ().(3,4) rank error", [], [3, 4], None)
    add("sec7 (3,4).(3,) rank error", [3, 4], [3], 1)
    add("sec7 (3,4).() rank error", [3, 4], [], (1, 1))
    add("sec7 (3,).(3,) rank error", [3], [3], None)
    add("sec7 (0,4).(0,4) axes=1 -> (0,1)", [0, 4], [0, 4], 1)
    add("sec7 (3,0).(3,0) axes=1 -> (3,1) zeros", [3, 0], [3, 0], 1)
    add("sec7 (3,0,4).(3,4,5) axes=None -> (3,0,5)", [3, 0, 4], [3, 4, 5], None)
    add("sec7 (3,2,0,0).(3,0) axes=(3,1) TF Reshape bug; spec (3,2,0)", [3, 2, 0, 0], [3, 0], (3, 1))
    add("sec7 (1,1,1,1,1).(1,1,1,1,1) axes=(4,4) -> (1,1,1,1,1,1,1)", [1] * 5, [1] * 5, (4, 4), "float")
    add("sec7 symbolic (None,4).(3,4) axes=1 -> static (3,1)", [3, 4], [3, 4], 1, "float",
        statics=[([-1, 4], [3, 4]), ([3, 4], [-1, 4]), ([-1, 4], [-1, 4])])

    # Section 2 / 3 / 5 / 6 / 8 examples.
    add("sec2 int -1 normalised per operand: ranks 4,3 -> (3,2)", [2, 3, 4, 5], [2, 3, 5], -1, "float")
    add("sec2 int -3 with ranks 4,3 -> (1,0) axis-0 error", [2, 3, 4, 5], [2, 3, 5], -3)
    add("sec3 (3,4,5).(3,6,5) axes=[2,1] contraction error (5!=6)", [3, 4, 5], [3, 6, 5], [2, 1])
    add("sec3 (2,2,2).(2,2,2) axes=(-5,1) below -rank (TF silently returns garbage)", [2, 2, 2], [2, 2, 2], (-5, 1))
    add("sec3 (3,4).(3,4) axes=(5,0): axis-0 error wins over out of range", [3, 4], [3, 4], (5, 0))
    add("sec3 (3,4).(3,4) axes=(0,-7): axis-0 error wins over below -rank", [3, 4], [3, 4], (0, -7))
    add("sec3 (3,4).(5,4) axes=(0,9): batch error wins over axes", [3, 4], [5, 4], (0, 9))
    add("sec3 (3,4,5).(3,6,5) axes=(2,-9): out of range wins over contraction", [3, 4, 5], [3, 6, 5], (2, -9))
    add("sec5 (3,4,0).(3,0,5) axes=None K=0 -> zeros (3,4,5)", [3, 4, 0], [3, 0, 5], None)
    add("sec5 (3,0,2,4).(3,4,0,5) axes=(3,1) free zero -> (3,0,2,0,5)", [3, 0, 2, 4], [3, 4, 0, 5], (3, 1))
    add("sec5 (2,3,0,0).(2,0,4) axes=(3,1) rank-3 free dim nonzero: TF Reshape bug", [2, 3, 0, 0], [2, 0, 4], (3, 1))
    add("sec5 (2,0,0,3).(2,0,0) axes=(1,1) rank-3 free dim 0: TF ok -> (2,0,3,0)", [2, 0, 0, 3], [2, 0, 0], (1, 1))
    add("sec5 (2,2,0).(2,3,0,0) axes=(2,3) TF Reshape bug via y", [2, 2, 0], [2, 3, 0, 0], (2, 3))
    add("sec5 (0,3,0,2).(0,0) axes=(2,1) B=0: TF ok -> (0,3,2)", [0, 3, 0, 2], [0, 0], (2, 1))
    add("sec6 [[-0,-0]].[[1,1]] -> +0", [1, 2], [1, 2], 1, "float",
        x=np.array([[-0.0, -0.0]]), y=np.array([[1.0, 1.0]]))
    add("sec6 K=1 -0 product -> +0", [2, 1], [2, 1], 1, "int",
        x=np.array([[0.0], [-0.0]]), y=np.array([[-3.0], [2.0]]))
    add("sec6 NaN in a contracted pair -> NaN; other rows finite", [3, 2], [3, 2, 2], (1, 1), "float",
        x=np.array([[np.nan, 1], [1, 2], [0, 0]]), y=np.arange(12).reshape(3, 2, 2))
    add("sec6 inf*0 -> NaN, inf+(-inf) -> NaN, inf*2 -> inf", [3, 2], [3, 2], 1, "float",
        x=np.array([[np.inf, 1], [np.inf, 1], [np.inf, 0]]), y=np.array([[0, 1], [1, -np.inf], [2, 5]]))
    add("sec6 -inf sums and overflow to inf", [2, 2], [2, 2], (1, 1), "float",
        x=np.array([[-np.inf, 1], [3e38, 3e38]]), y=np.array([[1, 1], [2, 2]]))
    add("sec6 cancellation to exact zero", [1, 3], [1, 3], 1, "int",
        x=np.array([[1, 2, 3]]), y=np.array([[3, 0, -1]]))
    add("sec8 (32,1,2,2).(32,1,2,2) axes=(2,2) -> (32,1,2,1,2)", [32, 1, 2, 2], [32, 1, 2, 2], (2, 2))
    add("sec8 keras#2742 (3,4,5,6).(3,4,6,7) axes=None -> (3,4,5,4,7) not matmul", [3, 4, 5, 6], [3, 4, 6, 7], None)
    add("sec8 (3,4).(4,3) axes=(0,1) batch error (2017: sum over batch)", [3, 4], [4, 3], (0, 1))
    add("sec8 tensorflow#33709 (2,7,4,2).(2,7,2,5) axes=None -> (2,7,4,7,5)", [2, 7, 4, 2], [2, 7, 2, 5], None)

    # Section 9: upstream test cases.
    add("sec9 tf-keras test_batch_dot (2,3,4,5).(2,5,6,7) axes=(3,1)", [2, 3, 4, 5], [2, 5, 6, 7], (3, 1), "float")
    add("sec9 tf-keras test_batch_dot (2,20,1).(2,30,20) axes=(1,2)", [2, 20, 1], [2, 30, 20], (1, 2), "float")
    add("sec9 tf-keras test_batch_dot (4,2,3).(4,5,3) axes=(2,2)", [4, 2, 3], [4, 5, 3], (2, 2), "float")
    add("sec9 tf-keras test_batch_dot (4,2).(4,2,3) axes=(1,1)", [4, 2], [4, 2, 3], (1, 1), "float")
    add("sec9 tf-keras test_batch_dot (4,2).(4,2,3) axes=1", [4, 2], [4, 2, 3], 1, "float")
    add("sec9 tf-keras test_batch_dot (4,2,3).(4,3) axes=(2,1)", [4, 2, 3], [4, 3], (2, 1), "float")
    for xs, ys, ax in [([3, 4, 5], [2, 3, 4], (2, 3)), ([3, 4, 5], [2, 4], 2), ([3, 4], [2, 3, 4], (2, 3)),
                       ([4, 3], [3, 5], (2, 1)), ([4], [3, 4], (1, 2)), ([4], [4], None)]:
        X, Y = [7] + xs, [7] + ys
        add("sec9 keras2.3 test_batch_dot_shape (None,%s).(None,%s) axes=%r batch 7" % (
            ",".join(map(str, xs)), ",".join(map(str, ys)), ax), X, Y, ax, "float",
            statics=[([-1] + xs, [-1] + ys), ([-1] * len(X), [-1] * len(Y))])
    add("sec9 keras2.3 test_linear_operations (4,2,3).(4,5,3) axes=(2,2)", [4, 2, 3], [4, 5, 3], (2, 2))
    add("sec9 keras2.3 test_linear_operations (4,2,3).(4,3) axes=(2,1)", [4, 2, 3], [4, 3], (2, 1))
    add("sec9 keras2.3 test_linear_operations (4,2).(4,2,3) axes=(1,1)", [4, 2], [4, 2, 3], (1, 1))
    add("sec9 keras2.3 test_linear_operations (32,20).(32,20) axes=1", [32, 20], [32, 20], 1, "float")
    add("sec9 keras2.3 test_linear_operations (32,20).(32,20) axes=(1,1)", [32, 20], [32, 20], (1, 1))
    add("sec9 keras3 merging dot_2d (2,4).(2,4) axes=-1", [2, 4], [2, 4], -1, "float")
    add("sec9 keras3 merging dot_3d (2,4,5).(2,4,5) axes=-1", [2, 4, 5], [2, 4, 5], -1, "float")
    add("sec9 keras3 merging test_dot_higher_dim (1,3,2).(1,1,2,3) axes=(-2,-1)", [1, 3, 2], [1, 1, 2, 3], (-2, -1), "float")
    add("sec9 tf-keras merging test_dot Input(4).Input(4) axes=1 batch 7", [7, 4], [7, 4], 1, "float",
        statics=[([-1, 4], [-1, 4])])
    add("sec9 tf-keras merging test_dot Input(4).Input(4) axes=(-1,-1) batch 7", [7, 4], [7, 4], (-1, -1), "int",
        statics=[([-1, 4], [-1, 4])])
    add("sec9 tf-keras merging compute_output_shape (4,5).(4,5) axes=-1 -> (4,1)", [4, 5], [4, 5], -1, "float")
    add("sec9 tf-keras merging test_dot_errors (4,5).(4,6) axes=-1", [4, 5], [4, 6], -1, "float")
    add("sec9 old keras (32,20).(32,20) axes=0 (was (20,1), now axis-0 error)", [32, 20], [32, 20], 0)

    # shared/seed/keras-batch_dot-doc.txt
    add("doc x=[[1,2],[3,4]] y=[[5,6],[7,8]] axes=1 -> [[17],[53]]", [2, 2], [2, 2], 1, "int",
        x=np.array([[1, 2], [3, 4]]), y=np.array([[5, 6], [7, 8]]))
    add("doc shape inference (100,20).(100,30,20) axes=(1,2) -> (100,30)", [100, 20], [100, 30, 20], (1, 2))
    add("doc K.ones (32,20,1).(32,30,20) axes=[1,2] -> (32,1,30)", [32, 20, 1], [32, 30, 20], [1, 2], "int",
        x=np.ones((32, 20, 1)), y=np.ones((32, 30, 20)))
    add("doc (32,20,1).(32,30,20) axes=(1,2) random ints -> (32,1,30)", [32, 20, 1], [32, 30, 20], (1, 2))
    return C


# ----------------------------------------------------------------------------
# Random cases
# ----------------------------------------------------------------------------
def rand_extent(rng):
    r = rng.random()
    if r < 0.07:
        return 0
    if r < 0.25:
        return 1
    return int(rng.integers(2, 6))


def valid_axes(rng, n, m):
    """A valid axes form: (python axes, normalised a0, a1, label)."""
    form = rng.choice(["default", "int", "intneg", "pair", "pairneg"])
    lo = min(n, m)
    if form == "default":
        return None, n - 1, (m - 1 if m == 2 else m - 2), "default"
    if form == "int":
        a = int(rng.integers(1, lo))
        return a, a, a, "int"
    if form == "intneg":
        a = -int(rng.integers(1, lo))
        return a, a + n, a + m, "negative int"
    a0, a1 = int(rng.integers(1, n)), int(rng.integers(1, m))
    if form == "pair":
        return (a0, a1), a0, a1, "pair"
    p0 = a0 - n if rng.random() < 0.5 else a0
    p1 = a1 - m if rng.random() < 0.6 else a1
    return (p0, p1), a0, a1, "pair with negatives"


def bad_axes(rng, n, m):
    """An axes form that is (usually) invalid: 0, >= rank, == -rank, < -rank, huge."""
    choice = int(rng.integers(0, 9))
    if choice == 0:
        return 0, "int 0"
    if choice == 1:
        return int(rng.integers(min(n, m), max(n, m) + 3)), "int >= a rank"
    if choice == 2:
        return -int(rng.integers(min(n, m), max(n, m) + 1)), "int == -rank of one"
    if choice == 3:
        return -int(rng.integers(max(n, m) + 1, 2 * max(n, m) + 1)), "int below -rank"
    if choice == 4:
        return (int(rng.integers(1, n)), int(rng.integers(m, m + 3))), "pair, y axis >= rank"
    if choice == 5:
        return (int(rng.integers(-2 * n, -n)), int(rng.integers(1, m))), "pair, x axis below -rank"
    if choice == 6:
        return (int(rng.integers(1, n)), int(rng.integers(-2 * m, -m))), "pair, y axis below -rank"
    if choice == 7:
        return ((0, int(rng.integers(-m, m))) if rng.random() < 0.5 else (int(rng.integers(-n, n)), -m)), "pair with axis 0"
    big = [1000, -1000, 2 ** 31, -(2 ** 40)]
    return (big[int(rng.integers(0, 4))], big[int(rng.integers(0, 4))]), "pair, far out of range"


def size(shape):
    return int(np.prod(shape)) if shape else 1


def random_case(rng, i):
    kind = "int" if i % 2 == 0 else "float"
    mode = rng.choice(["valid"] * 12 + ["batch"] * 2 + ["contract"] * 2 + ["axes"] * 4 + ["zeroK"])
    for _ in range(1000):
        n, m = int(rng.integers(2, 6)), int(rng.integers(2, 6))
        xs = [rand_extent(rng) for _ in range(n)]
        ys = [rand_extent(rng) for _ in range(m)]
        if mode == "zeroK":  # empty contractions and empty free dims (docs/SEMANTICS.md section 5)
            xs = [0 if rng.random() < 0.3 else d for d in xs]
            ys = [0 if rng.random() < 0.3 else d for d in ys]
            xs[0] = max(xs[0], 1) if rng.random() < 0.85 else 0
        ys[0] = xs[0]
        if mode == "axes":
            axes_py, label = bad_axes(rng, n, m)
        else:
            axes_py, a0, a1, label = valid_axes(rng, n, m)
            ys[a1] = xs[a0]
            if mode == "zeroK":
                xs[a0] = ys[a1] = 0
            if mode == "contract":
                ys[a1] = (xs[a0] + int(rng.integers(1, 5))) % 6
            if mode == "batch":
                ys[0] = (xs[0] + int(rng.integers(1, 5))) % 6
        st, oshape, _, _ = spec_expect(xs, ys, c_axes(axes_py))
        cap = 160 if kind == "float" else 320
        if size(xs) <= cap and size(ys) <= cap and (oshape is None or size(oshape) <= 2 * cap):
            break
    desc = "random %s %s.%s axes=%r (%s)" % (mode, tuple(xs), tuple(ys), axes_py, label)
    statics = []
    if i % 6 == 3:  # a static group with some dims unknown
        sx = [-1 if rng.random() < 0.35 else d for d in xs]
        sy = [-1 if rng.random() < 0.35 else d for d in ys]
        statics.append((sx, sy))
    return Case(desc, xs, ys, axes_py, kind, statics=statics)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                               "keras_batch_dot.golden")
    rng = np.random.default_rng(SEED)
    cases = fixed_cases()
    rrng = np.random.default_rng(SEED + 1)
    cases += [random_case(rrng, i) for i in range(RANDOM_CASES)]

    body, stats = [], Stats()
    for cid, case in enumerate(cases, 1):
        emit(body, cid, case, rng, stats)

    doc = __doc__.split("File format", 1)[1].split("\n", 2)[2]
    head = [
        "# keras_batch_dot.golden: batch_dot cases run through the real tf_keras.backend.batch_dot.",
        "# GENERATED by tests/golden/gen_golden.py; do not edit by hand. Checked by tests/golden.rs.",
        "# Generated with: python %s, tensorflow %s, tf_keras %s, numpy %s, TF_ENABLE_ONEDNN_OPTS=0, 1 thread, CPU."
        % (platform.python_version(), tf.__version__, tf_keras.__version__, np.__version__),
        "# Regenerate: pip install tensorflow-cpu==%s tf-keras==%s numpy; python tests/golden/gen_golden.py"
        % (tf.__version__, tf_keras.__version__),
        "# %d cases (%d hand-written from docs/SEMANTICS.md sections 2-9 and the seed docs, %d random), seed %d."
        % (len(cases), len(cases) - RANDOM_CASES, RANDOM_CASES, SEED),
        "# Case kinds:",
    ] + ["#   %4d  %s" % (v, k) for k, v in sorted(stats.counts.items())] + [
        "#",
        "# Format (line based, whitespace separated; '#' lines and blank lines are comments):",
    ] + ["#" + (" " + l if l.strip() else "") for l in doc.rstrip().split("\n")] + [""]
    with open(path, "w") as f:
        f.write("\n".join(head + body))
    for k, v in sorted(stats.counts.items()):
        print("%5d  %s" % (v, k))
    print("wrote %s: %d cases, %d bytes" % (path, len(cases), os.path.getsize(path)))


if __name__ == "__main__":
    main()

package batchdot

import (
	"errors"
	"fmt"
	"math"
	"math/rand"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// ---------------------------------------------------------------------------
// A naive reference: docs/SEMANTICS.md §1-§2, one loop per output element
// ---------------------------------------------------------------------------

func normAxes(n, m int, axes Axes) (int, int) {
	if !axes.set {
		if m == 2 {
			return n - 1, m - 1
		}
		return n - 1, m - 2
	}
	a0, a1 := int(axes.x), int(axes.y)
	if a0 < 0 {
		a0 += n
	}
	if a1 < 0 {
		a1 += m
	}
	return a0, a1
}

func at[T any](data []T, l Layout, idx []int64) T {
	st := l.strides()
	p := l.Offset
	for i, v := range idx {
		p += v * st[i]
	}
	return data[p]
}

// naive returns the row-major result and its shape.
func naive[T Float](x []T, xl Layout, y []T, yl Layout, axes Axes) ([]T, []int64) {
	f := func(v T) float64 { return float64(v) }
	s, shape := naiveSum(x, xl, y, yl, axes, f, f)
	out := make([]T, len(s))
	for i, v := range s {
		out[i] = T(v)
	}
	return out, shape
}

// naiveSum is the definition as a loop in A (float64 or int64), each
// element converted by cx or cy; it returns the row-major sums and their
// shape.
func naiveSum[A int64 | float64, X, Y any](x []X, xl Layout, y []Y, yl Layout, axes Axes, cx func(X) A, cy func(Y) A) ([]A, []int64) {
	n, m := xl.NDim(), yl.NDim()
	a0, a1 := normAxes(n, m, axes)
	shape := []int64{xl.Shape[0]}
	for i := 1; i < n; i++ {
		if i != a0 {
			shape = append(shape, xl.Shape[i])
		}
	}
	for j := 1; j < m; j++ {
		if j != a1 {
			shape = append(shape, yl.Shape[j])
		}
	}
	rank1 := len(shape) == 1
	if rank1 {
		shape = append(shape, 1)
	}
	total := Contiguous(shape...).NumElements()
	out := make([]A, total)
	K := xl.Shape[a0]
	idx := make([]int64, len(shape))
	xi := make([]int64, n)
	yi := make([]int64, m)
	for e := int64(0); e < total; e++ {
		// unravel e
		r := e
		for d := len(shape) - 1; d >= 0; d-- {
			idx[d] = r % shape[d]
			r /= shape[d]
		}
		xi[0], yi[0] = idx[0], idx[0]
		k := 1
		for i := 1; i < n; i++ {
			if i != a0 {
				xi[i] = idx[k]
				k++
			}
		}
		for j := 1; j < m; j++ {
			if j != a1 {
				yi[j] = idx[k]
				k++
			}
		}
		var s A
		for t := int64(0); t < K; t++ {
			xi[a0], yi[a1] = t, t
			s += cx(at(x, xl, xi)) * cy(at(y, yl, yi))
		}
		out[e] = s
	}
	return out, shape
}

// randomLayout is a layout of shape over a slice it returns: axes permuted
// in memory, stepped (2, 3), reversed (negative strides), broadcast (stride
// 0) on inputs, with padding before and after. Values are small integers, so
// every sum is exact. Unreached elements are NaN.
func randomLayout[T Float](r *rand.Rand, shape []int64, input bool) ([]T, Layout) {
	return randomLayoutOf(r, shape, input, T(math.NaN()), func(r *rand.Rand) T { return T(r.Intn(9) - 4) })
}

// randomLayoutOf is randomLayout with the unreached elements set to fill and
// the reached ones drawn by gen.
func randomLayoutOf[T any](r *rand.Rand, shape []int64, input bool, fill T, gen func(*rand.Rand) T) ([]T, Layout) {
	nd := len(shape)
	perm := r.Perm(nd)
	strides := make([]int64, nd)
	acc := int64(1)
	for k := nd - 1; k >= 0; k-- {
		a := perm[k]
		step := []int64{1, 1, 2, 3, -1, -2}[r.Intn(6)]
		if input && shape[a] > 1 && r.Intn(6) == 0 {
			strides[a] = 0
			continue
		}
		strides[a] = step * acc
		ext := shape[a]
		if ext < 1 {
			ext = 1
		}
		if step < 0 {
			step = -step
		}
		acc *= ext * step
	}
	var lo, hi int64
	empty := false
	for i, d := range shape {
		if d == 0 {
			empty = true
		}
		if d > 1 {
			if strides[i] < 0 {
				lo += (d - 1) * strides[i]
			} else {
				hi += (d - 1) * strides[i]
			}
		}
	}
	pad := int64(r.Intn(3))
	l := Layout{Shape: append([]int64(nil), shape...), Strides: strides, Offset: pad - lo}
	n := pad - lo + hi + 1 + int64(r.Intn(3))
	if empty {
		n = int64(r.Intn(3))
		l.Offset = int64(r.Intn(5))
	}
	data := make([]T, n)
	for i := range data {
		data[i] = fill
	}
	if !empty {
		idx := make([]int64, nd)
		for e := int64(0); e < l.NumElements(); e++ {
			rem := e
			for d := nd - 1; d >= 0; d-- {
				idx[d] = rem % shape[d]
				rem /= shape[d]
			}
			p := l.Offset
			for i, v := range idx {
				p += v * strides[i]
			}
			data[p] = gen(r)
		}
	}
	return data, l
}

func randomCase(r *rand.Rand) (xs, ys []int64, axes Axes) {
	n, m := 2+r.Intn(4), 2+r.Intn(4)
	minr := n
	if m < minr {
		minr = m
	}
	switch r.Intn(5) {
	case 0:
		axes = DefaultAxes()
	case 1:
		axes = Axis(int64(1 + r.Intn(minr-1)))
	case 2:
		axes = Axis(-int64(1 + r.Intn(minr-1)))
	case 3:
		axes = AxisPair(int64(1+r.Intn(n-1)), int64(1+r.Intn(m-1)))
	default:
		axes = AxisPair(int64(1+r.Intn(n-1)-n), int64(1+r.Intn(m-1)-m))
	}
	a0, a1 := normAxes(n, m, axes)
	hi := 4
	if n+m > 6 {
		hi = 3
	}
	xs = make([]int64, n)
	ys = make([]int64, m)
	for i := range xs {
		xs[i] = int64(1 + r.Intn(hi))
	}
	for i := range ys {
		ys[i] = int64(1 + r.Intn(hi))
	}
	ys[0] = xs[0]
	ys[a1] = xs[a0]
	if r.Intn(20) == 0 {
		switch r.Intn(3) {
		case 0:
			xs[0], ys[0] = 0, 0
		case 1:
			xs[a0], ys[a1] = 0, 0
		default:
			xs[1+r.Intn(n-1)] = 0
			ys[a1] = xs[a0]
		}
	}
	return
}

func sameBits[T Float](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(float64(a[i])) != math.Float64bits(float64(b[i])) {
			return false
		}
	}
	return true
}

// ---------------------------------------------------------------------------
// Seed page examples (shared/seed/keras-batch_dot-doc.txt)
// ---------------------------------------------------------------------------

func TestSeedDocstringExample(t *testing.T) {
	x := []float32{1, 2, 3, 4}
	y := []float32{5, 6, 7, 8}
	out, shape, err := BatchDotF32(x, Contiguous(2, 2), y, Contiguous(2, 2), Axis(1))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(shape, []int64{2, 1}) || !reflect.DeepEqual(out, []float32{17, 53}) {
		t.Fatalf("got %v %v, want [[17] [53]]", shape, out)
	}
}

func TestSeedShapeExamples(t *testing.T) {
	for _, c := range []struct {
		xs, ys, want []int64
		axes         Axes
	}{
		{[]int64{100, 20}, []int64{100, 30, 20}, []int64{100, 30}, AxisPair(1, 2)},
		{[]int64{32, 20, 1}, []int64{32, 30, 20}, []int64{32, 1, 30}, AxisPair(1, 2)},
	} {
		got, err := InferShape(c.xs, c.ys, c.axes)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Fatalf("InferShape(%v, %v, %v) = %v, %v; want %v", c.xs, c.ys, c.axes, got, err, c.want)
		}
		x := make([]float64, Contiguous(c.xs...).NumElements())
		y := make([]float64, Contiguous(c.ys...).NumElements())
		for i := range x {
			x[i] = 1
		}
		for i := range y {
			y[i] = 1
		}
		out, shape, err := BatchDotF64(x, Contiguous(c.xs...), y, Contiguous(c.ys...), c.axes)
		if err != nil || !reflect.DeepEqual(shape, c.want) {
			t.Fatalf("BatchDot: %v %v", shape, err)
		}
		for _, v := range out {
			if v != 20 {
				t.Fatalf("got %v, want 20", v)
			}
		}
	}
}

// ---------------------------------------------------------------------------
// Random strided layouts against the naive loop
// ---------------------------------------------------------------------------

func checkRandom[T Float](t *testing.T, seed int64) {
	r := rand.New(rand.NewSource(seed))
	xs, ys, axes := randomCase(r)
	x, xl := randomLayout[T](r, xs, true)
	y, yl := randomLayout[T](r, ys, true)
	want, wshape := naive(x, xl, y, yl, axes)
	name := fmt.Sprintf("seed %d: %v·%v axes %v, layouts %v %v", seed, xs, ys, axes, xl, yl)

	got, shape, err := BatchDot(x, xl, y, yl, axes, WithNumThreads(uint32(r.Intn(3))))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if !reflect.DeepEqual(shape, wshape) || !sameBits(got, want) {
		t.Fatalf("%s: got %v %v, want %v %v", name, shape, got, wshape, want)
	}

	// The same into a strided out; the padding must stay NaN.
	out, ol := randomLayout[T](r, wshape, false)
	for i := range out {
		out[i] = T(math.NaN())
	}
	if err := BatchDotInto(out, ol, x, xl, y, yl, axes); err != nil {
		t.Fatalf("%s: into %v: %v", name, ol, err)
	}
	reached := make([]bool, len(out))
	idx := make([]int64, len(wshape))
	for e := int64(0); e < int64(len(want)); e++ {
		rem := e
		for d := len(wshape) - 1; d >= 0; d-- {
			idx[d] = rem % wshape[d]
			rem /= wshape[d]
		}
		p := ol.Offset
		for i, v := range idx {
			p += v * ol.Strides[i]
		}
		reached[p] = true
		if math.Float64bits(float64(out[p])) != math.Float64bits(float64(want[e])) {
			t.Fatalf("%s: into %v: element %v = %v, want %v", name, ol, idx, out[p], want[e])
		}
	}
	for i, v := range out {
		if !reached[i] && !math.IsNaN(float64(v)) {
			t.Fatalf("%s: into %v: padding element %d was written", name, ol, i)
		}
	}
}

func TestRandomLayoutsF32(t *testing.T) {
	for seed := int64(0); seed < 300; seed++ {
		checkRandom[float32](t, seed)
	}
}

func TestRandomLayoutsF64(t *testing.T) {
	for seed := int64(1000); seed < 1300; seed++ {
		checkRandom[float64](t, seed)
	}
}

func TestHandStridedLayouts(t *testing.T) {
	// x: (2, 3, 4) stored as (2, 4, 3) transposed, y: (2, 4, 2) reversed in
	// every axis, out: (2, 3, 2) every other element of a (2, 3, 4) buffer.
	buf := make([]float64, 24)
	for i := range buf {
		buf[i] = float64(i%7 - 3)
	}
	xl := Contiguous(2, 4, 3).Transpose(0, 2, 1)
	yb := []float64{1, -2, 3, 0, 2, 1, -1, 4, 2, 2, 0, 1, -3, 1, 2, 2}
	yl := Strided([]int64{2, 4, 2}, []int64{-8, -2, -1}, 15)
	want, wshape := naive(buf, xl, yb, yl, DefaultAxes())
	out := make([]float64, 24)
	ol := Strided([]int64{2, 3, 2}, []int64{12, 4, 2}, 0)
	if err := BatchDotInto(out, ol, buf, xl, yb, yl, DefaultAxes()); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(wshape, []int64{2, 3, 2}) {
		t.Fatal(wshape)
	}
	got, _, _ := BatchDot(buf, xl, yb, yl, DefaultAxes())
	if !sameBits(got, want) {
		t.Fatalf("got %v want %v", got, want)
	}
	k := 0
	for i := 0; i < 24; i++ {
		if i%2 == 1 {
			if out[i] != 0 {
				t.Fatalf("padding %d written", i)
			}
			continue
		}
		if out[i] != want[k] {
			t.Fatalf("out[%d] = %v, want %v", i, out[i], want[k])
		}
		k++
	}
	// broadcast: y's batch and contraction broadcast from one element.
	one := []float64{2}
	bl := Strided([]int64{2, 4, 2}, []int64{0, 0, 0}, 0)
	got, _, err := BatchDot(buf, xl, one, bl, DefaultAxes())
	if err != nil {
		t.Fatal(err)
	}
	want, _ = naive(buf, xl, one, bl, DefaultAxes())
	if !sameBits(got, want) {
		t.Fatalf("broadcast: got %v want %v", got, want)
	}
}

func TestThreadsBitwiseIdentical(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	x := make([]float32, 16*9*33)
	y := make([]float32, 16*33*7)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	for i := range y {
		y[i] = float32(r.NormFloat64())
	}
	xl, yl := Contiguous(16, 9, 33), Contiguous(16, 33, 7)
	ref, _, err := BatchDot(x, xl, y, yl, DefaultAxes(), WithNumThreads(1))
	if err != nil {
		t.Fatal(err)
	}
	for _, nt := range []uint32{0, 2, 3} {
		got, _, err := BatchDot(x, xl, y, yl, DefaultAxes(), WithNumThreads(nt))
		if err != nil || !sameBits(got, ref) {
			t.Fatalf("num_threads %d differs (%v)", nt, err)
		}
	}
}

func TestEmptyAndZeroContraction(t *testing.T) {
	// K = 0: +0.0 everywhere.
	out, shape, err := BatchDotF64(nil, Contiguous(3, 4, 0), nil, Contiguous(3, 0, 5), DefaultAxes())
	if err != nil || !reflect.DeepEqual(shape, []int64{3, 4, 5}) || len(out) != 60 {
		t.Fatalf("%v %v %v", out, shape, err)
	}
	for _, v := range out {
		if v != 0 || math.Signbit(v) {
			t.Fatalf("got %v, want +0", v)
		}
	}
	// B = 0
	out32, shape, err := BatchDotF32(nil, Contiguous(0, 4), []float32{}, Contiguous(0, 4), Axis(1))
	if err != nil || !reflect.DeepEqual(shape, []int64{0, 1}) || len(out32) != 0 {
		t.Fatalf("%v %v %v", out32, shape, err)
	}
	// the TF zero-size bug case of SPEC §5
	out32, shape, err = BatchDotF32(nil, Contiguous(3, 2, 0, 0), nil, Contiguous(3, 0), AxisPair(3, 1))
	if err != nil || !reflect.DeepEqual(shape, []int64{3, 2, 0}) || len(out32) != 0 {
		t.Fatalf("%v %v %v", out32, shape, err)
	}
	// -0 products sum to +0
	out, _, err = BatchDotF64([]float64{math.Copysign(0, -1), math.Copysign(0, -1)}, Contiguous(1, 2), []float64{1, 1}, Contiguous(1, 2), Axis(1))
	if err != nil || out[0] != 0 || math.Signbit(out[0]) {
		t.Fatalf("%v %v", out, err)
	}
	// NaN propagates
	out, _, _ = BatchDotF64([]float64{math.Inf(1), 1}, Contiguous(1, 2), []float64{0, 1}, Contiguous(1, 2), Axis(1))
	if !math.IsNaN(out[0]) {
		t.Fatalf("inf*0 gave %v", out[0])
	}
}

func TestInferShape(t *testing.T) {
	u := DimUnknown
	for _, c := range []struct {
		xs, ys, want []int64
		axes         Axes
	}{
		{[]int64{u, 4}, []int64{3, 4}, []int64{3, 1}, Axis(1)},
		{[]int64{u, 4}, []int64{u, 4}, []int64{u, 1}, DefaultAxes()},
		{[]int64{u, 3, 4, 5}, []int64{u, 2, 3, 4}, []int64{u, 3, 5, 2, 3}, AxisPair(2, 3)},
		{[]int64{u, 3, 4, 5}, []int64{u, 2, 4}, []int64{u, 3, 5, 2}, Axis(2)},
		{[]int64{u, 4, 3}, []int64{u, 3, 5}, []int64{u, 4, 5}, AxisPair(2, 1)},
		{[]int64{2, 3, 4, 5}, []int64{2, 6, 5, 7}, []int64{2, 3, 4, 6, 7}, DefaultAxes()},
		{[]int64{8, 7, 4, 2}, []int64{8, 7, 2, 5}, []int64{8, 7, 4, 7, 5}, DefaultAxes()},
		{[]int64{3, 4, 5}, []int64{3, 6, 5}, []int64{3, 4, 6}, Axis(-1)},
		{[]int64{1, 3, 2}, []int64{1, 1, 2, 3}, []int64{1, 2, 1, 2}, AxisPair(-2, -1)},
	} {
		got, err := InferShape(c.xs, c.ys, c.axes)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("InferShape(%v, %v, %v) = %v, %v; want %v", c.xs, c.ys, c.axes, got, err, c.want)
		}
	}
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

func TestErrors(t *testing.T) {
	for _, c := range []struct {
		xs, ys []int64
		axes   Axes
		status Status
		msg    string
	}{
		{[]int64{3}, []int64{3, 4}, Axis(1), StatusInvalidRank,
			"Cannot do batch_dot on inputs with rank < 2. Received inputs with shapes (3,) and (3, 4)."},
		{[]int64{3, 4}, []int64{5, 4}, Axis(1), StatusBatchMismatch,
			"Cannot do batch_dot on inputs with different batch sizes. Received inputs with shapes (3, 4) and (5, 4)."},
		{[]int64{3, 4, 5}, []int64{3, 6, 5}, AxisPair(2, 1), StatusContractionMismatch,
			"Cannot do batch_dot on inputs with shapes (3, 4, 5) and (3, 6, 5) with axes=[2, 1]. x.shape[2] != y.shape[1] (5 != 6)."},
		{[]int64{3, 4}, []int64{3, 4}, Axis(0), StatusBatchAxis, ""},
		{[]int64{3, 4}, []int64{3, 4}, Axis(-2), StatusBatchAxis, ""},
		{[]int64{3, 4}, []int64{3, 4}, Axis(2), StatusInvalidAxes, ""},
		{[]int64{3, 4}, []int64{3, 4}, Axis(-3), StatusInvalidAxes, ""},
		{[]int64{3, 5, 5}, []int64{3, 5, 5}, AxisPair(1, -5), StatusInvalidAxes, ""},
		{[]int64{3, 4}, []int64{3, 4}, AxisPair(AxisDefault, 1), StatusInvalidAxes, ""},
		{[]int64{3, -2}, []int64{3, 4}, Axis(1), StatusInvalidShape, ""},
		{make([]int64, 17), []int64{3, 4}, Axis(1), StatusInvalidRank, ""},
	} {
		_, err := InferShape(c.xs, c.ys, c.axes)
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("%v·%v %v: got %v, want an *Error", c.xs, c.ys, c.axes, err)
		}
		if e.Status != c.status || !errors.Is(err, c.status) || errors.Is(err, StatusInternal) {
			t.Errorf("%v·%v %v: status %v, want %v", c.xs, c.ys, c.axes, e.Status, c.status)
		}
		if e.Message == "" || (c.msg != "" && e.Message != c.msg) {
			t.Errorf("%v·%v %v: message %q, want %q", c.xs, c.ys, c.axes, e.Message, c.msg)
		}
		if !strings.Contains(err.Error(), c.status.String()) || !strings.HasPrefix(c.status.String(), "BATCH_DOT_STATUS_") {
			t.Errorf("Error() = %q", err.Error())
		}
		// The compute entry reports the same status (with data that fits).
		if c.status == StatusInvalidShape || len(c.xs) > MaxNDim {
			continue
		}
		x := make([]float32, Contiguous(c.xs...).NumElements())
		y := make([]float32, Contiguous(c.ys...).NumElements())
		_, _, err2 := BatchDot(x, Contiguous(c.xs...), y, Contiguous(c.ys...), c.axes)
		if !errors.Is(err2, c.status) || err2.(*Error).Message != e.Message {
			t.Errorf("%v·%v %v: compute gave %v, infer gave %v", c.xs, c.ys, c.axes, err2, err)
		}
	}
}

func TestLayoutErrors(t *testing.T) {
	x := make([]float64, 6)
	y := make([]float64, 6)
	// A layout reaching past its slice: OUT_OF_BOUNDS, not a crash.
	_, _, err := BatchDot(x, Contiguous(2, 4), y, Contiguous(2, 3), Axis(1))
	if !errors.Is(err, StatusContractionMismatch) {
		t.Fatal(err)
	}
	_, _, err = BatchDot(x, Contiguous(2, 4), make([]float64, 8), Contiguous(2, 4), Axis(1))
	if !errors.Is(err, StatusOutOfBounds) || !strings.HasPrefix(err.(*Error).Message, "x ") {
		t.Fatal(err)
	}
	_, _, err = BatchDot(x, Strided([]int64{2, 3}, []int64{3, 1}, -1), y, Contiguous(2, 3), Axis(1))
	if !errors.Is(err, StatusOutOfBounds) {
		t.Fatal(err)
	}
	// An empty slice under a layout with elements: OUT_OF_BOUNDS.
	_, _, err = BatchDot(nil, Contiguous(2, 3), y, Contiguous(2, 3), Axis(1))
	if !errors.Is(err, StatusOutOfBounds) {
		t.Fatal(err)
	}
	// Strides of the wrong length: a Go-side INVALID_ARGUMENT.
	_, _, err = BatchDot(x, Layout{Shape: []int64{2, 3}, Strides: []int64{1}}, y, Contiguous(2, 3), Axis(1))
	if !errors.Is(err, StatusInvalidArgument) {
		t.Fatal(err)
	}
	// A negative (unknown) extent in a compute call.
	_, _, err = BatchDot(x, Contiguous(2, -1), y, Contiguous(2, 3), Axis(1))
	if !errors.Is(err, StatusInvalidShape) {
		t.Fatal(err)
	}
	// Out: wrong shape, overlapping strides, sharing memory with x.
	out := make([]float64, 4)
	err = BatchDotInto(out, Contiguous(2, 2), x, Contiguous(2, 3), y, Contiguous(2, 3), Axis(1))
	if !errors.Is(err, StatusOutputShape) {
		t.Fatal(err)
	}
	err = BatchDotInto(make([]float64, 32), Strided([]int64{2, 3, 3}, []int64{1, 1, 1}, 0), x, Contiguous(2, 3, 1), y, Contiguous(2, 3, 1), Axis(2))
	if !errors.Is(err, StatusAliasing) {
		t.Fatal(err)
	}
	err = BatchDotInto(x[:2], Contiguous(2, 1), x, Contiguous(2, 3), y, Contiguous(2, 3), Axis(1))
	if !errors.Is(err, StatusAliasing) {
		t.Fatal(err)
	}
	// Nothing written on error.
	for _, v := range out {
		if v != 0 {
			t.Fatal("out written on error")
		}
	}
}

func TestLyingLayoutIsNotAllocated(t *testing.T) {
	// x and y claim (1024, 128, 1) and (1024, 1, 128) over 8 elements; the
	// result, (1024, 128, 128) float32, would be 64 MiB.
	x := make([]float32, 8)
	y := make([]float32, 8)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, err := BatchDot(x, Contiguous(1024, 128, 1), y, Contiguous(1024, 1, 128), AxisPair(2, 1))
	runtime.ReadMemStats(&after)
	if !errors.Is(err, StatusOutOfBounds) {
		t.Fatal(err)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
		t.Fatalf("allocated %d bytes for a call that fails", d)
	}
}

func TestErrorMessagesPerThread(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int64) {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				_, err := InferShape([]int64{g + 1, 2}, []int64{g + 2, 2}, Axis(1))
				want := fmt.Sprintf("shapes (%d, 2) and (%d, 2)", g+1, g+2)
				if e, ok := err.(*Error); !ok || !strings.Contains(e.Message, want) {
					errs <- fmt.Errorf("goroutine %d: got %v, want %q", g, err, want)
					return
				}
				if _, err := InferShape([]int64{2, 2}, []int64{2, 2}, Axis(1)); err != nil {
					errs <- err
					return
				}
				runtime.Gosched()
			}
		}(int64(g))
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestStatusesAndVersion(t *testing.T) {
	if StatusBatchMismatch.String() != "BATCH_DOT_STATUS_BATCH_MISMATCH" || Status(99).String() != "BATCH_DOT_STATUS_UNKNOWN" {
		t.Fatal(StatusBatchMismatch.String(), Status(99).String())
	}
	if StatusInternal.String() != "BATCH_DOT_STATUS_INTERNAL" || StatusOK.String() != "BATCH_DOT_STATUS_OK" {
		t.Fatal()
	}
	var major, minor, patch int
	if n, err := fmt.Sscanf(Version(), "%d.%d.%d", &major, &minor, &patch); n != 3 || err != nil {
		t.Fatalf("Version() = %q", Version())
	}
	if DefaultAxes() != (Axes{}) || DefaultAxes().String() != "None" {
		t.Fatal("the zero Axes is axes=None")
	}
	if ax, ay := DefaultAxes().C(); ax != AxisDefault || ay != AxisDefault {
		t.Fatal()
	}
	if FormatShape([]int64{3}) != "(3,)" || FormatShape([]int64{2, 3}) != "(2, 3)" {
		t.Fatal(FormatShape([]int64{3}))
	}
	l := Contiguous(2, 0, 3)
	if !reflect.DeepEqual(l.Strides, []int64{3, 3, 1}) || l.NumElements() != 0 {
		t.Fatal(l)
	}
}

// scaleCase runs out = alpha*(x.y) + beta*out through WithScale into a
// strided out (every other element of a buffer whose gaps hold NaN) and
// checks it against alpha*naive + beta*out0 computed here. Small integer
// data and dyadic alpha/beta keep every value exact, so the comparison is
// bitwise.
func scaleCase[T Float](t *testing.T, r *rand.Rand, alpha, beta float64, threads uint32) {
	t.Helper()
	small := func(n int) []T {
		v := make([]T, n)
		for i := range v {
			v[i] = T(r.Intn(9) - 4)
		}
		return v
	}
	x, y := small(3*5*7), small(3*7*4)
	xl, yl := Contiguous(3, 5, 7), Contiguous(3, 7, 4)
	want, shape := naive(x, xl, y, yl, AxisPair(2, 1))
	n := len(want)
	buf := make([]T, 2*n)
	out0 := small(n)
	nan := T(math.NaN())
	for i := range buf {
		buf[i] = nan
	}
	if beta != 0 {
		for i := 0; i < n; i++ {
			buf[2*i] = out0[i]
		}
	}
	ol := Strided(shape, []int64{2 * shape[1] * shape[2], 2 * shape[2], 2}, 0)
	err := BatchDotInto(buf, ol, x, xl, y, yl, AxisPair(2, 1), WithNumThreads(threads), WithScale(alpha, beta))
	if err != nil {
		t.Fatalf("alpha %v beta %v: %v", alpha, beta, err)
	}
	for i := 0; i < n; i++ {
		w := T(alpha) * want[i]
		if beta != 0 {
			w += T(beta) * out0[i]
		}
		if g := buf[2*i]; g != w {
			t.Fatalf("alpha %v beta %v threads %d: out[%d] = %v, want %v", alpha, beta, threads, i, g, w)
		}
		if g := buf[2*i+1]; !math.IsNaN(float64(g)) {
			t.Fatalf("alpha %v beta %v: gap %d written (%v)", alpha, beta, i, g)
		}
	}
}

func TestScaleAccumulate(t *testing.T) {
	r := rand.New(rand.NewSource(18))
	for _, alpha := range []float64{1, 0, -1, 0.5, -2.25, 3} {
		for _, beta := range []float64{0, 1, -1, 0.5, -3} {
			for _, nt := range []uint32{1, 2} {
				scaleCase[float32](t, r, alpha, beta, nt)
				scaleCase[float64](t, r, alpha, beta, nt)
			}
		}
	}
}

func TestScaleAttentionScores(t *testing.T) {
	// scores = q.k^T / sqrt(d) in one call equals the plain call scaled after.
	r := rand.New(rand.NewSource(7))
	const b, s, d = 2, 5, 16
	q, k := make([]float64, b*s*d), make([]float64, b*s*d)
	for i := range q {
		q[i], k[i] = r.NormFloat64(), r.NormFloat64()
	}
	l := Contiguous(b, s, d)
	plain, _, err := BatchDot(q, l, k, l, AxisPair(2, 2))
	if err != nil {
		t.Fatal(err)
	}
	alpha := 1 / math.Sqrt(d)
	scaled, shape, err := BatchDot(q, l, k, l, AxisPair(2, 2), WithScale(alpha, 0))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(shape, []int64{b, s, s}) {
		t.Fatal(shape)
	}
	for i := range plain {
		if w := alpha * plain[i]; math.Abs(scaled[i]-w) > 1e-12*(1+math.Abs(w)) {
			t.Fatalf("scores[%d] = %v, want %v", i, scaled[i], w)
		}
	}
}

func TestScaleOptionsDefault(t *testing.T) {
	var o Options
	WithScale(0.5, -1)(&o)
	if !o.Scale || o.Alpha != 0.5 || o.Beta != -1 || o.NumThreads != 0 {
		t.Fatalf("%+v", o)
	}
	// Without WithScale, Alpha and Beta are not read: the plain product.
	x := []float64{1, 2, 3, 4}
	out := []float64{100, 100}
	if err := BatchDotInto(out, Contiguous(2, 1), x, Contiguous(2, 2), x, Contiguous(2, 2), Axis(1)); err != nil {
		t.Fatal(err)
	}
	if out[0] != 5 || out[1] != 25 {
		t.Fatal(out)
	}
}

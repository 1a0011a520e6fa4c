package batchdot

import (
	"errors"
	"fmt"
	"math"
	"math/rand"
	"reflect"
	"sort"
	"testing"
)

// ---------------------------------------------------------------------------
// BF16 and F16 against a table of their values (float64, math.Ldexp), built
// from the IEEE rules and not from the conversion code under test
// ---------------------------------------------------------------------------

type format16 struct {
	name               string
	mantBits, expBits  int
	pos                []float64 // pos[i] is the value of bits i, for 0 .. max finite
	infAt              float64   // where the next pattern (Inf) would sit: max + ulp
	infBits, quietMask uint16
}

func newFormat16(name string, mantBits, expBits int) *format16 {
	f := &format16{name: name, mantBits: mantBits, expBits: expBits}
	f.infBits = uint16((1<<expBits - 1) << mantBits)
	f.quietMask = 1 << (mantBits - 1)
	for b := 0; b < int(f.infBits); b++ {
		f.pos = append(f.pos, f.decode(uint16(b)))
	}
	n := len(f.pos)
	f.infAt = f.pos[n-1] + (f.pos[n-1] - f.pos[n-2])
	return f
}

var (
	bf16Format = newFormat16("bf16", 7, 8)
	f16Format  = newFormat16("f16", 10, 5)
)

// decode is the value of any pattern: sign, exponent, mantissa.
func (f *format16) decode(b uint16) float64 {
	m := int(b) & (1<<f.mantBits - 1)
	e := int(b>>f.mantBits) & (1<<f.expBits - 1)
	bias := 1<<(f.expBits-1) - 1
	var v float64
	switch {
	case e == 1<<f.expBits-1 && m == 0:
		v = math.Inf(1)
	case e == 1<<f.expBits-1:
		v = math.NaN()
	case e == 0:
		v = math.Ldexp(float64(m), 1-bias-f.mantBits)
	default:
		v = math.Ldexp(float64(1<<f.mantBits+m), e-bias-f.mantBits)
	}
	if b&0x8000 != 0 {
		v = -v
	}
	return v
}

// round is round-to-nearest-even by search in the table; overflow to Inf
// follows from the same rule (Inf's pattern is even, max's odd).
func (f *format16) round(v float64) uint16 {
	var sign uint16
	if math.Signbit(v) {
		sign = 0x8000
	}
	a := math.Abs(v)
	if a >= f.infAt {
		return sign | f.infBits
	}
	i := sort.SearchFloat64s(f.pos, a)
	if i < len(f.pos) && f.pos[i] == a {
		return sign | uint16(i)
	}
	i-- // pos[i] < a < next
	next := f.infAt
	if i+1 < len(f.pos) {
		next = f.pos[i+1]
	}
	dlo, dhi := a-f.pos[i], next-a
	switch {
	case dlo < dhi:
	case dhi < dlo:
		i++
	case i%2 == 1:
		i++
	}
	return sign | uint16(i)
}

// checkConversions: every pattern widened; every value, every midpoint of
// neighbours and the float32s beside it, random float32s narrowed; NaNs.
func checkConversions(t *testing.T, f *format16, to func(float32) uint16, from func(uint16) float32) {
	t.Helper()
	for b := 0; b <= 0xffff; b++ {
		got, want := from(uint16(b)), f.decode(uint16(b))
		if math.IsNaN(want) {
			if !math.IsNaN(float64(got)) || math.Signbit(float64(got)) != (b&0x8000 != 0) {
				t.Fatalf("%s 0x%04x widened to %v, want a NaN of the same sign", f.name, b, got)
			}
		} else if float64(got) != want || math.Signbit(float64(got)) != math.Signbit(want) {
			t.Fatalf("%s 0x%04x widened to %v, want %v", f.name, b, got, want)
		}
	}
	var in []float32
	for i, lo := range f.pos {
		hi := f.infAt
		if i+1 < len(f.pos) {
			hi = f.pos[i+1]
		}
		mid := float32((lo + hi) / 2)
		if float64(mid) != (lo+hi)/2 {
			t.Fatalf("%s: midpoint %v is not a float32", f.name, (lo+hi)/2)
		}
		for _, v := range []float32{float32(lo), mid, math.Nextafter32(mid, 0), math.Nextafter32(mid, float32(math.Inf(1)))} {
			in = append(in, v, -v)
		}
	}
	in = append(in, float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32, -math.MaxFloat32,
		math.SmallestNonzeroFloat32, float32(math.Copysign(0, -1)), 65504, 65519.99, 65520, 1e-8)
	r := rand.New(rand.NewSource(20261206))
	for i := 0; i < 200000; i++ {
		if v := math.Float32frombits(r.Uint32()); !math.IsNaN(float64(v)) {
			in = append(in, v)
		}
	}
	for _, v := range in {
		if got, want := to(v), f.round(float64(v)); got != want {
			t.Fatalf("%s(%v = %x) = 0x%04x, want 0x%04x", f.name, v, math.Float32bits(v), got, want)
		}
	}
	shift := 23 - f.mantBits
	for _, u := range []uint32{0x7fc00000, 0xffc00000, 0x7f800001, 0xff800001, 0x7fbfffff, 0x7fe00000, 0x7fd55555, 0xffaaaaaa} {
		h := to(math.Float32frombits(u))
		payload := uint16((u & 0x007fffff) >> shift)
		if !math.IsNaN(f.decode(h)) || (h&0x8000 != 0) != (u>>31 != 0) || h&f.quietMask == 0 ||
			h&(f.quietMask-1) != payload&(f.quietMask-1) {
			t.Fatalf("%s(NaN %08x) = 0x%04x: not a quiet NaN with its sign and top payload bits", f.name, u, h)
		}
	}
}

func TestBF16F16Conversions(t *testing.T) {
	checkConversions(t, bf16Format, func(v float32) uint16 { return uint16(BF16FromFloat32(v)) },
		func(b uint16) float32 { return BF16(b).Float32() })
	checkConversions(t, f16Format, func(v float32) uint16 { return uint16(F16FromFloat32(v)) },
		func(b uint16) float32 { return F16(b).Float32() })
	// By hand: ties to even (1 + 2^-8 -> 1), up (1 + 3*2^-8), 65520 -> Inf.
	if BF16FromFloat32(1.00390625) != 0x3f80 || BF16FromFloat32(1.01171875) != 0x3f82 ||
		F16FromFloat32(65520) != 0x7c00 || F16FromFloat32(65504) != 0x7bff || F16(1).Float32() != 1.0/(1<<24) {
		t.Fatal("hand-picked conversions")
	}
	if fmt.Sprint(ToBF16(1, 2.5, -3)) != "[1 2.5 -3]" || fmt.Sprint(ToF16(0.1)) != "[0.099975586]" {
		t.Fatal(fmt.Sprint(ToBF16(1, 2.5, -3)), fmt.Sprint(ToF16(0.1)))
	}
	if !reflect.DeepEqual(Float32s(ToF16(1, -0.5, 1e6)), []float32{1, -0.5, float32(math.Inf(1))}) {
		t.Fatal(Float32s(ToF16(1, -0.5, 1e6)))
	}
}

// ---------------------------------------------------------------------------
// 16-bit calls on random strided layouts against the exact (float64) sums
// ---------------------------------------------------------------------------

// checkInto checks that out holds want[e] at each element ol reaches and
// pad everywhere else.
func checkInto[O comparable](t *testing.T, name string, out []O, ol Layout, shape []int64, want []O, pad O) {
	t.Helper()
	reached := make([]bool, len(out))
	idx := make([]int64, len(shape))
	for e := range want {
		rem := int64(e)
		for d := len(shape) - 1; d >= 0; d-- {
			idx[d] = rem % shape[d]
			rem /= shape[d]
		}
		p := ol.Offset
		for i, v := range idx {
			p += v * ol.Strides[i]
		}
		reached[p] = true
		if out[p] != want[e] {
			t.Fatalf("%s: into %v: element %v = %v, want %v", name, ol, idx, out[p], want[e])
		}
	}
	for i, v := range out {
		if !reached[i] && v != pad {
			t.Fatalf("%s: into %v: padding element %d was written (%v)", name, ol, i, v)
		}
	}
}

// Small integers: every f32 sum is exact, so the 16-bit result is the exact
// sum rounded once and the float32 one the exact sum.
func checkLowpRandom[T Half](t *testing.T, f *format16, seed int64) {
	r := rand.New(rand.NewSource(seed))
	xs, ys, axes := randomCase(r)
	nan := T(f.infBits | f.quietMask)
	gen := func(r *rand.Rand) T { return T(f.round(float64(r.Intn(9) - 4))) }
	x, xl := randomLayoutOf(r, xs, true, nan, gen)
	y, yl := randomLayoutOf(r, ys, true, nan, gen)
	dec := func(v T) float64 { return f.decode(uint16(v)) }
	exact, wshape := naiveSum(x, xl, y, yl, axes, dec, dec)
	want := make([]T, len(exact))
	want32 := make([]float32, len(exact))
	for i, v := range exact {
		want[i], want32[i] = T(f.round(v)), float32(v)
	}
	name := fmt.Sprintf("%s seed %d: %v·%v axes %v, layouts %v %v", f.name, seed, xs, ys, axes, xl, yl)

	got, shape, err := BatchDot(x, xl, y, yl, axes, WithNumThreads(uint32(r.Intn(3))))
	if err != nil || !reflect.DeepEqual(shape, wshape) || !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: got %v %v %v, want %v %v", name, shape, got, err, wshape, want)
	}
	got32, shape, err := BatchDotToF32(x, xl, y, yl, axes)
	if err != nil || !reflect.DeepEqual(shape, wshape) || !sameBits(got32, want32) {
		t.Fatalf("%s: to f32: got %v %v %v, want %v", name, shape, got32, err, want32)
	}

	pad := T(0x5a5a)
	out, ol := randomLayoutOf(r, wshape, false, pad, func(*rand.Rand) T { return pad })
	if err := BatchDotInto(out, ol, x, xl, y, yl, axes); err != nil {
		t.Fatalf("%s: into %v: %v", name, ol, err)
	}
	checkInto(t, name, out, ol, wshape, want, pad)
	out32, ol32 := randomLayoutOf(r, wshape, false, float32(-999.5), func(*rand.Rand) float32 { return -999.5 })
	if err := BatchDotToF32Into(out32, ol32, x, xl, y, yl, axes); err != nil {
		t.Fatalf("%s: into %v: %v", name, ol32, err)
	}
	checkInto(t, name+" (f32)", out32, ol32, wshape, want32, -999.5)
}

func TestLowpRandomLayouts(t *testing.T) {
	for seed := int64(2000); seed < 2200; seed++ {
		checkLowpRandom[BF16](t, bf16Format, seed)
		checkLowpRandom[F16](t, f16Format, seed)
	}
}

// Random normal inputs, K = 300 (the blocked paths): the float32 result is
// within docs/API.md's bound 2(K+2)·2^-24·Σ|x·y| of the exact sum, the
// 16-bit one between the roundings of the bound's two ends; every thread
// count gives the same bits.
func checkLowpBound[T Half](t *testing.T, f *format16, seed int64) {
	r := rand.New(rand.NewSource(seed))
	const b, m, k, n = 3, 7, 300, 5
	x, y := make([]T, b*m*k), make([]T, b*k*n)
	for i := range x {
		x[i] = T(f.round(float64(float32(r.NormFloat64()))))
	}
	for i := range y {
		y[i] = T(f.round(float64(float32(r.NormFloat64()))))
	}
	xl, yl := Contiguous(b, m, k), Contiguous(b, k, n)
	dec := func(v T) float64 { return f.decode(uint16(v)) }
	absDec := func(v T) float64 { return math.Abs(f.decode(uint16(v))) }
	exact, _ := naiveSum(x, xl, y, yl, AxisPair(2, 1), dec, dec)
	abs, _ := naiveSum(x, xl, y, yl, AxisPair(2, 1), absDec, absDec)
	var first []T
	for _, nt := range []uint32{1, 2, 3} {
		got, _, err := BatchDot(x, xl, y, yl, AxisPair(2, 1), WithNumThreads(nt))
		if err != nil {
			t.Fatal(err)
		}
		got32, _, err := BatchDotToF32(x, xl, y, yl, AxisPair(2, 1), WithNumThreads(nt))
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range exact {
			bound := 2 * (k + 2) * math.Ldexp(abs[i], -24)
			lo, hi := f.decode(f.round(e-bound)), f.decode(f.round(e+bound))
			if g := f.decode(uint16(got[i])); g < lo || g > hi || math.Abs(float64(got32[i])-e) > bound {
				t.Fatalf("%s threads %d: out[%d] = %v (f32 %v), exact %v, bound %v", f.name, nt, i, g, got32[i], e, bound)
			}
		}
		if first == nil {
			first = got
		} else if !reflect.DeepEqual(got, first) {
			t.Fatalf("%s: threads %d differ from threads 1", f.name, nt)
		}
	}
}

func TestLowpBound(t *testing.T) {
	checkLowpBound[BF16](t, bf16Format, 31)
	checkLowpBound[F16](t, f16Format, 32)
}

func TestLowpScaleAccumulate(t *testing.T) {
	// out = 0.5·(x·y) + out0 in one call, rounded once (exact here).
	r := rand.New(rand.NewSource(33))
	small := func(n int) []BF16 {
		v := make([]BF16, n)
		for i := range v {
			v[i] = BF16FromFloat32(float32(r.Intn(9) - 4))
		}
		return v
	}
	x, y, out := small(2*3*4), small(2*4), small(6)
	out0 := append([]BF16(nil), out...)
	xl, yl := Contiguous(2, 3, 4), Contiguous(2, 4)
	if err := BatchDotInto(out, Contiguous(2, 3), x, xl, y, yl, AxisPair(2, 1), WithScale(0.5, 1)); err != nil {
		t.Fatal(err)
	}
	dec := func(v BF16) float64 { return bf16Format.decode(uint16(v)) }
	exact, _ := naiveSum(x, xl, y, yl, AxisPair(2, 1), dec, dec)
	for i, e := range exact {
		if want := BF16(bf16Format.round(0.5*e + dec(out0[i]))); out[i] != want {
			t.Fatalf("out[%d] = %v, want %v", i, out[i], want)
		}
	}
}

// ---------------------------------------------------------------------------
// int8 and uint8 x, int8 y, int32 out, against int64 sums modulo 2^32
// ---------------------------------------------------------------------------

func wrap32(s int64) int32 { return int32(uint32(uint64(s))) }

func checkInt8Random[X Int8](t *testing.T, seed int64) {
	r := rand.New(rand.NewSource(seed))
	xs, ys, axes := randomCase(r)
	var z X
	genX := func(r *rand.Rand) X {
		if _, signed := any(z).(int8); signed {
			return X(int8(r.Intn(256) - 128))
		}
		return X(r.Intn(256))
	}
	x, xl := randomLayoutOf(r, xs, true, X(0x55), genX)
	y, yl := randomLayoutOf(r, ys, true, int8(0x55), func(r *rand.Rand) int8 { return int8(r.Intn(256) - 128) })
	to64x := func(v X) int64 { return int64(v) }
	to64y := func(v int8) int64 { return int64(v) }
	exact, wshape := naiveSum(x, xl, y, yl, axes, to64x, to64y)
	want := make([]int32, len(exact))
	for i, v := range exact {
		want[i] = wrap32(v)
	}
	name := fmt.Sprintf("%T seed %d: %v·%v axes %v, layouts %v %v", z, seed, xs, ys, axes, xl, yl)
	got, shape, err := BatchDotInt8(x, xl, y, yl, axes, WithNumThreads(uint32(r.Intn(3))))
	if err != nil || !reflect.DeepEqual(shape, wshape) || !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: got %v %v %v, want %v %v", name, shape, got, err, wshape, want)
	}
	const pad = int32(0x5a5a5a5a)
	out, ol := randomLayoutOf(r, wshape, false, pad, func(*rand.Rand) int32 { return pad })
	if err := BatchDotInt8Into(out, ol, x, xl, y, yl, axes); err != nil {
		t.Fatalf("%s: into %v: %v", name, ol, err)
	}
	checkInto(t, name, out, ol, wshape, want, pad)
}

func TestInt8RandomLayouts(t *testing.T) {
	for seed := int64(3000); seed < 3200; seed++ {
		checkInt8Random[int8](t, seed)
		checkInt8Random[uint8](t, seed)
	}
}

func TestInt8Long(t *testing.T) {
	// K = 300 and wide enough rows for the vector kernels; threads agree.
	r := rand.New(rand.NewSource(34))
	x8, u8, y8 := make([]int8, 2*19*300), make([]uint8, 2*19*300), make([]int8, 2*37*300)
	for i := range x8 {
		x8[i], u8[i] = int8(r.Intn(256)-128), uint8(r.Intn(256))
	}
	for i := range y8 {
		y8[i] = int8(r.Intn(256) - 128)
	}
	xl, yl := Contiguous(2, 19, 300), Contiguous(2, 37, 300).Transpose(0, 2, 1) // y as (2, 300, 37), strided
	i64 := func(v int8) int64 { return int64(v) }
	want8, _ := naiveSum(x8, xl, y8, yl, AxisPair(2, 1), i64, i64)
	wantU, _ := naiveSum(u8, xl, y8, yl, AxisPair(2, 1), func(v uint8) int64 { return int64(v) }, i64)
	for _, nt := range []uint32{1, 2} {
		got8, _, err := BatchDotInt8(x8, xl, y8, yl, AxisPair(2, 1), WithNumThreads(nt))
		if err != nil {
			t.Fatal(err)
		}
		gotU, _, err := BatchDotInt8(u8, xl, y8, yl, AxisPair(2, 1), WithNumThreads(nt))
		if err != nil {
			t.Fatal(err)
		}
		for i := range want8 {
			if got8[i] != wrap32(want8[i]) || gotU[i] != wrap32(wantU[i]) {
				t.Fatalf("threads %d: out[%d] = %d, %d; want %d, %d", nt, i, got8[i], gotU[i], want8[i], wantU[i])
			}
		}
	}
}

func TestInt8Wraps(t *testing.T) {
	// (-128)·(-128)·131072 = 2^31 and 255·(-128)·65794 = -2147516160 wrap.
	a := make([]int8, 131072)
	for i := range a {
		a[i] = -128
	}
	out, _, err := BatchDotInt8(a, Contiguous(1, 131072), a, Contiguous(1, 131072), Axis(1))
	if err != nil || out[0] != math.MinInt32 || out[0] != wrap32(1<<31) {
		t.Fatal(out, err)
	}
	u := make([]uint8, 65794)
	for i := range u {
		u[i] = 255
	}
	out, _, err = BatchDotInt8(u, Contiguous(1, 65794), a[:65794], Contiguous(1, 65794), Axis(1))
	if err != nil || out[0] != 2147451136 || out[0] != wrap32(-2147516160) {
		t.Fatal(out, err)
	}
}

func TestInt8Scale(t *testing.T) {
	x, y := []int8{1, -2, 3, 4}, []int8{5, 6, -7, 8}
	l, ol := Contiguous(2, 2), Contiguous(2, 1)
	// beta = 1 adds modulo 2^32; beta = 0 does not read out.
	out := []int32{math.MaxInt32, -5}
	if err := BatchDotInt8Into(out, ol, x, l, y, l, Axis(1), WithScale(1, 1)); err != nil {
		t.Fatal(err)
	}
	if out[0] != wrap32(math.MaxInt32-7) || out[1] != 6 {
		t.Fatal(out)
	}
	out = []int32{123, 456}
	if err := BatchDotInt8Into(out, ol, x, l, y, l, Axis(1), WithScale(1, 0)); err != nil || out[0] != -7 || out[1] != 11 {
		t.Fatal(out, err)
	}
	// alpha must be 1, beta 0 or 1: the library's check and message.
	for _, c := range []struct {
		alpha, beta float64
		msg         string
	}{
		{2, 0, "options->alpha = 2: an int32 output takes alpha = 1 only."},
		{1, 0.5, "options->beta = 0.5: an int32 output takes beta = 0 or 1 only."},
		{math.NaN(), 0, "options->alpha = NaN: an int32 output takes alpha = 1 only."},
	} {
		err := BatchDotInt8Into(out, ol, x, l, y, l, Axis(1), WithScale(c.alpha, c.beta))
		var e *Error
		if !errors.As(err, &e) || e.Status != StatusInvalidArgument || e.Message != c.msg {
			t.Errorf("alpha %v beta %v: got %v, want %q", c.alpha, c.beta, err, c.msg)
		}
	}
	if out[0] != -7 || out[1] != 11 {
		t.Fatal("out written on error", out)
	}
	if StatusUnsupportedDtype.String() != "BATCH_DOT_STATUS_UNSUPPORTED_DTYPE" {
		t.Fatal(StatusUnsupportedDtype.String())
	}
}

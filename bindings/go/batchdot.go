// Package batchdot is the Go binding of libbatch_dot: Keras's batch_dot for
// tensors of any strides, in float32, float64, bfloat16 and float16 (BF16,
// F16: the result in the inputs' type, or float32 with BatchDotToF32), and
// int8 or uint8 times int8 into exact int32 sums (BatchDotInt8).
//
// A tensor is a Go slice plus a Layout (shape, strides in elements, offset of
// element [0, ..., 0]); the library proves, before it touches memory, that the
// layout stays inside the slice. The binding finds the C library through
// pkg-config (`#cgo pkg-config: batch_dot`), so an installed library is found
// with PKG_CONFIG_PATH alone.
//
//	x := []float64{1, 2, 3, 4}
//	y := []float64{5, 6, 7, 8}
//	out, shape, err := batchdot.BatchDot(x, batchdot.Contiguous(2, 2), y, batchdot.Contiguous(2, 2), batchdot.Axis(1))
//	// out = [17 53], shape = [2 1]
//
// Errors are *Error values carrying the library's Status and message;
// errors.Is(err, batchdot.StatusBatchMismatch) tests the status.
package batchdot

/*
#cgo pkg-config: batch_dot
#include <batch_dot.h>
*/
import "C"

import (
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"strconv"
	"strings"
	"unsafe"
)

// Constants of the C API (include/batch_dot.h).
const (
	// MaxNDim is the largest number of dimensions a layout can describe.
	MaxNDim = 16
	// AxisDefault passed as both axes is Keras's axes=None.
	AxisDefault int64 = math.MinInt64
	// DimUnknown is an extent not known yet; only InferShape accepts it.
	DimUnknown int64 = -1
	// ABIVersion is the ABI this binding was written for.
	ABIVersion = 0
)

// Compile-time checks that the constants match the header.
var (
	_ [C.BATCH_DOT_MAX_NDIM - MaxNDim]struct{}
	_ [MaxNDim - C.BATCH_DOT_MAX_NDIM]struct{}
	_ [C.BATCH_DOT_ABI_VERSION - ABIVersion]struct{}
	_ [ABIVersion - C.BATCH_DOT_ABI_VERSION]struct{}
	_ [C.BATCH_DOT_DIM_UNKNOWN - DimUnknown]struct{}
	_ [DimUnknown - C.BATCH_DOT_DIM_UNKNOWN]struct{}
	_ [unsafe.Sizeof(C.batch_dot_layout{}) - 280]struct{}
	_ [280 - unsafe.Sizeof(C.batch_dot_layout{})]struct{}
	_ [unsafe.Sizeof(C.batch_dot_options{}) - 32]struct{}
	_ [32 - unsafe.Sizeof(C.batch_dot_options{})]struct{}
	_ [C.BATCH_DOT_OPT_SCALE - 1]struct{}
	_ [1 - C.BATCH_DOT_OPT_SCALE]struct{}
	_ [C.BATCH_DOT_STATUS_UNSUPPORTED_DTYPE - StatusUnsupportedDtype]struct{}
	_ [StatusUnsupportedDtype - C.BATCH_DOT_STATUS_UNSUPPORTED_DTYPE]struct{}
	_ [C.BATCH_DOT_DTYPE_F32 - dtypeF32]struct{}
	_ [dtypeF32 - C.BATCH_DOT_DTYPE_F32]struct{}
	_ [C.BATCH_DOT_DTYPE_F64 - dtypeF64]struct{}
	_ [dtypeF64 - C.BATCH_DOT_DTYPE_F64]struct{}
	_ [C.BATCH_DOT_DTYPE_F16 - dtypeF16]struct{}
	_ [dtypeF16 - C.BATCH_DOT_DTYPE_F16]struct{}
	_ [C.BATCH_DOT_DTYPE_BF16 - dtypeBF16]struct{}
	_ [dtypeBF16 - C.BATCH_DOT_DTYPE_BF16]struct{}
	_ [C.BATCH_DOT_DTYPE_S8 - dtypeS8]struct{}
	_ [dtypeS8 - C.BATCH_DOT_DTYPE_S8]struct{}
	_ [C.BATCH_DOT_DTYPE_U8 - dtypeU8]struct{}
	_ [dtypeU8 - C.BATCH_DOT_DTYPE_U8]struct{}
	_ [C.BATCH_DOT_DTYPE_S32 - dtypeS32]struct{}
	_ [dtypeS32 - C.BATCH_DOT_DTYPE_S32]struct{}
)

func init() {
	if v := uint32(C.batch_dot_abi_version()); v != ABIVersion {
		panic(fmt.Sprintf("batchdot: the loaded libbatch_dot has ABI version %d, but this binding was written for ABI version %d", v, ABIVersion))
	}
	if int64(C.BATCH_DOT_AXIS_DEFAULT) != AxisDefault {
		panic("batchdot: BATCH_DOT_AXIS_DEFAULT differs from AxisDefault")
	}
}

// Status is a libbatch_dot status code. It implements error, so that
// errors.Is(err, StatusBatchMismatch) reports whether err has that status.
type Status int32

// Status values (ABI: never renumbered).
const (
	StatusOK                  Status = 0
	StatusNullPointer         Status = 1
	StatusInvalidRank         Status = 2
	StatusInvalidAxes         Status = 3
	StatusBatchAxis           Status = 4
	StatusBatchMismatch       Status = 5
	StatusContractionMismatch Status = 6
	StatusInvalidShape        Status = 7
	StatusOutputShape         Status = 8
	StatusOutOfBounds         Status = 9
	StatusOverflow            Status = 10
	StatusAliasing            Status = 11
	StatusInvalidArgument     Status = 12
	StatusAllocation          Status = 13
	StatusInternal            Status = 14
	StatusUnsupportedDtype    Status = 15
)

// String is the status's stable name, e.g. "BATCH_DOT_STATUS_BATCH_MISMATCH".
func (s Status) String() string { return C.GoString(C.batch_dot_status_string(C.int32_t(s))) }

// Error makes a Status usable as the target of errors.Is.
func (s Status) Error() string { return s.String() }

// Error is a failed call: the status and the library's message.
type Error struct {
	Status  Status
	Message string
}

func (e *Error) Error() string { return "batchdot: " + e.Status.String() + ": " + e.Message }

// Is reports whether target is this error's Status.
func (e *Error) Is(target error) bool {
	s, ok := target.(Status)
	return ok && s == e.Status
}

// lastError builds the error of a failed call; the caller holds the OS
// thread it made the call on (the message is per thread).
func lastError(st C.int32_t) error {
	n := C.batch_dot_last_error_message(nil, 0)
	buf := make([]byte, int(n)+1)
	C.batch_dot_last_error_message((*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)))
	return &Error{Status: Status(st), Message: string(buf[:n])}
}

// Version is the version of the loaded library, "MAJOR.MINOR.PATCH".
func Version() string { return C.GoString(C.batch_dot_version_string()) }

// Axes are Keras's axes argument. The zero value is axes=None; Axis(a) is
// axes=a; AxisPair(a0, a1) is axes=(a0, a1). Negative axes count from the end
// of each operand separately.
type Axes struct {
	x, y int64
	set  bool
}

// DefaultAxes is Keras's axes=None (the zero Axes).
func DefaultAxes() Axes { return Axes{} }

// Axis is Keras's axes=a: (a, a).
func Axis(a int64) Axes { return Axes{a, a, true} }

// AxisPair is Keras's axes=(x, y).
func AxisPair(x, y int64) Axes { return Axes{x, y, true} }

// C returns the two axis arguments of the C functions.
func (a Axes) C() (axisX, axisY int64) {
	if !a.set {
		return AxisDefault, AxisDefault
	}
	return a.x, a.y
}

func (a Axes) String() string {
	if !a.set {
		return "None"
	}
	return fmt.Sprintf("(%d, %d)", a.x, a.y)
}

// Layout says where a tensor's elements are in its slice: element
// [i0, ..., i{n-1}] is at data[Offset + i0*Strides[0] + ... ]. Strides are in
// elements and may be 0 (broadcast) or negative on inputs; nil Strides means
// row-major contiguous. The slice's length is the layout's len.
type Layout struct {
	Shape   []int64
	Strides []int64
	Offset  int64
}

// Contiguous is the row-major packed layout of shape.
func Contiguous(shape ...int64) Layout {
	return Layout{Shape: append([]int64(nil), shape...), Strides: ContiguousStrides(shape)}
}

// Strided is a layout with explicit strides (in elements) and offset.
func Strided(shape, strides []int64, offset int64) Layout {
	return Layout{Shape: append([]int64(nil), shape...), Strides: append([]int64(nil), strides...), Offset: offset}
}

// ContiguousStrides are the row-major strides of shape (extents of 0 count
// as 1).
func ContiguousStrides(shape []int64) []int64 {
	s := make([]int64, len(shape))
	acc := int64(1)
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		if shape[i] > 1 {
			acc *= shape[i]
		}
	}
	return s
}

// NDim is the number of dimensions.
func (l Layout) NDim() int { return len(l.Shape) }

// NumElements is the product of the extents (0 if any is 0 or negative).
func (l Layout) NumElements() int64 {
	n := int64(1)
	for _, d := range l.Shape {
		if d <= 0 {
			return 0
		}
		n *= d
	}
	return n
}

func (l Layout) strides() []int64 {
	if l.Strides == nil {
		return ContiguousStrides(l.Shape)
	}
	return l.Strides
}

// Transpose permutes the dimensions: dimension i of the result is
// dimension perm[i] of l (like numpy's transpose). It panics if perm is not
// a permutation of 0..NDim()-1.
func (l Layout) Transpose(perm ...int) Layout {
	if len(perm) != len(l.Shape) {
		panic("batchdot: Transpose: perm has the wrong length")
	}
	st := l.strides()
	seen := make([]bool, len(perm))
	r := Layout{Shape: make([]int64, len(perm)), Strides: make([]int64, len(perm)), Offset: l.Offset}
	for i, p := range perm {
		if p < 0 || p >= len(perm) || seen[p] {
			panic("batchdot: Transpose: not a permutation")
		}
		seen[p] = true
		r.Shape[i], r.Strides[i] = l.Shape[p], st[p]
	}
	return r
}

func (l Layout) String() string {
	return fmt.Sprintf("Layout{Shape: %v, Strides: %v, Offset: %d}", l.Shape, l.strides(), l.Offset)
}

// toC converts l, over a slice of n elements, to the C struct (a plain
// value: its arrays are inline). An ndim above MaxNDim is passed on for the
// library to report (it checks ndim before reading any extent).
func (l Layout) toC(name string, n int) (C.batch_dot_layout, error) {
	var c C.batch_dot_layout
	if l.Strides != nil && len(l.Strides) != len(l.Shape) {
		return c, &Error{StatusInvalidArgument, fmt.Sprintf("%s has %d extents but %d strides.", name, len(l.Shape), len(l.Strides))}
	}
	nd := len(l.Shape)
	if nd > math.MaxInt32 {
		nd = math.MaxInt32
	}
	c.ndim = C.int32_t(nd)
	c.offset = C.int64_t(l.Offset)
	c.len = C.int64_t(n)
	st := l.strides()
	for i := 0; i < len(l.Shape) && i < MaxNDim; i++ {
		c.shape[i] = C.int64_t(l.Shape[i])
		c.strides[i] = C.int64_t(st[i])
	}
	return c, nil
}

// inBounds reports, conservatively (false on any overflow), whether every
// element l reaches lies in [0, n).
func (l Layout) inBounds(n int) bool {
	if len(l.Shape) > MaxNDim {
		return false
	}
	for _, d := range l.Shape {
		if d < 0 {
			return false
		}
		if d == 0 {
			return true
		}
	}
	st := l.strides()
	if len(st) != len(l.Shape) {
		return false
	}
	lo, hi := l.Offset, l.Offset
	for i, d := range l.Shape {
		if d == 1 {
			continue
		}
		s := st[i]
		if s == math.MinInt64 {
			return false
		}
		neg := s < 0
		if neg {
			s = -s
		}
		h, p := bits.Mul64(uint64(d-1), uint64(s))
		if h != 0 || p > math.MaxInt64/2 {
			return false
		}
		if neg {
			lo -= int64(p)
		} else {
			hi += int64(p)
		}
		if lo < math.MinInt64/2 || hi > math.MaxInt64/2 {
			return false
		}
	}
	return lo >= 0 && hi < int64(n)
}

// Float is float32 or float64.
type Float interface{ float32 | float64 }

// Elem is the element types whose result has the inputs' own type (Keras):
// float32, float64, BF16 and F16.
type Elem interface {
	float32 | float64 | BF16 | F16
}

// Half is the 16-bit floating types, BF16 and F16.
type Half interface {
	BF16 | F16
	Float32() float32
}

// Int8 is the types of an int8 call's x: int8, or uint8 (quantized
// activations); y is int8 and the result int32.
type Int8 interface{ int8 | uint8 }

// element is every type a tensor of a call can have.
type element interface {
	float32 | float64 | BF16 | F16 | int8 | uint8 | int32
}

// dtype codes (include/batch_dot.h's BATCH_DOT_DTYPE_*).
const (
	dtypeF32  = 1
	dtypeF64  = 2
	dtypeF16  = 3
	dtypeBF16 = 4
	dtypeS8   = 5
	dtypeU8   = 6
	dtypeS32  = 7
)

func dtypeOf[T element]() C.int32_t {
	var z T
	switch any(z).(type) {
	case float32:
		return dtypeF32
	case float64:
		return dtypeF64
	case F16:
		return dtypeF16
	case BF16:
		return dtypeBF16
	case int8:
		return dtypeS8
	case uint8:
		return dtypeU8
	default: // int32
		return dtypeS32
	}
}

// BF16 is a bfloat16 value held as its bits, the top half of a float32's
// (the library's BATCH_DOT_DTYPE_BF16 element).
type BF16 uint16

// BF16FromFloat32 rounds f to the nearest bfloat16, ties to even (never
// truncating): magnitudes from 0x1.ffp127 up become ±Inf, subnormals are
// kept, and a NaN stays a NaN with its sign and top payload bits (quiet bit
// set).
func BF16FromFloat32(f float32) BF16 {
	u := math.Float32bits(f)
	if u&0x7fffffff > 0x7f800000 {
		return BF16(u>>16 | 0x0040)
	}
	return BF16((u + 0x7fff + (u>>16)&1) >> 16)
}

// Float32 is b's value (exact).
func (b BF16) Float32() float32 { return math.Float32frombits(uint32(b) << 16) }

// String formats b's value as fmt's %v does a float32.
func (b BF16) String() string { return strconv.FormatFloat(float64(b.Float32()), 'g', -1, 32) }

// F16 is an IEEE binary16 value held as its bits (BATCH_DOT_DTYPE_F16).
type F16 uint16

// F16FromFloat32 rounds f to the nearest binary16, ties to even: magnitudes
// from 65520 up become ±Inf, results below 2^-14 are subnormal (not
// flushed), and a NaN stays a NaN with its sign and top payload bits (quiet
// bit set).
func F16FromFloat32(f float32) F16 {
	u := math.Float32bits(f)
	sign := uint16(u>>16) & 0x8000
	a := u & 0x7fffffff
	var h uint32
	switch {
	case a > 0x7f800000: // NaN, made quiet
		h = 0x7e00 | (a>>13)&0x03ff
	case a >= 0x477ff000: // 65520 and up, Inf included
		h = 0x7c00
	case a >= 0x38800000: // normal: rebias 127 -> 15, round 13 bits (a carry is right)
		r := a - 0x38000000
		h = (r + 0x0fff + (r>>13)&1) >> 13
	case a <= 0x33000000: // at most 2^-25, half the smallest subnormal: 0
		h = 0
	default: // subnormal: (1.mantissa) * 2^(e-150) in units of 2^-24
		m := a&0x007fffff | 0x00800000
		shift := 126 - a>>23 // 14..24
		q, rem, half := m>>shift, m&(1<<shift-1), uint32(1)<<(shift-1)
		if rem > half || (rem == half && q&1 == 1) {
			q++
		}
		h = q
	}
	return F16(sign | uint16(h))
}

// Float32 is h's value (exact).
func (h F16) Float32() float32 {
	sign := uint32(h&0x8000) << 16
	e, m := uint32(h>>10)&0x1f, uint32(h)&0x03ff
	switch e {
	case 0:
		v := float32(m) * (1.0 / (1 << 24)) // exact
		if sign != 0 {
			return -v
		}
		return v
	case 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | m<<13)
	}
	return math.Float32frombits(sign | (e+112)<<23 | m<<13)
}

// String formats h's value as fmt's %v does a float32.
func (h F16) String() string { return strconv.FormatFloat(float64(h.Float32()), 'g', -1, 32) }

// ToBF16 rounds each value with BF16FromFloat32.
func ToBF16(v ...float32) []BF16 {
	r := make([]BF16, len(v))
	for i, f := range v {
		r[i] = BF16FromFloat32(f)
	}
	return r
}

// ToF16 rounds each value with F16FromFloat32.
func ToF16(v ...float32) []F16 {
	r := make([]F16, len(v))
	for i, f := range v {
		r[i] = F16FromFloat32(f)
	}
	return r
}

// Float32s widens 16-bit values to float32 (exact).
func Float32s[T Half](v []T) []float32 {
	r := make([]float32, len(v))
	for i := range v {
		r[i] = v[i].Float32()
	}
	return r
}

// Options of a compute call.
type Options struct {
	// NumThreads: 0 = the library's default (1, or BATCH_DOT_NUM_THREADS);
	// n = at most n threads, the caller's included.
	NumThreads uint32
	// Scale: out = Alpha*(x.y) + Beta*out, fused into the call (the C flag
	// BATCH_DOT_OPT_SCALE). Beta == 0 never reads out (NaN there is
	// overwritten); Beta != 0 accumulates into what out holds, so use
	// BatchDotInto. Without Scale, Alpha and Beta are not read.
	Scale       bool
	Alpha, Beta float64
}

// Option sets an Option.
type Option func(*Options)

// WithNumThreads sets Options.NumThreads.
func WithNumThreads(n uint32) Option { return func(o *Options) { o.NumThreads = n } }

// WithScale makes the call compute out = alpha*(x.y) + beta*out, e.g.
// WithScale(1/math.Sqrt(d), 0) for attention scores, WithScale(1, 1) to
// add to out (a residual, or K split across calls).
func WithScale(alpha, beta float64) Option {
	return func(o *Options) { o.Scale, o.Alpha, o.Beta = true, alpha, beta }
}

// alignment-friendly stand-in for the data pointer of an empty slice: the
// library never touches it (len is 0), but a tensor with elements then gets
// OUT_OF_BOUNDS rather than NULL_POINTER.
var emptyData [1]float64

func dataPtr[T element](s []T) unsafe.Pointer {
	if len(s) == 0 {
		return unsafe.Pointer(&emptyData[0])
	}
	return unsafe.Pointer(&s[0])
}

// InferShape is the shape of batch_dot(x, y, axes) for operands of these
// shapes, without data. DimUnknown extents propagate to the result, and the
// checks that need them are skipped (Keras's static shape inference).
func InferShape(xShape, yShape []int64, axes Axes) ([]int64, error) {
	var xs, ys, os [MaxNDim]C.int64_t
	for i := 0; i < len(xShape) && i < MaxNDim; i++ {
		xs[i] = C.int64_t(xShape[i])
	}
	for i := 0; i < len(yShape) && i < MaxNDim; i++ {
		ys[i] = C.int64_t(yShape[i])
	}
	ax, ay := axes.C()
	var nd C.int32_t
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	st := C.batch_dot_infer_shape(clampNDim(len(xShape)), &xs[0], clampNDim(len(yShape)), &ys[0],
		C.int64_t(ax), C.int64_t(ay), &nd, &os[0])
	if st != 0 {
		return nil, lastError(st)
	}
	r := make([]int64, int(nd))
	for i := range r {
		r[i] = int64(os[i])
	}
	return r, nil
}

func clampNDim(n int) C.int32_t {
	if n > math.MaxInt32 {
		return math.MaxInt32
	}
	return C.int32_t(n)
}

func compute[O, X, Y element](out []O, ol Layout, x []X, xl Layout, y []Y, yl Layout, axes Axes, opts []Option) error {
	var o Options
	for _, f := range opts {
		f(&o)
	}
	cx, err := xl.toC("x", len(x))
	if err != nil {
		return err
	}
	cy, err := yl.toC("y", len(y))
	if err != nil {
		return err
	}
	co, err := ol.toC("out", len(out))
	if err != nil {
		return err
	}
	var copts C.batch_dot_options
	C.batch_dot_options_init(&copts)
	copts.num_threads = C.uint32_t(o.NumThreads)
	if o.Scale {
		copts.flags |= C.BATCH_DOT_OPT_SCALE
		copts.alpha = C.double(o.Alpha)
		copts.beta = C.double(o.Beta)
	}
	ax, ay := axes.C()
	cax, cay := C.int64_t(ax), C.int64_t(ay)
	px, py, po := dataPtr(x), dataPtr(y), dataPtr(out)
	dx, dy, do := dtypeOf[X](), dtypeOf[Y](), dtypeOf[O]()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var st C.int32_t
	// The typed function where there is one; batch_dot_compute (the same
	// call, bit for bit) for the others.
	switch {
	case dx == dtypeF32 && dy == dtypeF32 && do == dtypeF32:
		st = C.batch_dot_f32(&cx, (*C.float)(px), &cy, (*C.float)(py), cax, cay, &co, (*C.float)(po), &copts)
	case dx == dtypeF64 && dy == dtypeF64 && do == dtypeF64:
		st = C.batch_dot_f64(&cx, (*C.double)(px), &cy, (*C.double)(py), cax, cay, &co, (*C.double)(po), &copts)
	case dx == dtypeBF16 && dy == dtypeBF16 && do == dtypeBF16:
		st = C.batch_dot_bf16(&cx, (*C.uint16_t)(px), &cy, (*C.uint16_t)(py), cax, cay, &co, (*C.uint16_t)(po), &copts)
	case dx == dtypeF16 && dy == dtypeF16 && do == dtypeF16:
		st = C.batch_dot_f16(&cx, (*C.uint16_t)(px), &cy, (*C.uint16_t)(py), cax, cay, &co, (*C.uint16_t)(po), &copts)
	case dx == dtypeS8 && dy == dtypeS8 && do == dtypeS32:
		st = C.batch_dot_s8(&cx, (*C.int8_t)(px), &cy, (*C.int8_t)(py), cax, cay, &co, (*C.int32_t)(po), &copts)
	default:
		st = C.batch_dot_compute(dx, &cx, px, dy, &cy, py, cax, cay, do, &co, po, &copts)
	}
	if st != 0 {
		return lastError(st)
	}
	return nil
}

// batchDot allocates the row-major result of the call (O, X, Y).
func batchDot[O, X, Y element](x []X, xl Layout, y []Y, yl Layout, axes Axes, opts []Option) ([]O, []int64, error) {
	shape, err := InferShape(xl.Shape, yl.Shape, axes)
	if err != nil {
		return nil, nil, err
	}
	ol := Contiguous(shape...)
	for _, d := range shape {
		if d < 0 {
			// DimUnknown in an input layout: the compute call reports it.
			return nil, nil, compute[O](nil, ol, x, xl, y, yl, axes, opts)
		}
	}
	if !xl.inBounds(len(x)) || !yl.inBounds(len(y)) {
		// Do not allocate the result of layouts that lie about their
		// slices: let the library report the error (with an empty out it
		// checks x's and y's bounds first, and writes nothing).
		err := compute[O](nil, ol, x, xl, y, yl, axes, opts)
		if err == nil {
			return []O{}, shape, nil // the result has no elements
		}
		if e, ok := err.(*Error); !ok || e.Status != StatusOutOfBounds || !strings.HasPrefix(e.Message, "out ") {
			return nil, nil, err
		}
		// Only the empty out was refused: x and y are fine after all.
	}
	n := ol.NumElements()
	out := make([]O, n)
	if err := compute(out, ol, x, xl, y, yl, axes, opts); err != nil {
		return nil, nil, err
	}
	return out, shape, nil
}

// BatchDotInto computes out = batch_dot(x, y, axes) into the caller's slice:
// ol must have exactly the result's shape; its strides are the caller's
// choice (non-overlapping, not sharing memory with x or y). Only the
// elements ol reaches are written, and nothing on error. BF16 and F16
// results are the float32 sums rounded once, to nearest even.
func BatchDotInto[T Elem](out []T, ol Layout, x []T, xl Layout, y []T, yl Layout, axes Axes, opts ...Option) error {
	return compute(out, ol, x, xl, y, yl, axes, opts)
}

// BatchDot returns batch_dot(x, y, axes) as a new row-major slice and its
// shape, in the inputs' type.
func BatchDot[T Elem](x []T, xl Layout, y []T, yl Layout, axes Axes, opts ...Option) ([]T, []int64, error) {
	return batchDot[T](x, xl, y, yl, axes, opts)
}

// BatchDotToF32 is BatchDot of 16-bit inputs with a float32 result: the
// float32 sums, not rounded to 16 bits (attention scores kept for a
// softmax, say).
func BatchDotToF32[T Half](x []T, xl Layout, y []T, yl Layout, axes Axes, opts ...Option) ([]float32, []int64, error) {
	return batchDot[float32](x, xl, y, yl, axes, opts)
}

// BatchDotToF32Into is BatchDotInto with 16-bit inputs and a float32 out.
func BatchDotToF32Into[T Half](out []float32, ol Layout, x []T, xl Layout, y []T, yl Layout, axes Axes, opts ...Option) error {
	return compute(out, ol, x, xl, y, yl, axes, opts)
}

// BatchDotInt8 is batch_dot of int8 (or uint8) x and int8 y, exact, as
// int32 sums computed modulo 2^32 (a sum beyond int32 wraps, as TF's integer
// matmul does). With WithScale, alpha must be 1 and beta 0 or 1 (beta = 1
// adds to out, modulo 2^32: use BatchDotInt8Into).
func BatchDotInt8[X Int8](x []X, xl Layout, y []int8, yl Layout, axes Axes, opts ...Option) ([]int32, []int64, error) {
	return batchDot[int32](x, xl, y, yl, axes, opts)
}

// BatchDotInt8Into is BatchDotInt8 into the caller's int32 slice (as
// BatchDotInto).
func BatchDotInt8Into[X Int8](out []int32, ol Layout, x []X, xl Layout, y []int8, yl Layout, axes Axes, opts ...Option) error {
	return compute(out, ol, x, xl, y, yl, axes, opts)
}

// BatchDotF32 is BatchDot for float32.
func BatchDotF32(x []float32, xl Layout, y []float32, yl Layout, axes Axes, opts ...Option) ([]float32, []int64, error) {
	return BatchDot(x, xl, y, yl, axes, opts...)
}

// BatchDotF64 is BatchDot for float64.
func BatchDotF64(x []float64, xl Layout, y []float64, yl Layout, axes Axes, opts ...Option) ([]float64, []int64, error) {
	return BatchDot(x, xl, y, yl, axes, opts...)
}

// FormatShape formats a shape like Python's tuples, "(2, 3)".
func FormatShape(shape []int64) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = fmt.Sprint(d)
	}
	if len(parts) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

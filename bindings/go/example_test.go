package batchdot_test

import (
	"errors"
	"fmt"

	"batchdot"
)

// The README's "Use it from Go" example, plus InferShape and an error.
func Example() {
	// x = [[1, 2], [3, 4]], y = [[5, 6], [7, 8]]: the seed page's example.
	x := []float64{1, 2, 3, 4}
	y := []float64{5, 6, 7, 8}
	out, shape, err := batchdot.BatchDot(x, batchdot.Contiguous(2, 2), y, batchdot.Contiguous(2, 2), batchdot.Axis(1))
	if err != nil {
		panic(err)
	}
	fmt.Println(shape, out)

	// Any strides: y read transposed, result written into every other
	// element of a caller's buffer.
	yt := batchdot.Contiguous(2, 2).Transpose(1, 0) // y.T as a view: strides (1, 2)
	buf := make([]float64, 4)
	outLayout := batchdot.Strided([]int64{2, 1}, []int64{2, 1}, 0)
	if err := batchdot.BatchDotInto(buf, outLayout, x, batchdot.Contiguous(2, 2), y, yt, batchdot.Axis(1)); err != nil {
		panic(err)
	}
	fmt.Println(buf)

	// Shapes only, with an unknown batch.
	s, _ := batchdot.InferShape([]int64{batchdot.DimUnknown, 20}, []int64{batchdot.DimUnknown, 30, 20}, batchdot.AxisPair(1, 2))
	fmt.Println(s)

	// Errors carry the status and the library's message.
	_, _, err = batchdot.BatchDot(x, batchdot.Contiguous(2, 2), y, batchdot.Contiguous(1, 4), batchdot.Axis(1))
	var e *batchdot.Error
	if errors.As(err, &e) && errors.Is(err, batchdot.StatusBatchMismatch) {
		fmt.Println(e.Status, e.Message)
	}
	// Output:
	// [2 1] [17 53]
	// [19 0 50 0]
	// [-1 30]
	// BATCH_DOT_STATUS_BATCH_MISMATCH Cannot do batch_dot on inputs with different batch sizes. Received inputs with shapes (2, 2) and (1, 4).
}

// The README's 16-bit and int8 example: bfloat16 inputs give a bfloat16
// result (Keras: the inputs' type) or, with BatchDotToF32, the float32 sums
// (F16 and ToF16 work the same way); int8 (or uint8) x and int8 y give exact
// int32 sums (modulo 2^32).
func Example_dtypes() {
	x16 := batchdot.ToBF16(1, 2, 3, 4) // []batchdot.BF16, rounded to nearest even
	y16 := batchdot.ToBF16(5, 6, 7, 8)
	h, _, _ := batchdot.BatchDot(x16, batchdot.Contiguous(2, 2), y16, batchdot.Contiguous(2, 2), batchdot.Axis(1))
	s, _, _ := batchdot.BatchDotToF32(x16, batchdot.Contiguous(2, 2), y16, batchdot.Contiguous(2, 2), batchdot.Axis(1))
	fmt.Println(h, s) // [17 53] [17 53]: []BF16 and []float32

	a := []int8{1, -2, 3, 4}
	b := []int8{5, 6, -7, 8}
	r, _, _ := batchdot.BatchDotInt8(a, batchdot.Contiguous(2, 2), b, batchdot.Contiguous(2, 2), batchdot.Axis(1))
	fmt.Println(r) // [-7 11]: []int32, exact
	// Output:
	// [17 53] [17 53]
	// [-7 11]
}

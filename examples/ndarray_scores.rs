//! The README's Rust example: attention scores `Q·Kᵀ` per batch with
//! `batch_dot` on ndarray views, then a transposed view and an error.
//!
//!     cargo run --example ndarray_scores --features ndarray

use batch_dot::ndarray::{batch_dot, batch_dot_into, Axes};
use ndarray::{s, Array3};

fn main() -> Result<(), batch_dot::Error> {
    let q = Array3::<f32>::ones((8, 64, 32));
    let k = Array3::<f32>::ones((8, 16, 32));

    // Contract q's axis 2 with k's axis 2: scores[b, i, j] = Σ_t q[b, i, t] k[b, j, t].
    let scores = batch_dot(&q.view(), &k.view(), (2, 2))?; // shape (8, 64, 16), every element 32
    assert_eq!(scores.shape(), &[8, 64, 16]);
    assert!(scores.iter().all(|&s| s == 32.0));
    println!(
        "scores: shape {:?}, scores[0, 0, 0] = {}",
        scores.shape(),
        scores[[0, 0, 0]]
    );

    // Any strides, no copies: the same product with k transposed to (8, 32, 16),
    // written into every other row of a larger buffer.
    let kt = k.view().permuted_axes([0, 2, 1]);
    let mut buf = Array3::<f32>::zeros((8, 128, 16));
    let mut rows = buf.slice_mut(s![.., ..;2, ..]);
    batch_dot_into(&q.view(), &kt, Axes::Pair(2, 1), &mut rows)?;
    assert_eq!(rows.view().into_dyn(), scores.view());
    println!(
        "into a strided view: rows {:?} equal the scores",
        rows.shape()
    );

    // Errors carry the C status, Keras's message and the values.
    let other = Array3::<f32>::ones((4, 16, 32));
    let e = batch_dot(&q.view(), &other.view(), (2, 2)).unwrap_err();
    assert_eq!(e.status(), batch_dot::BATCH_DOT_STATUS_BATCH_MISMATCH);
    println!("error {}: {e}", e.status());
    if let batch_dot::Error::BatchMismatch { x, y } = &e {
        println!("batch sizes: {} and {}", x[0], y[0]);
    }
    Ok(())
}

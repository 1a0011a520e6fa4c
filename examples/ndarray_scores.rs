use batch_dot::ndarray::{batch_dot, batch_dot_into, Axes};
use half::bf16;
use ndarray::{s, Array2, Array3};

fn main() -> Result<(), batch_dot::Error> {
    // Attention scores q·kᵀ: axes (2, 2).
    let q = Array3::<f32>::ones((8, 64, 32));
    let k = Array3::<f32>::ones((8, 16, 32));
    let scores = batch_dot(&q.view(), &k.view(), (2, 2))?; // shape (8, 64, 16), every element 32
    assert_eq!(scores.shape(), &[8, 64, 16]);

    // Keras's axes=None, into a strided view of an existing array.
    let x = Array2::<f64>::from_shape_vec((2, 2), vec![1., 2., 3., 4.]).unwrap();
    let y = Array2::<f64>::from_shape_vec((2, 2), vec![5., 6., 7., 8.]).unwrap();
    let mut out = Array2::<f64>::zeros((2, 2));
    let mut col = out.slice_mut(s![.., ..1]);
    batch_dot_into(&x.view(), &y.view(), Axes::Default, &mut col)?;
    assert_eq!(out.column(0).to_vec(), [17., 53.]);

    // bfloat16 (half::bf16): a bfloat16 result, or the f32 sums into an f32 out.
    let a = Array3::from_elem((2, 3, 4), bf16::from_f32(0.5));
    let b = Array3::from_elem((2, 4, 5), bf16::from_f32(1.5));
    let c = batch_dot(&a.view(), &b.view(), (2, 1))?; // bf16, shape (2, 3, 5), every element 3
    assert!(c.iter().all(|&v| v == bf16::from_f32(3.0)));
    let mut c32 = Array3::<f32>::zeros((2, 3, 5));
    batch_dot_into(&a.view(), &b.view(), (2, 1), &mut c32.view_mut())?;

    // int8 (or uint8 x) times int8: exact int32 sums.
    let u = Array3::<u8>::from_elem((2, 3, 4), 200);
    let w = Array3::<i8>::from_elem((2, 4, 5), -100);
    let acc = batch_dot(&u.view(), &w.view(), (2, 1))?; // i32, every element -80000
    assert!(acc.iter().all(|&v| v == -80_000));

    // Errors carry the C status and the Keras-style message.
    let z = Array2::<f64>::zeros((3, 2));
    let e = batch_dot(&x.view(), &z.view(), 1).unwrap_err();
    println!("{}: {e}", e.status()); // 5: Cannot do batch_dot on inputs with different batch sizes. ...
    Ok(())
}

//! GEMM: odd sizes, transposed operands read through their strides, broadcast batch
//! dims (stride 0), and each scheduling branch (one product split across threads, many
//! products one per task, small ones serial), against a naive f64 triple loop.
use crate::common::*;
use ferrotorch_core::{DType, Layout};
use ferrotorch_cpu::matmul::matmul;

/// An operand of logical shape `batch ++ [r, c]` whose own batch dims are `own` (size-1
/// dims broadcast): contiguous, or the transpose of a contiguous `[.., c, r]`, at `offset`.
fn operand(own: &[usize], batch: &[usize], r: usize, c: usize, transposed: bool, offset: usize) -> View {
    let nd = own.len() + 2;
    let mut base: Vec<usize> = own.to_vec();
    base.extend(if transposed { [c, r] } else { [r, c] });
    let mut l = Layout::contiguous(&base);
    if transposed {
        l = l.transpose(nd - 2, nd - 1);
    }
    l.offset = offset;
    let mut full = batch.to_vec();
    full.extend([r, c]);
    let layout = l.broadcast_to("test", &full).unwrap();
    View { name: if transposed { "transposed" } else { "row-major" }, layout, len: base.iter().product::<usize>() + offset + 2 }
}

/// Runs one product and compares it with the f64 triple loop: within
/// `(k + 1) * eps * sum |a||b|` per output for floats (plus the output's rounding),
/// exact for ints.
fn check(
    dtype: DType,
    own_a: &[usize],
    own_b: &[usize],
    batch: &[usize],
    (m, k, n): (usize, usize, usize),
    (ta, tb): (bool, bool),
    rng: &mut Rng,
) {
    let va = operand(own_a, batch, m, k, ta, if ta { 3 } else { 0 });
    let vb = operand(own_b, batch, k, n, tb, if tb { 5 } else { 1 });
    let gen =
        |r: &mut Rng, len| if dtype.is_float() { r.vec(len, |r| r.uniform(-1.0, 1.0)) } else { r.vec(len, |r| r.int(-50, 50) as f64) };
    let sa = storage(dtype, &gen(rng, va.len));
    let sb = storage(dtype, &gen(rng, vb.len));
    let (xa, xb) = (gather(&values(&sa), &va.layout), gather(&values(&sb), &vb.layout));
    let out = matmul(&sa, &va.layout, &sb, &vb.layout);
    let ctx = format!("{dtype} batch {batch:?} (own {own_a:?} x {own_b:?}) {m}x{k}x{n} transposed ({ta}, {tb})");
    assert_eq!(out.dtype(), dtype, "{ctx}");
    let nb: usize = batch.iter().product();
    let got = values(&out);
    assert_eq!(got.len(), nb * m * n, "{ctx}");
    let (mut want, mut scale) = (vec![0.0; nb * m * n], vec![0.0; nb * m * n]);
    for b in 0..nb {
        for i in 0..m {
            for j in 0..n {
                let o = (b * m + i) * n + j;
                for p in 0..k {
                    let prod = xa[(b * m + i) * k + p] * xb[(b * k + p) * n + j];
                    want[o] += prod;
                    scale[o] += prod.abs();
                }
            }
        }
    }
    if !dtype.is_float() {
        want.iter_mut().for_each(|w| *w = wrap(dtype, *w as i64) as f64);
    }
    let e = eps(dtype);
    // bf16 multiplies in f32 and rounds once at the end.
    let acc_eps = if dtype == DType::BF16 { eps(DType::F32) } else { e };
    let tol: Vec<f64> = want.iter().zip(&scale).map(|(&w, &s)| (k as f64 + 1.0) * acc_eps * s + e * w.abs()).collect();
    assert_close_scaled(&got, &want, &tol, 1.0, 0.0, &ctx);
}

const TRANSPOSES: [(bool, bool); 4] = [(false, false), (true, false), (false, true), (true, true)];

#[test]
fn odd_sizes_and_transposes_f32_f64() {
    let mut rng = Rng::new(21);
    let sizes =
        [(1, 1, 1), (3, 5, 7), (17, 31, 13), (65, 129, 33), (257, 3, 511), (1, 64, 1), (64, 1, 64), (8, 0, 5), (0, 4, 3), (5, 4, 0)];
    for dtype in [DType::F32, DType::F64] {
        for mkn in sizes {
            for t in TRANSPOSES {
                check(dtype, &[], &[], &[], mkn, t, &mut rng);
            }
        }
    }
}

#[test]
fn half_and_int_dtypes() {
    let mut rng = Rng::new(22);
    for dtype in [DType::F16, DType::BF16, DType::I32, DType::I64, DType::U8] {
        for mkn in [(1, 1, 1), (3, 5, 7), (17, 31, 13)] {
            for t in TRANSPOSES {
                check(dtype, &[], &[], &[], mkn, t, &mut rng);
            }
        }
        check(dtype, &[3, 1], &[4], &[3, 4], (5, 7, 6), (true, false), &mut rng);
    }
}

#[test]
fn batched_with_broadcast_batch_dims() {
    let mut rng = Rng::new(23);
    for dtype in [DType::F32, DType::F64] {
        for t in TRANSPOSES {
            // [3, 1] x [4] -> [3, 4]; [1] x [2, 3]; one side unbatched.
            check(dtype, &[3, 1], &[4], &[3, 4], (5, 7, 6), t, &mut rng);
            check(dtype, &[1], &[2, 3], &[2, 3], (9, 2, 11), t, &mut rng);
            check(dtype, &[], &[6], &[6], (4, 13, 3), t, &mut rng);
            check(dtype, &[2, 1, 3], &[1, 5, 1], &[2, 5, 3], (3, 4, 2), t, &mut rng);
        }
    }
}

#[test]
fn batched_scheduling_paths() {
    let mut rng = Rng::new(24);
    for t in TRANSPOSES {
        // Many small products: one task each (flops * batches above the threshold).
        check(DType::F32, &[2000], &[2000], &[2000], (4, 5, 6), t, &mut rng);
        check(DType::F32, &[1], &[1500], &[1500], (3, 7, 2), t, &mut rng);
        // Several products above the per-matrix threshold: one task each.
        check(DType::F32, &[16], &[16], &[16], (48, 48, 48), t, &mut rng);
        // One or two large products: each split across threads.
        check(DType::F32, &[2], &[1], &[2], (65, 129, 33), t, &mut rng);
        check(DType::F64, &[1], &[1], &[1], (97, 50, 61), t, &mut rng);
        // Few small ones: serial.
        check(DType::F64, &[3], &[3], &[3], (2, 3, 4), t, &mut rng);
    }
}

/// A row broadcast inside the matrix (stride 0 between rows of `a`, or between columns of
/// `b`), as `expand` makes.
#[test]
fn stride_zero_inside_the_matrix() {
    let mut rng = Rng::new(25);
    for dtype in [DType::F32, DType::F64, DType::I64] {
        for (m, k, n) in [(5, 7, 3), (70, 40, 50)] {
            let la = Layout::contiguous(&[1, k]).broadcast_to("test", &[m, k]).unwrap();
            let lb = Layout::contiguous(&[k, 1]).broadcast_to("test", &[k, n]).unwrap();
            let sa = storage(dtype, &rng.vec(k, |r| r.int(-9, 9) as f64));
            let sb = storage(dtype, &rng.vec(k, |r| r.int(-9, 9) as f64));
            let dot: f64 = (0..k).map(|p| sa.get_f64(p) * sb.get_f64(p)).sum();
            let out = matmul(&sa, &la, &sb, &lb);
            assert_eq!(values(&out), vec![dot; m * n], "{dtype} {m}x{k}x{n}");
        }
    }
}

//! The per-thread buffer pool: a kernel that gets a recycled buffer (full of another
//! result) must still produce exactly its own result, on every path that takes from the
//! pool (serial and parallel maps, scalar broadcast, strided walks, gathers, im2col).
use crate::common::*;
use ferrotorch_core::{BinaryOp, DType, Layout, UnaryOp};
use ferrotorch_cpu::binary::binary;
use ferrotorch_cpu::conv::{im2col, Window};
use ferrotorch_cpu::copy::to_contiguous;
use ferrotorch_cpu::pool::{claim_reused, clear, recycle, take};
use ferrotorch_cpu::unary::unary;
use ferrotorch_cpu::CpuStorage;

/// Smallest f32 buffer the pool keeps (64 KiB).
const MIN_F32: usize = 16 << 10;

fn fresh() {
    clear();
    claim_reused(usize::MAX);
}

fn sentinel(n: usize) -> CpuStorage {
    CpuStorage::F32(vec![-7777.0; n])
}

/// Each producer is run twice around a recycle: first into a buffer full of a sentinel,
/// then into the buffer of its own previous result on other data. Both times the pool
/// must report the reuse and the output must equal the reference exactly.
fn check_reuse(name: &str, n: usize, mut produce: impl FnMut(&mut Rng) -> (CpuStorage, Vec<f64>)) {
    let mut rng = Rng::new(n as u64);
    fresh();
    assert!(recycle(sentinel(n)), "{name}: a {n}-element f32 buffer is cached");
    let (out, want) = produce(&mut rng);
    assert_eq!(claim_reused(usize::MAX), n * 4, "{name}: the sentinel buffer was reused");
    assert_same(&values(&out), &want, &format!("{name} into a recycled sentinel buffer"));
    assert!(recycle(out));
    let (out, want) = produce(&mut rng);
    assert_eq!(claim_reused(usize::MAX), n * 4, "{name}: the previous result's buffer was reused");
    assert_same(&values(&out), &want, &format!("{name} into its own previous result"));
}

fn f32_data(rng: &mut Rng, n: usize) -> CpuStorage {
    storage(DType::F32, &rng.vec(n, |r| r.uniform(-3.0, 3.0)))
}

#[test]
fn recycled_buffers_give_fresh_results_on_every_taking_path() {
    for n in [MIN_F32, G, 3 * G + 5] {
        check_reuse("unary contiguous", n, |rng| {
            let s = f32_data(rng, n + 2);
            let l = Layout { offset: 2, ..Layout::contiguous(&[n]) };
            let want = gather(&values(&s), &l).iter().map(|x| -x).collect();
            (unary(UnaryOp::Neg, &s, &l), want)
        });
        check_reuse("unary strided", n, |rng| {
            let s = f32_data(rng, 2 * n);
            let l = Layout::contiguous(&[2 * n]).slice(0, 1, 2 * n, 2);
            let want = gather(&values(&s), &l).iter().map(|&x| if x > 0.0 { x } else { 0.0 }).collect();
            (unary(UnaryOp::Relu, &s, &l), want)
        });
        check_reuse("binary contiguous", n, |rng| {
            let (a, b) = (f32_data(rng, n), f32_data(rng, n));
            let l = Layout::contiguous(&[n]);
            let want = values(&a).iter().zip(values(&b)).map(|(x, y)| (*x as f32 * y as f32) as f64).collect();
            (binary(BinaryOp::Mul, &a, &l, &b, &l).unwrap(), want)
        });
        check_reuse("binary scalar broadcast", n, |rng| {
            let (a, b) = (f32_data(rng, n), f32_data(rng, 1));
            let (la, lb) = (Layout::contiguous(&[n]), Layout { shape: vec![n], strides: vec![0], offset: 0 });
            let y = b.get_f64(0) as f32;
            let want = values(&a).iter().map(|&x| (y - x as f32) as f64).collect();
            (binary(BinaryOp::Sub, &b, &lb, &a, &la).unwrap(), want)
        });
        check_reuse("binary strided", n, |rng| {
            let (a, b) = (f32_data(rng, 2 * n), f32_data(rng, n));
            let la = Layout::contiguous(&[2 * n]).slice(0, 0, 2 * n, 2);
            let want = gather(&values(&a), &la).iter().zip(values(&b)).map(|(x, y)| (*x as f32 + y as f32) as f64).collect();
            (binary(BinaryOp::Add, &a, &la, &b, &Layout::contiguous(&[n])).unwrap(), want)
        });
        check_reuse("to_contiguous of a strided view", n, |rng| {
            let s = f32_data(rng, 2 * n);
            let l =
                if n % 16 == 0 { permuted("t", &[n / 16, 16], &[1, 0]).layout } else { Layout::contiguous(&[2 * n]).slice(0, 1, 2 * n, 2) };
            (to_contiguous(&s, &l, DType::F32), gather(&values(&s), &l))
        });
    }
    // im2col: 3x3 taps over a 128x256 image with padding 1 give 9 * GRAIN columns.
    let g = Window { n: 1, c: 1, h: 128, w: 256, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1 };
    check_reuse("im2col", g.cols_len(), |rng| {
        let x = f32_data(rng, g.h * g.w);
        let img = values(&x);
        let mut want = vec![];
        for ki in 0..3 {
            for kj in 0..3 {
                for oi in 0..g.h {
                    for oj in 0..g.w {
                        let (y, xx) = ((oi + ki) as isize - 1, (oj + kj) as isize - 1);
                        let inside = y >= 0 && y < g.h as isize && xx >= 0 && xx < g.w as isize;
                        want.push(if inside { img[y as usize * g.w + xx as usize] } else { 0.0 });
                    }
                }
            }
        }
        (im2col(&x, 0, &g, 0.0), want)
    });
}

#[test]
fn pool_keys_thresholds_and_clear() {
    fresh();
    // Below 64 KiB buffers are not kept.
    assert!(!recycle(sentinel(MIN_F32 - 1)));
    assert!(recycle(sentinel(MIN_F32)));
    // Keyed by dtype and exact length.
    let v = take::<i32>(MIN_F32);
    assert_eq!(claim_reused(usize::MAX), 0, "an f32 buffer is not handed out as i32");
    assert!(v.is_empty() && v.capacity() >= MIN_F32);
    let _ = take::<f32>(MIN_F32 + 1);
    assert_eq!(claim_reused(usize::MAX), 0, "lengths must match");
    let v = take::<f32>(MIN_F32);
    assert_eq!(claim_reused(usize::MAX), MIN_F32 * 4);
    assert!(v.is_empty() && v.capacity() >= MIN_F32, "a reused buffer comes back empty");
    // At most 16 per key.
    for i in 0..16 {
        assert!(recycle(sentinel(MIN_F32)), "buffer {i}");
    }
    assert!(!recycle(sentinel(MIN_F32)));
    clear();
    let _ = take::<f32>(MIN_F32);
    assert_eq!(claim_reused(usize::MAX), 0, "clear() drops the cache");
    // Other dtypes get their own reuse, with correct results.
    let n = G;
    assert!(recycle(CpuStorage::I32(vec![-5; n])));
    let s = CpuStorage::I32((0..n as i32).collect());
    let out = unary(UnaryOp::Neg, &s, &Layout::contiguous(&[n]));
    assert_eq!(claim_reused(usize::MAX), n * 4);
    assert_eq!(ints(&out), (0..n as i64).map(|x| -x).collect::<Vec<_>>());
}

//! im2col (its slice-copy path for unit stride and dilation along W, and the per-element
//! one), col2im, and max_pool2d, with padding/stride/dilation variants and images that
//! start at a nonzero storage offset, against naive loops over the window positions.
use crate::common::*;
use ferrotorch_core::DType;
use ferrotorch_cpu::conv::{col2im, im2col, max_pool2d, Window};

#[rustfmt::skip]
const WINDOWS: [[usize; 12]; 12] = [
    // n, c, h,  w, kh,kw, sh,sw, ph,pw, dh,dw
    [2, 3, 7,  9, 3, 3, 1, 1, 0, 0, 1, 1],   // slice copies, no padding
    [2, 3, 7,  9, 3, 3, 1, 1, 1, 1, 1, 1],   // slice copies clipped by padding
    [1, 2, 8,  8, 3, 3, 2, 2, 1, 1, 1, 1],   // strided
    [1, 2, 9, 11, 3, 3, 1, 1, 2, 2, 2, 2],   // dilated
    [2, 1, 6, 10, 2, 4, 2, 1, 0, 3, 1, 1],   // stride along H only, wide padding along W
    [1, 1, 3,  3, 1, 5, 1, 1, 0, 4, 1, 1],   // kernel wider than the image
    [3, 2, 5,  7, 1, 1, 3, 2, 0, 0, 1, 1],   // 1x1 with strides that skip the tail
    [1, 4, 32, 33, 5, 5, 1, 1, 2, 2, 1, 1],  // larger (fills pool-sized buffers)
    [1, 1, 1,  1, 1, 1, 1, 1, 0, 0, 1, 1],   // one pixel
    [2, 2, 10, 10, 3, 2, 3, 1, 1, 0, 2, 3],  // unit stride but dilated along W
    [1, 3, 5,  5, 5, 5, 1, 1, 0, 0, 1, 1],   // one window covering the image
    [1, 2, 4,  6, 2, 3, 1, 2, 1, 2, 1, 1],   // strided along W only
];

fn win(a: [usize; 12]) -> Window {
    let [n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw] = a;
    Window { n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw }
}

/// Image coordinate read by window position `o` and kernel tap `k` along one axis.
fn src(o: usize, k: usize, s: usize, d: usize, p: usize, size: usize) -> Option<usize> {
    let x = (o * s + k * d) as isize - p as isize;
    (x >= 0 && x < size as isize).then_some(x as usize)
}

/// Calls `f(column index, image index or None)` for every column entry, in the
/// `[N, C*kh*kw, oh*ow]` order.
fn for_each_tap(g: &Window, mut f: impl FnMut(usize, Option<usize>)) {
    let (oh, ow) = (g.out_h(), g.out_w());
    for b in 0..g.n {
        for c in 0..g.c {
            for ki in 0..g.kh {
                for kj in 0..g.kw {
                    let row = ((b * g.c + c) * g.kh + ki) * g.kw + kj;
                    for oi in 0..oh {
                        for oj in 0..ow {
                            let pix = match (src(oi, ki, g.sh, g.dh, g.ph, g.h), src(oj, kj, g.sw, g.dw, g.pw, g.w)) {
                                (Some(y), Some(x)) => Some(((b * g.c + c) * g.h + y) * g.w + x),
                                _ => None,
                            };
                            f(row * oh * ow + oi * ow + oj, pix);
                        }
                    }
                }
            }
        }
    }
}

const OFFSET: usize = 7;

/// A random image placed at `OFFSET` in a storage with junk on both sides.
fn image(rng: &mut Rng, dtype: DType, g: &Window) -> (ferrotorch_cpu::CpuStorage, Vec<f64>) {
    let len = g.n * g.c * g.h * g.w;
    let all = rng.vec(OFFSET + len + 3, |r| if dtype.is_float() { r.uniform(-4.0, 4.0) } else { r.int(-20, 20) as f64 });
    let s = storage(dtype, &all);
    let img = values(&s)[OFFSET..OFFSET + len].to_vec();
    (s, img)
}

#[test]
fn im2col_matches_naive_gather() {
    let mut rng = Rng::new(31);
    for a in WINDOWS {
        let g = win(a);
        for (dtype, pad) in [(DType::F32, 0.0), (DType::F32, f64::NEG_INFINITY), (DType::F64, 2.5), (DType::I32, -3.0)] {
            let (s, img) = image(&mut rng, dtype, &g);
            let cols = im2col(&s, OFFSET, &g, pad);
            assert_eq!(cols.dtype(), dtype);
            let mut want = vec![f64::NAN; g.cols_len()];
            for_each_tap(&g, |i, p| want[i] = p.map_or(pad, |p| img[p]));
            assert_same(&values(&cols), &want, &format!("im2col {dtype} pad {pad} {g:?}"));
        }
    }
}

#[test]
fn im2col_then_gemm_is_the_naive_convolution() {
    let mut rng = Rng::new(32);
    for a in WINDOWS {
        let g = win(a);
        let (s, img) = image(&mut rng, DType::F64, &g);
        let cols = values(&im2col(&s, OFFSET, &g, 0.0));
        let (oc, rows, l) = (3, g.c * g.kh * g.kw, g.out_h() * g.out_w());
        let weight = rng.vec(oc * rows, |r| r.uniform(-1.0, 1.0));
        for b in 0..g.n {
            for o in 0..oc {
                for oi in 0..g.out_h() {
                    for oj in 0..g.out_w() {
                        let via_cols: f64 = (0..rows).map(|r| weight[o * rows + r] * cols[(b * rows + r) * l + oi * g.out_w() + oj]).sum();
                        let (mut direct, mut scale) = (0.0, 0.0);
                        for c in 0..g.c {
                            for ki in 0..g.kh {
                                for kj in 0..g.kw {
                                    if let (Some(y), Some(x)) = (src(oi, ki, g.sh, g.dh, g.ph, g.h), src(oj, kj, g.sw, g.dw, g.pw, g.w)) {
                                        let t = weight[o * rows + (c * g.kh + ki) * g.kw + kj] * img[((b * g.c + c) * g.h + y) * g.w + x];
                                        direct += t;
                                        scale += t.abs();
                                    }
                                }
                            }
                        }
                        assert!((via_cols - direct).abs() <= 1e-13 * scale, "{g:?} out[{b},{o},{oi},{oj}]: {via_cols} vs {direct}");
                    }
                }
            }
        }
    }
}

#[test]
fn col2im_is_the_adjoint_of_im2col_and_matches_naive_scatter() {
    let mut rng = Rng::new(33);
    for a in WINDOWS {
        let g = win(a);
        for dtype in [DType::F64, DType::F32] {
            let (sx, x) = image(&mut rng, dtype, &g);
            let y_all = rng.vec(4 + g.cols_len() + 2, |r| r.uniform(-1.0, 1.0));
            let sy = storage(dtype, &y_all);
            let y = values(&sy)[4..4 + g.cols_len()].to_vec();
            let cx = values(&im2col(&sx, OFFSET, &g, 0.0));
            let back = col2im(&sy, 4, &g);
            assert_eq!(back.dtype(), dtype);
            let back = values(&back);
            assert_eq!(back.len(), x.len());
            // Naive scatter-add, with the magnitude that lands on each pixel.
            let (mut want, mut mag) = (vec![0.0; x.len()], vec![0.0; x.len()]);
            for_each_tap(&g, |i, p| {
                if let Some(p) = p {
                    want[p] += y[i];
                    mag[p] += y[i].abs();
                }
            });
            let ctx = format!("col2im {dtype} {g:?}");
            let e = eps(dtype);
            assert_close_scaled(&back, &want, &mag, 2.0 * g.kh as f64 * g.kw as f64 * e, 0.0, &ctx);
            // <im2col(x), y> == <x, col2im(y)>
            let lhs: f64 = cx.iter().zip(&y).map(|(a, b)| a * b).sum();
            let rhs: f64 = x.iter().zip(&back).map(|(a, b)| a * b).sum();
            let scale: f64 =
                cx.iter().zip(&y).map(|(a, b)| (a * b).abs()).sum::<f64>() + x.iter().zip(&mag).map(|(a, b)| (a * b).abs()).sum::<f64>();
            assert!(
                (lhs - rhs).abs() <= 4.0 * g.kh as f64 * g.kw as f64 * e * scale + 1e-300,
                "{ctx}: <im2col(x), y> = {lhs}, <x, col2im(y)> = {rhs}"
            );
        }
    }
}

/// PyTorch's output size with `ceil_mode`: one more window when it starts inside the
/// (left-padded) image.
fn ceil_out(size: usize, k: usize, s: usize, p: usize, d: usize) -> usize {
    let span = size + 2 * p - d * (k - 1) - 1;
    let mut o = span.div_ceil(s) + 1;
    if (o - 1) * s >= size + p {
        o -= 1;
    }
    o
}

#[test]
fn max_pool2d_values_and_first_max_indices() {
    let mut rng = Rng::new(34);
    for a in WINDOWS {
        let g = win(a);
        for dtype in [DType::F32, DType::F64, DType::I32] {
            let len = g.n * g.c * g.h * g.w;
            // Few distinct values (ties), and for floats some NaN and -inf.
            let all = rng.vec(OFFSET + len + 3, |r| match r.below(40) {
                0 if dtype.is_float() => f64::NAN,
                1 if dtype.is_float() => f64::NEG_INFINITY,
                _ => r.int(-2, 2) as f64,
            });
            let s = storage(dtype, &all);
            let img = values(&s)[OFFSET..OFFSET + len].to_vec();
            let sizes = [(g.out_h(), g.out_w()), (ceil_out(g.h, g.kh, g.sh, g.ph, g.dh), ceil_out(g.w, g.kw, g.sw, g.pw, g.dw))];
            for (oh, ow) in sizes {
                let (vals, idx) = max_pool2d(&s, OFFSET, &g, oh, ow);
                let got = values(&vals);
                let ctx = format!("max_pool2d {dtype} {g:?} -> {oh}x{ow}");
                assert_eq!((vals.dtype(), got.len(), idx.len()), (dtype, g.n * g.c * oh * ow, g.n * g.c * oh * ow), "{ctx}");
                let hw = g.h * g.w;
                check_all(got.len(), &ctx, |o| {
                    let (plane, oi, oj) = (o / (oh * ow), o / ow % oh, o % ow);
                    let mut best: Option<usize> = None;
                    for ki in 0..g.kh {
                        for kj in 0..g.kw {
                            if let (Some(y), Some(x)) = (src(oi, ki, g.sh, g.dh, g.ph, g.h), src(oj, kj, g.sw, g.dw, g.pw, g.w)) {
                                let (p, v) = (y * g.w + x, img[plane * hw + y * g.w + x]);
                                let better = best.is_none_or(|b| {
                                    let bv = img[plane * hw + b];
                                    !bv.is_nan() && (v.is_nan() || v > bv)
                                });
                                if better {
                                    best = Some(p);
                                }
                            }
                        }
                    }
                    let b = best.expect("every window holds a pixel");
                    let want = img[plane * hw + b];
                    if same(got[o], want) && idx[o] == b as i64 {
                        Ok(())
                    } else {
                        Err(format!("got ({:?}, {}), want ({want:?}, {b})", got[o], idx[o]))
                    }
                });
            }
        }
    }
}

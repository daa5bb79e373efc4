//! Reductions (the whole-slice parallel sum, the per-output rayon split above GRAIN,
//! contiguous and strided inner dims), arg-reductions and scans, over every dim set of
//! contiguous, permuted and strided layouts, against folds over the logical values.
use crate::common::*;
use ferrotorch_core::{ArgReduceOp, DType, ReduceOp, ScanOp};
use ferrotorch_cpu::reduce::{arg_reduce, reduce, reduce_dtype, scan};
use ferrotorch_cpu::CpuStorage;

/// For each logical element (row-major), the row-major index of its output over the kept
/// dims; and the number of outputs.
fn groups(shape: &[usize], dims: &[usize]) -> (Vec<usize>, usize) {
    let kept: Vec<usize> = (0..shape.len()).filter(|d| !dims.contains(d)).collect();
    let n: usize = shape.iter().product();
    let map = (0..n)
        .map(|flat| {
            let mut idx = vec![0; shape.len()];
            let mut rem = flat;
            for d in (0..shape.len()).rev() {
                idx[d] = rem % shape[d];
                rem /= shape[d];
            }
            kept.iter().fold(0, |acc, &d| acc * shape[d] + idx[d])
        })
        .collect();
    (map, kept.iter().map(|&d| shape[d]).product())
}

/// Every non-empty subset of `0..nd`.
fn dim_sets(nd: usize) -> Vec<Vec<usize>> {
    (1..1usize << nd).map(|m| (0..nd).filter(|d| m >> d & 1 == 1).collect()).collect()
}

const OPS: [ReduceOp; 6] = [ReduceOp::Sum, ReduceOp::Prod, ReduceOp::Max, ReduceOp::Min, ReduceOp::All, ReduceOp::Any];

/// Values for reductions: zeros with probability `p_zero` (so all/any vary), NaN with
/// `p_nan`, otherwise near 1 in magnitude (products stay finite) with both signs.
fn reduce_data(rng: &mut Rng, dtype: DType, n: usize, p_zero: f64, p_nan: f64) -> CpuStorage {
    if dtype.is_float() {
        let v = rng.vec(n, |r| {
            if r.chance(p_zero) {
                0.0
            } else if r.chance(p_nan) {
                f64::NAN
            } else {
                r.uniform(0.97, 1.03) * if r.chance(0.5) { -1.0 } else { 1.0 }
            }
        });
        storage(dtype, &v)
    } else {
        let v: Vec<i64> = (0..n)
            .map(|_| match () {
                _ if rng.chance(p_zero) => 0,
                _ if dtype == DType::I64 && rng.chance(0.01) => i64::MAX - rng.int(0, 3), // sums wrap
                _ => [1, 2, 3, -1, -2, -3][rng.below(if dtype == DType::U8 { 3 } else { 6 })],
            })
            .collect();
        int_storage(dtype, &v)
    }
}

fn check_reduce(dtype: DType, shape: &[usize], v: &View, dims_list: &[Vec<usize>], p_zero: f64, rng: &mut Rng) {
    let s = reduce_data(rng, dtype, v.len, p_zero, if dtype.is_float() { 2.0 / v.len.max(1) as f64 } else { 0.0 });
    let xf = gather(&values(&s), &v.layout);
    let xi = gather_ints(&s, &v.layout);
    for dims in dims_list {
        let (map, n_out) = groups(shape, dims);
        for op in OPS {
            let empty_group = dims.iter().any(|&d| shape[d] == 0);
            if empty_group && matches!(op, ReduceOp::Max | ReduceOp::Min) {
                continue; // rejected by the tensor layer
            }
            if op == ReduceOp::Sum && !dtype.is_float() && dims.len() == shape.len() && xi.is_empty() && v.layout.offset > v.len {
                continue; // see int_sum_of_empty_view_past_the_storage_end
            }
            let out = reduce(op, &s, &v.layout, dims);
            let ctx = format!("{op:?} {dtype} {shape:?} dims {dims:?} ({})", v.name);
            assert_eq!(out.dtype(), reduce_dtype(op, dtype), "{ctx}");
            assert_eq!(out.len(), n_out, "{ctx}");
            let mut members = vec![vec![]; n_out];
            for (i, &g) in map.iter().enumerate() {
                members[g].push(i);
            }
            let got_f = values(&out);
            let got_i = ints(&out);
            check_all(n_out, &ctx, |g| {
                let m = &members[g];
                let (ok, want) = match op {
                    ReduceOp::All => {
                        let w = m.iter().all(|&i| xf[i] != 0.0) as i64;
                        (got_i[g] == w, format!("{w}"))
                    }
                    ReduceOp::Any => {
                        let w = m.iter().any(|&i| xf[i] != 0.0) as i64;
                        (got_i[g] == w, format!("{w}"))
                    }
                    _ if !dtype.is_float() => {
                        let w = match op {
                            ReduceOp::Sum => m.iter().fold(0i64, |a, &i| a.wrapping_add(xi[i])),
                            ReduceOp::Prod => m.iter().fold(1i64, |a, &i| a.wrapping_mul(xi[i])),
                            ReduceOp::Max => m.iter().map(|&i| xi[i]).max().unwrap(),
                            _ => m.iter().map(|&i| xi[i]).min().unwrap(),
                        };
                        (got_i[g] == w, format!("{w}"))
                    }
                    ReduceOp::Sum | ReduceOp::Prod => {
                        let sum = op == ReduceOp::Sum;
                        let w = m.iter().fold(if sum { 0.0 } else { 1.0 }, |a, &i| if sum { a + xf[i] } else { a * xf[i] });
                        let scale: f64 = m.iter().map(|&i| xf[i].abs()).sum::<f64>().max(1.0);
                        let w = round_to(dtype, w);
                        // The parallel sum adds in another order: a few f64 ulps of the scale, then one rounding.
                        (close(got_f[g], w, dtype, 1.0, 1e-13 * scale), format!("{w:?}"))
                    }
                    _ => {
                        // First NaN, else the first strict winner.
                        let max = op == ReduceOp::Max;
                        let w = m.iter().map(|&i| xf[i]).fold(None, |b: Option<f64>, x| match b {
                            Some(b) if b.is_nan() || !(x.is_nan() || (max && x > b) || (!max && x < b)) => Some(b),
                            _ => Some(x),
                        });
                        let w = w.unwrap();
                        (same(got_f[g], w), format!("{w:?}"))
                    }
                };
                if ok {
                    Ok(())
                } else {
                    Err(format!("got {:?}, want {want} (over {} elements)", got_f[g], m.len()))
                }
            });
        }
    }
}

/// A 3-D shape's views: those of `views` plus two more permutations.
fn views3(shape: &[usize]) -> Vec<View> {
    let mut v = views(shape);
    v.push(permuted("permuted (1,2,0)", shape, &[1, 2, 0]));
    v.push(permuted("permuted (0,2,1)", shape, &[0, 2, 1]));
    v
}

#[test]
fn reductions_small_shapes_every_dtype_dim_set_and_view() {
    let mut rng = Rng::new(11);
    for dtype in [DType::F32, DType::F64, DType::F16, DType::I32, DType::I64, DType::U8, DType::Bool] {
        for shape in [vec![2, 3, 5], vec![7, 1, 13], vec![1, 1, 1], vec![3, 0, 4], vec![4, 9, 2]] {
            for v in views3(&shape) {
                check_reduce(dtype, &shape, &v, &dim_sets(3), 0.1, &mut rng);
            }
        }
    }
}

#[test]
fn reductions_around_grain() {
    let mut rng = Rng::new(12);
    // GRAIN exactly, just below, just above: the per-output rayon split starts at GRAIN.
    for shape in [vec![4, 128, 64], vec![5, 7, 936], vec![3, 181, 61]] {
        for dtype in [DType::F32, DType::I64] {
            for v in views3(&shape).into_iter().filter(|v| ["contiguous", "reversed", "permuted (1,2,0)", "step2"].contains(&v.name)) {
                check_reduce(dtype, &shape, &v, &[vec![0], vec![1], vec![2], vec![0, 2], vec![1, 2], vec![0, 1, 2]], 0.002, &mut rng);
            }
        }
    }
    // The whole-slice sum splits across threads from 4 * GRAIN.
    for n in [4 * G - 1, 4 * G, 4 * G + 3] {
        for dtype in [DType::F32, DType::F64, DType::I32] {
            for v in views(&[n]).into_iter().filter(|v| v.name != "column") {
                check_reduce(dtype, &[n], &v, &[vec![0]], 0.0001, &mut rng);
            }
        }
    }
}

/// Values with many ties and a few NaNs: arg-reductions must pick the first winner, and
/// the first NaN over anything.
fn tie_data(rng: &mut Rng, dtype: DType, n: usize, p_nan: f64) -> CpuStorage {
    let v = rng.vec(n, |r| if dtype.is_float() && r.chance(p_nan) { f64::NAN } else { [-1.0, 0.0, 1.0, 2.0, 2.0][r.below(5)] });
    if dtype.is_float() {
        storage(dtype, &v)
    } else {
        int_storage(dtype, &v.iter().map(|&x| x as i64).collect::<Vec<_>>())
    }
}

#[test]
fn arg_reductions_every_dim_and_view() {
    let mut rng = Rng::new(13);
    let shapes = [vec![2, 3, 5], vec![7, 1, 13], vec![4, 9, 2], vec![3, 181, 61]];
    for dtype in [DType::F32, DType::F64, DType::I32, DType::U8] {
        for shape in &shapes {
            let n: usize = shape.iter().product();
            for v in views3(shape) {
                let s = tie_data(&mut rng, dtype, v.len, 2.0 / n as f64);
                let x = gather(&values(&s), &v.layout);
                for dim in 0..3 {
                    let (map, n_out) = groups(shape, &[dim]);
                    let mut members = vec![vec![]; n_out];
                    for (i, &g) in map.iter().enumerate() {
                        members[g].push(i);
                    }
                    for op in [ArgReduceOp::Max, ArgReduceOp::Min] {
                        let (vals, idx) = arg_reduce(op, &s, &v.layout, dim);
                        let ctx = format!("{op:?} {dtype} {shape:?} dim {dim} ({})", v.name);
                        let got = values(&vals);
                        assert_eq!((vals.dtype(), got.len(), idx.len()), (dtype, n_out, n_out), "{ctx}");
                        check_all(n_out, &ctx, |g| {
                            let m = &members[g];
                            let mut best = 0;
                            for k in 1..m.len() {
                                let (b, c) = (x[m[best]], x[m[k]]);
                                if !b.is_nan() && (c.is_nan() || if op == ArgReduceOp::Max { c > b } else { c < b }) {
                                    best = k;
                                }
                            }
                            if idx[g] == best as i64 && same(got[g], x[m[best]]) {
                                Ok(())
                            } else {
                                Err(format!(
                                    "got ({:?}, {}), want ({:?}, {best}) in {:?}",
                                    got[g],
                                    idx[g],
                                    x[m[best]],
                                    m.iter().map(|&i| x[i]).collect::<Vec<_>>()
                                ))
                            }
                        });
                    }
                }
            }
        }
    }
}

#[test]
fn scans_every_dim_and_view() {
    let mut rng = Rng::new(14);
    for dtype in [DType::F32, DType::F64, DType::I32, DType::U8, DType::Bool] {
        for shape in [vec![2, 3, 5], vec![7, 1, 13], vec![3, 0, 4], vec![4, 128, 64]] {
            for v in views3(&shape).into_iter().filter(|v| v.name != "column" || shape[0] < 10) {
                let s = reduce_data(&mut rng, dtype, v.len, 0.05, 0.001);
                let (xf, xi) = (gather(&values(&s), &v.layout), gather_ints(&s, &v.layout));
                for dim in 0..3 {
                    let (map, n_out) = groups(&shape, &[dim]);
                    for op in [ScanOp::Sum, ScanOp::Prod] {
                        let out = scan(op, &s, &v.layout, dim);
                        let ctx = format!("cum{op:?} {dtype} {shape:?} dim {dim} ({})", v.name);
                        assert_eq!(out.dtype(), if dtype.is_float() { dtype } else { DType::I64 }, "{ctx}");
                        let (got_f, got_i) = (values(&out), ints(&out));
                        assert_eq!(got_f.len(), xf.len(), "{ctx}");
                        // Running accumulators per line, visited in logical order (lines interleave).
                        let mut acc_f = vec![if op == ScanOp::Sum { 0.0 } else { 1.0 }; n_out];
                        let mut acc_i = vec![if op == ScanOp::Sum { 0i64 } else { 1 }; n_out];
                        let mut want_f = vec![0.0; xf.len()];
                        let mut want_i = vec![0i64; xf.len()];
                        for (i, &g) in map.iter().enumerate() {
                            acc_f[g] = if op == ScanOp::Sum { acc_f[g] + xf[i] } else { acc_f[g] * xf[i] };
                            acc_i[g] = if op == ScanOp::Sum { acc_i[g].wrapping_add(xi[i]) } else { acc_i[g].wrapping_mul(xi[i]) };
                            want_f[i] = round_to(dtype, acc_f[g]);
                            want_i[i] = acc_i[g];
                        }
                        if dtype.is_float() {
                            assert_same(&got_f, &want_f, &ctx);
                        } else {
                            assert_eq!(got_i, want_i, "{ctx}");
                        }
                    }
                }
            }
        }
    }
}

/// An empty view may start past the end of its storage (`x[:, 1:]` of an empty `[0, 3]`
/// tensor has offset 1 over 0 elements). The float full sum reads the empty range; the
/// integer one slices `v[offset..offset + numel]` and panics.
#[test]
fn int_sum_of_empty_view_past_the_storage_end() {
    let l = ferrotorch_core::Layout { shape: vec![0, 2], strides: vec![3, 1], offset: 1 };
    for dtype in [DType::F32, DType::I64, DType::I32, DType::U8, DType::Bool] {
        let s = if dtype.is_float() { storage(dtype, &[]) } else { int_storage(dtype, &[]) };
        let r = std::panic::catch_unwind(|| reduce(ReduceOp::Sum, &s, &l, &[0, 1]));
        let out = r.unwrap_or_else(|_| panic!("sum of an empty {dtype} view at offset 1 over 0 elements panicked"));
        assert_eq!(values(&out), vec![0.0], "{dtype}");
    }
}

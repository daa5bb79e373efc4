//! Reductions over dims, arg-reductions over one dim, and scans (cumsum/cumprod).
use crate::elem::Elem;
use crate::storage::CpuStorage;
use crate::GRAIN;
use ferrotorch_core::{contiguous_strides, for_each_offsets, ArgReduceOp, DType, Layout, ReduceOp, ScanOp};
use rayon::prelude::*;

/// Splits a layout into the kept dims (outer) and the reduced dims (inner, offset 0).
pub fn split(l: &Layout, dims: &[usize]) -> (Layout, Layout) {
    let mut outer = Layout { shape: vec![], strides: vec![], offset: l.offset };
    let mut inner = Layout { shape: vec![], strides: vec![], offset: 0 };
    for d in 0..l.ndim() {
        let t = if dims.contains(&d) { &mut inner } else { &mut outer };
        t.shape.push(l.shape[d]);
        t.strides.push(l.strides[d]);
    }
    (outer, inner)
}

/// The output dtype of a reduction: PyTorch sums and multiplies ints in int64.
pub fn reduce_dtype(op: ReduceOp, d: DType) -> DType {
    match op {
        ReduceOp::Sum | ReduceOp::Prod if !d.is_float() => DType::I64,
        ReduceOp::All | ReduceOp::Any => DType::Bool,
        _ => d,
    }
}

fn reduce_with<T: Elem, O: Elem>(_v: &[T], l: &Layout, dims: &[usize], f: impl Fn(&mut dyn Iterator<Item = usize>) -> O + Sync) -> Vec<O> {
    let (outer, inner) = split(l, dims);
    let inner_contig = inner.is_contiguous();
    let inner_n = inner.numel();
    let inner_offsets: Vec<usize> = if inner_contig { vec![] } else { inner.offsets().collect() };
    let one = |base: usize| -> O {
        if inner_contig {
            f(&mut (base..base + inner_n))
        } else {
            f(&mut inner_offsets.iter().map(|&o| o + base))
        }
    };
    let outer_n = outer.numel();
    if outer_n > 1 && outer_n * inner_n >= GRAIN {
        let bases: Vec<usize> = outer.offsets().collect();
        return bases.par_iter().map(|&b| one(b)).collect();
    }
    let mut out = Vec::with_capacity(outer_n);
    for_each_offsets(&outer.shape, [&outer.strides], [outer.offset], |[b]| out.push(one(b)));
    out
}

/// Sum in f64 with eight independent accumulators (the compiler keeps them in vector
/// lanes; one serial accumulator would add one element per cycle at best).
fn sum_lanes<T: Elem>(s: &[T]) -> f64 {
    let mut acc = [0.0f64; 8];
    let mut chunks = s.chunks_exact(8);
    for c in &mut chunks {
        for j in 0..8 {
            acc[j] += c[j].to_f64();
        }
    }
    let tail: f64 = chunks.remainder().iter().map(|x| x.to_f64()).sum();
    acc.iter().sum::<f64>() + tail
}

/// Sum of a contiguous slice, split across threads when it is large.
fn sum_slice<T: Elem>(s: &[T]) -> f64 {
    if s.len() >= GRAIN * 4 {
        s.par_chunks(GRAIN).map(sum_lanes).sum()
    } else {
        sum_lanes(s)
    }
}

/// Float sums of a contiguous view whose trailing dims are all reduced (a bias gradient:
/// `[N, C, H, W]` over `(0, 2, 3)`): each contiguous run of the trailing dims is summed
/// at memory speed, then the partial sums are added into the kept dims.
fn sum_trailing_runs<T: Elem>(v: &[T], l: &Layout, dims: &[usize]) -> Option<Vec<T>> {
    let nd = l.ndim();
    let t = (0..nd).rev().take_while(|d| dims.contains(d)).count();
    if t == 0 || t == nd || !l.is_contiguous() {
        return None;
    }
    let run: usize = l.shape[nd - t..].iter().product();
    if run < 16 {
        return None;
    }
    let lead = &l.shape[..nd - t];
    let rows: usize = lead.iter().product();
    let src = &v[l.offset..l.offset + rows * run];
    let partial: Vec<f64> =
        if rows * run >= GRAIN { src.par_chunks(run).map(sum_lanes).collect() } else { src.chunks(run).map(sum_lanes).collect() };
    // Row r of the leading dims adds into the output element of its kept coordinates.
    let kept: Vec<usize> = (0..nd - t).filter(|d| !dims.contains(d)).collect();
    let out_shape: Vec<usize> = kept.iter().map(|&d| lead[d]).collect();
    let out_strides = contiguous_strides(&out_shape);
    let mut stride_of = vec![0usize; nd - t];
    for (k, &d) in kept.iter().enumerate() {
        stride_of[d] = out_strides[k];
    }
    let mut acc = vec![0.0f64; out_shape.iter().product()];
    let mut idx = vec![0usize; nd - t];
    for p in partial {
        let o: usize = idx.iter().zip(&stride_of).map(|(i, s)| i * s).sum();
        acc[o] += p;
        for d in (0..nd - t).rev() {
            idx[d] += 1;
            if idx[d] < lead[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    Some(acc.into_iter().map(T::from_f64).collect())
}

fn reduce_typed<T: Elem>(op: ReduceOp, v: &[T], l: &Layout, dims: &[usize]) -> CpuStorage {
    let float = T::DTYPE.is_float();
    match op {
        ReduceOp::Sum => {
            if dims.len() == l.ndim() {
                if let Some(r) = l.contiguous_range() {
                    let s = sum_slice(&v[r.clone()]);
                    return if float {
                        T::wrap(vec![T::from_f64(s)])
                    } else {
                        CpuStorage::I64(vec![v[r].iter().fold(0i64, |a, x| a.wrapping_add(x.to_i64()))])
                    };
                }
            }
            if float {
                if let Some(out) = sum_trailing_runs(v, l, dims) {
                    return T::wrap(out);
                }
                T::wrap(reduce_with(v, l, dims, |it| T::from_f64(it.map(|o| v[o].to_f64()).sum::<f64>())))
            } else {
                CpuStorage::I64(reduce_with(v, l, dims, |it| it.fold(0i64, |a, o| a.wrapping_add(v[o].to_i64()))))
            }
        }
        ReduceOp::Prod => {
            if float {
                T::wrap(reduce_with(v, l, dims, |it| T::from_f64(it.fold(1.0f64, |a, o| a * v[o].to_f64()))))
            } else {
                CpuStorage::I64(reduce_with(v, l, dims, |it| it.fold(1i64, |a, o| a.wrapping_mul(v[o].to_i64()))))
            }
        }
        ReduceOp::Max | ReduceOp::Min => {
            let is_max = op == ReduceOp::Max;
            T::wrap(reduce_with(v, l, dims, |it| {
                let mut best: Option<T> = None;
                for o in it {
                    let x = v[o];
                    best = Some(match best {
                        None => x,
                        Some(b) if b.is_nan() => b,
                        Some(_) if x.is_nan() => x,
                        Some(b) => {
                            if (is_max && x > b) || (!is_max && x < b) {
                                x
                            } else {
                                b
                            }
                        }
                    });
                }
                best.unwrap_or_default()
            }))
        }
        ReduceOp::All => CpuStorage::Bool(reduce_with(v, l, dims, |it| {
            let z = T::default();
            let mut all = true;
            for o in it {
                if v[o] == z {
                    all = false;
                    break;
                }
            }
            all
        })),
        ReduceOp::Any => CpuStorage::Bool(reduce_with(v, l, dims, |it| {
            let z = T::default();
            let mut any = false;
            for o in it {
                if v[o] != z {
                    any = true;
                    break;
                }
            }
            any
        })),
    }
}

/// Reduces `dims` of a view; the result is contiguous over the kept dims, in order.
/// Empty max/min are rejected by the tensor layer before this is called.
pub fn reduce(op: ReduceOp, s: &CpuStorage, l: &Layout, dims: &[usize]) -> CpuStorage {
    crate::with_storage!(s, v, T => reduce_typed::<T>(op, v, l, dims))
}

/// Max or min along one dim with the index of the first winner (NaN wins, as in PyTorch).
pub fn arg_reduce(op: ArgReduceOp, s: &CpuStorage, l: &Layout, dim: usize) -> (CpuStorage, Vec<i64>) {
    crate::with_storage!(s, v, T => {
        let (outer, _) = split(l, &[dim]);
        let (n, st) = (l.shape[dim], l.strides[dim]);
        let mut vals = Vec::with_capacity(outer.numel());
        let mut idxs = Vec::with_capacity(outer.numel());
        for_each_offsets(&outer.shape, [&outer.strides], [outer.offset], |[b]| {
            let mut bi = 0usize;
            let mut bv = v[b];
            for i in 1..n {
                if bv.is_nan() {
                    break;
                }
                let x = v[b + i * st];
                let better = x.is_nan()
                    || match op {
                        ArgReduceOp::Max => x.partial_cmp(&bv) == Some(std::cmp::Ordering::Greater),
                        ArgReduceOp::Min => x.partial_cmp(&bv) == Some(std::cmp::Ordering::Less),
                    };
                if better {
                    bv = x;
                    bi = i;
                }
            }
            vals.push(bv);
            idxs.push(bi as i64);
        });
        (T::wrap(vals), idxs)
    })
}

/// cumsum / cumprod along `dim`; ints accumulate in int64, floats in f64.
pub fn scan(op: ScanOp, s: &CpuStorage, l: &Layout, dim: usize) -> CpuStorage {
    let out_strides = contiguous_strides(&l.shape);
    let mut lin = l.clone();
    let mut lout = Layout { shape: l.shape.clone(), strides: out_strides, offset: 0 };
    let (n, st_in, st_out) = (l.shape[dim], l.strides[dim], lout.strides[dim]);
    lin.shape[dim] = 1;
    lout.shape[dim] = 1;
    crate::with_storage!(s, v, T => {
        if T::DTYPE.is_float() {
            let mut out = crate::pool::filled(l.numel(), T::default());
            for_each_offsets(&lin.shape, [&lin.strides, &lout.strides], [lin.offset, 0], |[i, o]| {
                let mut acc = if op == ScanOp::Sum { 0.0 } else { 1.0 };
                for k in 0..n {
                    let x = v[i + k * st_in].to_f64();
                    acc = if op == ScanOp::Sum { acc + x } else { acc * x };
                    out[o + k * st_out] = T::from_f64(acc);
                }
            });
            T::wrap(out)
        } else {
            let mut out = crate::pool::filled(l.numel(), 0i64);
            for_each_offsets(&lin.shape, [&lin.strides, &lout.strides], [lin.offset, 0], |[i, o]| {
                let mut acc: i64 = if op == ScanOp::Sum { 0 } else { 1 };
                for k in 0..n {
                    let x = v[i + k * st_in].to_i64();
                    acc = if op == ScanOp::Sum { acc.wrapping_add(x) } else { acc.wrapping_mul(x) };
                    out[o + k * st_out] = acc;
                }
            });
            CpuStorage::I64(out)
        }
    })
}

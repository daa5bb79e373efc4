//! Sorting along one dim (stable; NaN sorts as the largest value, as in PyTorch).
use crate::elem::Elem;
use crate::storage::CpuStorage;
use ferrotorch_core::{contiguous_strides, for_each_offsets, Layout};
use std::cmp::Ordering;

#[inline]
fn total<T: Elem>(a: &T, b: &T) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => a.partial_cmp(b).unwrap_or(Ordering::Equal),
    }
}

/// Sorted values and their source indices along `dim`, contiguous in `l`'s shape.
pub fn sort(s: &CpuStorage, l: &Layout, dim: usize, descending: bool) -> (CpuStorage, Vec<i64>) {
    let n = l.shape[dim];
    let out_strides = contiguous_strides(&l.shape);
    let mut lin = l.clone();
    let mut lout = Layout { shape: l.shape.clone(), strides: out_strides, offset: 0 };
    let (st_in, st_out) = (l.strides[dim], lout.strides[dim]);
    lin.shape[dim] = 1;
    lout.shape[dim] = 1;
    crate::with_storage!(s, v, T => {
        let mut vals = vec![T::default(); l.numel()];
        let mut idx = vec![0i64; l.numel()];
        let mut line: Vec<(T, usize)> = Vec::with_capacity(n);
        for_each_offsets(&lin.shape, [&lin.strides, &lout.strides], [lin.offset, 0], |[i, o]| {
            line.clear();
            line.extend((0..n).map(|k| (v[i + k * st_in], k)));
            if descending {
                line.sort_by(|a, b| total(&b.0, &a.0));
            } else {
                line.sort_by(|a, b| total(&a.0, &b.0));
            }
            for (k, &(x, j)) in line.iter().enumerate() {
                vals[o + k * st_out] = x;
                idx[o + k * st_out] = j as i64;
            }
        });
        (T::wrap(vals), idx)
    })
}

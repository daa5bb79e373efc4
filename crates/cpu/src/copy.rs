//! Casts, contiguous copies and strided writes.
use crate::elem::Elem;
use crate::storage::{cast, CpuStorage};
use crate::{with_dtype, with_storage};
use ferrotorch_core::{for_each_offsets, DType, Layout};

/// Reads a view in row-major order into a new `Vec<T>`.
pub fn gather_vec<T: Elem>(src: &[T], l: &Layout) -> Vec<T> {
    let mut out = crate::pool::take::<T>(l.numel());
    if let Some(r) = l.contiguous_range() {
        out.extend_from_slice(&src[r]);
        return out;
    }
    for_each_offsets(&l.shape, [&l.strides], [l.offset], |[o]| out.push(src[o]));
    out
}

/// The view's elements, contiguous, in `dtype` (a no-op-like copy when nothing changes).
pub fn to_contiguous(s: &CpuStorage, l: &Layout, dtype: DType) -> CpuStorage {
    with_storage!(s, v, A => {
        with_dtype!(dtype, B => {
            if A::DTYPE == B::DTYPE {
                let g = gather_vec(v, l);
                // Same type: reinterpret without a second copy.
                A::wrap(g)
            } else if let Some(r) = l.contiguous_range() {
                B::wrap(v[r].iter().map(|&x| cast::<A, B>(x)).collect())
            } else {
                let mut out = Vec::with_capacity(l.numel());
                for_each_offsets(&l.shape, [&l.strides], [l.offset], |[o]| out.push(cast::<A, B>(v[o])));
                B::wrap(out)
            }
        })
    })
}

/// Writes `src` (viewed through `ls`, same shape as `ld`) into `dst` through `ld`,
/// casting to `dst`'s dtype. Callers make sure `src` does not alias `dst`.
pub fn copy_strided(dst: &mut CpuStorage, ld: &Layout, src: &CpuStorage, ls: &Layout) {
    with_storage!(dst, d, B => {
        with_storage!(src, s, A => {
            if let (Some(rd), Some(rs)) = (ld.contiguous_range(), ls.contiguous_range()) {
                for (o, &i) in d[rd].iter_mut().zip(&s[rs]) {
                    *o = cast::<A, B>(i);
                }
            } else {
                for_each_offsets(&ld.shape, [&ld.strides, &ls.strides], [ld.offset, ls.offset], |[od, os]| {
                    d[od] = cast::<A, B>(s[os]);
                });
            }
        })
    })
}

/// Fills a view with one value.
pub fn fill_strided(dst: &mut CpuStorage, ld: &Layout, value: f64) {
    with_storage!(dst, d, T => {
        let x = T::from_f64(value);
        if let Some(r) = ld.contiguous_range() {
            d[r].fill(x);
        } else {
            for_each_offsets(&ld.shape, [&ld.strides], [ld.offset], |[o]| d[o] = x);
        }
    })
}

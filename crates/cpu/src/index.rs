//! Gather and scatter by storage offsets. The tensor layer turns gather, index_select,
//! advanced indexing and scatter into offset lists (checked against the bounds), so
//! one pair of kernels serves them all.
use crate::elem::Elem;
use crate::storage::{cast, CpuStorage};
use crate::with_storage;

/// `out[i] = s[offsets[i]]`.
pub fn take(s: &CpuStorage, offsets: &[usize]) -> CpuStorage {
    with_storage!(s, v, T => T::wrap(offsets.iter().map(|&o| v[o]).collect()))
}

/// `dst[offsets[i]] = src[i]` (or `+=` when `accumulate`); `src` is contiguous and
/// cast to `dst`'s dtype. With repeated offsets and no accumulation the last write wins.
pub fn put(dst: &mut CpuStorage, offsets: &[usize], src: &CpuStorage, accumulate: bool) {
    with_storage!(dst, d, B => {
        with_storage!(src, s, A => {
            if accumulate {
                for (&o, &x) in offsets.iter().zip(s.iter()) {
                    let y: B = cast(x);
                    d[o] = if B::DTYPE.is_float() { B::from_f64(d[o].to_f64() + y.to_f64()) } else { B::from_i64(d[o].to_i64().wrapping_add(y.to_i64())) };
                }
            } else {
                for (&o, &x) in offsets.iter().zip(s.iter()) {
                    d[o] = cast(x);
                }
            }
        })
    })
}

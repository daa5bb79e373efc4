//! Batched matrix products through the `gemm` crate (packed, SIMD micro-kernels picked
//! at run time), reading any strides so transposed views need no copy.
use crate::elem::Elem;
use crate::storage::CpuStorage;
use ferrotorch_core::{contiguous_strides, for_each_offsets, DType, Layout};
use gemm::Parallelism;
use rayon::prelude::*;

/// Per-matrix work (m*n*k) above which one product is split across threads.
const PAR_FLOPS: usize = 48 * 48 * 48;

struct Dims {
    batch: Vec<usize>,
    m: usize,
    k: usize,
    n: usize,
}

fn dims(la: &Layout, lb: &Layout) -> Dims {
    let nd = la.ndim();
    Dims { batch: la.shape[..nd - 2].to_vec(), m: la.shape[nd - 2], k: la.shape[nd - 1], n: lb.shape[nd - 1] }
}

fn batch_offsets(la: &Layout, lb: &Layout, d: &Dims) -> Vec<[usize; 3]> {
    let nd = la.ndim();
    let out_strides: Vec<usize> = contiguous_strides(&d.batch).iter().map(|s| s * d.m * d.n).collect();
    let mut v = Vec::new();
    for_each_offsets(&d.batch, [&la.strides[..nd - 2], &lb.strides[..nd - 2], &out_strides], [la.offset, lb.offset, 0], |o| v.push(o));
    v
}

#[derive(Clone, Copy)]
struct SendPtr<T>(*mut T);
unsafe impl<T> Send for SendPtr<T> {}
unsafe impl<T> Sync for SendPtr<T> {}

fn gemm_typed<T: Elem>(a: &[T], la: &Layout, b: &[T], lb: &Layout, zero: T, one: T) -> Vec<T> {
    let d = dims(la, lb);
    let nd = la.ndim();
    let batches = batch_offsets(la, lb, &d);
    let mut out = crate::pool::filled(batches.len() * d.m * d.n, zero);
    if d.k == 0 || out.is_empty() {
        return out;
    }
    let (ars, acs) = (la.strides[nd - 2] as isize, la.strides[nd - 1] as isize);
    let (brs, bcs) = (lb.strides[nd - 2] as isize, lb.strides[nd - 1] as isize);
    let flops = d.m * d.n * d.k;
    let dst = SendPtr(out.as_mut_ptr());
    let run = |&[oa, ob, oc]: &[usize; 3], par: Parallelism| {
        // Capture the whole Send wrapper, not its raw-pointer field.
        #[allow(clippy::redundant_locals)]
        let dst = dst;
        // SAFETY: offsets come from the layouts, which the tensor layer checked against
        // the storage sizes; each batch writes its own disjoint m*n block of `out`.
        unsafe {
            gemm::gemm(
                d.m,
                d.n,
                d.k,
                dst.0.add(oc),
                1,
                d.n as isize,
                false,
                a.as_ptr().add(oa),
                acs,
                ars,
                b.as_ptr().add(ob),
                bcs,
                brs,
                zero,
                one,
                false,
                false,
                false,
                par,
            )
        }
    };
    let threads = rayon::current_num_threads();
    if flops >= PAR_FLOPS && batches.len() < 2 * threads {
        batches.iter().for_each(|o| run(o, Parallelism::Rayon(threads)));
    } else if batches.len() > 1 && flops * batches.len() >= PAR_FLOPS {
        // Many matrices: one per task beats splitting each one across threads.
        batches.par_iter().for_each(|o| run(o, Parallelism::None));
    } else {
        batches.iter().for_each(|o| run(o, Parallelism::None));
    }
    out
}

fn naive_int<T: Elem>(a: &[T], la: &Layout, b: &[T], lb: &Layout) -> Vec<T> {
    let d = dims(la, lb);
    let nd = la.ndim();
    let (ars, acs) = (la.strides[nd - 2], la.strides[nd - 1]);
    let (brs, bcs) = (lb.strides[nd - 2], lb.strides[nd - 1]);
    let mut out = Vec::with_capacity(d.m * d.n);
    for [oa, ob, _] in batch_offsets(la, lb, &d) {
        for i in 0..d.m {
            for j in 0..d.n {
                let mut acc = 0i64;
                for p in 0..d.k {
                    acc = acc.wrapping_add(a[oa + i * ars + p * acs].to_i64().wrapping_mul(b[ob + p * brs + j * bcs].to_i64()));
                }
                out.push(T::from_i64(acc));
            }
        }
    }
    out
}

/// `[..., m, k] @ [..., k, n]` with equal (already broadcast) batch shapes.
pub fn matmul(a: &CpuStorage, la: &Layout, b: &CpuStorage, lb: &Layout) -> CpuStorage {
    use half::{bf16, f16};
    match (a, b) {
        (CpuStorage::F32(x), CpuStorage::F32(y)) => CpuStorage::F32(gemm_typed(x, la, y, lb, 0.0, 1.0)),
        (CpuStorage::F64(x), CpuStorage::F64(y)) => CpuStorage::F64(gemm_typed(x, la, y, lb, 0.0, 1.0)),
        (CpuStorage::F16(x), CpuStorage::F16(y)) => CpuStorage::F16(gemm_typed(x, la, y, lb, f16::ZERO, f16::ONE)),
        (CpuStorage::BF16(_), CpuStorage::BF16(_)) => {
            let wa = crate::copy::to_contiguous(a, la, DType::F32);
            let wb = crate::copy::to_contiguous(b, lb, DType::F32);
            let r = matmul(&wa, &Layout::contiguous(&la.shape), &wb, &Layout::contiguous(&lb.shape));
            match r {
                CpuStorage::F32(v) => CpuStorage::BF16(v.into_iter().map(bf16::from_f32).collect()),
                _ => unreachable!(),
            }
        }
        _ => crate::with_storage!(a, x, T => T::wrap(naive_int(x, la, T::slice(b), lb))),
    }
}

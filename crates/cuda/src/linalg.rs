//! Matmul: cuBLAS (strided-batched GEMM) for the float dtypes, a plain kernel for ints.
use crate::device::{err, grid, launch};
use crate::source::Family;
use crate::storage::CudaStorage;
use cudarc::cublas::{result::gemm_strided_batched_ex, sys};
use ferrotorch_core::{DType, Layout, Result};
use std::ffi::c_void;

/// A row-major `rows x cols` matrix with strides `(sr, sc)` as a cuBLAS (column-major)
/// operand standing for its transpose: `(transpose?, leading dim)`, or None when the
/// strides fit neither form.
fn operand(rows: usize, cols: usize, sr: usize, sc: usize) -> Option<(bool, usize)> {
    if (cols == 1 || sc == 1) && (rows == 1 || sr >= cols.max(1)) {
        return Some((false, if rows == 1 { cols.max(1) } else { sr }));
    }
    if (rows == 1 || sr == 1) && (cols == 1 || sc >= rows.max(1)) {
        return Some((true, if cols == 1 { rows.max(1) } else { sc }));
    }
    None
}

/// One stride for all batch dims (0 when there is one batch or all broadcast), if any.
fn batch_stride(l: &Layout) -> Option<usize> {
    let nd = l.ndim() - 2;
    let dims: Vec<(usize, usize)> = (0..nd).filter(|&i| l.shape[i] != 1).map(|i| (l.shape[i], l.strides[i])).collect();
    match dims.as_slice() {
        [] => Some(0),
        [(_, s)] => Some(*s),
        _ => {
            let s = dims.last().unwrap().1;
            let mut expect = s;
            for &(n, st) in dims.iter().rev() {
                if st != expect {
                    return None;
                }
                expect = st * n;
            }
            Some(s)
        }
    }
}

struct Mat {
    trans: bool,
    ld: usize,
    stride: usize,
}

fn describe(l: &Layout) -> Option<Mat> {
    let nd = l.ndim();
    let (rows, cols, sr, sc) = (l.shape[nd - 2], l.shape[nd - 1], l.strides[nd - 2], l.strides[nd - 1]);
    let (trans, ld) = operand(rows, cols, sr, sc)?;
    Some(Mat { trans, ld, stride: batch_stride(l)? })
}

fn dtype_code(d: DType) -> (sys::cudaDataType, sys::cublasComputeType_t) {
    use sys::cublasComputeType_t::*;
    use sys::cudaDataType::*;
    match d {
        DType::F64 => (CUDA_R_64F, CUBLAS_COMPUTE_64F),
        DType::F16 => (CUDA_R_16F, CUBLAS_COMPUTE_32F),
        DType::BF16 => (CUDA_R_16BF, CUBLAS_COMPUTE_32F),
        _ => (CUDA_R_32F, CUBLAS_COMPUTE_32F),
    }
}

impl CudaStorage {
    /// `[..., m, k] @ [..., k, n]` with equal (already broadcast) batch shapes.
    pub fn matmul(&self, la: &Layout, rhs: &CudaStorage, lb: &Layout) -> Result<CudaStorage> {
        crate::storage::same_device("matmul", self, rhs)?;
        let d = self.dev.clone();
        let nd = la.ndim();
        let (m, k, n) = (la.shape[nd - 2], la.shape[nd - 1], lb.shape[nd - 1]);
        let batch: usize = la.shape[..nd - 2].iter().product();
        let dt = self.dtype();
        if !dt.is_float() {
            return self.matmul_int(la, rhs, lb);
        }
        if k == 0 || batch * m * n == 0 {
            return CudaStorage::full(d.ordinal, dt, batch * m * n, 0.0);
        }
        // Views cuBLAS cannot read directly are copied contiguous first.
        let (ca, cb);
        let (a, la2) = match describe(la) {
            Some(_) => (self, la.clone()),
            None => {
                ca = self.to_contiguous(la, dt)?;
                (&ca, Layout::contiguous(&la.shape))
            }
        };
        let (b, lb2) = match describe(lb) {
            Some(_) => (rhs, lb.clone()),
            None => {
                cb = rhs.to_contiguous(lb, dt)?;
                (&cb, Layout::contiguous(&lb.shape))
            }
        };
        let (ma, mb) = (describe(&la2).expect("contiguous"), describe(&lb2).expect("contiguous"));
        let out = CudaStorage::alloc(&d, dt, batch * m * n)?;
        let blas = d.blas()?;
        let op = |t: bool| if t { sys::cublasOperation_t::CUBLAS_OP_T } else { sys::cublasOperation_t::CUBLAS_OP_N };
        let (ty, compute) = dtype_code(dt);
        let (one_f, zero_f, one_d, zero_d) = (1.0f32, 0.0f32, 1.0f64, 0.0f64);
        let (alpha, beta): (*const c_void, *const c_void) = if dt == DType::F64 {
            (&one_d as *const f64 as _, &zero_d as *const f64 as _)
        } else {
            (&one_f as *const f32 as _, &zero_f as *const f32 as _)
        };
        let es = dt.size();
        d.bind()?;
        // Row-major C = A B is column-major C^T = B^T A^T: B's operand comes first.
        unsafe {
            gemm_strided_batched_ex(
                *blas.handle(),
                op(mb.trans),
                op(ma.trans),
                n as i32,
                m as i32,
                k as i32,
                alpha,
                (b.ptr() + (lb2.offset * es) as u64) as *const c_void,
                ty,
                mb.ld as i32,
                mb.stride as i64,
                (a.ptr() + (la2.offset * es) as u64) as *const c_void,
                ty,
                ma.ld as i32,
                ma.stride as i64,
                beta,
                out.ptr() as *mut c_void,
                ty,
                n as i32,
                (m * n) as i64,
                batch as i32,
                compute,
                sys::cublasGemmAlgo_t::CUBLAS_GEMM_DEFAULT,
            )
        }
        .map_err(|e| err("matmul (cuBLAS)", e))?;
        Ok(out)
    }

    fn matmul_int(&self, la: &Layout, rhs: &CudaStorage, lb: &Layout) -> Result<CudaStorage> {
        let d = self.dev.clone();
        let nd = la.ndim();
        let (m, k, n) = (la.shape[nd - 2], la.shape[nd - 1], lb.shape[nd - 1]);
        let batch: usize = la.shape[..nd - 2].iter().product();
        let dt = self.dtype();
        let (a, b) = (self.to_contiguous(la, dt)?, rhs.to_contiguous(lb, dt)?);
        let out = CudaStorage::alloc(&d, dt, batch * m * n)?;
        let total = batch * m * n;
        if total > 0 {
            let (pa, pb, pc) = (a.ptr(), b.ptr(), out.ptr());
            let (bt, mm, kk, nn) = (batch as i64, m as i64, k as i64, n as i64);
            let (sab, sar, sac, sbb, sbr, sbc) = (mm * kk, kk, 1i64, kk * nn, nn, 1i64);
            launch!(d, d.func(Family::Matmul, dt, dt, "matmul_int")?, grid(total), "matmul";
                pa, pb, pc, bt, mm, kk, nn, sab, sar, sac, sbb, sbr, sbc)?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operands_cover_row_major_and_transposed_views() {
        // Row-major 3x4: N with ld 4; its transpose view (4x3, strides 1,4): T with ld 4.
        assert_eq!(operand(3, 4, 4, 1), Some((false, 4)));
        assert_eq!(operand(4, 3, 1, 4), Some((true, 4)));
        // A column slice of a wider matrix keeps its row stride as ld.
        assert_eq!(operand(3, 2, 5, 1), Some((false, 5)));
        // Neither unit stride: needs a copy.
        assert_eq!(operand(3, 4, 8, 2), None);
        // Batch strides: contiguous batches merge; broadcast is 0; gaps refuse.
        let l = Layout::contiguous(&[2, 3, 4, 5]);
        assert_eq!(batch_stride(&l), Some(20));
        let b = Layout { shape: vec![2, 3, 4, 5], strides: vec![0, 0, 5, 1], offset: 0 };
        assert_eq!(batch_stride(&b), Some(0));
        let g = Layout { shape: vec![2, 3, 4, 5], strides: vec![100, 20, 5, 1], offset: 0 };
        assert_eq!(batch_stride(&g), None);
    }
}

//! im2col / col2im / max-pool over contiguous images (the CPU backend's layouts).
use crate::device::{grid, launch};
use crate::source::Family;
use crate::storage::CudaStorage;
use cudarc::driver::DeviceRepr;
use ferrotorch_core::{DType, Result};

pub use ferrotorch_cpu::conv::Window;

/// Kernel argument: conv.cu's `Window`, with the output size.
#[repr(C)]
#[derive(Clone, Copy)]
struct Win([i64; 14]);
// SAFETY: fourteen int64 in the order conv.cu declares them.
unsafe impl DeviceRepr for Win {}

fn win(g: &Window, oh: usize, ow: usize) -> Win {
    Win([g.n, g.c, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, oh, ow].map(|v| v as i64))
}

impl CudaStorage {
    /// Patches of the contiguous image starting at `offset` as columns; outside is `pad`.
    pub fn im2col(&self, offset: usize, g: &Window, pad: f64) -> Result<CudaStorage> {
        let d = self.dev.clone();
        let n = g.cols_len();
        let out = CudaStorage::alloc(&d, self.dtype(), n)?;
        if n > 0 {
            let (x, w, y) = (self.ptr_at(offset), win(g, g.out_h(), g.out_w()), out.ptr());
            launch!(d, d.func(Family::Conv, self.dtype(), self.dtype(), "im2col")?, grid(n), "im2col"; x, w, y, pad)?;
        }
        Ok(out)
    }

    /// Sums columns (starting at `offset`) back into an image: the adjoint of `im2col`.
    pub fn col2im(&self, offset: usize, g: &Window) -> Result<CudaStorage> {
        let d = self.dev.clone();
        let n = g.n * g.c * g.h * g.w;
        let out = CudaStorage::alloc(&d, self.dtype(), n)?;
        if n > 0 {
            let (x, w, y) = (self.ptr_at(offset), win(g, g.out_h(), g.out_w()), out.ptr());
            launch!(d, d.func(Family::Conv, self.dtype(), self.dtype(), "col2im")?, grid(n), "col2im"; x, w, y)?;
        }
        Ok(out)
    }

    /// 2-D max pooling: values and the in-plane index of each window's first maximum.
    pub fn max_pool2d(&self, offset: usize, g: &Window, oh: usize, ow: usize) -> Result<(CudaStorage, CudaStorage)> {
        let d = self.dev.clone();
        let n = g.n * g.c * oh * ow;
        let vals = CudaStorage::alloc(&d, self.dtype(), n)?;
        let idx = CudaStorage::alloc(&d, DType::I64, n)?;
        if n > 0 {
            let (x, w, v, i) = (self.ptr_at(offset), win(g, oh, ow), vals.ptr(), idx.ptr());
            launch!(d, d.func(Family::Conv, self.dtype(), self.dtype(), "max_pool2d")?, grid(n), "max_pool2d"; x, w, v, i)?;
        }
        Ok((vals, idx))
    }
}

//! Reductions over dims, arg-reductions over one dim, scans, and sort.
use crate::device::{blocks, grid, launch};
use crate::source::{reduce_code, reduce_out, Family};
use crate::storage::{CudaStorage, Strided};
use ferrotorch_core::{contiguous_strides, ArgReduceOp, DType, Layout, ReduceOp, Result, ScanOp};
use ferrotorch_cpu::reduce::split;

/// Reductions shorter than this run one thread per output; longer ones a block each.
const SHORT: usize = 64;

impl CudaStorage {
    /// Reduces `dims` of a view; the result is contiguous over the kept dims, in order.
    pub fn reduce(&self, op: ReduceOp, l: &Layout, dims: &[usize]) -> Result<CudaStorage> {
        let d = self.dev.clone();
        let (outer, inner) = split(l, dims);
        let (nout, r) = (outer.numel(), inner.numel());
        let out_dt = reduce_out(op, self.dtype());
        let out = CudaStorage::alloc(&d, out_dt, nout)?;
        if nout == 0 {
            return Ok(out);
        }
        let name = "reduce";
        let (x, so, si, rr, y, no, code) =
            (self.ptr(), Strided::of(name, &outer)?, Strided::of(name, &inner)?, r as i64, out.ptr(), nout as i64, reduce_code(op));
        if r < SHORT {
            launch!(d, d.func(Family::Reduce, self.dtype(), out_dt, "reduce_thread")?, grid(nout), name; x, so, si, rr, y, no, code)?;
        } else {
            launch!(d, d.func(Family::Reduce, self.dtype(), out_dt, "reduce_block")?, blocks(nout), name; x, so, si, rr, y, no, code)?;
        }
        Ok(out)
    }

    /// Max or min along one dim with the index of the first winner (NaN wins).
    pub fn arg_reduce(&self, op: ArgReduceOp, l: &Layout, dim: usize) -> Result<(CudaStorage, CudaStorage)> {
        let d = self.dev.clone();
        let (outer, _) = split(l, &[dim]);
        let nout = outer.numel();
        let vals = CudaStorage::alloc(&d, self.dtype(), nout)?;
        let idx = CudaStorage::alloc(&d, DType::I64, nout)?;
        if nout > 0 {
            let (x, so, n, st, v, i, no, is_max) = (
                self.ptr(),
                Strided::of("argmax", &outer)?,
                l.shape[dim] as i64,
                l.strides[dim] as i64,
                vals.ptr(),
                idx.ptr(),
                nout as i64,
                (op == ArgReduceOp::Max) as i32,
            );
            launch!(d, d.func(Family::Reduce, self.dtype(), self.dtype(), "arg_reduce")?, blocks(nout), "argmax"; x, so, n, st, v, i, no, is_max)?;
        }
        Ok((vals, idx))
    }

    /// cumsum / cumprod along `dim`; ints accumulate in int64 (the result's dtype).
    pub fn scan(&self, op: ScanOp, l: &Layout, dim: usize) -> Result<CudaStorage> {
        let d = self.dev.clone();
        let out_dt = if self.dtype().is_float() { self.dtype() } else { DType::I64 };
        let out = CudaStorage::alloc(&d, out_dt, l.numel())?;
        if l.numel() == 0 {
            return Ok(out);
        }
        let mut lin = l.clone();
        let mut lout = Layout { shape: l.shape.clone(), strides: contiguous_strides(&l.shape), offset: 0 };
        let (n, st_in, st_out) = (l.shape[dim] as i64, l.strides[dim] as i64, lout.strides[dim] as i64);
        lin.shape[dim] = 1;
        lout.shape[dim] = 1;
        let lines = lin.numel();
        let (x, si, so, y, nl, is_prod) =
            (self.ptr(), Strided::of("cumsum", &lin)?, Strided::of("cumsum", &lout)?, out.ptr(), lines as i64, (op == ScanOp::Prod) as i32);
        launch!(d, d.func(Family::Reduce, self.dtype(), out_dt, "scan")?, grid(lines), "cumsum"; x, si, so, n, st_in, st_out, y, nl, is_prod)?;
        Ok(out)
    }

    /// Stable sort along `dim` (NaN largest). Runs on the host: the values make a round
    /// trip through host memory (correct, not fast; sorting is not in the training path).
    pub fn sort(&self, l: &Layout, dim: usize, descending: bool) -> Result<(CudaStorage, CudaStorage)> {
        let host = self.to_contiguous(l, self.dtype())?.to_cpu()?;
        let (v, i) = ferrotorch_cpu::sort::sort(&host, &Layout::contiguous(&l.shape), dim, descending);
        let o = self.dev.ordinal;
        Ok((CudaStorage::from_cpu(o, &v)?, CudaStorage::from_cpu(o, &ferrotorch_cpu::CpuStorage::I64(i))?))
    }
}

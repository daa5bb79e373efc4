//! Casts, copies, fills, unary and binary ops, where, gather/scatter by offsets.
use crate::device::{grid, launch};
use crate::source::{binary_code, unary_code, Family};
use crate::storage::{same_device, CudaStorage, Strided};
use ferrotorch_core::{BinaryOp, DType, Error, Layout, Result, UnaryOp};

impl CudaStorage {
    /// The view's elements, contiguous, in `dtype`.
    pub fn to_contiguous(&self, l: &Layout, dtype: DType) -> Result<CudaStorage> {
        let d = self.dev.clone();
        let n = l.numel();
        let out = CudaStorage::alloc(&d, dtype, n)?;
        if n > 0 {
            let (x, lx, y, nn) = (self.ptr(), Strided::of("to", l)?, out.ptr(), n as i64);
            launch!(d, d.func(Family::Cast, self.dtype(), dtype, "cast")?, grid(n), "cast"; x, lx, y, nn)?;
        }
        Ok(out)
    }

    /// Writes `src` (viewed through `ls`, same shape as `ld`) into this storage through
    /// `ld`, casting to this storage's dtype.
    pub fn copy_from(&mut self, ld: &Layout, src: &CudaStorage, ls: &Layout) -> Result<()> {
        let n = ld.numel();
        let src = if src.dev.ordinal != self.dev.ordinal { &src.to_device(self.dev.ordinal)? } else { src };
        if n > 0 {
            let d = self.dev.clone();
            let (y, ly, x, lx, nn) = (self.ptr(), Strided::of("copy_", ld)?, src.ptr(), Strided::of("copy_", ls)?, n as i64);
            launch!(d, d.func(Family::Cast, src.dtype(), self.dtype(), "copy_into")?, grid(n), "copy_"; y, ly, x, lx, nn)?;
        }
        Ok(())
    }

    /// Fills a view with one value.
    pub fn fill(&mut self, l: &Layout, value: f64) -> Result<()> {
        let n = l.numel();
        if n > 0 {
            let d = self.dev.clone();
            // Converted as the CPU's fill does (from f64; float to int saturates).
            let (y, ly, v, nn) = (self.ptr(), Strided::of("fill_", l)?, value, n as i64);
            launch!(d, d.func(Family::Elementwise, self.dtype(), self.dtype(), "fill")?, grid(n), "fill_"; y, ly, v, nn)?;
        }
        Ok(())
    }

    /// Applies `op` to a view (float ops expect a float dtype; the tensor layer casts).
    pub fn unary(&self, op: UnaryOp, l: &Layout) -> Result<CudaStorage> {
        let d = self.dev.clone();
        let n = l.numel();
        let dt = self.dtype();
        let out_dt = if op == UnaryOp::LogicalNot { DType::Bool } else { dt };
        let out = CudaStorage::alloc(&d, out_dt, n)?;
        if n == 0 {
            return Ok(out);
        }
        let (x, lx, y, nn) = (self.ptr(), Strided::of(op.name(), l)?, out.ptr(), n as i64);
        if op == UnaryOp::LogicalNot {
            launch!(d, d.func(Family::Elementwise, dt, dt, "logical_not")?, grid(n), op.name(); x, lx, y, nn)?;
        } else {
            let (code, p) = unary_code(op);
            launch!(d, d.func(Family::Elementwise, dt, dt, "unary")?, grid(n), op.name(); x, lx, y, nn, code, p)?;
        }
        Ok(out)
    }

    /// `op` of two views of one dtype, broadcast to one shape. The error is PyTorch's
    /// message for integer division by zero.
    pub fn binary(&self, op: BinaryOp, la: &Layout, rhs: &CudaStorage, lb: &Layout) -> Result<CudaStorage> {
        same_device(op.name(), self, rhs)?;
        let d = self.dev.clone();
        let n = la.numel();
        let dt = self.dtype();
        let out = CudaStorage::alloc(&d, if op.gives_bool() { DType::Bool } else { dt }, n)?;
        if n == 0 {
            return Ok(out);
        }
        let (a, sa, b, sb, y, nn, code) =
            (self.ptr(), Strided::of(op.name(), la)?, rhs.ptr(), Strided::of(op.name(), lb)?, out.ptr(), n as i64, binary_code(op));
        if op.gives_bool() {
            launch!(d, d.func(Family::Elementwise, dt, dt, "compare")?, grid(n), op.name(); a, sa, b, sb, y, nn, code)?;
            return Ok(out);
        }
        let checks_zero = !dt.is_float() && matches!(op, BinaryOp::Div | BinaryOp::Remainder | BinaryOp::Fmod | BinaryOp::FloorDivide);
        let flag = if checks_zero { Some(CudaStorage::full(d.ordinal, DType::I32, 1, 0.0)?) } else { None };
        let e = flag.as_ref().map(|f| f.ptr()).unwrap_or(0);
        launch!(d, d.func(Family::Elementwise, dt, dt, "binary")?, grid(n), op.name(); a, sa, b, sb, y, nn, code, e)?;
        if let Some(f) = flag {
            if f.to_cpu()?.get_i64(0) != 0 {
                return Err(Error::arg(op.name(), "ZeroDivisionError: integer division by zero"));
            }
        }
        Ok(out)
    }

    /// `where(self, a, b)`: self is the bool condition; all three broadcast to one shape.
    pub fn where_(&self, lc: &Layout, a: &CudaStorage, la: &Layout, b: &CudaStorage, lb: &Layout) -> Result<CudaStorage> {
        same_device("where", self, a)?;
        same_device("where", self, b)?;
        let d = self.dev.clone();
        let n = lc.numel();
        let out = CudaStorage::alloc(&d, a.dtype(), n)?;
        if n > 0 {
            let (c, sc, x, sx, z, sz, y, nn) = (
                self.ptr(),
                Strided::of("where", lc)?,
                a.ptr(),
                Strided::of("where", la)?,
                b.ptr(),
                Strided::of("where", lb)?,
                out.ptr(),
                n as i64,
            );
            launch!(d, d.func(Family::Elementwise, a.dtype(), a.dtype(), "where_")?, grid(n), "where"; c, sc, x, sx, z, sz, y, nn)?;
        }
        Ok(out)
    }

    /// `out[i] = self[offsets[i]]`.
    pub fn take(&self, offsets: &[usize]) -> Result<CudaStorage> {
        let d = self.dev.clone();
        let n = offsets.len();
        let out = CudaStorage::alloc(&d, self.dtype(), n)?;
        if n > 0 {
            let offs = offsets_on_device(d.ordinal, offsets)?;
            let (x, o, y, nn) = (self.ptr(), offs.ptr(), out.ptr(), n as i64);
            launch!(d, d.func(Family::Elementwise, self.dtype(), self.dtype(), "take")?, grid(n), "take"; x, o, y, nn)?;
        }
        Ok(out)
    }

    /// `self[offsets[i]] = src[i]` (or `+=` with `accumulate`), casting `src`.
    pub fn put(&mut self, offsets: &[usize], src: &CudaStorage, accumulate: bool) -> Result<()> {
        same_device("index_put_", self, src)?;
        let n = offsets.len();
        if n > 0 {
            let d = self.dev.clone();
            let offs = offsets_on_device(d.ordinal, offsets)?;
            let (y, o, x, nn, acc) = (self.ptr(), offs.ptr(), src.ptr(), n as i64, accumulate as i32);
            launch!(d, d.func(Family::Cast, src.dtype(), self.dtype(), "put")?, grid(n), "index_put_"; y, o, x, nn, acc)?;
        }
        Ok(())
    }
}

fn offsets_on_device(i: usize, offsets: &[usize]) -> Result<CudaStorage> {
    let v: Vec<i64> = offsets.iter().map(|&o| o as i64).collect();
    CudaStorage::from_cpu(i, &ferrotorch_cpu::CpuStorage::I64(v))
}

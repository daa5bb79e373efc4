//! Device storage behind a lock, shared by every view of it, and the one place where
//! primitive ops are routed to a backend by device. A new device adds arms here, not at
//! each op's call site.
use ferrotorch_core::{ArgReduceOp, BinaryOp, DType, Device, Error, Layout, ReduceOp, Result, ScanOp, UnaryOp};
use ferrotorch_cpu::CpuStorage;
use parking_lot::RwLock;
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

/// Storage on one device. CUDA storage joins as a second variant with the CUDA issue.
#[derive(Debug)]
pub enum Storage {
    Cpu(CpuStorage),
}

thread_local! {
    /// Native bytes allocated (+) and freed (-) on this thread since the binding last
    /// told V8 (napi_adjust_external_memory).
    static EXTERNAL_DELTA: Cell<i64> = const { Cell::new(0) };
}

/// Takes the bytes allocated minus freed on this thread since the last call.
pub fn take_external_delta() -> i64 {
    EXTERNAL_DELTA.with(|c| c.replace(0))
}

/// Bytes not yet reported (peek, for deciding whether to flush).
pub fn pending_external_delta() -> i64 {
    EXTERNAL_DELTA.with(|c| c.get())
}

/// Bytes a tensor costs beyond its data (handle slot, Arcs, layout vectors), counted so
/// that many small tensors still look like memory to V8's GC.
const OVERHEAD: usize = 256;

/// Storage plus a version counter that in-place writes bump (autograd checks it).
#[derive(Debug)]
pub struct StorageCell {
    data: RwLock<Storage>,
    nbytes: usize,
    pub device: Device,
    version: AtomicU64,
}

impl StorageCell {
    pub fn new(s: Storage) -> StorageCell {
        let (nbytes, device) = match &s {
            Storage::Cpu(c) => (c.nbytes(), Device::Cpu),
        };
        // A buffer reused from the pool is memory V8 already knows about (see `Drop`).
        let reused = match &s {
            Storage::Cpu(_) => ferrotorch_cpu::pool::claim_reused(nbytes),
        };
        EXTERNAL_DELTA.with(|c| c.set(c.get() + (nbytes - reused + OVERHEAD) as i64));
        StorageCell { data: RwLock::new(s), nbytes, device, version: AtomicU64::new(0) }
    }

    pub fn read(&self) -> parking_lot::RwLockReadGuard<'_, Storage> {
        self.data.read_recursive()
    }

    pub fn write(&self) -> parking_lot::RwLockWriteGuard<'_, Storage> {
        self.version.fetch_add(1, Ordering::Relaxed);
        self.data.write()
    }

    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Relaxed)
    }

    pub fn nbytes(&self) -> usize {
        self.nbytes
    }
}

impl Drop for StorageCell {
    fn drop(&mut self) {
        // Large CPU buffers go back to the pool for the next op of the same size; those stay
        // counted as external memory (the process still holds them), freed ones do not.
        let Storage::Cpu(s) = std::mem::replace(self.data.get_mut(), Storage::Cpu(CpuStorage::Bool(Vec::new())));
        let kept = ferrotorch_cpu::pool::recycle(s);
        let n = (if kept { 0 } else { self.nbytes } + OVERHEAD) as i64;
        // The thread-local may already be gone while a thread exits.
        let _ = EXTERNAL_DELTA.try_with(|c| c.set(c.get() - n));
    }
}

impl Storage {
    pub fn dtype(&self) -> DType {
        match self {
            Storage::Cpu(s) => s.dtype(),
        }
    }

    pub fn device(&self) -> Device {
        match self {
            Storage::Cpu(_) => Device::Cpu,
        }
    }

    pub fn cpu(&self) -> Result<&CpuStorage> {
        match self {
            Storage::Cpu(s) => Ok(s),
        }
    }

    pub fn cpu_mut(&mut self) -> Result<&mut CpuStorage> {
        match self {
            Storage::Cpu(s) => Ok(s),
        }
    }

    pub fn full(device: Device, dtype: DType, n: usize, value: f64) -> Result<Storage> {
        match device {
            Device::Cpu => Ok(Storage::Cpu(CpuStorage::full(dtype, n, value))),
            Device::Cuda(i) => Err(cuda_err(i)),
        }
    }

    pub fn to_contiguous(&self, l: &Layout, dtype: DType) -> Storage {
        match self {
            Storage::Cpu(s) => Storage::Cpu(ferrotorch_cpu::copy::to_contiguous(s, l, dtype)),
        }
    }

    pub fn unary(&self, op: UnaryOp, l: &Layout) -> Storage {
        match self {
            Storage::Cpu(s) => Storage::Cpu(ferrotorch_cpu::unary::unary(op, s, l)),
        }
    }

    pub fn binary(&self, op: BinaryOp, la: &Layout, rhs: &Storage, lb: &Layout) -> Result<Storage> {
        match (self, rhs) {
            (Storage::Cpu(a), Storage::Cpu(b)) => {
                ferrotorch_cpu::binary::binary(op, a, la, b, lb).map(Storage::Cpu).map_err(|m| Error::arg(op.name(), m))
            }
        }
    }

    pub fn where_(&self, lc: &Layout, a: &Storage, la: &Layout, b: &Storage, lb: &Layout) -> Storage {
        match (self, a, b) {
            (Storage::Cpu(c), Storage::Cpu(a), Storage::Cpu(b)) => Storage::Cpu(ferrotorch_cpu::binary::where_(c, lc, a, la, b, lb)),
        }
    }

    pub fn reduce(&self, op: ReduceOp, l: &Layout, dims: &[usize]) -> Storage {
        match self {
            Storage::Cpu(s) => Storage::Cpu(ferrotorch_cpu::reduce::reduce(op, s, l, dims)),
        }
    }

    pub fn arg_reduce(&self, op: ArgReduceOp, l: &Layout, dim: usize) -> (Storage, Storage) {
        match self {
            Storage::Cpu(s) => {
                let (v, i) = ferrotorch_cpu::reduce::arg_reduce(op, s, l, dim);
                (Storage::Cpu(v), Storage::Cpu(CpuStorage::I64(i)))
            }
        }
    }

    pub fn scan(&self, op: ScanOp, l: &Layout, dim: usize) -> Storage {
        match self {
            Storage::Cpu(s) => Storage::Cpu(ferrotorch_cpu::reduce::scan(op, s, l, dim)),
        }
    }

    pub fn matmul(&self, la: &Layout, rhs: &Storage, lb: &Layout) -> Storage {
        match (self, rhs) {
            (Storage::Cpu(a), Storage::Cpu(b)) => Storage::Cpu(ferrotorch_cpu::matmul::matmul(a, la, b, lb)),
        }
    }

    pub fn take(&self, offsets: &[usize]) -> Storage {
        match self {
            Storage::Cpu(s) => Storage::Cpu(ferrotorch_cpu::index::take(s, offsets)),
        }
    }

    pub fn put(&mut self, offsets: &[usize], src: &Storage, accumulate: bool) {
        match (self, src) {
            (Storage::Cpu(d), Storage::Cpu(s)) => ferrotorch_cpu::index::put(d, offsets, s, accumulate),
        }
    }

    pub fn copy_from(&mut self, ld: &Layout, src: &Storage, ls: &Layout) {
        match (self, src) {
            (Storage::Cpu(d), Storage::Cpu(s)) => ferrotorch_cpu::copy::copy_strided(d, ld, s, ls),
        }
    }

    pub fn fill(&mut self, l: &Layout, value: f64) {
        match self {
            Storage::Cpu(d) => ferrotorch_cpu::copy::fill_strided(d, l, value),
        }
    }

    pub fn im2col(&self, offset: usize, g: &ferrotorch_cpu::conv::Window, pad: f64) -> Storage {
        match self {
            Storage::Cpu(s) => Storage::Cpu(ferrotorch_cpu::conv::im2col(s, offset, g, pad)),
        }
    }

    pub fn col2im(&self, offset: usize, g: &ferrotorch_cpu::conv::Window) -> Storage {
        match self {
            Storage::Cpu(s) => Storage::Cpu(ferrotorch_cpu::conv::col2im(s, offset, g)),
        }
    }

    pub fn max_pool2d(&self, offset: usize, g: &ferrotorch_cpu::conv::Window, oh: usize, ow: usize) -> (Storage, Storage) {
        match self {
            Storage::Cpu(s) => {
                let (v, i) = ferrotorch_cpu::conv::max_pool2d(s, offset, g, oh, ow);
                (Storage::Cpu(v), Storage::Cpu(CpuStorage::I64(i)))
            }
        }
    }

    pub fn sort(&self, l: &Layout, dim: usize, descending: bool) -> (Storage, Storage) {
        match self {
            Storage::Cpu(s) => {
                let (v, i) = ferrotorch_cpu::sort::sort(s, l, dim, descending);
                (Storage::Cpu(v), Storage::Cpu(CpuStorage::I64(i)))
            }
        }
    }
}

pub fn cuda_err(i: usize) -> Error {
    match ferrotorch_cuda::check_device(i) {
        Err(e) => e,
        Ok(()) => Error::Unsupported("CUDA tensors are not available in this build".into()),
    }
}

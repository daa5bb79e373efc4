//! Device storage behind a lock, shared by every view of it, and the one place where
//! primitive ops are routed to a backend by device. A new device adds arms here, not at
//! each op's call site.
use ferrotorch_core::{ArgReduceOp, BinaryOp, DType, Device, Error, Layout, ReduceOp, Result, ScanOp, UnaryOp};
use ferrotorch_cpu::CpuStorage;
use ferrotorch_cuda::CudaStorage;
use parking_lot::RwLock;
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

/// Storage on one device.
#[derive(Debug)]
pub enum Storage {
    Cpu(CpuStorage),
    Cuda(CudaStorage),
}

thread_local! {
    /// Native bytes allocated (+) and freed (-) on this thread since the binding last
    /// told V8 (napi_adjust_external_memory).
    static EXTERNAL_DELTA: Cell<i64> = const { Cell::new(0) };
}

thread_local! {
    /// Bytes of fresh memory (not reused from the pool) this thread's new storages took
    /// since the binding last asked: what decides when a young-generation GC is due.
    static FRESH: Cell<usize> = const { Cell::new(0) };
}

/// Takes the fresh bytes allocated on this thread since the last call.
pub fn take_fresh_bytes() -> usize {
    FRESH.with(|c| c.replace(0))
}

/// Fresh bytes allocated on this thread since the last `take_fresh_bytes` (peek).
pub fn fresh_bytes() -> usize {
    FRESH.with(|c| c.get())
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
        let (nbytes, device) = (s.nbytes(), s.device());
        // A buffer reused from the pool is memory V8 already knows about (see `Drop`).
        // Device memory is reported too: the GC must collect unreachable CUDA tensors
        // before the device fills up (their blocks then go to the caching allocator).
        let reused = match &s {
            Storage::Cpu(_) => ferrotorch_cpu::pool::claim_reused(nbytes),
            Storage::Cuda(_) => 0,
        };
        EXTERNAL_DELTA.with(|c| c.set(c.get() + (nbytes - reused + OVERHEAD) as i64));
        FRESH.with(|c| c.set(c.get() + nbytes - reused + OVERHEAD));
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
        let kept = match std::mem::replace(self.data.get_mut(), Storage::Cpu(CpuStorage::Bool(Vec::new()))) {
            Storage::Cpu(s) => ferrotorch_cpu::pool::recycle(s),
            Storage::Cuda(_) => false,
        };
        let n = (if kept { 0 } else { self.nbytes } + OVERHEAD) as i64;
        // The thread-local may already be gone while a thread exits.
        let _ = EXTERNAL_DELTA.try_with(|c| c.set(c.get() - n));
    }
}

impl Storage {
    pub fn dtype(&self) -> DType {
        match self {
            Storage::Cpu(s) => s.dtype(),
            Storage::Cuda(s) => s.dtype(),
        }
    }

    pub fn device(&self) -> Device {
        match self {
            Storage::Cpu(_) => Device::Cpu,
            Storage::Cuda(s) => Device::Cuda(s.ordinal()),
        }
    }

    pub fn nbytes(&self) -> usize {
        match self {
            Storage::Cpu(s) => s.nbytes(),
            Storage::Cuda(s) => s.nbytes(),
        }
    }

    pub fn cpu(&self) -> Result<&CpuStorage> {
        match self {
            Storage::Cpu(s) => Ok(s),
            Storage::Cuda(s) => Err(Error::Unsupported(format!("expected a CPU tensor, got one on cuda:{}", s.ordinal()))),
        }
    }

    pub fn cpu_mut(&mut self) -> Result<&mut CpuStorage> {
        match self {
            Storage::Cpu(s) => Ok(s),
            Storage::Cuda(s) => Err(Error::Unsupported(format!("expected a CPU tensor, got one on cuda:{}", s.ordinal()))),
        }
    }

    pub fn full(device: Device, dtype: DType, n: usize, value: f64) -> Result<Storage> {
        match device {
            Device::Cpu => Ok(Storage::Cpu(CpuStorage::full(dtype, n, value))),
            Device::Cuda(i) => Ok(Storage::Cuda(CudaStorage::full(i, dtype, n, value)?)),
        }
    }

    /// The view's elements, contiguous, on `device`.
    pub fn to_device(&self, l: &Layout, device: Device) -> Result<Storage> {
        // A view of the whole storage moves as it is; other views are packed first.
        let whole = l.offset == 0 && l.is_contiguous() && l.numel() * self.dtype().size() == self.nbytes();
        match (self, device) {
            (Storage::Cpu(c), Device::Cuda(i)) if whole => return Ok(Storage::Cuda(CudaStorage::from_cpu(i, c)?)),
            (Storage::Cuda(c), Device::Cpu) if whole => return Ok(Storage::Cpu(c.to_cpu()?)),
            _ => {}
        }
        let c = self.to_contiguous(l, self.dtype())?;
        Ok(match (c, device) {
            (Storage::Cpu(c), Device::Cpu) => Storage::Cpu(c),
            (Storage::Cpu(c), Device::Cuda(i)) => Storage::Cuda(CudaStorage::from_cpu(i, &c)?),
            (Storage::Cuda(c), Device::Cpu) => Storage::Cpu(c.to_cpu()?),
            (Storage::Cuda(c), Device::Cuda(i)) if c.ordinal() == i => Storage::Cuda(c),
            (Storage::Cuda(c), Device::Cuda(i)) => Storage::Cuda(c.to_device(i)?),
        })
    }

    pub fn to_contiguous(&self, l: &Layout, dtype: DType) -> Result<Storage> {
        Ok(match self {
            Storage::Cpu(s) => Storage::Cpu(ferrotorch_cpu::copy::to_contiguous(s, l, dtype)),
            Storage::Cuda(s) => Storage::Cuda(s.to_contiguous(l, dtype)?),
        })
    }

    pub fn unary(&self, op: UnaryOp, l: &Layout) -> Result<Storage> {
        Ok(match self {
            Storage::Cpu(s) => Storage::Cpu(ferrotorch_cpu::unary::unary(op, s, l)),
            Storage::Cuda(s) => Storage::Cuda(s.unary(op, l)?),
        })
    }

    pub fn binary(&self, op: BinaryOp, la: &Layout, rhs: &Storage, lb: &Layout) -> Result<Storage> {
        match (self, rhs) {
            (Storage::Cpu(a), Storage::Cpu(b)) => {
                ferrotorch_cpu::binary::binary(op, a, la, b, lb).map(Storage::Cpu).map_err(|m| Error::arg(op.name(), m))
            }
            (Storage::Cuda(a), Storage::Cuda(b)) => Ok(Storage::Cuda(a.binary(op, la, b, lb)?)),
            (a, b) => Err(mixed(op.name(), a, b)),
        }
    }

    pub fn where_(&self, lc: &Layout, a: &Storage, la: &Layout, b: &Storage, lb: &Layout) -> Result<Storage> {
        match (self, a, b) {
            (Storage::Cpu(c), Storage::Cpu(a), Storage::Cpu(b)) => Ok(Storage::Cpu(ferrotorch_cpu::binary::where_(c, lc, a, la, b, lb))),
            (Storage::Cuda(c), Storage::Cuda(a), Storage::Cuda(b)) => Ok(Storage::Cuda(c.where_(lc, a, la, b, lb)?)),
            (c, a, b) => Err(mixed("where", c, if a.device() != c.device() { a } else { b })),
        }
    }

    pub fn reduce(&self, op: ReduceOp, l: &Layout, dims: &[usize]) -> Result<Storage> {
        Ok(match self {
            Storage::Cpu(s) => Storage::Cpu(ferrotorch_cpu::reduce::reduce(op, s, l, dims)),
            Storage::Cuda(s) => Storage::Cuda(s.reduce(op, l, dims)?),
        })
    }

    pub fn arg_reduce(&self, op: ArgReduceOp, l: &Layout, dim: usize) -> Result<(Storage, Storage)> {
        Ok(match self {
            Storage::Cpu(s) => {
                let (v, i) = ferrotorch_cpu::reduce::arg_reduce(op, s, l, dim);
                (Storage::Cpu(v), Storage::Cpu(CpuStorage::I64(i)))
            }
            Storage::Cuda(s) => {
                let (v, i) = s.arg_reduce(op, l, dim)?;
                (Storage::Cuda(v), Storage::Cuda(i))
            }
        })
    }

    pub fn scan(&self, op: ScanOp, l: &Layout, dim: usize) -> Result<Storage> {
        Ok(match self {
            Storage::Cpu(s) => Storage::Cpu(ferrotorch_cpu::reduce::scan(op, s, l, dim)),
            Storage::Cuda(s) => Storage::Cuda(s.scan(op, l, dim)?),
        })
    }

    pub fn matmul(&self, la: &Layout, rhs: &Storage, lb: &Layout) -> Result<Storage> {
        match (self, rhs) {
            (Storage::Cpu(a), Storage::Cpu(b)) => Ok(Storage::Cpu(ferrotorch_cpu::matmul::matmul(a, la, b, lb))),
            (Storage::Cuda(a), Storage::Cuda(b)) => Ok(Storage::Cuda(a.matmul(la, b, lb)?)),
            (a, b) => Err(mixed("matmul", a, b)),
        }
    }

    pub fn take(&self, offsets: &[usize]) -> Result<Storage> {
        Ok(match self {
            Storage::Cpu(s) => Storage::Cpu(ferrotorch_cpu::index::take(s, offsets)),
            Storage::Cuda(s) => Storage::Cuda(s.take(offsets)?),
        })
    }

    pub fn put(&mut self, offsets: &[usize], src: &Storage, accumulate: bool) -> Result<()> {
        match (self, src) {
            (Storage::Cpu(d), Storage::Cpu(s)) => {
                ferrotorch_cpu::index::put(d, offsets, s, accumulate);
                Ok(())
            }
            (Storage::Cuda(d), Storage::Cuda(s)) => d.put(offsets, s, accumulate),
            (d, s) => Err(mixed("index_put_", d, s)),
        }
    }

    pub fn copy_from(&mut self, ld: &Layout, src: &Storage, ls: &Layout) -> Result<()> {
        match (self, src) {
            (Storage::Cpu(d), Storage::Cpu(s)) => {
                ferrotorch_cpu::copy::copy_strided(d, ld, s, ls);
                Ok(())
            }
            (Storage::Cuda(d), Storage::Cuda(s)) => d.copy_from(ld, s, ls),
            // copy_ is the one op that crosses devices (as in PyTorch).
            (Storage::Cuda(d), Storage::Cpu(s)) => {
                let up = CudaStorage::from_cpu(d.ordinal(), &ferrotorch_cpu::copy::to_contiguous(s, ls, s.dtype()))?;
                d.copy_from(ld, &up, &Layout::contiguous(&ls.shape))
            }
            (Storage::Cpu(d), Storage::Cuda(s)) => {
                let down = s.to_contiguous(ls, s.dtype())?.to_cpu()?;
                ferrotorch_cpu::copy::copy_strided(d, ld, &down, &Layout::contiguous(&ls.shape));
                Ok(())
            }
        }
    }

    pub fn fill(&mut self, l: &Layout, value: f64) -> Result<()> {
        match self {
            Storage::Cpu(d) => {
                ferrotorch_cpu::copy::fill_strided(d, l, value);
                Ok(())
            }
            Storage::Cuda(d) => d.fill(l, value),
        }
    }

    pub fn im2col(&self, offset: usize, g: &ferrotorch_cpu::conv::Window, pad: f64) -> Result<Storage> {
        Ok(match self {
            Storage::Cpu(s) => Storage::Cpu(ferrotorch_cpu::conv::im2col(s, offset, g, pad)),
            Storage::Cuda(s) => Storage::Cuda(s.im2col(offset, g, pad)?),
        })
    }

    pub fn col2im(&self, offset: usize, g: &ferrotorch_cpu::conv::Window) -> Result<Storage> {
        Ok(match self {
            Storage::Cpu(s) => Storage::Cpu(ferrotorch_cpu::conv::col2im(s, offset, g)),
            Storage::Cuda(s) => Storage::Cuda(s.col2im(offset, g)?),
        })
    }

    pub fn max_pool2d(&self, offset: usize, g: &ferrotorch_cpu::conv::Window, oh: usize, ow: usize) -> Result<(Storage, Storage)> {
        Ok(match self {
            Storage::Cpu(s) => {
                let (v, i) = ferrotorch_cpu::conv::max_pool2d(s, offset, g, oh, ow);
                (Storage::Cpu(v), Storage::Cpu(CpuStorage::I64(i)))
            }
            Storage::Cuda(s) => {
                let (v, i) = s.max_pool2d(offset, g, oh, ow)?;
                (Storage::Cuda(v), Storage::Cuda(i))
            }
        })
    }

    pub fn sort(&self, l: &Layout, dim: usize, descending: bool) -> Result<(Storage, Storage)> {
        Ok(match self {
            Storage::Cpu(s) => {
                let (v, i) = ferrotorch_cpu::sort::sort(s, l, dim, descending);
                (Storage::Cpu(v), Storage::Cpu(CpuStorage::I64(i)))
            }
            Storage::Cuda(s) => {
                let (v, i) = s.sort(l, dim, descending)?;
                (Storage::Cuda(v), Storage::Cuda(i))
            }
        })
    }
}

/// Two storages of one op on different devices: PyTorch's error (the tensor layer
/// checks devices first; this is the backstop).
fn mixed(op: &'static str, a: &Storage, b: &Storage) -> Error {
    Error::Device { op, a: a.device().to_string(), b: b.device().to_string() }
}

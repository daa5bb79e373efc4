//! The caching allocator: freed device buffers go to per-size free lists and are reused
//! by later allocations of the same size class, as PyTorch's allocator does; the driver
//! sees an allocation only when no cached block fits. One stream per device means a
//! block freed by the host can be reused at once: kernels on it run in order.
use cudarc::driver::{CudaSlice, CudaStream, DevicePtr};
use std::collections::HashMap;
use std::sync::Arc;

/// A device buffer owned by one storage.
pub struct Block {
    pub slice: CudaSlice<u8>,
    pub ptr: u64,
    pub size: usize,
}

#[derive(Default)]
pub struct Alloc {
    free: HashMap<usize, Vec<Block>>,
    /// Bytes held by live storages (size classes), their peak, and bytes cached.
    pub allocated: usize,
    pub peak: usize,
    pub cached: usize,
}

/// Size classes: 512-byte steps up to 1 MiB (PyTorch's rounding), 2 MiB steps above
/// (few large classes, so freed blocks are found again).
pub fn size_class(bytes: usize) -> usize {
    const SMALL: usize = 1 << 20;
    const LARGE_STEP: usize = 2 << 20;
    if bytes <= SMALL {
        bytes.max(1).div_ceil(512) * 512
    } else {
        bytes.div_ceil(LARGE_STEP) * LARGE_STEP
    }
}

impl Alloc {
    /// A block of at least `bytes`, cached or fresh; on out-of-memory the cache is released
    /// and the allocation tried once more.
    pub fn get(&mut self, stream: &Arc<CudaStream>, bytes: usize) -> Result<Block, cudarc::driver::DriverError> {
        let size = size_class(bytes);
        let b = match self.free.get_mut(&size).and_then(|v| v.pop()) {
            Some(b) => {
                self.cached -= size;
                b
            }
            None => {
                // SAFETY: the contents are written by a kernel or copy before any read.
                let slice = match unsafe { stream.alloc::<u8>(size) } {
                    Ok(s) => s,
                    Err(_) => {
                        self.release();
                        stream.synchronize()?;
                        unsafe { stream.alloc::<u8>(size)? }
                    }
                };
                let ptr = slice.device_ptr(stream).0;
                Block { slice, ptr, size }
            }
        };
        self.allocated += size;
        self.peak = self.peak.max(self.allocated);
        Ok(b)
    }

    pub fn put(&mut self, b: Block) {
        self.allocated -= b.size;
        self.cached += b.size;
        self.free.entry(b.size).or_default().push(b);
    }

    /// `emptyCache()`: returns every cached block to the driver.
    pub fn release(&mut self) {
        self.free.clear();
        self.cached = 0;
    }
}

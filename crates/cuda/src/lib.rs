//! ferrotorch's CUDA backend: device storage with a caching allocator, kernels compiled at
//! run time by NVRTC (sources in `kernels/`), cuBLAS for matmul. cudarc loads the driver,
//! NVRTC and cuBLAS libraries at run time, so this builds everywhere and lights up where a
//! driver is present.
use ferrotorch_core::{Error, Result};
use std::sync::atomic::{AtomicU64, Ordering};

mod alloc;
mod conv;
pub mod device;
mod elementwise;
mod linalg;
mod optim;
mod random;
mod reduce;
pub mod source;
mod storage;

pub use conv::Window;
pub use optim::optim_step;
pub use random::{manual_seed, random, Distribution};
pub use storage::CudaStorage;

/// Number of visible CUDA devices; 0 when no driver can be loaded.
pub fn device_count() -> usize {
    static COUNT: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *COUNT.get_or_init(|| {
        // SAFETY: probes for the driver library without loading symbols from it.
        if !unsafe { cudarc::driver::sys::is_culib_present() } {
            return 0;
        }
        std::panic::catch_unwind(|| cudarc::driver::result::init().and_then(|_| cudarc::driver::result::device::get_count()))
            .ok()
            .and_then(|r| r.ok())
            .map(|n| n.max(0) as usize)
            .unwrap_or(0)
    })
}

/// This build has the CUDA backend (always; it is inert without a driver).
pub fn compiled() -> bool {
    true
}

/// True when at least one CUDA device can be used.
pub fn is_available() -> bool {
    device_count() > 0
}

/// Errors in PyTorch's words when device `i` cannot be used.
pub fn check_device(i: usize) -> Result<()> {
    let n = device_count();
    if n == 0 {
        return Err(Error::Unsupported("Found no NVIDIA driver on your system (torch.cuda.is_available() is False)".into()));
    }
    if i >= n {
        return Err(Error::Unsupported(format!("CUDA error: invalid device ordinal (device {i}, device count {n})")));
    }
    Ok(())
}

static SEED: AtomicU64 = AtomicU64::new(0x5eed_f00d);

fn initial_seed() -> u64 {
    SEED.load(Ordering::Relaxed)
}

/// `torch.cuda.synchronize(device)`: waits for the device's queued work.
pub fn synchronize(i: usize) -> Result<()> {
    check_device(i)?;
    match device::live(i) {
        Some(d) => d.synchronize(),
        None => Ok(()),
    }
}

/// `(allocated, peak, cached)` bytes of device `i`'s caching allocator.
pub fn memory_stats(i: usize) -> Result<(usize, usize, usize)> {
    check_device(i)?;
    Ok(match device::live(i) {
        Some(d) => {
            let a = d.alloc.lock();
            (a.allocated, a.peak, a.cached)
        }
        None => (0, 0, 0),
    })
}

/// `torch.cuda.reset_peak_memory_stats(device)`.
pub fn reset_peak(i: usize) -> Result<()> {
    check_device(i)?;
    if let Some(d) = device::live(i) {
        let mut a = d.alloc.lock();
        a.peak = a.allocated;
    }
    Ok(())
}

/// `torch.cuda.empty_cache()`: cached blocks of every device go back to the driver.
pub fn empty_cache() {
    for i in 0..device_count() {
        if let Some(d) = device::live(i) {
            let _ = d.bind();
            d.alloc.lock().release();
        }
    }
}

//! CUDA device queries; kernels and storage come with the CUDA issue.
use ferrotorch_core::{Error, Result};

#[cfg(feature = "cuda")]
mod imp {
    use super::*;
    /// Number of visible CUDA devices; 0 when no driver can be loaded.
    pub fn device_count() -> usize {
        // cudarc panics when the driver library is missing: treat that as "no GPU".
        std::panic::catch_unwind(|| cudarc::driver::result::init().and_then(|_| cudarc::driver::result::device::get_count()))
            .ok()
            .and_then(|r| r.ok())
            .map(|n| n as usize)
            .unwrap_or(0)
    }
    pub fn compiled() -> bool {
        true
    }
    pub fn check_device(i: usize) -> Result<()> {
        let n = device_count();
        if n == 0 {
            return Err(Error::Unsupported("Found no NVIDIA driver on your system (torch.cuda.is_available() is False)".into()));
        }
        if i >= n {
            return Err(Error::Unsupported(format!("CUDA error: invalid device ordinal {i} (device count {n})")));
        }
        Err(Error::Unsupported("CUDA tensors are not implemented yet in this build of ferrotorch".into()))
    }
}

#[cfg(not(feature = "cuda"))]
mod imp {
    use super::*;
    pub fn device_count() -> usize {
        0
    }
    pub fn compiled() -> bool {
        false
    }
    pub fn check_device(_i: usize) -> Result<()> {
        Err(Error::Unsupported("Torch not compiled with CUDA enabled (ferrotorch was built without the `cuda` feature)".into()))
    }
}

pub use imp::{check_device, compiled, device_count};

/// True when at least one CUDA device can be used.
pub fn is_available() -> bool {
    device_count() > 0
}

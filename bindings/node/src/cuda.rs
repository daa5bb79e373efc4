//! `torch.cuda`: device queries, synchronization, the caching allocator's counters.
use crate::table::guard;
use napi::bindgen_prelude::*;
use napi_derive::napi;

#[napi]
pub fn cuda_is_available() -> bool {
    ferrotorch_cuda::is_available()
}

#[napi]
pub fn cuda_device_count() -> u32 {
    ferrotorch_cuda::device_count() as u32
}

#[napi]
pub fn cuda_compiled() -> bool {
    ferrotorch_cuda::compiled()
}

#[napi]
pub fn cuda_synchronize(env: Env, device: u32) -> Result<()> {
    guard(&env, || ferrotorch_cuda::synchronize(device as usize))
}

/// `[allocated, peak allocated, cached]` bytes of one device's caching allocator.
#[napi]
pub fn cuda_memory_stats(env: Env, device: u32) -> Result<Vec<f64>> {
    guard(&env, || {
        let (a, p, c) = ferrotorch_cuda::memory_stats(device as usize)?;
        Ok(vec![a as f64, p as f64, c as f64])
    })
}

#[napi]
pub fn cuda_reset_peak_memory_stats(env: Env, device: u32) -> Result<()> {
    guard(&env, || ferrotorch_cuda::reset_peak(device as usize))
}

#[napi]
pub fn cuda_empty_cache() {
    ferrotorch_cuda::empty_cache()
}

/// `torch.cuda.manual_seed_all(seed)`: only the CUDA generators.
#[napi]
pub fn cuda_manual_seed(seed: f64) {
    ferrotorch_cuda::manual_seed(seed as u64)
}

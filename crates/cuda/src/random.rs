//! Random tensors on the device: Philox-4x32-10 (random.cu), seeded per device.
use crate::device::{dev, grid, launch};
use crate::source::Family;
use crate::storage::CudaStorage;
use ferrotorch_core::{DType, Result};
use std::sync::atomic::Ordering;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Distribution {
    Uniform { low: f64, high: f64 },
    Normal { mean: f64, std: f64 },
    Bernoulli { p: f64 },
}

/// `torch.cuda.manual_seed_all(seed)`: every device restarts its stream from `seed`.
pub fn manual_seed(seed: u64) {
    crate::SEED.store(seed, Ordering::Relaxed);
    for i in 0..crate::device_count() {
        if let Some(d) = crate::device::live(i) {
            *d.rng.lock() = (seed, 0);
        }
    }
}

/// `n` draws of `dist` as `dtype` (a float dtype) on device `i`; each call advances the
/// device's Philox offset so later calls draw fresh numbers.
pub fn random(i: usize, dtype: DType, n: usize, dist: Distribution) -> Result<CudaStorage> {
    let d = dev(i)?;
    let out = CudaStorage::alloc(&d, dtype, n)?;
    if n == 0 {
        return Ok(out);
    }
    let (seed, offset) = {
        let mut r = d.rng.lock();
        let cur = *r;
        r.1 += 1;
        cur
    };
    let (kind, a, b): (i32, f64, f64) = match dist {
        Distribution::Uniform { low, high } => (0, low, high),
        Distribution::Normal { mean, std } => (1, mean, std),
        Distribution::Bernoulli { p } => (2, p, 0.0),
    };
    let (y, nn) = (out.ptr(), n as i64);
    launch!(d, d.func(Family::Random, dtype, dtype, "random")?, grid(n), "random"; y, nn, seed, offset, kind, a, b)?;
    Ok(out)
}

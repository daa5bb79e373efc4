//! Random tensors from one seedable generator (`manual_seed`). Streams are ferrotorch's
//! own: the same seed gives the same numbers here, not PyTorch's numbers.
use crate::tensor::Tensor;
use ferrotorch_core::{DType, Device, Error, Result};
use ferrotorch_cpu::CpuStorage;
use ferrotorch_cuda::Distribution as Dist;
use parking_lot::Mutex;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use std::sync::OnceLock;

fn rng() -> &'static Mutex<StdRng> {
    static RNG: OnceLock<Mutex<StdRng>> = OnceLock::new();
    RNG.get_or_init(|| Mutex::new(StdRng::seed_from_u64(rand::random())))
}

/// `torch.manual_seed(seed)`: the CPU generator and every CUDA device's.
pub fn manual_seed(seed: u64) {
    *rng().lock() = StdRng::seed_from_u64(seed);
    ferrotorch_cuda::manual_seed(seed);
}

fn make(shape: &[usize], dtype: DType, device: Device, f: impl Fn(&mut StdRng) -> f64) -> Result<Tensor> {
    let n: usize = shape.iter().product();
    let mut g = rng().lock();
    let v: Vec<f64> = (0..n).map(|_| f(&mut g)).collect();
    Tensor::from_cpu(CpuStorage::from_f64_vec(dtype, &v), shape).to_device(device)
}

fn float_only(op: &'static str, dtype: DType) -> Result<()> {
    if !dtype.is_float() {
        return Err(Error::dtype(op, format!("\"{op}\" not implemented for '{}'", crate::ops::elementwise::type_title(dtype))));
    }
    Ok(())
}

/// Draws on a CUDA device come from its Philox stream (`ferrotorch_cuda::random`).
fn on_device(shape: &[usize], dtype: DType, device: Device, dist: Dist) -> Option<Result<Tensor>> {
    let Device::Cuda(i) = device else { return None };
    let n: usize = shape.iter().product();
    Some(ferrotorch_cuda::random(i, dtype, n, dist).map(|s| Tensor::from_storage(crate::storage::Storage::Cuda(s), shape)))
}

/// `torch.rand`: uniform on [0, 1).
pub fn rand(shape: &[usize], dtype: DType, device: Device) -> Result<Tensor> {
    float_only("rand", dtype)?;
    if let Some(t) = on_device(shape, dtype, device, Dist::Uniform { low: 0.0, high: 1.0 }) {
        return t;
    }
    make(shape, dtype, device, |g| g.gen::<f64>())
}

/// `torch.randn`: standard normal.
pub fn randn(shape: &[usize], dtype: DType, device: Device) -> Result<Tensor> {
    float_only("randn", dtype)?;
    if let Some(t) = on_device(shape, dtype, device, Dist::Normal { mean: 0.0, std: 1.0 }) {
        return t;
    }
    make(shape, dtype, device, |g| StandardNormal.sample(g))
}

/// Uniform on [low, high) (`uniform_`).
pub fn uniform(shape: &[usize], low: f64, high: f64, dtype: DType, device: Device) -> Result<Tensor> {
    float_only("uniform_", dtype)?;
    if let Some(t) = on_device(shape, dtype, device, Dist::Uniform { low, high }) {
        return t;
    }
    make(shape, dtype, device, |g| low + (high - low) * g.gen::<f64>())
}

/// Normal with mean and std (`normal_`).
pub fn normal(shape: &[usize], mean: f64, std: f64, dtype: DType, device: Device) -> Result<Tensor> {
    float_only("normal_", dtype)?;
    if let Some(t) = on_device(shape, dtype, device, Dist::Normal { mean, std }) {
        return t;
    }
    make(shape, dtype, device, |g| {
        let z: f64 = StandardNormal.sample(g);
        mean + std * z
    })
}

/// `torch.randint(low, high, size)`.
pub fn randint(low: i64, high: i64, shape: &[usize], dtype: DType, device: Device) -> Result<Tensor> {
    if high <= low {
        return Err(Error::arg("randint", format!("random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")));
    }
    let n: usize = shape.iter().product();
    let mut g = rng().lock();
    let v: Vec<i64> = (0..n).map(|_| g.gen_range(low..high)).collect();
    drop(g);
    Ok(Tensor::from_cpu(CpuStorage::I64(v), shape).to_dtype(dtype)).and_then(|t| t.to_device(device))
}

/// `torch.randperm(n)`.
pub fn randperm(n: usize, dtype: DType, device: Device) -> Result<Tensor> {
    let mut v: Vec<i64> = (0..n as i64).collect();
    let mut g = rng().lock();
    for i in (1..n).rev() {
        let j = g.gen_range(0..=i);
        v.swap(i, j);
    }
    drop(g);
    Tensor::from_cpu(CpuStorage::I64(v), &[n]).to_dtype(dtype).to_device(device)
}

/// Bernoulli(p) mask as `dtype` (dropout).
pub fn bernoulli(shape: &[usize], p: f64, dtype: DType, device: Device) -> Result<Tensor> {
    if dtype.is_float() {
        if let Some(t) = on_device(shape, dtype, device, Dist::Bernoulli { p }) {
            return t;
        }
    } else if let Device::Cuda(_) = device {
        return bernoulli(shape, p, DType::F32, device).map(|t| t.to_dtype(dtype));
    }
    make(shape, dtype, device, |g| (g.gen::<f64>() < p) as u8 as f64)
}

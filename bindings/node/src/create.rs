//! Creation, metadata, data out, dtype/device movement, randomness.
use crate::table::{guard, op, tensor, H};
use ferrotorch_cpu::CpuStorage;
use ferrotorch_tensor::random;
use ferrotorch_tensor::{DType, Device, Error, Tensor};
use napi::bindgen_prelude::*;
use napi_derive::napi;

/// dtype codes shared with `src/dtype.ts`: the index in `DType::ALL`.
pub fn dt(code: u32) -> std::result::Result<DType, Error> {
    DType::ALL.get(code as usize).copied().ok_or_else(|| Error::Type(format!("invalid dtype code {code}")))
}

pub fn code(d: DType) -> u32 {
    DType::ALL.iter().position(|&x| x == d).unwrap() as u32
}

pub fn dev(s: &str) -> std::result::Result<Device, Error> {
    Device::parse(s)
}

fn shape_of(shape: &[u32], len: usize) -> std::result::Result<Vec<usize>, Error> {
    let s: Vec<usize> = shape.iter().map(|&x| x as usize).collect();
    let n: usize = s.iter().product();
    if n != len {
        return Err(Error::shape("tensor", format!("shape {s:?} holds {n} elements but the data has {len}")));
    }
    Ok(s)
}

fn build(s: CpuStorage, shape: &[u32], dtype: u32, device: &str) -> std::result::Result<Tensor, Error> {
    let sh = shape_of(shape, s.len())?;
    let t = Tensor::from_cpu(s, &sh);
    t.to_dtype(dt(dtype)?).to_device(dev(device)?)
}

#[napi]
pub fn from_f64(env: Env, data: Float64ArraySlice, shape: Vec<u32>, dtype: u32, device: String) -> Result<H> {
    op(&env, || {
        let d = dt(dtype)?;
        let s = CpuStorage::from_f64_vec(d, &data);
        build(s, &shape, dtype, &device)
    })
}

#[napi]
pub fn from_f32(env: Env, data: Float32ArraySlice, shape: Vec<u32>, dtype: u32, device: String) -> Result<H> {
    op(&env, || build(CpuStorage::F32(data.to_vec()), &shape, dtype, &device))
}

#[napi]
pub fn from_i32(env: Env, data: Int32ArraySlice, shape: Vec<u32>, dtype: u32, device: String) -> Result<H> {
    op(&env, || build(CpuStorage::I32(data.to_vec()), &shape, dtype, &device))
}

#[napi]
pub fn from_i64(env: Env, data: BigInt64ArraySlice, shape: Vec<u32>, dtype: u32, device: String) -> Result<H> {
    op(&env, || build(CpuStorage::I64(data.to_vec()), &shape, dtype, &device))
}

/// uint8 data, or bool when `dtype` is bool (any nonzero byte is true).
#[napi]
pub fn from_u8(env: Env, data: Uint8ArraySlice, shape: Vec<u32>, dtype: u32, device: String) -> Result<H> {
    op(&env, || {
        let s = if dt(dtype)? == DType::Bool {
            CpuStorage::Bool(data.iter().map(|&x| x != 0).collect())
        } else {
            CpuStorage::U8(data.to_vec())
        };
        build(s, &shape, dtype, &device)
    })
}

/// float16 / bfloat16 bit patterns.
#[napi]
pub fn from_u16(env: Env, data: Uint16ArraySlice, shape: Vec<u32>, dtype: u32, device: String) -> Result<H> {
    op(&env, || {
        let s = match dt(dtype)? {
            DType::BF16 => CpuStorage::BF16(data.iter().map(|&b| half::bf16::from_bits(b)).collect()),
            _ => CpuStorage::F16(data.iter().map(|&b| half::f16::from_bits(b)).collect()),
        };
        build(s, &shape, dtype, &device)
    })
}

fn usz(s: &[i64], op: &'static str) -> std::result::Result<Vec<usize>, Error> {
    s.iter()
        .map(|&x| {
            if x < 0 {
                Err(Error::arg(op, format!("Trying to create tensor with negative dimension {x}: {s:?}")))
            } else {
                Ok(x as usize)
            }
        })
        .collect()
}

#[napi]
pub fn full(env: Env, shape: Vec<i64>, value: f64, dtype: u32, device: String) -> Result<H> {
    op(&env, || Tensor::full(&usz(&shape, "full")?, value, dt(dtype)?, dev(&device)?))
}

#[napi]
pub fn arange(env: Env, start: f64, end: f64, step: f64, dtype: u32, device: String) -> Result<H> {
    op(&env, || Tensor::arange(start, end, step, dt(dtype)?, dev(&device)?))
}

#[napi]
pub fn linspace(env: Env, start: f64, end: f64, steps: i64, dtype: u32, device: String) -> Result<H> {
    op(&env, || {
        if steps < 0 {
            return Err(Error::arg("linspace", "number of steps must be non-negative"));
        }
        Tensor::linspace(start, end, steps as usize, dt(dtype)?, dev(&device)?)
    })
}

#[napi]
pub fn eye(env: Env, n: i64, m: i64, dtype: u32, device: String) -> Result<H> {
    op(&env, || {
        let s = usz(&[n, m], "eye")?;
        Tensor::eye(s[0], s[1], dt(dtype)?, dev(&device)?)
    })
}

/// kind: 0 rand, 1 randn.
#[napi]
pub fn random(env: Env, kind: u32, shape: Vec<i64>, dtype: u32, device: String) -> Result<H> {
    op(&env, || {
        let s = usz(&shape, "rand")?;
        if kind == 0 {
            random::rand(&s, dt(dtype)?, dev(&device)?)
        } else {
            random::randn(&s, dt(dtype)?, dev(&device)?)
        }
    })
}

#[napi]
pub fn randint(env: Env, low: i64, high: i64, shape: Vec<i64>, dtype: u32, device: String) -> Result<H> {
    op(&env, || random::randint(low, high, &usz(&shape, "randint")?, dt(dtype)?, dev(&device)?))
}

#[napi]
pub fn randperm(env: Env, n: i64, dtype: u32, device: String) -> Result<H> {
    op(&env, || random::randperm(usz(&[n], "randperm")?[0], dt(dtype)?, dev(&device)?))
}

#[napi]
pub fn manual_seed(seed: f64) {
    random::manual_seed(seed as u64);
}

// ---- metadata ------------------------------------------------------------------

#[napi]
pub fn shape(env: Env, h: H) -> Result<Vec<u32>> {
    guard(&env, || Ok(tensor(h)?.shape().iter().map(|&x| x as u32).collect()))
}

#[napi]
pub fn strides(env: Env, h: H) -> Result<Vec<u32>> {
    guard(&env, || Ok(tensor(h)?.strides().iter().map(|&x| x as u32).collect()))
}

#[napi]
pub fn dtype(env: Env, h: H) -> Result<u32> {
    guard(&env, || Ok(code(tensor(h)?.dtype())))
}

#[napi]
pub fn device(env: Env, h: H) -> Result<String> {
    guard(&env, || Ok(tensor(h)?.device().to_string()))
}

#[napi]
pub fn storage_offset(env: Env, h: H) -> Result<u32> {
    guard(&env, || Ok(tensor(h)?.storage_offset() as u32))
}

#[napi]
pub fn is_contiguous(env: Env, h: H) -> Result<bool> {
    guard(&env, || Ok(tensor(h)?.is_contiguous()))
}

#[napi]
pub fn same_storage(env: Env, a: H, b: H) -> Result<bool> {
    guard(&env, || Ok(tensor(a)?.same_storage(&tensor(b)?)))
}

#[napi]
pub fn item(env: Env, h: H) -> Result<f64> {
    guard(&env, || tensor(h)?.item())
}

// ---- data out: a fresh typed array owning the Rust buffer (no second copy) ------

fn data(h: H) -> std::result::Result<CpuStorage, Error> {
    tensor(h)?.to_cpu_storage()
}

#[napi]
pub fn data_f32(env: Env, h: H) -> Result<Float32Array> {
    guard(&env, || match data(h)? {
        CpuStorage::F32(v) => Ok(Float32Array::new(v)),
        _ => Err(Error::Type("data_f32: not float32".into())),
    })
}

#[napi]
pub fn data_f64(env: Env, h: H) -> Result<Float64Array> {
    guard(&env, || match data(h)? {
        CpuStorage::F64(v) => Ok(Float64Array::new(v)),
        _ => Err(Error::Type("data_f64: not float64".into())),
    })
}

#[napi]
pub fn data_i32(env: Env, h: H) -> Result<Int32Array> {
    guard(&env, || match data(h)? {
        CpuStorage::I32(v) => Ok(Int32Array::new(v)),
        _ => Err(Error::Type("data_i32: not int32".into())),
    })
}

#[napi]
pub fn data_i64(env: Env, h: H) -> Result<BigInt64Array> {
    guard(&env, || match data(h)? {
        CpuStorage::I64(v) => Ok(BigInt64Array::new(v)),
        _ => Err(Error::Type("data_i64: not int64".into())),
    })
}

#[napi]
pub fn data_u8(env: Env, h: H) -> Result<Uint8Array> {
    guard(&env, || match data(h)? {
        CpuStorage::U8(v) => Ok(Uint8Array::new(v)),
        CpuStorage::Bool(v) => Ok(Uint8Array::new(v.into_iter().map(|b| b as u8).collect())),
        _ => Err(Error::Type("data_u8: not uint8/bool".into())),
    })
}

#[napi]
pub fn data_u16(env: Env, h: H) -> Result<Uint16Array> {
    guard(&env, || match data(h)? {
        CpuStorage::F16(v) => Ok(Uint16Array::new(v.into_iter().map(|x| x.to_bits()).collect())),
        CpuStorage::BF16(v) => Ok(Uint16Array::new(v.into_iter().map(|x| x.to_bits()).collect())),
        _ => Err(Error::Type("data_u16: not float16/bfloat16".into())),
    })
}

/// Values as f64 in row-major order (printing and `toArray` for any dtype).
#[napi]
pub fn data_as_f64(env: Env, h: H) -> Result<Float64Array> {
    guard(&env, || match tensor(h)?.copy_as(DType::F64).to_cpu_storage()? {
        CpuStorage::F64(v) => Ok(Float64Array::new(v)),
        _ => unreachable!(),
    })
}

// ---- dtype, device, copies ----------------------------------------------------

#[napi]
pub fn to_dtype(env: Env, h: H, dtype: u32) -> Result<H> {
    op(&env, || Ok(tensor(h)?.to_dtype(dt(dtype)?)))
}

#[napi]
pub fn to_device(env: Env, h: H, device: String) -> Result<H> {
    op(&env, || tensor(h)?.to_device(dev(&device)?))
}

#[napi]
pub fn contiguous(env: Env, h: H) -> Result<H> {
    op(&env, || Ok(tensor(h)?.contiguous()))
}

#[napi]
pub fn clone(env: Env, h: H) -> Result<H> {
    op(&env, || Ok(tensor(h)?.deep_clone()))
}

#[napi]
pub fn copy_(env: Env, dst: H, src: H) -> Result<()> {
    guard(&env, || tensor(dst)?.copy_(&tensor(src)?))
}

#[napi]
pub fn fill_(env: Env, h: H, value: f64) -> Result<()> {
    guard(&env, || tensor(h)?.fill_(value))
}

/// Writes an out-of-place result into `dst` (the in-place `op_` forms).
#[napi]
pub fn assign(env: Env, dst: H, src: H, op_name: String) -> Result<()> {
    guard(&env, || tensor(dst)?.assign_result(intern(&op_name), &tensor(src)?))
}

thread_local! {
    static NAMES: std::cell::RefCell<std::collections::HashMap<String, &'static str>> = Default::default();
}

/// Op names for error messages, leaked once per distinct name.
pub fn intern(s: &str) -> &'static str {
    NAMES.with(|m| {
        let mut m = m.borrow_mut();
        if let Some(v) = m.get(s) {
            return *v;
        }
        let v: &'static str = Box::leak(s.to_string().into_boxed_str());
        m.insert(s.to_string(), v);
        v
    })
}

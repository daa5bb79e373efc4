//! The tensor handle, its accessors, creation and dtype/device movement.
use crate::storage::{Storage, StorageCell};
use ferrotorch_core::{DType, Device, Error, Layout, Operand, Result};
use ferrotorch_cpu::CpuStorage;
use std::sync::Arc;

/// A JS number or boolean used as an operand; ints and floats are told apart by
/// `Number.isInteger` on the JS side (PyTorch's wrapped-number categories).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
}

impl Scalar {
    pub fn to_f64(self) -> f64 {
        match self {
            Scalar::Bool(b) => b as u8 as f64,
            Scalar::Int(i) => i as f64,
            Scalar::Float(f) => f,
        }
    }
    pub fn category(self) -> ferrotorch_core::dtype::Category {
        use ferrotorch_core::dtype::Category;
        match self {
            Scalar::Bool(_) => Category::Bool,
            Scalar::Int(_) => Category::Int,
            Scalar::Float(_) => Category::Float,
        }
    }
}

#[derive(Debug)]
pub struct Inner {
    pub(crate) storage: Arc<StorageCell>,
    pub(crate) layout: Layout,
    pub(crate) dtype: DType,
    /// Autograd state: requires_grad, .grad, grad_fn, hooks (see `autograd`).
    pub(crate) meta: parking_lot::Mutex<crate::autograd::Meta>,
}

/// A cheap, clonable handle; clones share storage and layout.
#[derive(Clone, Debug)]
pub struct Tensor(pub(crate) Arc<Inner>);

impl Tensor {
    /// A new tensor owning fresh storage laid out contiguously in `shape`.
    pub fn from_storage(s: Storage, shape: &[usize]) -> Tensor {
        let dtype = s.dtype();
        Tensor(Arc::new(Inner {
            storage: Arc::new(StorageCell::new(s)),
            layout: Layout::contiguous(shape),
            dtype,
            meta: Default::default(),
        }))
    }

    pub fn from_cpu(s: CpuStorage, shape: &[usize]) -> Tensor {
        Tensor::from_storage(Storage::Cpu(s), shape)
    }

    /// A view: same storage, another layout, no autograd history (the view ops in
    /// `ops/shape.rs` record their own).
    pub fn view_with(&self, layout: Layout) -> Tensor {
        Tensor(Arc::new(Inner { storage: self.0.storage.clone(), layout, dtype: self.0.dtype, meta: Default::default() }))
    }

    /// `detach()`: the same data (a view sharing storage) without history.
    pub fn detach(&self) -> Tensor {
        self.view_with(self.0.layout.clone())
    }

    pub fn shape(&self) -> &[usize] {
        &self.0.layout.shape
    }
    pub fn strides(&self) -> &[usize] {
        &self.0.layout.strides
    }
    pub fn layout(&self) -> &Layout {
        &self.0.layout
    }
    pub fn dtype(&self) -> DType {
        self.0.dtype
    }
    pub fn device(&self) -> Device {
        self.0.storage.device
    }
    pub fn ndim(&self) -> usize {
        self.0.layout.ndim()
    }
    pub fn numel(&self) -> usize {
        self.0.layout.numel()
    }
    pub fn storage(&self) -> &Arc<StorageCell> {
        &self.0.storage
    }
    pub fn storage_offset(&self) -> usize {
        self.0.layout.offset
    }
    pub fn is_contiguous(&self) -> bool {
        self.0.layout.is_contiguous()
    }
    /// True when both handles view the same storage.
    pub fn same_storage(&self, o: &Tensor) -> bool {
        Arc::ptr_eq(&self.0.storage, &o.0.storage)
    }
    /// Operand kind for `result_type`.
    pub fn operand(&self) -> Operand {
        if self.ndim() == 0 {
            Operand::ZeroDim(self.dtype())
        } else {
            Operand::Dim(self.dtype())
        }
    }

    /// Size of one dim (negative counts from the end).
    pub fn size(&self, dim: i64) -> Result<usize> {
        let d = ferrotorch_core::normalize_dim("size", dim, self.ndim())?;
        Ok(if self.ndim() == 0 { 1 } else { self.shape()[d] })
    }

    // ---- creation ---------------------------------------------------------------

    pub fn full(shape: &[usize], value: f64, dtype: DType, device: Device) -> Result<Tensor> {
        let n = shape.iter().product();
        Ok(Tensor::from_storage(Storage::full(device, dtype, n, value)?, shape))
    }

    pub fn zeros(shape: &[usize], dtype: DType, device: Device) -> Result<Tensor> {
        Tensor::full(shape, 0.0, dtype, device)
    }

    pub fn ones(shape: &[usize], dtype: DType, device: Device) -> Result<Tensor> {
        Tensor::full(shape, 1.0, dtype, device)
    }

    /// A 0-dim tensor holding a scalar in `dtype`.
    pub fn scalar(s: Scalar, dtype: DType, device: Device) -> Result<Tensor> {
        match (s, device) {
            (Scalar::Int(i), Device::Cpu) => Ok(Tensor::from_cpu(CpuStorage::full_i64(dtype, 1, i), &[])),
            _ => Tensor::full(&[], s.to_f64(), dtype, device),
        }
    }

    /// `torch.arange(start, end, step)`.
    pub fn arange(start: f64, end: f64, step: f64, dtype: DType, device: Device) -> Result<Tensor> {
        if step == 0.0 {
            return Err(Error::arg("arange", "step must be nonzero"));
        }
        if !(start.is_finite() && end.is_finite()) {
            return Err(Error::arg("arange", format!("unsupported range: {start} -> {end}")));
        }
        if (step > 0.0 && end < start) || (step < 0.0 && end > start) {
            return Err(Error::arg("arange", "upper bound and larger bound inconsistent with step sign"));
        }
        let n = ((end - start) / step).ceil().max(0.0) as usize;
        let v: Vec<f64> = (0..n).map(|i| start + i as f64 * step).collect();
        Tensor::from_cpu(CpuStorage::from_f64_vec(dtype, &v), &[n]).to_device(device)
    }

    /// `torch.linspace(start, end, steps)`.
    pub fn linspace(start: f64, end: f64, steps: usize, dtype: DType, device: Device) -> Result<Tensor> {
        let v: Vec<f64> = if steps == 1 {
            vec![start]
        } else {
            let step = (end - start) / (steps - 1) as f64;
            // PyTorch fills the second half from the end so the last value is exact.
            let half = steps / 2;
            (0..steps).map(|i| if i < half { start + step * i as f64 } else { end - step * (steps - 1 - i) as f64 }).collect()
        };
        Tensor::from_cpu(CpuStorage::from_f64_vec(dtype, &v), &[steps]).to_device(device)
    }

    /// `torch.eye(n, m)`.
    pub fn eye(n: usize, m: usize, dtype: DType, device: Device) -> Result<Tensor> {
        let mut v = vec![0.0; n * m];
        for i in 0..n.min(m) {
            v[i * m + i] = 1.0;
        }
        Tensor::from_cpu(CpuStorage::from_f64_vec(dtype, &v), &[n, m]).to_device(device)
    }

    // ---- conversion ---------------------------------------------------------------

    /// A contiguous copy in `dtype` (always a new storage).
    pub fn copy_as(&self, dtype: DType) -> Tensor {
        // Infallible on CPU; a CUDA driver failure here (device lost, out of memory) is a
        // panic the binding's guard turns into a JS error.
        let s = self.0.storage.read().to_contiguous(&self.0.layout, dtype).unwrap_or_else(|e| panic!("{e}"));
        let from = self.dtype();
        Tensor::from_storage(s, self.shape()).record(&[self], || crate::autograd::Op::Cast { from })
    }

    /// `to(dtype)`: the same tensor when nothing changes, else a converted copy.
    pub fn to_dtype(&self, dtype: DType) -> Tensor {
        if dtype == self.dtype() {
            self.clone()
        } else {
            self.copy_as(dtype)
        }
    }

    pub fn contiguous(&self) -> Tensor {
        if self.is_contiguous() {
            self.clone()
        } else {
            self.copy_as(self.dtype())
        }
    }

    /// `clone()`: a new storage with the same values.
    pub fn deep_clone(&self) -> Tensor {
        self.copy_as(self.dtype())
    }

    pub fn to_device(&self, device: Device) -> Result<Tensor> {
        if device == self.device() {
            return Ok(self.clone());
        }
        let s = self.0.storage.read().to_device(&self.0.layout, device)?;
        let from = self.device();
        Ok(Tensor::from_storage(s, self.shape()).record(&[self], || crate::autograd::Op::ToDevice { from }))
    }

    /// The elements in row-major order as contiguous CPU storage.
    pub fn to_cpu_storage(&self) -> Result<CpuStorage> {
        let s = self.0.storage.read();
        match s.to_contiguous(&self.0.layout, self.dtype())? {
            Storage::Cpu(c) => Ok(c),
            Storage::Cuda(c) => c.to_cpu(),
        }
    }

    /// `item()`: the only element of a one-element tensor.
    pub fn item(&self) -> Result<f64> {
        if self.numel() != 1 {
            return Err(Error::arg("item", format!("a Tensor with {} elements cannot be converted to Scalar", self.numel())));
        }
        let s = self.0.storage.read();
        match &*s {
            Storage::Cpu(c) => Ok(c.get_f64(self.0.layout.offset)),
            Storage::Cuda(_) => Ok(self.to_cpu_storage()?.get_f64(0)),
        }
    }

    pub fn item_i64(&self) -> Result<i64> {
        if self.numel() != 1 {
            return Err(Error::arg("item", format!("a Tensor with {} elements cannot be converted to Scalar", self.numel())));
        }
        let s = self.0.storage.read();
        match &*s {
            Storage::Cpu(c) => Ok(c.get_i64(self.0.layout.offset)),
            Storage::Cuda(_) => Ok(self.to_cpu_storage()?.get_i64(0)),
        }
    }

    /// Checks that all tensors share one device, in PyTorch's words.
    pub fn same_device(op: &'static str, ts: &[&Tensor]) -> Result<Device> {
        let d = ts[0].device();
        for t in &ts[1..] {
            if t.device() != d {
                return Err(Error::Device { op, a: d.to_string(), b: t.device().to_string() });
            }
        }
        Ok(d)
    }

    // ---- in-place writes ------------------------------------------------------------

    /// `copy_(src)`: writes `src` (broadcast, cast, and moved across devices, as
    /// PyTorch's copy_ does) into this view.
    pub fn copy_(&self, src: &Tensor) -> Result<()> {
        let ls = src.layout().broadcast_to("copy_", self.shape())?;
        // Read first, then write: the source may alias the destination.
        let tmp = if self.same_storage(src) { Some(src.copy_as(src.dtype())) } else { None };
        let (src_t, ls) = match &tmp {
            Some(t) => (t, t.layout().broadcast_to("copy_", self.shape())?),
            None => (src, ls),
        };
        let sr = src_t.0.storage.read();
        let mut w = self.0.storage.write();
        w.copy_from(&self.0.layout, &sr, &ls)
    }

    /// `fill_(value)`.
    pub fn fill_(&self, value: f64) -> Result<()> {
        self.0.storage.write().fill(&self.0.layout, value)
    }
}

//! Gather/scatter family: gather, scatter, scatter_add, index_select, take_along_dim,
//! masked_fill, embedding, nonzero. All lower to offset lists over the storage.
use crate::autograd::Op;
use crate::tensor::{Scalar, Tensor};
use ferrotorch_core::{broadcast_shapes, for_each_offsets, normalize_dim, DType, Error, Layout, Result};
use ferrotorch_cpu::CpuStorage;

/// Index values as i64 in row-major order of the index tensor.
pub fn index_values(op: &'static str, index: &Tensor) -> Result<Vec<i64>> {
    if index.dtype() != DType::I64 && index.dtype() != DType::I32 {
        return Err(Error::dtype(op, format!("{op}(): Expected dtype int64 for index, but got {}", index.dtype())));
    }
    match index.to_cpu_storage()? {
        CpuStorage::I64(v) => Ok(v),
        CpuStorage::I32(v) => Ok(v.into_iter().map(|x| x as i64).collect()),
        _ => unreachable!(),
    }
}

/// Storage offsets for `src[..., index[...], ...]` along `dim` (gather's rule: the
/// other coordinates come from the index's own position).
fn gather_offsets(op: &'static str, src: &Layout, dim: usize, index: &Tensor, allow_negative: bool) -> Result<Vec<usize>> {
    let vals = index_values(op, index)?;
    let mut st = src.strides.clone();
    let sd = st[dim];
    st[dim] = 0;
    let size = src.shape[dim] as i64;
    let mut out = Vec::with_capacity(vals.len());
    let mut k = 0usize;
    let mut bad = None;
    for_each_offsets(index.shape(), [&st], [src.offset], |[o]| {
        let mut i = vals[k];
        k += 1;
        if allow_negative && i < 0 {
            i += size;
        }
        if i < 0 || i >= size {
            bad.get_or_insert(vals[k - 1]);
            out.push(o);
        } else {
            out.push(o + i as usize * sd);
        }
    });
    if let Some(i) = bad {
        return Err(Error::IndexOutOfRange { op, index: i, dim, size: size as usize });
    }
    Ok(out)
}

impl Tensor {
    fn check_gather_shapes(&self, op: &'static str, dim: usize, index: &Tensor) -> Result<()> {
        if index.ndim() != self.ndim() && !(self.ndim() == 0 && index.ndim() <= 1) {
            return Err(Error::shape(
                op,
                format!("Index tensor must have the same number of dimensions as input tensor ({} vs {})", index.ndim(), self.ndim()),
            ));
        }
        for d in 0..self.ndim() {
            if d != dim && index.shape()[d] > self.shape()[d] {
                return Err(Error::shape(op, format!("Size does not match at dimension {d} expected index {:?} to be no larger than self {:?} apart from dimension {dim}", index.shape(), self.shape())));
            }
        }
        Ok(())
    }

    /// `gather(dim, index)`.
    pub fn gather(&self, dim: i64, index: &Tensor) -> Result<Tensor> {
        Tensor::same_device("gather", &[self, index])?;
        let d = normalize_dim("gather", dim, self.ndim())?;
        // A 0-dim input or index counts as 1-dim (PyTorch's ensure_nonempty_dim).
        let x = if self.ndim() == 0 { self.reshape(&[1])? } else { self.clone() };
        let idx = if index.ndim() == 0 { index.reshape(&[1])? } else { index.clone() };
        x.check_gather_shapes("gather", d, &idx)?;
        let offs = gather_offsets("gather", x.layout(), d, &idx, false)?;
        let s = x.storage().read().take(&offs)?;
        let out =
            Tensor::from_storage(s, idx.shape()).record(&[&x], || Op::Gather { dim: d, index: idx.detach(), in_shape: x.shape().to_vec() });
        if index.ndim() == 0 {
            out.reshape(&[])
        } else {
            Ok(out)
        }
    }

    /// `scatter_add(dim, index, src)` (or plain `scatter` when `accumulate` is false).
    pub fn scatter_impl(&self, op: &'static str, dim: i64, index: &Tensor, src: &Tensor, accumulate: bool) -> Result<Tensor> {
        Tensor::same_device(op, &[self, index, src])?;
        let d = normalize_dim(op, dim, self.ndim())?;
        self.check_gather_shapes(op, d, index)?;
        for k in 0..index.ndim().min(src.ndim()) {
            if index.shape()[k] > src.shape()[k] {
                return Err(Error::shape(
                    op,
                    format!("Expected index {:?} to be no larger than src {:?} in every dimension", index.shape(), src.shape()),
                ));
            }
        }
        if index.ndim() != src.ndim() {
            return Err(Error::shape(
                op,
                format!("Index tensor must have the same number of dimensions as src tensor ({} vs {})", index.ndim(), src.ndim()),
            ));
        }
        let src_c = src.to_dtype(self.dtype());
        let out = self.detach().deep_clone();
        let offs = gather_offsets(op, out.layout(), d, index, false)?;
        let sl = Layout { shape: index.shape().to_vec(), strides: src_c.strides().to_vec(), offset: src_c.storage_offset() };
        let src_offs: Vec<usize> = sl.offsets().collect();
        let vals = src_c.storage().read().take(&src_offs)?;
        out.storage().write().put(&offs, &vals, accumulate)?;
        // The gradient of src is gathered over its index-shaped corner.
        let src_used = if src_c.shape() == index.shape() {
            src_c.clone()
        } else {
            let mut v = src_c.clone();
            for (k, &n) in index.shape().iter().enumerate() {
                v = v.narrow(k as i64, 0, n as i64)?;
            }
            v
        };
        Ok(out.record(&[self, &src_used], || Op::Scatter { dim: d, index: index.detach(), accumulate }))
    }

    pub fn scatter_add(&self, dim: i64, index: &Tensor, src: &Tensor) -> Result<Tensor> {
        self.scatter_impl("scatter_add", dim, index, src, true)
    }

    pub fn scatter(&self, dim: i64, index: &Tensor, src: &Tensor) -> Result<Tensor> {
        self.scatter_impl("scatter", dim, index, src, false)
    }

    /// `index_select(dim, index)` with a 1-D (or 0-D) index.
    pub fn index_select(&self, dim: i64, index: &Tensor) -> Result<Tensor> {
        Tensor::same_device("index_select", &[self, index])?;
        if index.ndim() > 1 {
            return Err(Error::shape("index_select", "index_select(): Index is supposed to be a vector"));
        }
        let x = if self.ndim() == 0 { self.reshape(&[1])? } else { self.clone() };
        let d = normalize_dim("index_select", dim, x.ndim())?;
        let n = index.numel();
        let mut view = vec![1usize; x.ndim()];
        view[d] = n;
        let mut out = x.shape().to_vec();
        out[d] = n;
        let idx = index.reshape_usize(&view)?.broadcast_to(&out)?;
        let r = x.gather(d as i64, &idx).map_err(|e| match e {
            Error::IndexOutOfRange { index, dim, size, .. } => Error::IndexOutOfRange { op: "index_select", index, dim, size },
            e => e,
        })?;
        if self.ndim() == 0 {
            r.reshape(&[])
        } else {
            Ok(r)
        }
    }

    /// `take_along_dim(indices, dim)`: broadcasts all but `dim`, then gathers.
    pub fn take_along_dim(&self, indices: &Tensor, dim: Option<i64>) -> Result<Tensor> {
        match dim {
            None => self.reshape(&[-1])?.gather(0, &indices.reshape(&[-1])?),
            Some(dim) => {
                if indices.ndim() != self.ndim() {
                    return Err(Error::shape("take_along_dim", format!("torch.take_along_dim(): input and indices should have the same number of dimensions, but got {} dimensions for input, and {} dimensions for indices", self.ndim(), indices.ndim())));
                }
                let d = normalize_dim("take_along_dim", dim, self.ndim())?;
                let mut si = self.shape().to_vec();
                let mut ii = indices.shape().to_vec();
                si[d] = 1;
                ii[d] = 1;
                let b = broadcast_shapes("take_along_dim", &si, &ii)?;
                let mut xs = b.clone();
                xs[d] = self.shape()[d];
                let mut is = b;
                is[d] = indices.shape()[d];
                self.broadcast_to(&xs)?.gather(d as i64, &indices.broadcast_to(&is)?)
            }
        }
    }

    /// `masked_fill(mask, value)`: `value` where `mask` is true, in `self`'s dtype. As in
    /// PyTorch's out-of-place form, `self` and `mask` broadcast together (the in-place form
    /// keeps `self`'s shape and rejects a larger mask when it copies the result back).
    pub fn masked_fill(&self, mask: &Tensor, value: &Tensor) -> Result<Tensor> {
        if mask.dtype() != DType::Bool {
            return Err(Error::dtype(
                "masked_fill",
                format!("masked_fill_ only supports boolean masks, but got mask with dtype {}", mask.dtype()),
            ));
        }
        if value.ndim() != 0 {
            return Err(Error::arg(
                "masked_fill",
                format!("masked_fill_ only supports a 0-dimensional value tensor, but got tensor with {} dimension(s).", value.ndim()),
            ));
        }
        broadcast_shapes("masked_fill", self.shape(), mask.shape())?;
        // Both branches share self's dtype, so the result keeps it.
        Tensor::where_(mask, &value.to_dtype(self.dtype()), self)
    }

    pub fn masked_fill_scalar(&self, mask: &Tensor, value: Scalar) -> Result<Tensor> {
        let v = Tensor::scalar(value, self.dtype(), self.device())?;
        self.masked_fill(mask, &v)
    }

    /// `F.embedding(input, weight)`: rows of `weight` picked by integer `input`.
    pub fn embedding(input: &Tensor, weight: &Tensor) -> Result<Tensor> {
        if weight.ndim() != 2 {
            return Err(Error::shape("embedding", format!("'weight' must be 2-D, got {}-D", weight.ndim())));
        }
        if input.dtype().is_float() || input.dtype() == DType::Bool {
            return Err(Error::dtype(
                "embedding",
                format!(
                    "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got {} instead",
                    input.dtype()
                ),
            ));
        }
        let flat = input.reshape(&[-1])?;
        let rows = weight.index_select(0, &flat)?;
        let mut shape = input.shape().to_vec();
        shape.push(weight.shape()[1]);
        rows.reshape_usize(&shape)
    }

    /// `nonzero()`: `[n, ndim]` int64 coordinates in row-major order.
    pub fn nonzero(&self) -> Result<Tensor> {
        let b = self.to_dtype(DType::Bool).to_cpu_storage()?;
        let v = match b {
            CpuStorage::Bool(v) => v,
            _ => unreachable!(),
        };
        let shape = self.shape();
        let nd = shape.len();
        let strides = ferrotorch_core::contiguous_strides(shape);
        let mut out = vec![];
        let mut count = 0;
        for (i, &x) in v.iter().enumerate() {
            if x {
                count += 1;
                for d in 0..nd {
                    out.push(((i / strides[d]) % shape[d]) as i64);
                }
            }
        }
        Tensor::from_cpu(CpuStorage::I64(out), &[count, nd]).to_device(self.device())
    }
}

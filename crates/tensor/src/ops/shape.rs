//! Views (reshape, permute, expand, squeeze, narrow, ...) and copying shape ops (cat,
//! stack, flip, roll, repeat, tril/triu, pad).
use super::{infer_shape, norm_dims};
use crate::autograd::Op;
use crate::tensor::{Scalar, Tensor};
use ferrotorch_core::{normalize_dim, result_type, DType, Error, Layout, Operand, Result};

impl Tensor {
    /// A view whose backward is a reshape to this tensor's shape.
    fn view_rec(&self, l: Layout) -> Tensor {
        self.view_with(l).record(&[self], || Op::Reshape { in_shape: self.shape().to_vec() })
    }

    /// `slice_scatter`: a copy of `self` with `src` written into
    /// `self[..., start::step, ...]` along `dim`.
    pub fn slice_scatter(&self, src: &Tensor, dim: usize, start: usize, step: usize) -> Result<Tensor> {
        let out = self.copy_as(self.dtype()).detach();
        let n = src.shape()[dim];
        let stop = if n == 0 { start } else { start + (n - 1) * step + 1 };
        let dl = out.layout().slice(dim, start, stop, step);
        if dl.shape != src.shape() {
            return Err(Error::shape(
                "slice_scatter",
                format!(
                    "expected src to have a size equal to the slice of self. src size = {:?}, slice size = {:?}",
                    src.shape(),
                    dl.shape
                ),
            ));
        }
        if src.numel() > 0 {
            let s = src.copy_as(self.dtype()).detach();
            let r = s.storage().read();
            out.storage().write().copy_from(&dl, &r, s.layout())?;
        }
        Ok(out.record(&[self, src], || Op::SliceScatter { dim, start, step, src_shape: src.shape().to_vec() }))
    }

    /// `view(shape)`: never copies; fails where the strides do not allow it.
    pub fn view(&self, shape: &[i64]) -> Result<Tensor> {
        let s = infer_shape("view", shape, self.numel())?;
        match self.layout().view(&s) {
            Some(l) => Ok(self.view_rec(l)),
            None => Err(Error::arg("view", "view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.")),
        }
    }

    /// `reshape(shape)`: a view when possible, else a contiguous copy.
    pub fn reshape(&self, shape: &[i64]) -> Result<Tensor> {
        let s = infer_shape("reshape", shape, self.numel())?;
        match self.layout().view(&s) {
            Some(l) => Ok(self.view_rec(l)),
            None => Ok(self.contiguous().view_rec(Layout::contiguous(&s))),
        }
    }

    pub fn reshape_usize(&self, s: &[usize]) -> Result<Tensor> {
        let v: Vec<i64> = s.iter().map(|&x| x as i64).collect();
        self.reshape(&v)
    }

    pub fn permute(&self, dims: &[i64]) -> Result<Tensor> {
        if dims.len() != self.ndim() {
            return Err(Error::shape(
                "permute",
                format!("number of dims don't match in permute (input has {} dims, got {})", self.ndim(), dims.len()),
            ));
        }
        let d = norm_dims("permute", dims, self.ndim())?;
        let out = self.view_with(self.layout().permute(&d));
        Ok(out.record(&[self], || Op::Permute { dims: d }))
    }

    pub fn transpose(&self, d0: i64, d1: i64) -> Result<Tensor> {
        if self.ndim() == 0 {
            normalize_dim("transpose", d0, 0)?;
            normalize_dim("transpose", d1, 0)?;
            return Ok(self.clone());
        }
        let a = normalize_dim("transpose", d0, self.ndim())?;
        let b = normalize_dim("transpose", d1, self.ndim())?;
        let mut dims: Vec<usize> = (0..self.ndim()).collect();
        dims.swap(a, b);
        let out = self.view_with(self.layout().transpose(a, b));
        Ok(out.record(&[self], || Op::Permute { dims }))
    }

    /// `t()`: transposes a matrix; vectors and scalars come back as they are.
    pub fn t(&self) -> Result<Tensor> {
        if self.ndim() > 2 {
            return Err(Error::shape("t", format!("t() expects a tensor with <= 2 dimensions, but self is {}D", self.ndim())));
        }
        if self.ndim() < 2 {
            return Ok(self.clone());
        }
        self.transpose(0, 1)
    }

    /// `expand(sizes)`; -1 keeps a dim's size.
    pub fn expand(&self, sizes: &[i64]) -> Result<Tensor> {
        let lead = sizes.len() as i64 - self.ndim() as i64;
        if lead < 0 {
            return Err(Error::shape(
                "expand",
                format!(
                    "the number of sizes provided ({}) must be greater or equal to the number of dimensions in the tensor ({})",
                    sizes.len(),
                    self.ndim()
                ),
            ));
        }
        let mut shape = Vec::with_capacity(sizes.len());
        for (i, &s) in sizes.iter().enumerate() {
            if s == -1 {
                if (i as i64) < lead {
                    return Err(Error::shape(
                        "expand",
                        "The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension",
                    ));
                }
                shape.push(self.shape()[i - lead as usize]);
            } else if s < 0 {
                return Err(Error::shape("expand", format!("invalid size {s}")));
            } else {
                shape.push(s as usize);
            }
        }
        let out = self.view_with(self.layout().broadcast_to("expand", &shape)?);
        Ok(out.record(&[self], || Op::Expand { in_shape: self.shape().to_vec() }))
    }

    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Tensor> {
        let out = self.view_with(self.layout().broadcast_to("broadcast_to", shape)?);
        Ok(out.record(&[self], || Op::Expand { in_shape: self.shape().to_vec() }))
    }

    pub fn expand_as(&self, other: &Tensor) -> Result<Tensor> {
        self.broadcast_to(other.shape())
    }

    /// `squeeze(dims?)`: drops size-1 dims (all, or those listed).
    pub fn squeeze(&self, dims: Option<&[i64]>) -> Result<Tensor> {
        let ds: Vec<usize> = match dims {
            None => (0..self.ndim()).collect(),
            Some(d) => norm_dims("squeeze", d, self.ndim())?,
        };
        if self.ndim() == 0 {
            return Ok(self.clone());
        }
        let mut l = self.layout().clone();
        let mut sorted = ds.clone();
        sorted.sort_unstable_by(|a, b| b.cmp(a));
        for d in sorted {
            l = l.squeeze_dim(d);
        }
        Ok(self.view_rec(l))
    }

    pub fn unsqueeze(&self, dim: i64) -> Result<Tensor> {
        let d = normalize_dim("unsqueeze", dim, self.ndim() + 1)?;
        Ok(self.view_rec(self.layout().unsqueeze(d)))
    }

    /// `flatten(start_dim, end_dim)`.
    pub fn flatten(&self, start: i64, end: i64) -> Result<Tensor> {
        if self.ndim() == 0 {
            return self.reshape(&[1]);
        }
        let s = normalize_dim("flatten", start, self.ndim())?;
        let e = normalize_dim("flatten", end, self.ndim())?;
        if s > e {
            return Err(Error::arg("flatten", "flatten() has invalid args: start_dim cannot come after end_dim"));
        }
        let mut shape: Vec<i64> = self.shape()[..s].iter().map(|&x| x as i64).collect();
        shape.push(self.shape()[s..=e].iter().product::<usize>() as i64);
        shape.extend(self.shape()[e + 1..].iter().map(|&x| x as i64));
        self.reshape(&shape)
    }

    /// `unflatten(dim, sizes)`.
    pub fn unflatten(&self, dim: i64, sizes: &[i64]) -> Result<Tensor> {
        self.need_dims("unflatten")?;
        let d = normalize_dim("unflatten", dim, self.ndim())?;
        let inner = infer_shape("unflatten", sizes, self.shape()[d])?;
        let mut shape: Vec<i64> = self.shape()[..d].iter().map(|&x| x as i64).collect();
        shape.extend(inner.iter().map(|&x| x as i64));
        shape.extend(self.shape()[d + 1..].iter().map(|&x| x as i64));
        self.view(&shape).or_else(|_| self.reshape(&shape))
    }

    /// `narrow(dim, start, length)`.
    pub fn narrow(&self, dim: i64, start: i64, length: i64) -> Result<Tensor> {
        if self.ndim() == 0 {
            return Err(Error::arg("narrow", "narrow() cannot be applied to a 0-dim tensor."));
        }
        let d = normalize_dim("narrow", dim, self.ndim())?;
        let size = self.shape()[d] as i64;
        let st = if start < 0 { start + size } else { start };
        if st < 0 || st > size {
            return Err(Error::IndexOutOfRange { op: "narrow", index: start, dim: d, size: size as usize });
        }
        if length < 0 || st + length > size {
            return Err(Error::arg("narrow", format!("start ({st}) + length ({length}) exceeds dimension size ({size}).")));
        }
        let out = self.view_with(self.layout().slice(d, st as usize, (st + length) as usize, 1));
        Ok(out.record(&[self], || Op::Slice { in_shape: self.shape().to_vec(), dim: d, start: st as usize, step: 1 }))
    }

    /// Basic slicing of one dim with Python's rules (clamped bounds, positive step).
    pub fn slice(&self, dim: usize, start: Option<i64>, stop: Option<i64>, step: i64) -> Result<Tensor> {
        if step <= 0 {
            return Err(Error::arg("index", "step must be greater than zero"));
        }
        let n = self.shape()[dim] as i64;
        let norm = |v: i64| if v < 0 { (v + n).max(0) } else { v.min(n) };
        let s = start.map(norm).unwrap_or(0);
        let e = stop.map(norm).unwrap_or(n).max(s);
        let out = self.view_with(self.layout().slice(dim, s as usize, e as usize, step as usize));
        Ok(out.record(&[self], || Op::Slice { in_shape: self.shape().to_vec(), dim, start: s as usize, step: step as usize }))
    }

    /// `select(dim, index)`: drops the dim.
    pub fn select(&self, dim: i64, index: i64) -> Result<Tensor> {
        if self.ndim() == 0 {
            return Err(Error::arg("select", "select() cannot be applied to a 0-dim tensor."));
        }
        let d = normalize_dim("select", dim, self.ndim())?;
        let n = self.shape()[d] as i64;
        let i = if index < 0 { index + n } else { index };
        if i < 0 || i >= n {
            return Err(Error::IndexOutOfRange { op: "select", index, dim: d, size: n as usize });
        }
        let out = self.view_with(self.layout().select(d, i as usize));
        Ok(out.record(&[self], || Op::Select { in_shape: self.shape().to_vec(), dim: d, index: i as usize }))
    }

    /// `torch.cat(tensors, dim)` with dtype promotion across inputs.
    pub fn cat(ts: &[Tensor], dim: i64) -> Result<Tensor> {
        if ts.is_empty() {
            return Err(Error::arg("cat", "expected a non-empty list of Tensors"));
        }
        let refs: Vec<&Tensor> = ts.iter().collect();
        Tensor::same_device("cat", &refs)?;
        // Legacy rule: 1-D empty tensors are skipped.
        let parts: Vec<&Tensor> = ts.iter().filter(|t| !(t.ndim() == 1 && t.numel() == 0)).collect();
        if parts.is_empty() {
            return Ok(ts[0].clone());
        }
        let first = parts[0];
        if first.ndim() == 0 {
            return Err(Error::arg("cat", "zero-dimensional tensor (at position 0) cannot be concatenated"));
        }
        let d = normalize_dim("cat", dim, first.ndim())?;
        let ops: Vec<Operand> = parts.iter().map(|t| Operand::Dim(t.dtype())).collect();
        let dt = result_type(&ops);
        let mut shape = first.shape().to_vec();
        shape[d] = 0;
        for (i, t) in parts.iter().enumerate() {
            if t.ndim() != first.ndim() {
                return Err(Error::shape(
                    "cat",
                    format!("Tensors must have same number of dimensions: got {} and {}", first.ndim(), t.ndim()),
                ));
            }
            for k in 0..t.ndim() {
                if k != d && t.shape()[k] != first.shape()[k] {
                    return Err(Error::shape("cat", format!("Sizes of tensors must match except in dimension {d}. Expected size {} but got size {} for tensor number {i} in the list.", first.shape()[k], t.shape()[k])));
                }
            }
            shape[d] += t.shape()[d];
        }
        let out = Tensor::zeros(&shape, dt, first.device())?;
        let mut at = 0usize;
        for t in &parts {
            let n = t.shape()[d];
            let dst = out.layout().slice(d, at, at + n, 1);
            let src = t.storage().read();
            out.storage().write().copy_from(&dst, &src, t.layout())?;
            at += n;
        }
        let sizes: Vec<usize> = parts.iter().map(|t| t.shape()[d]).collect();
        // Inputs of another dtype get their gradient cast back by a Cast node.
        let cast: Vec<Tensor> = parts.iter().map(|t| t.to_dtype(dt)).collect();
        let refs: Vec<&Tensor> = cast.iter().collect();
        Ok(out.record(&refs, || Op::Cat { dim: d, sizes }))
    }

    /// `torch.stack(tensors, dim)`: all the same shape, joined along a new dim.
    pub fn stack(ts: &[Tensor], dim: i64) -> Result<Tensor> {
        if ts.is_empty() {
            return Err(Error::arg("stack", "stack expects a non-empty TensorList"));
        }
        for (i, t) in ts.iter().enumerate() {
            if t.shape() != ts[0].shape() {
                return Err(Error::shape(
                    "stack",
                    format!(
                        "stack expects each tensor to be equal size, but got {:?} at entry 0 and {:?} at entry {i}",
                        ts[0].shape(),
                        t.shape()
                    ),
                ));
            }
        }
        let d = normalize_dim("stack", dim, ts[0].ndim() + 1)? as i64;
        let us: Vec<Tensor> = ts.iter().map(|t| t.unsqueeze(d)).collect::<Result<_>>()?;
        Tensor::cat(&us, d)
    }

    /// Ops that work along a dim reject 0-dim tensors, in PyTorch's words.
    fn need_dims(&self, op: &'static str) -> Result<()> {
        if self.ndim() == 0 {
            return Err(Error::arg(op, format!("{op} expects at least a 1-dimensional tensor")));
        }
        Ok(())
    }

    /// `split(size, dim)`: pieces of `size` (the last may be shorter).
    pub fn split(&self, size: usize, dim: i64) -> Result<Vec<Tensor>> {
        self.need_dims("split")?;
        let d = normalize_dim("split", dim, self.ndim())?;
        let n = self.shape()[d];
        if size == 0 && n != 0 {
            return Err(Error::arg("split", "split_size can only be 0 if dimension size is 0"));
        }
        if n == 0 {
            return Ok(vec![self.clone()]);
        }
        let mut out = vec![];
        let mut at = 0;
        while at < n {
            let len = size.min(n - at);
            out.push(self.narrow(d as i64, at as i64, len as i64)?);
            at += len;
        }
        Ok(out)
    }

    /// `split(sizes, dim)` with explicit section sizes that must add up to the dim.
    pub fn split_sizes(&self, sizes: &[usize], dim: i64) -> Result<Vec<Tensor>> {
        self.need_dims("split")?;
        let d = normalize_dim("split", dim, self.ndim())?;
        let total: usize = sizes.iter().sum();
        if total != self.shape()[d] {
            return Err(Error::shape("split_with_sizes", format!("split_with_sizes expects split_sizes to sum exactly to {} (input tensor's size at dimension {d}), but got split_sizes={sizes:?}", self.shape()[d])));
        }
        let mut at = 0;
        sizes
            .iter()
            .map(|&s| {
                let t = self.narrow(d as i64, at as i64, s as i64);
                at += s;
                t
            })
            .collect()
    }

    /// `chunk(chunks, dim)`.
    pub fn chunk(&self, chunks: usize, dim: i64) -> Result<Vec<Tensor>> {
        if chunks == 0 {
            return Err(Error::arg("chunk", "chunk expects `chunks` to be greater than 0, got: 0"));
        }
        self.need_dims("chunk")?;
        let d = normalize_dim("chunk", dim, self.ndim())?;
        let n = self.shape()[d];
        if n == 0 {
            // An empty dim still gives `chunks` (empty) pieces, as in PyTorch.
            return (0..chunks).map(|_| self.narrow(d as i64, 0, 0)).collect();
        }
        self.split(n.div_ceil(chunks), d as i64)
    }

    /// `flip(dims)`: a copy with the listed dims reversed.
    pub fn flip(&self, dims: &[i64]) -> Result<Tensor> {
        let ds = norm_dims("flip", dims, self.ndim())?;
        if self.ndim() == 0 {
            return Ok(self.deep_clone());
        }
        let mut r = self.clone();
        for d in ds {
            let n = self.shape()[d] as i64;
            let idx: Vec<i64> = (0..n).rev().collect();
            let it = Tensor::from_cpu(ferrotorch_cpu::CpuStorage::I64(idx), &[n as usize]).to_device(self.device())?;
            r = r.index_select(d as i64, &it)?;
        }
        Ok(if r.same_storage(self) { self.deep_clone() } else { r })
    }

    /// `roll(shifts, dims)`; with no dims the flattened tensor rolls.
    pub fn roll(&self, shifts: &[i64], dims: &[i64]) -> Result<Tensor> {
        if self.ndim() == 0 {
            return Ok(self.deep_clone());
        }
        if dims.is_empty() {
            if shifts.len() != 1 {
                return Err(Error::arg("roll", "shifts and dimensions must align"));
            }
            return self.flatten(0, -1)?.roll(shifts, &[0])?.reshape_usize(self.shape());
        }
        if shifts.len() != dims.len() {
            return Err(Error::arg("roll", format!("shifts and dimensions must align. shifts: {}, dims:{}", shifts.len(), dims.len())));
        }
        let mut r = self.clone();
        for (&s, &d) in shifts.iter().zip(dims) {
            let dn = normalize_dim("roll", d, self.ndim())?;
            let n = self.shape()[dn] as i64;
            if n == 0 {
                continue;
            }
            let k = ((s % n) + n) % n;
            if k == 0 {
                continue;
            }
            let a = r.narrow(dn as i64, n - k, k)?;
            let b = r.narrow(dn as i64, 0, n - k)?;
            r = Tensor::cat(&[a, b], dn as i64)?;
        }
        Ok(if r.same_storage(self) { self.deep_clone() } else { r })
    }

    /// `repeat(sizes)`: tiles the tensor.
    pub fn repeat(&self, sizes: &[i64]) -> Result<Tensor> {
        if sizes.len() < self.ndim() {
            return Err(Error::arg("repeat", "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"));
        }
        let lead = sizes.len() - self.ndim();
        let mut xshape = vec![1usize; lead];
        xshape.extend_from_slice(self.shape());
        let x = self.reshape_usize(&xshape)?;
        // [s0, s1] -> view [1, s0, 1, s1] -> expand [r0, s0, r1, s1] -> [r0*s0, r1*s1]
        let mut inter = vec![];
        let mut exp = vec![];
        let mut fin = vec![];
        for (i, &r) in sizes.iter().enumerate() {
            if r < 0 {
                return Err(Error::arg("repeat", format!("Trying to create tensor with negative dimension {r}")));
            }
            inter.push(1i64);
            inter.push(xshape[i] as i64);
            exp.push(r);
            exp.push(xshape[i] as i64);
            fin.push(r * xshape[i] as i64);
        }
        x.reshape(&inter)?.expand(&exp)?.contiguous().reshape(&fin)
    }

    /// Mask of `col - row >= k` (`upper`) or `<= k` over the last two dims.
    fn tri_mask(&self, k: i64, upper: bool) -> Result<Tensor> {
        let nd = self.ndim();
        if nd < 2 {
            return Err(Error::shape(if upper { "triu" } else { "tril" }, "input tensor must have at least 2 dimensions"));
        }
        let (r, c) = (self.shape()[nd - 2], self.shape()[nd - 1]);
        let mut m = Vec::with_capacity(r * c);
        for i in 0..r as i64 {
            for j in 0..c as i64 {
                m.push(if upper { j - i >= k } else { j - i <= k });
            }
        }
        Tensor::from_cpu(ferrotorch_cpu::CpuStorage::Bool(m), &[r, c]).to_device(self.device())
    }

    pub fn tril(&self, k: i64) -> Result<Tensor> {
        let m = self.tri_mask(k, false)?;
        Tensor::where_(&m, self, &Tensor::scalar(Scalar::Int(0), self.dtype(), self.device())?)
    }

    pub fn triu(&self, k: i64) -> Result<Tensor> {
        let m = self.tri_mask(k, true)?;
        Tensor::where_(&m, self, &Tensor::scalar(Scalar::Int(0), self.dtype(), self.device())?)
    }

    /// Constant padding (`F.pad`): `pad` lists (left, right) pairs from the last dim
    /// backwards; negative amounts crop.
    pub fn pad_constant(&self, pad: &[i64], value: f64) -> Result<Tensor> {
        if !pad.len().is_multiple_of(2) || pad.len() / 2 > self.ndim() {
            return Err(Error::arg(
                "pad",
                format!("Padding length must be divisible by 2 and at most twice the number of dims ({}), got {}", self.ndim(), pad.len()),
            ));
        }
        let nd = self.ndim();
        let mut shape = self.shape().to_vec();
        let mut src = self.clone();
        let mut dst_off = vec![0usize; nd];
        for i in 0..pad.len() / 2 {
            let d = nd - 1 - i;
            let (l, r) = (pad[2 * i], pad[2 * i + 1]);
            let new = shape[d] as i64 + l + r;
            if new < 0 {
                return Err(Error::arg("pad", format!("The input size {}, plus negative padding {l} and {r} resulted in a negative output size, which is invalid. Check dimension {d} of your input.", shape[d])));
            }
            // Crop for negative pads, then place at max(l, 0).
            let cs = (-l).max(0);
            let ce = shape[d] as i64 - (-r).max(0);
            src = src.narrow(d as i64, cs, (ce - cs).max(0))?;
            dst_off[d] = l.max(0) as usize;
            shape[d] = new as usize;
        }
        let out = Tensor::full(&shape, value, self.dtype(), self.device())?;
        let mut dl = out.layout().clone();
        for (d, &off) in dst_off.iter().enumerate() {
            dl = dl.slice(d, off, off + src.shape()[d], 1);
        }
        if src.numel() > 0 {
            let s = src.storage().read();
            out.storage().write().copy_from(&dl, &s, src.layout())?;
        }
        Ok(out.record(&[self], || Op::Pad { pad: pad.to_vec() }))
    }

    /// The tensor itself when floating point, else a float32 copy (ops that promote ints).
    pub fn ensure_float(&self) -> Tensor {
        if self.dtype().is_float() {
            self.clone()
        } else {
            self.copy_as(DType::F32)
        }
    }
}

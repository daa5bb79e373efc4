//! `t.index(spec)` and `t.indexPut_(spec, value)`: PyTorch's `x[...]` rules. Numbers,
//! slices, `None` and `...` give views; int and bool tensors give advanced indexing,
//! which gathers by offsets into a new tensor.
use crate::ops::gather::index_values;
use crate::tensor::Tensor;
use ferrotorch_core::{broadcast_shapes, for_each_offsets, DType, Error, Layout, Result};

#[derive(Clone, Debug)]
pub enum IndexItem {
    Int(i64),
    Slice(Option<i64>, Option<i64>, Option<i64>),
    NewAxis,
    Ellipsis,
    Tensor(Tensor),
}

/// The result of applying the basic part of an index: a view, plus the advanced
/// indices (dim in the view, int64 index tensor) still to apply.
struct Plan {
    view: Tensor,
    adv: Vec<(usize, Tensor)>,
}

fn plan(t: &Tensor, spec: &[IndexItem]) -> Result<Plan> {
    // Dims each item consumes; a bool tensor consumes its own ndim.
    let consumes = |it: &IndexItem| match it {
        IndexItem::Int(_) | IndexItem::Slice(..) => 1,
        IndexItem::Tensor(x) if x.dtype() == DType::Bool || x.dtype() == DType::U8 => x.ndim(),
        IndexItem::Tensor(_) => 1,
        IndexItem::NewAxis | IndexItem::Ellipsis => 0,
    };
    let used: usize = spec.iter().map(consumes).sum();
    let ellipses = spec.iter().filter(|i| matches!(i, IndexItem::Ellipsis)).count();
    if ellipses > 1 {
        return Err(Error::arg("index", "an index can only have a single ellipsis ('...')"));
    }
    if used > t.ndim() {
        return Err(Error::IndexOutOfRange { op: "index", index: used as i64, dim: t.ndim(), size: t.ndim() })
            .map_err(|_| Error::Arg { op: "index", msg: format!("too many indices for tensor of dimension {} (got {used})", t.ndim()) });
    }
    let mut v = t.clone();
    let mut adv: Vec<(usize, Tensor)> = vec![];
    let mut d = 0usize; // current dim in the view
    for it in spec {
        match it {
            IndexItem::Ellipsis => d += t.ndim() - used,
            IndexItem::NewAxis => {
                v = v.unsqueeze(d as i64)?;
                d += 1;
            }
            IndexItem::Int(i) => {
                let n = v.shape()[d] as i64;
                if *i < -n || *i >= n {
                    return Err(Error::IndexOutOfRange { op: "index", index: *i, dim: d, size: n as usize });
                }
                v = v.select(d as i64, *i)?;
            }
            IndexItem::Slice(s, e, st) => {
                v = v.slice(d, *s, *e, st.unwrap_or(1))?;
                d += 1;
            }
            IndexItem::Tensor(x) if x.dtype() == DType::Bool || x.dtype() == DType::U8 => {
                for k in 0..x.ndim() {
                    if x.shape()[k] != v.shape()[d + k] {
                        return Err(Error::IndexOutOfRange { op: "index", index: x.shape()[k] as i64, dim: d + k, size: v.shape()[d + k] })
                            .map_err(|_| Error::Arg { op: "index", msg: format!("The shape of the mask {:?} at index {k} does not match the shape of the indexed tensor {:?} at index {}", x.shape(), v.shape(), d + k) });
                    }
                }
                if x.ndim() == 0 {
                    // x[True] adds a dim of size 1, x[False] one of size 0.
                    v = v.unsqueeze(d as i64)?;
                    let keep = x.item()? != 0.0;
                    let idx = Tensor::from_cpu(ferrotorch_cpu::CpuStorage::I64(if keep { vec![0] } else { vec![] }), &[keep as usize]);
                    adv.push((d, idx));
                    d += 1;
                } else {
                    let nz = x.nonzero()?;
                    for k in 0..x.ndim() {
                        adv.push((d + k, nz.select(1, k as i64)?));
                    }
                    d += x.ndim();
                }
            }
            IndexItem::Tensor(x) => {
                if x.dtype().is_float() {
                    return Err(Error::Type("tensors used as indices must be long, int, byte or bool tensors".into()));
                }
                adv.push((d, x.clone()));
                d += 1;
            }
        }
    }
    Ok(Plan { view: v, adv })
}

/// Offsets and result shape of an advanced index over `view`.
fn advanced(view: &Tensor, adv: &[(usize, Tensor)]) -> Result<(Vec<usize>, Vec<usize>)> {
    let mut bshape: Vec<usize> = vec![];
    for (_, x) in adv {
        bshape = broadcast_shapes("index", &bshape, x.shape())?;
    }
    let bn: usize = bshape.iter().product();
    let l = view.layout();
    // Contribution of the advanced dims to each offset.
    let mut adv_off = vec![0usize; bn];
    for (d, x) in adv {
        let vals = index_values("index", &x.broadcast_to(&bshape)?.contiguous())?;
        let n = l.shape[*d] as i64;
        for (o, &i) in adv_off.iter_mut().zip(&vals) {
            if i < -n || i >= n {
                return Err(Error::IndexOutOfRange { op: "index", index: i, dim: *d, size: n as usize });
            }
            *o += (if i < 0 { i + n } else { i }) as usize * l.strides[*d];
        }
    }
    let dims: Vec<usize> = adv.iter().map(|(d, _)| *d).collect();
    let consecutive = dims.windows(2).all(|w| w[1] == w[0] + 1) && {
        let mut s = dims.clone();
        s.dedup();
        s.len() == dims.len()
    };
    let rest = |range: std::ops::Range<usize>| -> Layout {
        let ds: Vec<usize> = range.filter(|d| !dims.contains(d)).collect();
        Layout { shape: ds.iter().map(|&d| l.shape[d]).collect(), strides: ds.iter().map(|&d| l.strides[d]).collect(), offset: 0 }
    };
    let mut offs = Vec::new();
    let shape = if consecutive {
        let first = dims[0];
        let before = rest(0..first);
        let after = rest(first..l.ndim());
        for_each_offsets(&before.shape, [&before.strides], [l.offset], |[b]| {
            for &a in &adv_off {
                for_each_offsets(&after.shape, [&after.strides], [b + a], |[o]| offs.push(o));
            }
        });
        [before.shape, bshape, after.shape].concat()
    } else {
        let r = rest(0..l.ndim());
        for &a in &adv_off {
            for_each_offsets(&r.shape, [&r.strides], [l.offset + a], |[o]| offs.push(o));
        }
        [bshape, r.shape].concat()
    };
    Ok((offs, shape))
}

impl Tensor {
    /// `x[spec]`.
    pub fn index(&self, spec: &[IndexItem]) -> Result<Tensor> {
        let p = plan(self, spec)?;
        if p.adv.is_empty() {
            return Ok(p.view);
        }
        if p.view.requires_grad() && crate::autograd::is_grad_enabled() {
            // Positions in the view's own row-major order, so the backward can scatter
            // the gradient into a tensor of the view's shape.
            let logical = p.view.detach().view_with(Layout::contiguous(p.view.shape()));
            let (lin, shape) = advanced(&logical, &p.adv)?;
            let src = p.view.contiguous();
            let base = src.storage_offset();
            let offs: Vec<usize> = lin.iter().map(|&o| o + base).collect();
            let s = src.storage().read().take(&offs)?;
            let lin_t = Tensor::from_cpu(ferrotorch_cpu::CpuStorage::I64(lin.iter().map(|&x| x as i64).collect()), &[lin.len()]);
            let in_shape = p.view.shape().to_vec();
            return Ok(Tensor::from_storage(s, &shape).record(&[&src], || crate::autograd::Op::TakeLinear { lin: lin_t, in_shape }));
        }
        let (offs, shape) = advanced(&p.view, &p.adv)?;
        let s = p.view.storage().read().take(&offs)?;
        Ok(Tensor::from_storage(s, &shape))
    }

    /// `x[spec] = value` (value broadcast to the indexed shape, cast to `x`'s dtype);
    /// with `accumulate`, repeated indices add up (`index_put_(..., accumulate=True)`).
    pub fn index_put_(&self, spec: &[IndexItem], value: &Tensor, accumulate: bool) -> Result<()> {
        Tensor::same_device("index_put_", &[self, value])?;
        let p = plan(self, spec)?;
        if p.adv.is_empty() {
            if accumulate {
                let cur = p.view.binary(ferrotorch_core::BinaryOp::Add, value)?;
                return p.view.copy_(&cur);
            }
            return p.view.copy_(value);
        }
        let (offs, shape) = advanced(&p.view, &p.adv)?;
        let v = value.broadcast_to(&shape).map_err(|_| {
            Error::shape(
                "index_put_",
                format!(
                    "shape mismatch: value tensor of shape {:?} cannot be broadcast to indexing result of shape {:?}",
                    value.shape(),
                    shape
                ),
            )
        })?;
        let v = v.copy_as(self.dtype());
        let src = v.storage().read();
        self.storage().write().put(&offs, &src, accumulate)?;
        Ok(())
    }
}

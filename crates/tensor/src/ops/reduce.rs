//! Reductions: sum, mean, prod, amax/amin, max/min with indices, argmax/argmin,
//! var/std, logsumexp, norm, all/any, cumsum/cumprod.
use super::norm_dims;
use crate::autograd::Op;
use crate::tensor::{Scalar, Tensor};
use ferrotorch_core::{normalize_dim, ArgReduceOp, BinaryOp, DType, Error, ReduceOp, Result, ScanOp, UnaryOp};

impl Tensor {
    /// The dims a reduction covers: all for `None` or an empty list (PyTorch's rule).
    pub fn reduce_dims(&self, op: &'static str, dims: Option<&[i64]>) -> Result<Vec<usize>> {
        match dims {
            None | Some([]) => Ok((0..self.ndim()).collect()),
            Some(d) => {
                let r = norm_dims(op, d, self.ndim())?;
                Ok(if self.ndim() == 0 { vec![] } else { r })
            }
        }
    }

    /// Shape after reducing `dims`.
    pub fn reduced_shape(&self, dims: &[usize], keepdim: bool) -> Vec<usize> {
        let mut s = vec![];
        for (i, &n) in self.shape().iter().enumerate() {
            if dims.contains(&i) {
                if keepdim {
                    s.push(1);
                }
            } else {
                s.push(n);
            }
        }
        s
    }

    /// A primitive reduction over `dims`.
    pub fn reduce(&self, op: ReduceOp, dims: Option<&[i64]>, keepdim: bool) -> Result<Tensor> {
        let name = match op {
            ReduceOp::Sum => "sum",
            ReduceOp::Prod => "prod",
            ReduceOp::Max => "amax",
            ReduceOp::Min => "amin",
            ReduceOp::All => "all",
            ReduceOp::Any => "any",
        };
        let ds = self.reduce_dims(name, dims)?;
        if matches!(op, ReduceOp::Max | ReduceOp::Min) {
            for &d in &ds {
                if self.shape()[d] == 0 {
                    return Err(Error::arg(name, format!("Expected reduction dim {d} to have non-zero size.")));
                }
            }
            if self.numel() == 0 && ds.is_empty() && self.ndim() > 0 {
                return Err(Error::arg(name, "Expected reduction dim to have non-zero size."));
            }
        }
        let s = self.storage().read().reduce(op, self.layout(), &ds)?;
        let out = Tensor::from_storage(s, &self.reduced_shape(&ds, keepdim));
        Ok(match op {
            ReduceOp::Sum => out.record(&[self], || Op::Sum { in_shape: self.shape().to_vec(), dims: ds, keepdim }),
            ReduceOp::Prod => out.clone().record(&[self], || Op::Prod { x: self.clone(), out: out.detach(), dims: ds, keepdim }),
            ReduceOp::Max | ReduceOp::Min => {
                out.clone().record(&[self], || Op::Extremum { x: self.clone(), out: out.detach(), dims: ds, keepdim })
            }
            ReduceOp::All | ReduceOp::Any => out,
        })
    }

    pub fn sum(&self, dims: Option<&[i64]>, keepdim: bool) -> Result<Tensor> {
        self.reduce(ReduceOp::Sum, dims, keepdim)
    }

    /// `mean`: floating point only, as in PyTorch.
    pub fn mean(&self, dims: Option<&[i64]>, keepdim: bool) -> Result<Tensor> {
        if !self.dtype().is_float() {
            return Err(Error::dtype(
                "mean",
                format!(
                    "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: {}",
                    super::elementwise::type_title(self.dtype())
                ),
            ));
        }
        let ds = self.reduce_dims("mean", dims)?;
        let n: usize = ds.iter().map(|&d| self.shape()[d]).product();
        let s = self.sum(dims, keepdim)?;
        s.binary_scalar(BinaryOp::Div, Scalar::Float(n as f64), false)
    }

    /// `max(dim)` / `min(dim)`: values and the index of the first winner.
    pub fn arg_reduce(&self, op: ArgReduceOp, dim: i64, keepdim: bool) -> Result<(Tensor, Tensor)> {
        let name = if op == ArgReduceOp::Max { "max" } else { "min" };
        let x = if self.ndim() == 0 { self.reshape(&[1])? } else { self.clone() };
        let d = normalize_dim(name, dim, x.ndim())?;
        if x.shape()[d] == 0 {
            return Err(Error::arg(name, format!("Expected reduction dim {d} to have non-zero size.")));
        }
        let (v, i) = x.storage().read().arg_reduce(op, x.layout(), d)?;
        let mut shape = x.reduced_shape(&[d], keepdim);
        if self.ndim() == 0 {
            shape = vec![];
        }
        let (v, i) = (Tensor::from_storage(v, &shape), Tensor::from_storage(i, &shape));
        if x.requires_grad() && crate::autograd::is_grad_enabled() {
            // The values as a gather of the input, so the gradient reaches the winners.
            let mut kshape = x.shape().to_vec();
            kshape[d] = 1;
            let v = x.gather(d as i64, &i.reshape_usize(&kshape)?)?.reshape_usize(&shape)?;
            return Ok((v, i));
        }
        Ok((v, i))
    }

    /// `argmax(dim?, keepdim)`; without a dim it indexes the flattened tensor.
    pub fn argmax_like(&self, op: ArgReduceOp, dim: Option<i64>, keepdim: bool) -> Result<Tensor> {
        if self.dtype() == DType::Bool {
            let name = if op == ArgReduceOp::Max { "argmax" } else { "argmin" };
            return Err(Error::dtype(name, format!("{name}(): does not support bool input")));
        }
        match dim {
            Some(d) => Ok(self.arg_reduce(op, d, keepdim)?.1),
            None => {
                if self.numel() == 0 {
                    return Err(Error::arg(
                        if op == ArgReduceOp::Max { "argmax" } else { "argmin" },
                        "Expected reduction dim to be specified for input.numel() == 0.",
                    ));
                }
                let (_, i) = self.reshape(&[-1])?.arg_reduce(op, 0, false)?;
                if keepdim {
                    i.reshape_usize(&vec![1; self.ndim()])
                } else {
                    Ok(i)
                }
            }
        }
    }

    /// `var(dims, correction, keepdim)`.
    pub fn var(&self, dims: Option<&[i64]>, correction: f64, keepdim: bool) -> Result<Tensor> {
        Ok(self.var_f64("var", dims, correction, keepdim)?.to_dtype(self.dtype()))
    }

    pub fn std(&self, dims: Option<&[i64]>, correction: f64, keepdim: bool) -> Result<Tensor> {
        Ok(self.var_f64("std", dims, correction, keepdim)?.unary(UnaryOp::Sqrt)?.to_dtype(self.dtype()))
    }

    /// The variance in float64, whatever the float input dtype: PyTorch's CPU kernel
    /// accumulates in double and takes the square root before rounding, so `std` of
    /// float32 values whose variance overflows float32 is still finite.
    fn var_f64(&self, op: &'static str, dims: Option<&[i64]>, correction: f64, keepdim: bool) -> Result<Tensor> {
        if !self.dtype().is_float() {
            return Err(Error::dtype(op, format!("std and var only support floating point and complex dtypes, got {}", self.dtype())));
        }
        let x = self.to_dtype(DType::F64);
        let ds = x.reduce_dims(op, dims)?;
        let n: usize = ds.iter().map(|&d| x.shape()[d]).product();
        let dl: Vec<i64> = ds.iter().map(|&d| d as i64).collect();
        let dref: Option<&[i64]> = Some(&dl);
        let mean = x.mean(dref, true)?;
        let diff = x.binary(BinaryOp::Sub, &mean)?;
        let ss = diff.binary(BinaryOp::Mul, &diff)?.sum(dref, keepdim)?;
        let denom = (n as f64 - correction).max(0.0);
        ss.binary_scalar(BinaryOp::Div, Scalar::Float(denom), false)
    }

    /// `logsumexp(dims, keepdim)`, computed stably around the max.
    pub fn logsumexp(&self, dims: &[i64], keepdim: bool) -> Result<Tensor> {
        let x = self.ensure_float();
        let ds = x.reduce_dims("logsumexp", Some(dims))?;
        let dl: Vec<i64> = ds.iter().map(|&d| d as i64).collect();
        if x.numel() == 0 {
            return x.unary(UnaryOp::Exp)?.sum(Some(&dl), keepdim)?.unary(UnaryOp::Log);
        }
        // The shift needs no gradient: logsumexp does not depend on it.
        let m = x.detach().reduce(ReduceOp::Max, Some(&dl), true)?;
        // An infinite max would give inf - inf: shift by 0 there instead.
        let finite = m.unary(UnaryOp::Abs)?.binary_scalar(BinaryOp::Ne, Scalar::Float(f64::INFINITY), false)?;
        let m = Tensor::where_(&finite, &m, &Tensor::scalar(Scalar::Int(0), m.dtype(), m.device())?)?;
        let s = x.binary(BinaryOp::Sub, &m)?.unary(UnaryOp::Exp)?.sum(Some(&dl), true)?.unary(UnaryOp::Log)?;
        let r = s.binary(BinaryOp::Add, &m)?;
        if keepdim {
            Ok(r)
        } else {
            r.squeeze(Some(&dl))
        }
    }

    /// `norm(p, dims, keepdim)` (vector norms; p = "fro" is 2).
    pub fn norm(&self, p: f64, dims: Option<&[i64]>, keepdim: bool) -> Result<Tensor> {
        if !self.dtype().is_float() {
            return Err(Error::dtype(
                "norm",
                format!("linalg.vector_norm: Expected a floating point or complex tensor as input. Got {}", self.dtype()),
            ));
        }
        let a = self.unary(UnaryOp::Abs)?;
        if p == f64::INFINITY {
            return a.reduce(ReduceOp::Max, dims, keepdim);
        }
        if p == f64::NEG_INFINITY {
            return a.reduce(ReduceOp::Min, dims, keepdim);
        }
        if p == 0.0 {
            let nz = a.binary_scalar(BinaryOp::Ne, Scalar::Int(0), false)?.to_dtype(self.dtype());
            return nz.sum(dims, keepdim);
        }
        if p == 1.0 {
            return a.sum(dims, keepdim);
        }
        if p == 2.0 {
            return self.binary(BinaryOp::Mul, self)?.sum(dims, keepdim)?.unary(UnaryOp::Sqrt);
        }
        a.unary(UnaryOp::PowScalar { exp: p })?.sum(dims, keepdim)?.unary(UnaryOp::PowScalar { exp: 1.0 / p })
    }

    pub fn all(&self, dims: Option<&[i64]>, keepdim: bool) -> Result<Tensor> {
        self.reduce(ReduceOp::All, dims, keepdim)
    }

    pub fn any(&self, dims: Option<&[i64]>, keepdim: bool) -> Result<Tensor> {
        self.reduce(ReduceOp::Any, dims, keepdim)
    }

    /// `cumsum(dim)` / `cumprod(dim)`; ints accumulate in int64.
    pub fn scan(&self, op: ScanOp, dim: i64) -> Result<Tensor> {
        let name = if op == ScanOp::Sum { "cumsum" } else { "cumprod" };
        let x = if self.ndim() == 0 { self.reshape(&[1])? } else { self.clone() };
        let d = normalize_dim(name, dim, x.ndim())?;
        let s = x.storage().read().scan(op, x.layout(), d)?;
        let out = Tensor::from_storage(s, self.shape());
        Ok(out.clone().record(&[&x], || Op::Scan { op, x: x.clone(), out: out.detach(), dim: d }))
    }

    /// Total count of nonzero elements as int64 (used by boolean indexing).
    pub fn count_nonzero_all(&self) -> Result<usize> {
        let b = self.to_dtype(DType::Bool).to_dtype(DType::I64);
        Ok(b.sum(None, false)?.item_i64()? as usize)
    }
}

// ---- backward ------------------------------------------------------------------------

/// `g` with the reduced dims put back (as size 1) so it broadcasts against the input.
fn unsqueeze_dims(g: &Tensor, dims: &[usize], keepdim: bool) -> Result<Tensor> {
    if keepdim {
        return Ok(g.clone());
    }
    let mut sorted = dims.to_vec();
    sorted.sort_unstable();
    let mut r = g.clone();
    for d in sorted {
        r = r.unsqueeze(d as i64)?;
    }
    Ok(r)
}

pub fn sum_backward(g: &Tensor, in_shape: &[usize], dims: &[usize], keepdim: bool) -> Result<Tensor> {
    let shape: Vec<i64> = in_shape.iter().map(|&x| x as i64).collect();
    unsqueeze_dims(g, dims, keepdim)?.expand(&shape)
}

/// `g * prod / x` (inputs with zeros need PyTorch's exclusive-product formula, not done yet).
pub fn prod_backward(x: &Tensor, out: &Tensor, g: &Tensor, dims: &[usize], keepdim: bool) -> Result<Tensor> {
    let g = unsqueeze_dims(g, dims, keepdim)?;
    let o = unsqueeze_dims(out, dims, keepdim)?;
    g.binary(BinaryOp::Mul, &o)?.binary(BinaryOp::Div, x)
}

/// amax/amin: the gradient is shared evenly among tied extremes.
pub fn extremum_backward(x: &Tensor, out: &Tensor, g: &Tensor, dims: &[usize], keepdim: bool) -> Result<Tensor> {
    let g = unsqueeze_dims(g, dims, keepdim)?;
    let o = unsqueeze_dims(out, dims, keepdim)?;
    let mask = x.binary(BinaryOp::Eq, &o)?.to_dtype(g.dtype());
    let dl: Vec<i64> = dims.iter().map(|&d| d as i64).collect();
    let count = mask.sum(Some(&dl), true)?;
    g.binary(BinaryOp::Mul, &mask)?.binary(BinaryOp::Div, &count)
}

pub fn scan_backward(op: ScanOp, x: &Tensor, out: &Tensor, g: &Tensor, dim: usize) -> Result<Tensor> {
    let d = dim as i64;
    let rev_cumsum = |t: &Tensor| -> Result<Tensor> { t.flip(&[d])?.scan(ScanOp::Sum, d)?.flip(&[d]) };
    match op {
        ScanOp::Sum => rev_cumsum(g),
        // Σ_{j>=i} g_j out_j / x_i (exact for inputs without zeros).
        ScanOp::Prod => rev_cumsum(&g.binary(BinaryOp::Mul, out)?)?.binary(BinaryOp::Div, x),
    }
}

impl Tensor {
    /// `prod` over several dims (the primitive reduction).
    pub fn prod_dims(&self, dims: &[usize], keepdim: bool) -> Result<Tensor> {
        let dl: Vec<i64> = dims.iter().map(|&d| d as i64).collect();
        self.reduce(ReduceOp::Prod, Some(&dl), keepdim)
    }
}

//! sort, argsort, topk.
use crate::tensor::Tensor;
use ferrotorch_core::{normalize_dim, Error, Result};

impl Tensor {
    /// `sort(dim, descending)`: stable; NaN sorts as the largest value.
    pub fn sort(&self, dim: i64, descending: bool) -> Result<(Tensor, Tensor)> {
        if self.ndim() == 0 {
            normalize_dim("sort", dim, 0)?;
            let z = Tensor::zeros(&[], ferrotorch_core::DType::I64, self.device())?;
            return Ok((self.deep_clone(), z));
        }
        let d = normalize_dim("sort", dim, self.ndim())?;
        let (v, i) = self.storage().read().sort(self.layout(), d, descending)?;
        let i = Tensor::from_storage(i, self.shape());
        if self.requires_grad() && crate::autograd::is_grad_enabled() {
            // Values as a gather, so gradients flow back to the sorted positions.
            return Ok((self.gather(d as i64, &i)?, i));
        }
        Ok((Tensor::from_storage(v, self.shape()), i))
    }

    /// `topk(k, dim, largest, sorted)`.
    pub fn topk(&self, k: i64, dim: i64, largest: bool) -> Result<(Tensor, Tensor)> {
        let x = if self.ndim() == 0 { self.reshape(&[1])? } else { self.clone() };
        let d = normalize_dim("topk", dim, x.ndim())?;
        if k < 0 || k as usize > x.shape()[d] {
            return Err(Error::arg("topk", "selected index k out of range"));
        }
        let (v, i) = x.sort(d as i64, largest)?;
        let (v, i) = (v.narrow(d as i64, 0, k)?.contiguous(), i.narrow(d as i64, 0, k)?.contiguous());
        if self.ndim() == 0 {
            return Ok((v.reshape(&[])?, i.reshape(&[])?));
        }
        Ok((v, i))
    }
}

//! Composite activations over a dim: softmax and log_softmax, computed stably.
use crate::tensor::Tensor;
use ferrotorch_core::{normalize_dim, BinaryOp, Error, ReduceOp, Result, UnaryOp};

impl Tensor {
    /// `softmax(dim)`: `exp(x - max) / sum(exp(x - max))`.
    pub fn softmax(&self, dim: i64) -> Result<Tensor> {
        let x = self.float_only("softmax")?;
        let d = normalize_dim("softmax", dim, x.ndim())? as i64;
        if x.numel() == 0 {
            return Ok(x.deep_clone());
        }
        // The shift carries no gradient: softmax does not depend on it.
        let m = x.detach().reduce(ReduceOp::Max, Some(&[d]), true)?;
        let e = x.binary(BinaryOp::Sub, &m)?.unary(UnaryOp::Exp)?;
        let s = e.sum(Some(&[d]), true)?;
        e.binary(BinaryOp::Div, &s)
    }

    /// `log_softmax(dim)`: `x - logsumexp(x)`.
    pub fn log_softmax(&self, dim: i64) -> Result<Tensor> {
        let x = self.float_only("log_softmax")?;
        let d = normalize_dim("log_softmax", dim, x.ndim())? as i64;
        if x.numel() == 0 {
            return Ok(x.deep_clone());
        }
        // The shift carries no gradient: softmax does not depend on it.
        let m = x.detach().reduce(ReduceOp::Max, Some(&[d]), true)?;
        let sh = x.binary(BinaryOp::Sub, &m)?;
        let lse = sh.unary(UnaryOp::Exp)?.sum(Some(&[d]), true)?.unary(UnaryOp::Log)?;
        sh.binary(BinaryOp::Sub, &lse)
    }

    /// PyTorch's softmax kernels take floats only (pass `dtype` to convert first).
    fn float_only(&self, op: &'static str) -> Result<Tensor> {
        if !self.dtype().is_float() {
            return Err(Error::dtype(
                op,
                format!("\"{op}_lastdim_kernel_impl\" not implemented for '{}'", super::elementwise::type_title(self.dtype())),
            ));
        }
        Ok(self.clone())
    }
}

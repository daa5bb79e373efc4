//! Elementwise ops: unary, binary with broadcasting and promotion, scalars, where.
use crate::tensor::{Scalar, Tensor};
use ferrotorch_core::{broadcast_shapes, result_type, BinaryOp, DType, Error, Operand, Result, UnaryOp};

/// Default float dtype (PyTorch's `get_default_dtype()`).
pub const DEFAULT_FLOAT: DType = DType::F32;

impl Tensor {
    /// Applies a unary op; ints and bools promote to float for float-only ops.
    pub fn unary(&self, op: UnaryOp) -> Result<Tensor> {
        let dt = self.dtype();
        check_unary_dtype(op, dt)?;
        if dt == DType::Bool && op == UnaryOp::Square {
            // `square` is `pow(x, 2)`: bool promotes to int64 there.
            return self.to_dtype(DType::I64).unary(op);
        }
        let x = if !op.keeps_int() && !dt.is_float() { self.copy_as(DEFAULT_FLOAT) } else { self.clone() };
        let s = x.storage().read().unary(op, x.layout());
        Ok(Tensor::from_storage(s, self.shape()))
    }

    /// Binary op with PyTorch's promotion and broadcasting.
    pub fn binary(&self, op: BinaryOp, other: &Tensor) -> Result<Tensor> {
        let name = op.name();
        Tensor::same_device(name, &[self, other])?;
        let mut ct = result_type(&[self.operand(), other.operand()]);
        match op {
            BinaryOp::Div | BinaryOp::Atan2 if !ct.is_float() => ct = DEFAULT_FLOAT,
            BinaryOp::BitAnd | BinaryOp::BitOr | BinaryOp::BitXor if ct.is_float() => {
                return Err(Error::dtype(name, format!("\"{name}_cpu\" not implemented for '{}'", ct)));
            }
            BinaryOp::Sub if ct == DType::Bool => {
                return Err(Error::dtype("sub", "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead."));
            }
            BinaryOp::Sub if self.dtype() == DType::Bool || other.dtype() == DType::Bool => {
                return Err(Error::dtype("sub", "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead."));
            }
            BinaryOp::Pow | BinaryOp::Remainder | BinaryOp::Fmod | BinaryOp::FloorDivide if ct == DType::Bool => {
                return Err(Error::dtype(name, format!("\"{name}\" not implemented for 'Bool'")));
            }
            _ => {}
        }
        let a = self.to_dtype(ct);
        let b = other.to_dtype(ct);
        // Same shapes (the common case): no broadcast layouts to build.
        if self.shape() == other.shape() {
            let s = a.storage().read().binary(op, a.layout(), &b.storage().read(), b.layout())?;
            return Ok(Tensor::from_storage(s, self.shape()));
        }
        let shape = broadcast_shapes(name, self.shape(), other.shape())?;
        let la = a.layout().broadcast_to(name, &shape)?;
        let lb = b.layout().broadcast_to(name, &shape)?;
        let s = a.storage().read().binary(op, &la, &b.storage().read(), &lb)?;
        Ok(Tensor::from_storage(s, &shape))
    }

    /// A scalar as a 0-dim tensor of the dtype it takes next to `self`.
    pub fn scalar_like(&self, s: Scalar) -> Result<Tensor> {
        let dt = result_type(&[self.operand(), Operand::Scalar(s.category())]);
        Tensor::scalar(s, dt, self.device())
    }

    /// `self op scalar` (or `scalar op self` when `reverse`).
    pub fn binary_scalar(&self, op: BinaryOp, s: Scalar, reverse: bool) -> Result<Tensor> {
        if op == BinaryOp::Sub && matches!(s, Scalar::Bool(_)) {
            return Err(Error::dtype("sub", "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead."));
        }
        let t = self.scalar_like(s)?;
        if reverse {
            t.binary(op, self)
        } else {
            self.binary(op, &t)
        }
    }

    /// `torch.add(a, b, alpha)`: `a + alpha * b`.
    pub fn add_alpha(&self, other: &Tensor, alpha: Scalar) -> Result<Tensor> {
        if alpha.to_f64() == 1.0 {
            return self.binary(BinaryOp::Add, other);
        }
        self.binary(BinaryOp::Add, &other.binary_scalar(BinaryOp::Mul, alpha, false)?)
    }

    /// `torch.div(a, b, rounding_mode)` with mode `None`, `"trunc"` or `"floor"`.
    pub fn div_mode(&self, other: &Tensor, mode: Option<&str>) -> Result<Tensor> {
        match mode {
            None => self.binary(BinaryOp::Div, other),
            Some("floor") => self.binary(BinaryOp::FloorDivide, other),
            Some("trunc") => {
                let ct = result_type(&[self.operand(), other.operand()]);
                if ct.is_float() {
                    self.binary(BinaryOp::Div, other)?.unary(UnaryOp::Trunc)
                } else {
                    self.binary(BinaryOp::Div, &other.to_dtype(ct))?.unary(UnaryOp::Trunc)?.to_dtype_checked(ct)
                }
            }
            Some(m) => Err(Error::arg("div", format!("expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{m}'"))),
        }
    }

    fn to_dtype_checked(&self, d: DType) -> Result<Tensor> {
        Ok(self.to_dtype(d))
    }

    /// `pow(self, exponent)` with a scalar exponent: ints stay ints for integral exponents.
    pub fn pow_scalar(&self, e: Scalar) -> Result<Tensor> {
        if !self.dtype().is_float() {
            if let Scalar::Bool(b) = e {
                // bool ** bool stays bool: x ** True is x, x ** False is all true.
                return if b { Ok(self.deep_clone()) } else { Tensor::full(self.shape(), 1.0, self.dtype(), self.device()) };
            }
            let ct = result_type(&[self.operand(), Operand::Scalar(e.category())]);
            if !ct.is_float() && e.to_f64() < 0.0 {
                return Err(Error::arg("pow", "Integers to negative integer powers are not allowed."));
            }
            return self.binary_scalar(BinaryOp::Pow, e, false);
        }
        self.unary(UnaryOp::PowScalar { exp: e.to_f64() })
    }

    /// `torch.where(cond, a, b)`.
    pub fn where_(cond: &Tensor, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        Tensor::same_device("where", &[cond, a, b])?;
        if cond.dtype() != DType::Bool {
            return Err(Error::dtype(
                "where",
                format!("where expected condition to be a boolean tensor, but got a tensor with dtype {}", cond.dtype()),
            ));
        }
        let ct = result_type(&[a.operand(), b.operand()]);
        let shape = broadcast_shapes("where", &broadcast_shapes("where", cond.shape(), a.shape())?, b.shape())?;
        let (a, b) = (a.to_dtype(ct), b.to_dtype(ct));
        let lc = cond.layout().broadcast_to("where", &shape)?;
        let la = a.layout().broadcast_to("where", &shape)?;
        let lb = b.layout().broadcast_to("where", &shape)?;
        let s = cond.storage().read().where_(&lc, &a.storage().read(), &la, &b.storage().read(), &lb);
        Ok(Tensor::from_storage(s, &shape))
    }

    /// `clamp(min, max)` with tensor bounds (scalar bounds go through `UnaryOp::Clamp`).
    pub fn clamp_tensor(&self, min: Option<&Tensor>, max: Option<&Tensor>) -> Result<Tensor> {
        if min.is_none() && max.is_none() {
            return Err(Error::arg("clamp", "At least one of 'min' or 'max' must not be None"));
        }
        let mut r = self.clone();
        if let Some(lo) = min {
            r = r.binary(BinaryOp::Maximum, lo)?;
        }
        if let Some(hi) = max {
            r = r.binary(BinaryOp::Minimum, hi)?;
        }
        Ok(r)
    }

    /// Runs an out-of-place op and writes the result back into `self` (the `op_` forms).
    /// PyTorch refuses in-place results whose dtype or shape cannot be stored in `self`.
    pub fn assign_result(&self, op: &'static str, r: &Tensor) -> Result<()> {
        if r.shape() != self.shape() {
            return Err(Error::shape(
                op,
                format!("output with shape {:?} doesn't match the broadcast shape {:?}", self.shape(), r.shape()),
            ));
        }
        let (rd, sd) = (r.dtype(), self.dtype());
        if rd != sd && (rd.category() > sd.category()) {
            return Err(Error::dtype(
                op,
                format!("result type {} can't be cast to the desired output type {}", type_title(rd), type_title(sd)),
            ));
        }
        self.copy_(r)
    }

    /// Elementwise `isnan`.
    pub fn isnan(&self) -> Result<Tensor> {
        self.binary(BinaryOp::Ne, self)
    }
}

/// The input dtypes PyTorch's kernels refuse: bool for the rounding and sign-changing
/// ops, and every non-float dtype for the nn activations (their kernels are float-only).
fn check_unary_dtype(op: UnaryOp, dt: DType) -> Result<()> {
    use UnaryOp::*;
    let name = op.name();
    if dt == DType::Bool {
        match op {
            Neg => return Err(Error::dtype("neg", "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")),
            Relu => return Err(Error::dtype("relu", "Boolean inputs not supported for relu")),
            Hardtanh { .. } => return Err(Error::dtype("hardtanh", "Bool inputs not supported for hardtanh")),
            Abs | Floor | Ceil | Round | Trunc => return Err(Error::dtype(name, format!("\"{name}_cpu\" not implemented for 'Bool'"))),
            _ => {}
        }
    }
    let float_only = matches!(op, Gelu { .. } | Silu | Mish | Softplus { .. } | LeakyRelu { .. } | Elu { .. } | Hardsigmoid | Hardswish);
    if float_only && !dt.is_float() {
        return Err(Error::dtype(name, format!("\"{name}_cpu\" not implemented for '{}'", type_title(dt))));
    }
    Ok(())
}

/// PyTorch's capitalized type names used in casting errors (`Float`, `Long`, ...).
pub fn type_title(d: DType) -> &'static str {
    match d {
        DType::Bool => "Bool",
        DType::U8 => "Byte",
        DType::I32 => "Int",
        DType::I64 => "Long",
        DType::F16 => "Half",
        DType::BF16 => "BFloat16",
        DType::F32 => "Float",
        DType::F64 => "Double",
    }
}

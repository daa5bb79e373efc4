//! Elementwise ops: unary, binary with broadcasting and promotion, scalars, where.
use crate::autograd::Op;
use crate::tensor::{Scalar, Tensor};
use ferrotorch_core::{broadcast_shapes, result_type, BinaryOp, DType, Device, Error, Operand, Result, UnaryOp};

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
        let s = x.storage().read().unary(op, x.layout())?;
        let out = Tensor::from_storage(s, self.shape());
        Ok(out.clone().record(&[self], || Op::Unary { op, x: x.clone(), out: out.detach() }))
    }

    /// Binary op with PyTorch's promotion and broadcasting.
    pub fn binary(&self, op: BinaryOp, other: &Tensor) -> Result<Tensor> {
        if self.device() != other.device() {
            // PyTorch reads a 0-dim CPU tensor next to a CUDA tensor as a scalar.
            if self.ndim() == 0 && self.device() == Device::Cpu {
                return self.to_device(other.device())?.binary(op, other);
            }
            if other.ndim() == 0 && other.device() == Device::Cpu {
                return self.binary(op, &other.to_device(self.device())?);
            }
        }
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
        let out = if self.shape() == other.shape() {
            let s = a.storage().read().binary(op, a.layout(), &b.storage().read(), b.layout())?;
            Tensor::from_storage(s, self.shape())
        } else {
            let shape = broadcast_shapes(name, self.shape(), other.shape())?;
            let la = a.layout().broadcast_to(name, &shape)?;
            let lb = b.layout().broadcast_to(name, &shape)?;
            let s = a.storage().read().binary(op, &la, &b.storage().read(), &lb)?;
            Tensor::from_storage(s, &shape)
        };
        if op.gives_bool() || matches!(op, BinaryOp::FloorDivide | BinaryOp::BitAnd | BinaryOp::BitOr | BinaryOp::BitXor) {
            return Ok(out);
        }
        Ok(out.clone().record(&[&a, &b], || Op::Binary {
            op,
            a: a.clone(),
            b: b.clone(),
            out: out.detach(),
            a_shape: self.shape().to_vec(),
            b_shape: other.shape().to_vec(),
        }))
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
                    self.binary(BinaryOp::Div, &other.to_dtype(ct))?.unary(UnaryOp::Trunc).map(|t| t.to_dtype(ct))
                }
            }
            Some(m) => Err(Error::arg("div", format!("expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{m}'"))),
        }
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
        let s = cond.storage().read().where_(&lc, &a.storage().read(), &la, &b.storage().read(), &lb)?;
        let out = Tensor::from_storage(s, &shape);
        Ok(out.record(&[&a, &b], || Op::Where { cond: cond.detach(), a_shape: a.shape().to_vec(), b_shape: b.shape().to_vec() }))
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
        if crate::autograd::is_grad_enabled() && self.requires_grad() && self.is_leaf() {
            return Err(Error::arg(op, "a leaf Variable that requires grad is being used in an in-place operation."));
        }
        self.copy_(&r.detach())?;
        // The result's history becomes this tensor's (PyTorch rebases in-place ops).
        if r.requires_grad() {
            let mut m = self.0.meta.lock();
            m.requires_grad = true;
            m.grad_fn = r.grad_fn();
        }
        Ok(())
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

// ---- backward ------------------------------------------------------------------------

fn sc(t: &Tensor, v: f64) -> Result<Tensor> {
    Tensor::scalar(Scalar::Float(v), t.dtype(), t.device())
}

fn mask_f(m: &Tensor, like: &Tensor) -> Tensor {
    m.to_dtype(like.dtype())
}

/// Gradient of a unary op: `g * f'(x)`, written with tensor ops so it can itself be
/// differentiated.
pub fn unary_backward(op: UnaryOp, x: &Tensor, y: &Tensor, g: &Tensor) -> Result<Tensor> {
    use BinaryOp::{Add, Div, Gt, Lt, Mul, Sub};
    use UnaryOp as U;
    let mul = |a: &Tensor, b: &Tensor| a.binary(Mul, b);
    let mulf = |a: &Tensor, v: f64| a.binary_scalar(Mul, Scalar::Float(v), false);
    let zeros = || Tensor::zeros(g.shape(), g.dtype(), g.device());
    match op {
        U::Neg => g.unary(U::Neg),
        U::Abs => mul(g, &x.unary(U::Sign)?),
        U::Sign | U::Floor | U::Ceil | U::Round | U::Trunc | U::LogicalNot => zeros(),
        U::Square => mul(g, &mulf(x, 2.0)?),
        U::Relu => mul(g, &mask_f(&y.binary_scalar(Gt, Scalar::Int(0), false)?, g)),
        U::Clamp { min, max } => {
            let mut m = Tensor::ones(x.shape(), DType::Bool, x.device())?;
            if let Some(lo) = min {
                m = m.binary(BinaryOp::LogicalAnd, &x.binary_scalar(BinaryOp::Ge, Scalar::Float(lo), false)?)?;
            }
            if let Some(hi) = max {
                m = m.binary(BinaryOp::LogicalAnd, &x.binary_scalar(BinaryOp::Le, Scalar::Float(hi), false)?)?;
            }
            mul(g, &mask_f(&m, g))
        }
        U::Hardtanh { min, max } => {
            let m = x
                .binary_scalar(Gt, Scalar::Float(min), false)?
                .binary(BinaryOp::LogicalAnd, &x.binary_scalar(Lt, Scalar::Float(max), false)?)?;
            mul(g, &mask_f(&m, g))
        }
        U::Exp => mul(g, y),
        U::Exp2 => mul(g, &mulf(y, std::f64::consts::LN_2)?),
        U::Log => g.binary(Div, x),
        U::Log2 => g.binary(Div, &mulf(x, std::f64::consts::LN_2)?),
        U::Log10 => g.binary(Div, &mulf(x, std::f64::consts::LN_10)?),
        U::Log1p => g.binary(Div, &x.binary_scalar(Add, Scalar::Int(1), false)?),
        U::Expm1 => mul(g, &y.binary_scalar(Add, Scalar::Int(1), false)?),
        U::Sqrt => g.binary(Div, &mulf(y, 2.0)?),
        U::Rsqrt => mul(g, &mulf(&y.unary(U::PowScalar { exp: 3.0 })?, -0.5)?),
        U::Sin => mul(g, &x.unary(U::Cos)?),
        U::Cos => mul(g, &x.unary(U::Sin)?.unary(U::Neg)?),
        U::Tan => mul(g, &y.unary(U::Square)?.binary_scalar(Add, Scalar::Int(1), false)?),
        U::Asin => g.binary(Div, &x.unary(U::Square)?.binary_scalar(Sub, Scalar::Int(1), true)?.unary(U::Sqrt)?),
        U::Acos => g.binary(Div, &x.unary(U::Square)?.binary_scalar(Sub, Scalar::Int(1), true)?.unary(U::Sqrt)?)?.unary(U::Neg),
        U::Atan => g.binary(Div, &x.unary(U::Square)?.binary_scalar(Add, Scalar::Int(1), false)?),
        U::Sinh => mul(g, &x.unary(U::Cosh)?),
        U::Cosh => mul(g, &x.unary(U::Sinh)?),
        U::Tanh => mul(g, &y.unary(U::Square)?.binary_scalar(Sub, Scalar::Int(1), true)?),
        U::Sigmoid => mul(g, &mul(y, &y.binary_scalar(Sub, Scalar::Int(1), true)?)?),
        U::Erf | U::Erfc => {
            let d = mulf(&x.unary(U::Square)?.unary(U::Neg)?.unary(U::Exp)?, 2.0 / std::f64::consts::PI.sqrt())?;
            let d = if op == U::Erfc { d.unary(U::Neg)? } else { d };
            mul(g, &d)
        }
        U::Reciprocal => mul(g, &y.unary(U::Square)?.unary(U::Neg)?),
        U::Gelu { tanh: false } => {
            // Φ(x) + x φ(x)
            let cdf = mulf(&mulf(x, std::f64::consts::FRAC_1_SQRT_2)?.unary(U::Erf)?.binary_scalar(Add, Scalar::Int(1), false)?, 0.5)?;
            let pdf = mulf(&mulf(&x.unary(U::Square)?, -0.5)?.unary(U::Exp)?, 1.0 / (2.0 * std::f64::consts::PI).sqrt())?;
            mul(g, &cdf.binary(Add, &mul(x, &pdf)?)?)
        }
        U::Gelu { tanh: true } => {
            let k = (2.0 / std::f64::consts::PI).sqrt();
            let x2 = x.unary(U::Square)?;
            let inner = mulf(&mul(x, &mulf(&x2, 0.044715)?.binary_scalar(Add, Scalar::Int(1), false)?)?, k)?;
            let t = inner.unary(U::Tanh)?;
            let left = mulf(&t.binary_scalar(Add, Scalar::Int(1), false)?, 0.5)?;
            let dinner = mulf(&mulf(&x2, 3.0 * 0.044715)?.binary_scalar(Add, Scalar::Int(1), false)?, k)?;
            let right = mul(&mulf(x, 0.5)?, &mul(&t.unary(U::Square)?.binary_scalar(Sub, Scalar::Int(1), true)?, &dinner)?)?;
            mul(g, &left.binary(Add, &right)?)
        }
        U::Silu => {
            let s = x.unary(U::Sigmoid)?;
            let d = s.binary(Add, &mul(&mul(x, &s)?, &s.binary_scalar(Sub, Scalar::Int(1), true)?)?)?;
            mul(g, &d)
        }
        U::Mish => {
            let sp = x.unary(U::Softplus { beta: 1.0, threshold: 20.0 })?;
            let t = sp.unary(U::Tanh)?;
            let d =
                t.binary(Add, &mul(&mul(x, &t.unary(U::Square)?.binary_scalar(Sub, Scalar::Int(1), true)?)?, &x.unary(U::Sigmoid)?)?)?;
            mul(g, &d)
        }
        U::Softplus { beta, threshold } => {
            let s = mulf(x, beta)?.unary(U::Sigmoid)?;
            let lin = mulf(x, beta)?.binary_scalar(Gt, Scalar::Float(threshold), false)?;
            mul(g, &Tensor::where_(&lin, &sc(g, 1.0)?, &s)?)
        }
        U::LeakyRelu { slope } => {
            let pos = x.binary_scalar(Gt, Scalar::Int(0), false)?;
            mul(g, &Tensor::where_(&pos, &sc(g, 1.0)?, &sc(g, slope)?)?)
        }
        U::Elu { alpha, scale, input_scale } => {
            let pos = x.binary_scalar(Gt, Scalar::Int(0), false)?;
            let neg = mulf(&y.binary_scalar(Add, Scalar::Float(alpha * scale), false)?, input_scale)?;
            mul(g, &Tensor::where_(&pos, &sc(g, scale)?, &neg)?)
        }
        U::Hardsigmoid => {
            let m =
                x.binary_scalar(Gt, Scalar::Int(-3), false)?.binary(BinaryOp::LogicalAnd, &x.binary_scalar(Lt, Scalar::Int(3), false)?)?;
            mul(g, &mulf(&mask_f(&m, g), 1.0 / 6.0)?)
        }
        U::Hardswish => {
            let mid = mulf(&mulf(x, 2.0)?.binary_scalar(Add, Scalar::Int(3), false)?, 1.0 / 6.0)?;
            let lo = x.binary_scalar(Lt, Scalar::Int(-3), false)?;
            let hi = x.binary_scalar(Gt, Scalar::Int(3), false)?;
            let d = Tensor::where_(&lo, &sc(g, 0.0)?, &Tensor::where_(&hi, &sc(g, 1.0)?, &mid)?)?;
            mul(g, &d)
        }
        U::PowScalar { exp } => {
            if exp == 0.0 {
                return zeros();
            }
            mul(g, &mulf(&x.unary(U::PowScalar { exp: exp - 1.0 })?, exp)?)
        }
        U::RPowScalar { base } => mul(g, &mulf(y, base.ln())?),
    }
}

/// Gradients of a binary op before summing back over broadcast dims.
pub fn binary_backward(op: BinaryOp, a: &Tensor, b: &Tensor, out: &Tensor, g: &Tensor) -> Result<(Option<Tensor>, Option<Tensor>)> {
    use BinaryOp::*;
    let mul = |x: &Tensor, y: &Tensor| x.binary(Mul, y);
    Ok(match op {
        Add => (Some(g.clone()), Some(g.clone())),
        Sub => (Some(g.clone()), Some(g.unary(UnaryOp::Neg)?)),
        Mul => (Some(mul(g, b)?), Some(mul(g, a)?)),
        Div => {
            let ga = g.binary(Div, b)?;
            let gb = mul(&ga, &out.unary(UnaryOp::Neg)?)?;
            (Some(ga), Some(gb))
        }
        Pow => {
            // d/da = b a^(b-1); d/db = out ln(a), taken as 0 where a == 0 and b >= 0.
            let bm1 = b.binary_scalar(Sub, Scalar::Int(1), false)?;
            let ga = mul(g, &mul(b, &a.binary(Pow, &bm1)?)?)?;
            let ln = a.unary(UnaryOp::Log)?;
            let zero_ok = a.binary_scalar(Eq, Scalar::Int(0), false)?.binary(LogicalAnd, &b.binary_scalar(Ge, Scalar::Int(0), false)?)?;
            let gb = Tensor::where_(&zero_ok, &sc(g, 0.0)?, &mul(g, &mul(out, &ln)?)?)?;
            (Some(ga), Some(gb))
        }
        Maximum | Minimum => {
            let (w, l) = if op == Maximum { (Gt, Lt) } else { (Lt, Gt) };
            let tie = mask_f(&a.binary(Eq, b)?, g).binary_scalar(Mul, Scalar::Float(0.5), false)?;
            let ma = mask_f(&a.binary(w, b)?, g).binary(Add, &tie)?;
            let mb = mask_f(&a.binary(l, b)?, g).binary(Add, &tie)?;
            (Some(mul(g, &ma)?), Some(mul(g, &mb)?))
        }
        Atan2 => {
            let den = a.unary(UnaryOp::Square)?.binary(Add, &b.unary(UnaryOp::Square)?)?;
            (Some(mul(g, &b.binary(Div, &den)?)?), Some(mul(g, &a.binary(Div, &den)?.unary(UnaryOp::Neg)?)?))
        }
        Remainder => (Some(g.clone()), Some(mul(g, &a.binary(Div, b)?.unary(UnaryOp::Floor)?.unary(UnaryOp::Neg)?)?)),
        Fmod => (Some(g.clone()), Some(mul(g, &a.binary(Div, b)?.unary(UnaryOp::Trunc)?.unary(UnaryOp::Neg)?)?)),
        _ => (None, None),
    })
}

/// Gradients of `where(cond, a, b)`.
pub fn where_backward(cond: &Tensor, g: &Tensor) -> Result<(Tensor, Tensor)> {
    let z = sc(g, 0.0)?;
    Ok((Tensor::where_(cond, g, &z)?, Tensor::where_(cond, &z, g)?))
}

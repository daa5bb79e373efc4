//! Elementwise ops of one operand.
use crate::copy::gather_vec;
use crate::elem::Elem;
use crate::storage::CpuStorage;
use crate::GRAIN;
use ferrotorch_core::{for_each_offsets, Layout, UnaryOp};
use half::{bf16, f16};
use rayon::prelude::*;

const SELU_ALPHA: f64 = 1.673_263_242_354_377_3;
const SELU_SCALE: f64 = 1.050_700_987_355_480_5;
pub const SELU: UnaryOp = UnaryOp::Elu { alpha: SELU_ALPHA, scale: SELU_SCALE, input_scale: 1.0 };

/// Maps `f` over a view into a new contiguous `Vec`, in parallel above the grain size.
pub fn map_view<A: Elem, B: Elem>(src: &[A], l: &Layout, f: impl Fn(A) -> B + Sync + Send) -> Vec<B> {
    if let Some(r) = l.contiguous_range() {
        let s = &src[r];
        if s.len() >= GRAIN {
            let mut out = Vec::<B>::with_capacity(s.len());
            // SAFETY: every slot is written exactly once below before the Vec is read.
            unsafe { out.set_len(s.len()) };
            out.par_chunks_mut(GRAIN / 4).zip(s.par_chunks(GRAIN / 4)).for_each(|(o, i)| {
                for (o, &x) in o.iter_mut().zip(i) {
                    *o = f(x);
                }
            });
            return out;
        }
        return s.iter().map(|&x| f(x)).collect();
    }
    let mut out = Vec::with_capacity(l.numel());
    for_each_offsets(&l.shape, [&l.strides], [l.offset], |[o]| out.push(f(src[o])));
    out
}

macro_rules! float_kernel {
    ($name:ident, $t:ty, $erf:path, $erfc:path) => {
        /// The scalar function of `op` for this float type.
        #[inline]
        pub fn $name(op: UnaryOp) -> impl Fn($t) -> $t + Sync + Send {
            move |x: $t| -> $t {
                use UnaryOp::*;
                match op {
                    Neg => -x,
                    Abs => x.abs(),
                    Sign => {
                        if x > 0.0 {
                            1.0
                        } else if x < 0.0 {
                            -1.0
                        } else {
                            0.0
                        }
                    }
                    Square => x * x,
                    Relu => {
                        if x > 0.0 || x.is_nan() {
                            x
                        } else {
                            0.0
                        }
                    }
                    Floor => x.floor(),
                    Ceil => x.ceil(),
                    Round => x.round_ties_even(),
                    Trunc => x.trunc(),
                    Clamp { min, max } => {
                        // min(max(x, lo), hi) with NaN propagating from x and from the bounds.
                        let mut y = x;
                        if let Some(lo) = min {
                            let lo = lo as $t;
                            if lo.is_nan() {
                                return lo;
                            }
                            if y < lo {
                                y = lo;
                            }
                        }
                        if let Some(hi) = max {
                            let hi = hi as $t;
                            if hi.is_nan() {
                                return hi;
                            }
                            if y > hi {
                                y = hi;
                            }
                        }
                        y
                    }
                    LogicalNot => (x == 0.0) as u8 as $t,
                    Exp => x.exp(),
                    Exp2 => x.exp2(),
                    Log => x.ln(),
                    Log2 => x.log2(),
                    Log10 => x.log10(),
                    Log1p => x.ln_1p(),
                    Expm1 => x.exp_m1(),
                    Sqrt => x.sqrt(),
                    Rsqrt => 1.0 / x.sqrt(),
                    Sin => x.sin(),
                    Cos => x.cos(),
                    Tan => x.tan(),
                    Asin => x.asin(),
                    Acos => x.acos(),
                    Atan => x.atan(),
                    Sinh => x.sinh(),
                    Cosh => x.cosh(),
                    Tanh => x.tanh(),
                    Sigmoid => 1.0 / (1.0 + (-x).exp()),
                    Erf => $erf(x),
                    Erfc => $erfc(x),
                    Reciprocal => 1.0 / x,
                    Gelu { tanh: false } => 0.5 * x * (1.0 + $erf(x * std::f64::consts::FRAC_1_SQRT_2 as $t)),
                    Gelu { tanh: true } => {
                        let k = (2.0 / std::f64::consts::PI).sqrt() as $t;
                        0.5 * x * (1.0 + (k * (x + 0.044715 * x * x * x)).tanh())
                    }
                    Silu => x / (1.0 + (-x).exp()),
                    Mish => {
                        let sp = if x > 20.0 { x } else { x.exp().ln_1p() };
                        x * sp.tanh()
                    }
                    Softplus { beta, threshold } => {
                        let b = beta as $t;
                        if x * b > threshold as $t {
                            x
                        } else {
                            (x * b).exp().ln_1p() / b
                        }
                    }
                    LeakyRelu { slope } => {
                        if x > 0.0 {
                            x
                        } else {
                            x * slope as $t
                        }
                    }
                    Elu { alpha, scale, input_scale } => {
                        if x > 0.0 {
                            x * scale as $t
                        } else {
                            ((x * input_scale as $t).exp_m1()) * (alpha * scale) as $t
                        }
                    }
                    Hardtanh { min, max } => {
                        if x < min as $t {
                            min as $t
                        } else if x > max as $t {
                            max as $t
                        } else {
                            x
                        }
                    }
                    Hardsigmoid => (x / 6.0 + 0.5).clamp(0.0, 1.0),
                    Hardswish => x * (x / 6.0 + 0.5).clamp(0.0, 1.0),
                    PowScalar { exp } => {
                        if exp == 2.0 {
                            x * x
                        } else if exp == 1.0 {
                            x
                        } else if exp == 0.5 {
                            x.sqrt()
                        } else {
                            x.powf(exp as $t)
                        }
                    }
                    RPowScalar { base } => (base as $t).powf(x),
                }
            }
        }
    };
}
float_kernel!(f32_fn, f32, libm::erff, libm::erfcf);
float_kernel!(f64_fn, f64, libm::erf, libm::erfc);

/// Integer forms of the ops that keep ints (`UnaryOp::keeps_int`).
fn int_fn<T: Elem>(op: UnaryOp) -> impl Fn(T) -> T + Sync + Send {
    move |x: T| {
        let v = x.to_i64();
        let r = match op {
            UnaryOp::Neg => v.wrapping_neg(),
            UnaryOp::Abs => v.wrapping_abs(),
            UnaryOp::Sign => v.signum(),
            UnaryOp::Square => v.wrapping_mul(v),
            UnaryOp::Relu => v.max(0),
            UnaryOp::Clamp { min, max } => {
                let mut y = v;
                if let Some(lo) = min {
                    y = y.max(lo as i64);
                }
                if let Some(hi) = max {
                    y = y.min(hi as i64);
                }
                y
            }
            UnaryOp::Hardtanh { min, max } => v.max(min as i64).min(max as i64),
            _ => v,
        };
        T::from_i64(r)
    }
}

/// Applies `op` to a view. Float ops expect a float storage (the tensor layer casts);
/// `LogicalNot` gives bool for every input dtype.
pub fn unary(op: UnaryOp, s: &CpuStorage, l: &Layout) -> CpuStorage {
    if op == UnaryOp::LogicalNot {
        return crate::with_storage!(s, v, T => CpuStorage::Bool(map_view(v, l, |x: T| x == T::default())));
    }
    match s {
        CpuStorage::F32(v) => CpuStorage::F32(map_view(v, l, f32_fn(op))),
        CpuStorage::F64(v) => CpuStorage::F64(map_view(v, l, f64_fn(op))),
        CpuStorage::F16(v) => {
            let f = f32_fn(op);
            CpuStorage::F16(map_view(v, l, |x: f16| f16::from_f32(f(x.to_f32()))))
        }
        CpuStorage::BF16(v) => {
            let f = f32_fn(op);
            CpuStorage::BF16(map_view(v, l, |x: bf16| bf16::from_f32(f(x.to_f32()))))
        }
        CpuStorage::Bool(v) => CpuStorage::Bool(gather_vec(v, l)),
        CpuStorage::U8(v) => CpuStorage::U8(map_view(v, l, int_fn::<u8>(op))),
        CpuStorage::I32(v) => CpuStorage::I32(map_view(v, l, int_fn::<i32>(op))),
        CpuStorage::I64(v) => CpuStorage::I64(map_view(v, l, int_fn::<i64>(op))),
    }
}

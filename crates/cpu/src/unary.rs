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
            let mut out = crate::pool::take::<B>(s.len());
            // SAFETY: every slot is written exactly once below before the Vec is read.
            unsafe { out.set_len(s.len()) };
            out.par_chunks_mut(GRAIN / 4).zip(s.par_chunks(GRAIN / 4)).for_each(|(o, i)| {
                for (o, &x) in o.iter_mut().zip(i) {
                    *o = f(x);
                }
            });
            return out;
        }
        let mut out = crate::pool::take::<B>(s.len());
        out.extend(s.iter().map(|&x| f(x)));
        return out;
    }
    let mut out = crate::pool::take::<B>(l.numel());
    for_each_offsets(&l.shape, [&l.strides], [l.offset], |[o]| out.push(f(src[o])));
    out
}

/// `exp` for f32 in a form the compiler vectorizes (Cephes' polynomial, ~1 ulp): range
/// reduction to `2^n * e^g` with |g| <= ln2/2. Overflow gives inf, results below the
/// normal range come out subnormal (0 below the smallest subnormal), NaN stays NaN.
#[inline(always)]
pub fn expf_fast(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // Branch-free so the loop vectorizes: clamp, reduce, polynomial, scale, then selects
    // for overflow and underflow (NaN flows through the arithmetic).
    let xc = x.clamp(-103.972_08, 88.72283);
    // floor() by truncation and a correction: a libm call without SSE4.1, this vectorizes.
    let v = xc * LOG2E + 0.5;
    // NaN is replaced before the unchecked conversion; the clamp bounds |v| below 2^31.
    let v = if v.is_nan() { 0.0 } else { v };
    // SAFETY: v is finite and within i32 range (|v| < 151).
    let t: i32 = unsafe { v.to_int_unchecked() };
    let n = t - ((t as f32 > v) as i32);
    let fx = n as f32;
    let g = xc - fx * 0.693_359_4 - fx * -2.121_944_4e-4;
    let p = ((((1.987_569_1e-4 * g + 1.398_199_9e-3) * g + 8.333_452e-3) * g + 4.166_579_6e-2) * g + 0.166_666_65) * g + 0.5;
    let y = p * g * g + g + 1.0;
    // 2^n in two halves so n = 128 or down to -150 keep each factor a normal float; the
    // last product rounds once into the subnormal range.
    let n1 = n >> 1;
    let n2 = n - n1;
    let scaled = y * f32::from_bits(((n1 + 127) as u32) << 23) * f32::from_bits(((n2 + 127) as u32) << 23);
    let r = if x > 88.72283 { f32::INFINITY } else { scaled };
    let r = if x < -103.972_08 { 0.0 } else { r };
    if x.is_nan() {
        x
    } else {
        r
    }
}

/// f32 `exp` of a contiguous slice with the run-time-dispatched SIMD kernel, in parallel
/// above the grain size.
fn exp_contiguous(src: &[f32]) -> Vec<f32> {
    let n = src.len();
    let mut out = crate::pool::take::<f32>(n);
    // SAFETY: every slot is written by exp_slice before the Vec is read.
    unsafe { out.set_len(n) };
    if n >= GRAIN {
        out.par_chunks_mut(GRAIN / 4).zip(src.par_chunks(GRAIN / 4)).for_each(|(o, i)| crate::simd_exp::exp_slice(i, o));
    } else {
        crate::simd_exp::exp_slice(src, &mut out);
    }
    out
}

/// `exp` with the vectorizable f32 form; f64 keeps libm's.
pub trait FastExp {
    fn fexp(self) -> Self;
}
impl FastExp for f32 {
    #[inline(always)]
    fn fexp(self) -> f32 {
        expf_fast(self)
    }
}
impl FastExp for f64 {
    #[inline(always)]
    fn fexp(self) -> f64 {
        self.exp()
    }
}

macro_rules! float_kernel {
    ($name:ident, $t:ty, $erf:path, $erfc:path) => {
        /// `op` over a view of this float type. The match sits outside the loop so each
        /// op gets its own tight, vectorizable loop.
        pub fn $name(op: UnaryOp, v: &[$t], l: &Layout) -> Vec<$t> {
            use UnaryOp::*;
            macro_rules! m {
                ($x:ident => $e:expr) => {
                    map_view(v, l, move |$x: $t| -> $t { $e })
                };
            }
            match op {
                    Neg => m!(x => -x),
                    Abs => m!(x => x.abs()),
                    Sign => m!(x => {
                        if x > 0.0 {
                            1.0
                        } else if x < 0.0 {
                            -1.0
                        } else {
                            0.0
                        }
                    }),
                    Square => m!(x => x * x),
                    Relu => m!(x => {
                        if x > 0.0 || x.is_nan() {
                            x
                        } else {
                            0.0
                        }
                    }),
                    Floor => m!(x => x.floor()),
                    Ceil => m!(x => x.ceil()),
                    Round => m!(x => x.round_ties_even()),
                    Trunc => m!(x => x.trunc()),
                    Clamp { min, max } => m!(x => {
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
                    }),
                    LogicalNot => m!(x => (x == 0.0) as u8 as $t),
                    Exp => m!(x => x.fexp()),
                    Exp2 => m!(x => x.exp2()),
                    Log => m!(x => x.ln()),
                    Log2 => m!(x => x.log2()),
                    Log10 => m!(x => x.log10()),
                    Log1p => m!(x => x.ln_1p()),
                    Expm1 => m!(x => x.exp_m1()),
                    Sqrt => m!(x => x.sqrt()),
                    Rsqrt => m!(x => 1.0 / x.sqrt()),
                    Sin => m!(x => x.sin()),
                    Cos => m!(x => x.cos()),
                    Tan => m!(x => x.tan()),
                    Asin => m!(x => x.asin()),
                    Acos => m!(x => x.acos()),
                    Atan => m!(x => x.atan()),
                    Sinh => m!(x => x.sinh()),
                    Cosh => m!(x => x.cosh()),
                    Tanh => m!(x => x.tanh()),
                    Sigmoid => m!(x => 1.0 / (1.0 + (-x).fexp())),
                    Erf => m!(x => $erf(x)),
                    Erfc => m!(x => $erfc(x)),
                    Reciprocal => m!(x => 1.0 / x),
                    Gelu { tanh: false } => m!(x => 0.5 * x * (1.0 + $erf(x * std::f64::consts::FRAC_1_SQRT_2 as $t))),
                    Gelu { tanh: true } => m!(x => {
                        let k = (2.0 / std::f64::consts::PI).sqrt() as $t;
                        0.5 * x * (1.0 + (k * (x + 0.044715 * x * x * x)).tanh())
                    }),
                    Silu => m!(x => x / (1.0 + (-x).fexp())),
                    Mish => m!(x => {
                        let sp = if x > 20.0 { x } else { x.exp().ln_1p() };
                        x * sp.tanh()
                    }),
                    Softplus { beta, threshold } => m!(x => {
                        let b = beta as $t;
                        if x * b > threshold as $t {
                            x
                        } else {
                            (x * b).exp().ln_1p() / b
                        }
                    }),
                    LeakyRelu { slope } => m!(x => {
                        if x > 0.0 {
                            x
                        } else {
                            x * slope as $t
                        }
                    }),
                    Elu { alpha, scale, input_scale } => m!(x => {
                        if x > 0.0 {
                            x * scale as $t
                        } else {
                            ((x * input_scale as $t).exp_m1()) * (alpha * scale) as $t
                        }
                    }),
                    Hardtanh { min, max } => m!(x => {
                        if x < min as $t {
                            min as $t
                        } else if x > max as $t {
                            max as $t
                        } else {
                            x
                        }
                    }),
                    Hardsigmoid => m!(x => (x / 6.0 + 0.5).clamp(0.0, 1.0)),
                    Hardswish => m!(x => x * (x / 6.0 + 0.5).clamp(0.0, 1.0)),
                    PowScalar { exp } => m!(x => {
                        if exp == 2.0 {
                            x * x
                        } else if exp == 1.0 {
                            x
                        } else if exp == 0.5 {
                            x.sqrt()
                        } else {
                            x.powf(exp as $t)
                        }
                    }),
                    RPowScalar { base } => m!(x => (base as $t).powf(x)),
            }
        }
    };
}
float_kernel!(unary_f32, f32, libm::erff, libm::erfcf);
float_kernel!(unary_f64, f64, libm::erf, libm::erfc);

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
    if let (UnaryOp::Exp, CpuStorage::F32(v)) = (op, s) {
        if let Some(r) = l.contiguous_range() {
            return CpuStorage::F32(exp_contiguous(&v[r]));
        }
    }
    if op == UnaryOp::LogicalNot {
        return crate::with_storage!(s, v, T => CpuStorage::Bool(map_view(v, l, |x: T| x == T::default())));
    }
    match s {
        CpuStorage::F32(v) => CpuStorage::F32(unary_f32(op, v, l)),
        CpuStorage::F64(v) => CpuStorage::F64(unary_f64(op, v, l)),
        // Half types compute in f32 and round once, as PyTorch's CPU kernels do.
        CpuStorage::F16(v) => {
            let w: Vec<f32> = map_view(v, l, |x: f16| x.to_f32());
            CpuStorage::F16(unary_f32(op, &w, &Layout::contiguous(&l.shape)).into_iter().map(f16::from_f32).collect())
        }
        CpuStorage::BF16(v) => {
            let w: Vec<f32> = map_view(v, l, |x: bf16| x.to_f32());
            CpuStorage::BF16(unary_f32(op, &w, &Layout::contiguous(&l.shape)).into_iter().map(bf16::from_f32).collect())
        }
        CpuStorage::Bool(v) => CpuStorage::Bool(gather_vec(v, l)),
        CpuStorage::U8(v) => CpuStorage::U8(map_view(v, l, int_fn::<u8>(op))),
        CpuStorage::I32(v) => CpuStorage::I32(map_view(v, l, int_fn::<i32>(op))),
        CpuStorage::I64(v) => CpuStorage::I64(map_view(v, l, int_fn::<i64>(op))),
    }
}

#[cfg(test)]
mod tests {
    use super::expf_fast;

    #[test]
    fn fast_exp_is_within_two_ulp_of_exact() {
        let mut worst = 0.0f64;
        let mut x = -87.0f32;
        while x < 88.5 {
            let got = expf_fast(x) as f64;
            let exact = (x as f64).exp();
            worst = worst.max(((got - exact) / exact).abs());
            x += 0.001_37;
        }
        assert!(worst < 2.5e-7, "max relative error {worst}");
        assert_eq!(expf_fast(100.0), f32::INFINITY);
        assert_eq!(expf_fast(f32::NEG_INFINITY), 0.0);
        assert!(expf_fast(f32::NAN).is_nan());
        assert_eq!(expf_fast(0.0), 1.0);
    }
}

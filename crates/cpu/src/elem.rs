//! The element trait: how each dtype converts and compares.
use crate::storage::CpuStorage;
use ferrotorch_core::DType;
use half::{bf16, f16};

pub trait Elem: Copy + Send + Sync + PartialOrd + PartialEq + Default + std::fmt::Debug + 'static {
    const DTYPE: DType;
    fn to_f64(self) -> f64;
    /// C-style cast from f64 (truncation for ints, `!= 0` for bool).
    fn from_f64(v: f64) -> Self;
    fn to_i64(self) -> i64;
    fn from_i64(v: i64) -> Self;
    fn wrap(v: Vec<Self>) -> CpuStorage;
    fn slice(s: &CpuStorage) -> &[Self];
    fn slice_mut(s: &mut CpuStorage) -> &mut [Self];
    /// The storage's Vec, which must hold this type.
    fn into_vec(s: CpuStorage) -> Vec<Self>;
    #[inline]
    #[allow(clippy::eq_op)] // NaN is the one value not equal to itself
    fn is_nan(self) -> bool {
        self != self
    }
}

macro_rules! int_elem {
    ($t:ty, $v:ident, $d:expr) => {
        impl Elem for $t {
            const DTYPE: DType = $d;
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn from_f64(v: f64) -> Self {
                // Saturating like Rust's `as`; NaN gives 0 (PyTorch leaves it undefined).
                v as $t
            }
            #[inline]
            fn to_i64(self) -> i64 {
                self as i64
            }
            #[inline]
            fn from_i64(v: i64) -> Self {
                v as $t
            }
            fn wrap(v: Vec<Self>) -> CpuStorage {
                CpuStorage::$v(v)
            }
            fn slice(s: &CpuStorage) -> &[Self] {
                match s {
                    CpuStorage::$v(v) => v,
                    _ => unreachable!("storage dtype mismatch"),
                }
            }
            fn slice_mut(s: &mut CpuStorage) -> &mut [Self] {
                match s {
                    CpuStorage::$v(v) => v,
                    _ => unreachable!("storage dtype mismatch"),
                }
            }
            fn into_vec(s: CpuStorage) -> Vec<Self> {
                match s {
                    CpuStorage::$v(v) => v,
                    _ => unreachable!("storage dtype mismatch"),
                }
            }
        }
    };
}
int_elem!(u8, U8, DType::U8);
int_elem!(i32, I32, DType::I32);
int_elem!(i64, I64, DType::I64);

macro_rules! float_elem {
    ($t:ty, $v:ident, $d:expr, $to:expr, $from:expr, $from_int:expr) => {
        impl Elem for $t {
            const DTYPE: DType = $d;
            #[inline]
            fn to_f64(self) -> f64 {
                $to(self)
            }
            #[inline]
            fn from_f64(v: f64) -> Self {
                $from(v)
            }
            #[inline]
            fn to_i64(self) -> i64 {
                $to(self) as i64
            }
            #[inline]
            fn from_i64(v: i64) -> Self {
                $from_int(v)
            }
            fn wrap(v: Vec<Self>) -> CpuStorage {
                CpuStorage::$v(v)
            }
            fn slice(s: &CpuStorage) -> &[Self] {
                match s {
                    CpuStorage::$v(v) => v,
                    _ => unreachable!("storage dtype mismatch"),
                }
            }
            fn slice_mut(s: &mut CpuStorage) -> &mut [Self] {
                match s {
                    CpuStorage::$v(v) => v,
                    _ => unreachable!("storage dtype mismatch"),
                }
            }
            fn into_vec(s: CpuStorage) -> Vec<Self> {
                match s {
                    CpuStorage::$v(v) => v,
                    _ => unreachable!("storage dtype mismatch"),
                }
            }
        }
    };
}
// Ints convert to f32/f64 with one rounding (through f64 first, int64 -> f32 could round twice).
float_elem!(f32, F32, DType::F32, |x: f32| x as f64, |v: f64| v as f32, |v: i64| v as f32);
float_elem!(f64, F64, DType::F64, |x: f64| x, |v: f64| v, |v: i64| v as f64);
float_elem!(f16, F16, DType::F16, |x: f16| x.to_f64(), f16::from_f64, |v: i64| f16::from_f64(v as f64));
float_elem!(bf16, BF16, DType::BF16, |x: bf16| x.to_f64(), bf16::from_f64, |v: i64| bf16::from_f64(v as f64));

impl Elem for bool {
    const DTYPE: DType = DType::Bool;
    #[inline]
    fn to_f64(self) -> f64 {
        self as u8 as f64
    }
    #[inline]
    fn from_f64(v: f64) -> Self {
        v != 0.0
    }
    #[inline]
    fn to_i64(self) -> i64 {
        self as i64
    }
    #[inline]
    fn from_i64(v: i64) -> Self {
        v != 0
    }
    fn wrap(v: Vec<Self>) -> CpuStorage {
        CpuStorage::Bool(v)
    }
    fn slice(s: &CpuStorage) -> &[Self] {
        match s {
            CpuStorage::Bool(v) => v,
            _ => unreachable!("storage dtype mismatch"),
        }
    }
    fn slice_mut(s: &mut CpuStorage) -> &mut [Self] {
        match s {
            CpuStorage::Bool(v) => v,
            _ => unreachable!("storage dtype mismatch"),
        }
    }
    fn into_vec(s: CpuStorage) -> Vec<Self> {
        match s {
            CpuStorage::Bool(v) => v,
            _ => unreachable!("storage dtype mismatch"),
        }
    }
}

/// Floats that kernels compute in natively (f16/bf16 are widened to f32 first).
pub trait Float:
    Elem
    + std::ops::Add<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Div<Output = Self>
    + std::ops::Neg<Output = Self>
{
    fn f(v: f64) -> Self;
    fn exp(self) -> Self;
    fn ln(self) -> Self;
    fn sqrt(self) -> Self;
    fn tanh(self) -> Self;
    fn abs(self) -> Self;
    fn max_nan(self, o: Self) -> Self;
}

macro_rules! float_impl {
    ($t:ty) => {
        impl Float for $t {
            #[inline]
            fn f(v: f64) -> Self {
                v as $t
            }
            #[inline]
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            #[inline]
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            #[inline]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline]
            fn tanh(self) -> Self {
                <$t>::tanh(self)
            }
            #[inline]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline]
            fn max_nan(self, o: Self) -> Self {
                if self.is_nan() || o.is_nan() {
                    <$t>::NAN
                } else if self > o {
                    self
                } else {
                    o
                }
            }
        }
    };
}
float_impl!(f32);
float_impl!(f64);

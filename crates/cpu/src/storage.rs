//! CPU storage: one contiguous `Vec` of the dtype's native element type.
use crate::elem::Elem;
use ferrotorch_core::DType;
use half::{bf16, f16};

#[derive(Clone, Debug)]
pub enum CpuStorage {
    Bool(Vec<bool>),
    U8(Vec<u8>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    F16(Vec<f16>),
    BF16(Vec<bf16>),
    F32(Vec<f32>),
    F64(Vec<f64>),
}

/// Runs `$body` with `$v` bound to the storage's `Vec<T>` for whichever `T` it holds;
/// `$T` names that element type inside the body.
#[macro_export]
macro_rules! with_storage {
    ($s:expr, $v:ident, $T:ident => $body:expr) => {
        match $s {
            $crate::CpuStorage::Bool($v) => {
                #[allow(dead_code)]
                type $T = bool;
                $body
            }
            $crate::CpuStorage::U8($v) => {
                #[allow(dead_code)]
                type $T = u8;
                $body
            }
            $crate::CpuStorage::I32($v) => {
                #[allow(dead_code)]
                type $T = i32;
                $body
            }
            $crate::CpuStorage::I64($v) => {
                #[allow(dead_code)]
                type $T = i64;
                $body
            }
            $crate::CpuStorage::F16($v) => {
                #[allow(dead_code)]
                type $T = half::f16;
                $body
            }
            $crate::CpuStorage::BF16($v) => {
                #[allow(dead_code)]
                type $T = half::bf16;
                $body
            }
            $crate::CpuStorage::F32($v) => {
                #[allow(dead_code)]
                type $T = f32;
                $body
            }
            $crate::CpuStorage::F64($v) => {
                #[allow(dead_code)]
                type $T = f64;
                $body
            }
        }
    };
}

/// Runs `$body` with `$T` bound to the Rust element type of a `DType`.
#[macro_export]
macro_rules! with_dtype {
    ($d:expr, $T:ident => $body:expr) => {
        match $d {
            ferrotorch_core::DType::Bool => {
                type $T = bool;
                $body
            }
            ferrotorch_core::DType::U8 => {
                type $T = u8;
                $body
            }
            ferrotorch_core::DType::I32 => {
                type $T = i32;
                $body
            }
            ferrotorch_core::DType::I64 => {
                type $T = i64;
                $body
            }
            ferrotorch_core::DType::F16 => {
                type $T = half::f16;
                $body
            }
            ferrotorch_core::DType::BF16 => {
                type $T = half::bf16;
                $body
            }
            ferrotorch_core::DType::F32 => {
                type $T = f32;
                $body
            }
            ferrotorch_core::DType::F64 => {
                type $T = f64;
                $body
            }
        }
    };
}

impl CpuStorage {
    pub fn dtype(&self) -> DType {
        with_storage!(self, _v, T => T::DTYPE)
    }

    pub fn len(&self) -> usize {
        with_storage!(self, v, T => v.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn nbytes(&self) -> usize {
        self.len() * self.dtype().size()
    }

    /// `n` copies of `value` (cast from f64 by the dtype's rule).
    pub fn full(dtype: DType, n: usize, value: f64) -> CpuStorage {
        with_dtype!(dtype, T => T::wrap(crate::pool::filled(n, T::from_f64(value))))
    }

    /// Like `full` but from an exact integer (int64 values above 2^53 survive).
    pub fn full_i64(dtype: DType, n: usize, value: i64) -> CpuStorage {
        with_dtype!(dtype, T => T::wrap(crate::pool::filled(n, T::from_i64(value))))
    }

    pub fn from_f64_vec(dtype: DType, v: &[f64]) -> CpuStorage {
        with_dtype!(dtype, T => T::wrap(v.iter().map(|&x| T::from_f64(x)).collect()))
    }

    /// One element as f64 (for `item()` and printing).
    pub fn get_f64(&self, i: usize) -> f64 {
        with_storage!(self, v, T => v[i].to_f64())
    }

    pub fn get_i64(&self, i: usize) -> i64 {
        with_storage!(self, v, T => v[i].to_i64())
    }
}

/// Converts one element type to another with PyTorch's cast rules: int to int keeps
/// all 64 bits, int to float rounds once, float to int truncates, anything to bool is `!= 0`.
#[inline]
pub fn cast<A: Elem, B: Elem>(a: A) -> B {
    if A::DTYPE.is_float() {
        B::from_f64(a.to_f64())
    } else {
        B::from_i64(a.to_i64())
    }
}

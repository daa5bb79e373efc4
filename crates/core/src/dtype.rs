//! Element types and PyTorch's type promotion.
use crate::error::{Error, Result};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    Bool,
    U8,
    I32,
    I64,
    F16,
    BF16,
    F32,
    F64,
}

/// The three categories PyTorch's promotion compares first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Category {
    Bool,
    Int,
    Float,
}

impl DType {
    pub const ALL: [DType; 8] = [DType::Bool, DType::U8, DType::I32, DType::I64, DType::F16, DType::BF16, DType::F32, DType::F64];

    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::U8 => "uint8",
            DType::I32 => "int32",
            DType::I64 => "int64",
            DType::F16 => "float16",
            DType::BF16 => "bfloat16",
            DType::F32 => "float32",
            DType::F64 => "float64",
        }
    }

    /// Accepts PyTorch's names and their common aliases (`float`, `double`, `long`, `half`).
    pub fn parse(s: &str) -> Result<DType> {
        Ok(match s {
            "bool" => DType::Bool,
            "uint8" => DType::U8,
            "int32" | "int" => DType::I32,
            "int64" | "long" => DType::I64,
            "float16" | "half" => DType::F16,
            "bfloat16" => DType::BF16,
            "float32" | "float" => DType::F32,
            "float64" | "double" => DType::F64,
            _ => {
                return Err(Error::Type(format!(
                    "invalid dtype '{s}': expected one of float32, float64, float16, bfloat16, int32, int64, uint8, bool"
                )))
            }
        })
    }

    pub fn size(self) -> usize {
        match self {
            DType::Bool | DType::U8 => 1,
            DType::F16 | DType::BF16 => 2,
            DType::I32 | DType::F32 => 4,
            DType::I64 | DType::F64 => 8,
        }
    }

    pub fn category(self) -> Category {
        match self {
            DType::Bool => Category::Bool,
            DType::U8 | DType::I32 | DType::I64 => Category::Int,
            _ => Category::Float,
        }
    }

    pub fn is_float(self) -> bool {
        self.category() == Category::Float
    }

    pub fn is_int(self) -> bool {
        self.category() == Category::Int
    }

    /// `torch.promote_types`.
    pub fn promote(a: DType, b: DType) -> DType {
        use DType::*;
        if a == b {
            return a;
        }
        match (a, b) {
            (Bool, x) | (x, Bool) => x,
            (F16, BF16) | (BF16, F16) => F32,
            (x, y) if x.is_float() && y.is_float() => x.max(y),
            (x, _) if x.is_float() => x,
            (_, y) if y.is_float() => y,
            // Both integers: the wider one (u8 fits in i32 and i64 here).
            (x, y) => x.max(y),
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One operand of `result_type`: a tensor with dims, a 0-dim tensor, or a JS number
/// ("wrapped number" in PyTorch).
#[derive(Clone, Copy, Debug)]
pub enum Operand {
    Dim(DType),
    ZeroDim(DType),
    Scalar(Category),
}

fn promote_opt(a: Option<DType>, b: Option<DType>) -> Option<DType> {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some(a), Some(b)) => Some(DType::promote(a, b)),
    }
}

fn combine(higher: Option<DType>, lower: Option<DType>) -> Option<DType> {
    match higher {
        Some(h) if h.is_float() => Some(h),
        Some(h) if h == DType::Bool || lower.map(|l| l.is_float()).unwrap_or(false) => promote_opt(Some(h), lower),
        Some(h) => Some(h),
        None => lower,
    }
}

/// `torch.result_type` over tensors and scalars: dimensioned tensors win within a
/// category; 0-dim tensors and scalars only lift the category.
pub fn result_type(ops: &[Operand]) -> DType {
    let (mut dim, mut zero, mut wrapped) = (None, None, None);
    for op in ops {
        match *op {
            Operand::Dim(d) => dim = promote_opt(dim, Some(d)),
            Operand::ZeroDim(d) => zero = promote_opt(zero, Some(d)),
            Operand::Scalar(c) => {
                let d = match c {
                    Category::Bool => DType::Bool,
                    Category::Int => DType::I64,
                    Category::Float => DType::F32,
                };
                wrapped = promote_opt(wrapped, Some(d))
            }
        }
    }
    combine(dim, combine(zero, wrapped)).unwrap_or(DType::F32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use DType::*;

    #[test]
    fn promotion_matches_pytorch() {
        assert_eq!(DType::promote(U8, I32), I32);
        assert_eq!(DType::promote(Bool, U8), U8);
        assert_eq!(DType::promote(I64, F16), F16);
        assert_eq!(DType::promote(F16, BF16), F32);
        assert_eq!(DType::promote(F32, F64), F64);
        assert_eq!(result_type(&[Operand::Dim(I64), Operand::Scalar(Category::Float)]), F32);
        assert_eq!(result_type(&[Operand::Dim(F16), Operand::Scalar(Category::Float)]), F16);
        assert_eq!(result_type(&[Operand::Dim(F32), Operand::ZeroDim(F64)]), F32);
        assert_eq!(result_type(&[Operand::Dim(I32), Operand::ZeroDim(F64)]), F64);
        assert_eq!(result_type(&[Operand::Dim(U8), Operand::ZeroDim(I64)]), U8);
        assert_eq!(result_type(&[Operand::Dim(Bool), Operand::Scalar(Category::Int)]), I64);
        assert_eq!(result_type(&[Operand::Dim(I32), Operand::Scalar(Category::Int)]), I32);
    }
}

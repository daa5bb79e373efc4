//! The CUDA C of every kernel (compiled at run time by NVRTC) and the op codes the
//! kernels switch on. Nothing here needs a GPU, so the sources are checked on any machine
//! that has NVRTC (`tests/nvrtc.rs`).
use ferrotorch_core::{BinaryOp, DType, ReduceOp, UnaryOp};

const PRELUDE: &str = include_str!("../kernels/prelude.cuh");

/// A kernel module: one `.cu` file instantiated for an operand dtype `TA` and, where the
/// family converts, an output dtype `TB`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// cast, copy_into, put (TA -> TB).
    Cast,
    /// fill, unary, logical_not, binary, compare, where_, take.
    Elementwise,
    /// reduce_block, reduce_thread, arg_reduce, scan (TA -> TB).
    Reduce,
    /// im2col, col2im, max_pool2d.
    Conv,
    /// sgd, adam, rmsprop, adagrad (float32, float64).
    Optim,
    /// random (Philox) for the float dtypes.
    Random,
    /// matmul_int for the integer dtypes (cuBLAS covers floats).
    Matmul,
}

impl Family {
    pub const ALL: [Family; 7] =
        [Family::Cast, Family::Elementwise, Family::Reduce, Family::Conv, Family::Optim, Family::Random, Family::Matmul];

    fn file(self) -> &'static str {
        match self {
            Family::Cast => include_str!("../kernels/cast.cu"),
            Family::Elementwise => include_str!("../kernels/elementwise.cu"),
            Family::Reduce => include_str!("../kernels/reduce.cu"),
            Family::Conv => include_str!("../kernels/conv.cu"),
            Family::Optim => include_str!("../kernels/optim.cu"),
            Family::Random => include_str!("../kernels/random.cu"),
            Family::Matmul => include_str!("../kernels/matmul.cu"),
        }
    }

    /// The (TA, TB) pairs the backend instantiates this family for.
    pub fn instances(self) -> Vec<(DType, DType)> {
        let all = DType::ALL;
        match self {
            Family::Cast => all.iter().flat_map(|&a| all.iter().map(move |&b| (a, b))).collect(),
            Family::Elementwise | Family::Conv => all.iter().map(|&a| (a, a)).collect(),
            Family::Reduce => {
                let mut v = vec![];
                for a in all {
                    for op in [ReduceOp::Sum, ReduceOp::Max, ReduceOp::All] {
                        let b = reduce_out(op, a);
                        if !v.contains(&(a, b)) {
                            v.push((a, b));
                        }
                    }
                }
                v
            }
            Family::Optim => vec![(DType::F32, DType::F32), (DType::F64, DType::F64)],
            Family::Random => all.iter().filter(|d| d.is_float()).map(|&a| (a, a)).collect(),
            Family::Matmul => all.iter().filter(|d| !d.is_float()).map(|&a| (a, a)).collect(),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Family::Cast => "cast",
            Family::Elementwise => "elementwise",
            Family::Reduce => "reduce",
            Family::Conv => "conv",
            Family::Optim => "optim",
            Family::Random => "random",
            Family::Matmul => "matmul",
        }
    }
}

/// The output dtype of a reduction (PyTorch sums and multiplies ints in int64).
pub fn reduce_out(op: ReduceOp, d: DType) -> DType {
    match op {
        ReduceOp::Sum | ReduceOp::Prod if !d.is_float() => DType::I64,
        ReduceOp::All | ReduceOp::Any => DType::Bool,
        _ => d,
    }
}

fn trait_name(d: DType) -> &'static str {
    match d {
        DType::Bool => "T_bool",
        DType::U8 => "T_u8",
        DType::I32 => "T_i32",
        DType::I64 => "T_i64",
        DType::F16 => "T_f16",
        DType::BF16 => "T_bf16",
        DType::F32 => "T_f32",
        DType::F64 => "T_f64",
    }
}

/// The full source of one module.
pub fn module_source(f: Family, a: DType, b: DType) -> String {
    format!("{PRELUDE}\ntypedef {} TA;\ntypedef {} TB;\n{}", trait_name(a), trait_name(b), f.file())
}

/// The cache key of one module.
pub fn module_key(f: Family, a: DType, b: DType) -> String {
    format!("{}:{}:{}", f.name(), a.name(), b.name())
}

/// NVRTC options shared by every module (the architecture is added per device).
pub const NVRTC_OPTIONS: [&str; 2] = ["-std=c++17", "--device-as-default-execution-space"];

/// Kernel parameters of unary ops (elementwise.cu's `UParams`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct UParams {
    pub p0: f64,
    pub p1: f64,
    pub p2: f64,
    pub has_min: i32,
    pub has_max: i32,
}
// SAFETY: plain data with the C layout elementwise.cu declares.
unsafe impl cudarc::driver::DeviceRepr for UParams {}

/// The op code `elementwise.cu` switches on for a unary op, with its parameters.
pub fn unary_code(op: UnaryOp) -> (i32, UParams) {
    use UnaryOp::*;
    let p = UParams::default();
    let with = |p0: f64, p1: f64, p2: f64| UParams { p0, p1, p2, ..UParams::default() };
    match op {
        Neg => (0, p),
        Abs => (1, p),
        Sign => (2, p),
        Square => (3, p),
        Relu => (4, p),
        Floor => (5, p),
        Ceil => (6, p),
        Round => (7, p),
        Trunc => (8, p),
        Clamp { min, max } => (
            9,
            UParams {
                p0: min.unwrap_or(0.0),
                p1: max.unwrap_or(0.0),
                p2: 0.0,
                has_min: min.is_some() as i32,
                has_max: max.is_some() as i32,
            },
        ),
        Exp => (10, p),
        Exp2 => (11, p),
        Log => (12, p),
        Log2 => (13, p),
        Log10 => (14, p),
        Log1p => (15, p),
        Expm1 => (16, p),
        Sqrt => (17, p),
        Rsqrt => (18, p),
        Sin => (19, p),
        Cos => (20, p),
        Tan => (21, p),
        Asin => (22, p),
        Acos => (23, p),
        Atan => (24, p),
        Sinh => (25, p),
        Cosh => (26, p),
        Tanh => (27, p),
        Sigmoid => (28, p),
        Erf => (29, p),
        Erfc => (30, p),
        Reciprocal => (31, p),
        Gelu { tanh: false } => (32, p),
        Gelu { tanh: true } => (33, p),
        Silu => (34, p),
        Mish => (35, p),
        Softplus { beta, threshold } => (36, with(beta, threshold, 0.0)),
        LeakyRelu { slope } => (37, with(slope, 0.0, 0.0)),
        Elu { alpha, scale, input_scale } => (38, with(alpha, scale, input_scale)),
        Hardtanh { min, max } => (39, with(min, max, 0.0)),
        Hardsigmoid => (40, p),
        Hardswish => (41, p),
        PowScalar { exp } => (42, with(exp, 0.0, 0.0)),
        RPowScalar { base } => (43, with(base, 0.0, 0.0)),
        LogicalNot => (-1, p),
    }
}

/// The op code `elementwise.cu` switches on for a binary op.
pub fn binary_code(op: BinaryOp) -> i32 {
    use BinaryOp::*;
    match op {
        Add => 0,
        Sub => 1,
        Mul => 2,
        Div => 3,
        Pow => 4,
        Maximum => 5,
        Minimum => 6,
        Atan2 => 7,
        Remainder => 8,
        Fmod => 9,
        FloorDivide => 10,
        BitAnd => 11,
        BitOr => 12,
        BitXor => 13,
        LogicalAnd => 14,
        LogicalOr => 15,
        LogicalXor => 16,
        Eq => 17,
        Ne => 18,
        Lt => 19,
        Le => 20,
        Gt => 21,
        Ge => 22,
    }
}

/// The op code `reduce.cu` switches on.
pub fn reduce_code(op: ReduceOp) -> i32 {
    match op {
        ReduceOp::Sum => 0,
        ReduceOp::Prod => 1,
        ReduceOp::Max => 2,
        ReduceOp::Min => 3,
        ReduceOp::All => 4,
        ReduceOp::Any => 5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The enum in elementwise.cu lists the unary codes in this order.
    #[test]
    fn unary_codes_follow_the_kernel_enum() {
        let src = Family::Elementwise.file();
        let start = src.find("U_NEG,").unwrap();
        let end = src[start..].find("};").unwrap() + start;
        let names: Vec<&str> = src[start..end].split(',').map(|s| s.trim()).filter(|s| !s.is_empty()).collect();
        assert_eq!(names.len(), 44);
        let probe = [
            (UnaryOp::Neg, "U_NEG"),
            (UnaryOp::Clamp { min: None, max: None }, "U_CLAMP"),
            (UnaryOp::Gelu { tanh: true }, "U_GELU_TANH"),
            (UnaryOp::RPowScalar { base: 2.0 }, "U_RPOW_SCALAR"),
            (UnaryOp::Hardswish, "U_HARDSWISH"),
        ];
        for (op, name) in probe {
            assert_eq!(names[unary_code(op).0 as usize], name);
        }
        let start = src.find("B_ADD,").unwrap();
        let end = src[start..].find("};").unwrap() + start;
        let names: Vec<&str> = src[start..end].split(',').map(|s| s.trim()).filter(|s| !s.is_empty()).collect();
        assert_eq!(names[binary_code(BinaryOp::Ge) as usize], "B_GE");
        assert_eq!(names[binary_code(BinaryOp::FloorDivide) as usize], "B_FLOOR_DIVIDE");
        assert_eq!(names[binary_code(BinaryOp::LogicalXor) as usize], "B_LXOR");
    }
}

//! The primitive op vocabulary every backend implements. Composite ops (softmax,
//! var, norm, ...) are built from these in the tensor crate.

/// Elementwise ops of one operand. Parameters travel inside the variant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum UnaryOp {
    Neg,
    Abs,
    Sign,
    Square,
    Relu,
    Floor,
    Ceil,
    Round,
    Trunc,
    Clamp {
        min: Option<f64>,
        max: Option<f64>,
    },
    LogicalNot,
    Exp,
    Exp2,
    Log,
    Log2,
    Log10,
    Log1p,
    Expm1,
    Sqrt,
    Rsqrt,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Tanh,
    Sigmoid,
    Erf,
    Erfc,
    Reciprocal,
    Gelu {
        tanh: bool,
    },
    Silu,
    Mish,
    Softplus {
        beta: f64,
        threshold: f64,
    },
    LeakyRelu {
        slope: f64,
    },
    Elu {
        alpha: f64,
        scale: f64,
        input_scale: f64,
    },
    Hardtanh {
        min: f64,
        max: f64,
    },
    Hardsigmoid,
    Hardswish,
    /// `x ** e` with a scalar exponent.
    PowScalar {
        exp: f64,
    },
    /// `b ** x` with a scalar base.
    RPowScalar {
        base: f64,
    },
}

impl UnaryOp {
    /// Ops that keep integer and bool inputs in their own dtype; all others compute in
    /// floating point (ints promote to the default float dtype, as in PyTorch).
    pub fn keeps_int(self) -> bool {
        matches!(
            self,
            UnaryOp::Neg
                | UnaryOp::Abs
                | UnaryOp::Sign
                | UnaryOp::Square
                | UnaryOp::Relu
                | UnaryOp::Floor
                | UnaryOp::Ceil
                | UnaryOp::Round
                | UnaryOp::Trunc
                | UnaryOp::Clamp { .. }
                | UnaryOp::Hardtanh { .. }
                | UnaryOp::LogicalNot
        )
    }

    pub fn name(self) -> &'static str {
        use UnaryOp::*;
        match self {
            Neg => "neg",
            Abs => "abs",
            Sign => "sign",
            Square => "square",
            Relu => "relu",
            Floor => "floor",
            Ceil => "ceil",
            Round => "round",
            Trunc => "trunc",
            Clamp { .. } => "clamp",
            LogicalNot => "logical_not",
            Exp => "exp",
            Exp2 => "exp2",
            Log => "log",
            Log2 => "log2",
            Log10 => "log10",
            Log1p => "log1p",
            Expm1 => "expm1",
            Sqrt => "sqrt",
            Rsqrt => "rsqrt",
            Sin => "sin",
            Cos => "cos",
            Tan => "tan",
            Asin => "asin",
            Acos => "acos",
            Atan => "atan",
            Sinh => "sinh",
            Cosh => "cosh",
            Tanh => "tanh",
            Sigmoid => "sigmoid",
            Erf => "erf",
            Erfc => "erfc",
            Reciprocal => "reciprocal",
            Gelu { .. } => "gelu",
            Silu => "silu",
            Mish => "mish",
            Softplus { .. } => "softplus",
            LeakyRelu { .. } => "leaky_relu",
            Elu { .. } => "elu",
            Hardtanh { .. } => "hardtanh",
            Hardsigmoid => "hardsigmoid",
            Hardswish => "hardswish",
            PowScalar { .. } => "pow",
            RPowScalar { .. } => "pow",
        }
    }
}

/// Elementwise ops of two operands of one (already promoted) dtype.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Maximum,
    Minimum,
    Atan2,
    Remainder,
    Fmod,
    FloorDivide,
    BitAnd,
    BitOr,
    BitXor,
    LogicalAnd,
    LogicalOr,
    LogicalXor,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl BinaryOp {
    /// Comparisons and logical ops produce bool.
    pub fn gives_bool(self) -> bool {
        use BinaryOp::*;
        matches!(self, Eq | Ne | Lt | Le | Gt | Ge | LogicalAnd | LogicalOr | LogicalXor)
    }

    pub fn name(self) -> &'static str {
        use BinaryOp::*;
        match self {
            Add => "add",
            Sub => "sub",
            Mul => "mul",
            Div => "div",
            Pow => "pow",
            Maximum => "maximum",
            Minimum => "minimum",
            Atan2 => "atan2",
            Remainder => "remainder",
            Fmod => "fmod",
            FloorDivide => "floor_divide",
            BitAnd => "bitwise_and",
            BitOr => "bitwise_or",
            BitXor => "bitwise_xor",
            LogicalAnd => "logical_and",
            LogicalOr => "logical_or",
            LogicalXor => "logical_xor",
            Eq => "eq",
            Ne => "ne",
            Lt => "lt",
            Le => "le",
            Gt => "gt",
            Ge => "ge",
        }
    }
}

/// Reductions over a set of dims.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReduceOp {
    Sum,
    Prod,
    Max,
    Min,
    All,
    Any,
}

/// Reductions over one dim that also give the index of the winner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgReduceOp {
    Max,
    Min,
}

/// Running reductions along one dim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanOp {
    Sum,
    Prod,
}

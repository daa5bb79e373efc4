//! The one error type. Messages follow PyTorch's wording and name the op and the
//! shapes, dtypes or devices at fault; `kind()` picks the JS error class.
use thiserror::Error as ThisError;

pub type Result<T> = std::result::Result<T, Error>;

/// Which JavaScript error class a failure maps to (API.md, "Errors").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    Error,
    TypeError,
    RangeError,
}

#[derive(ThisError, Debug, Clone)]
pub enum Error {
    /// Shapes that do not fit together (`op: ...`).
    #[error("{op}: {msg}")]
    Shape { op: &'static str, msg: String },
    /// A dtype the op does not accept.
    #[error("{op}: {msg}")]
    DType { op: &'static str, msg: String },
    /// Operands on different devices.
    #[error("{op}: Expected all tensors to be on the same device, but found at least two devices, {a} and {b}!")]
    Device { op: &'static str, a: String, b: String },
    /// A dim outside `[-ndim, ndim)`.
    #[error("{op}: Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")]
    DimOutOfRange { op: &'static str, dim: i64, lo: i64, hi: i64 },
    /// An index outside a dim's size.
    #[error("{op}: index {index} is out of bounds for dimension {dim} with size {size}")]
    IndexOutOfRange { op: &'static str, index: i64, dim: usize, size: usize },
    /// Any other bad value of an argument (RangeError in JS when `range`).
    #[error("{op}: {msg}")]
    Arg { op: &'static str, msg: String },
    /// An argument of the wrong kind.
    #[error("{0}")]
    Type(String),
    /// A feature that this build or device does not have.
    #[error("{0}")]
    Unsupported(String),
    /// A tensor used after `dispose()`.
    #[error("Tensor has been disposed")]
    Disposed,
    /// A failure inside a backend (CUDA driver, allocator).
    #[error("{0}")]
    Backend(String),
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::DimOutOfRange { .. } | Error::IndexOutOfRange { .. } => ErrorKind::RangeError,
            Error::Type(_) | Error::DType { .. } => ErrorKind::TypeError,
            _ => ErrorKind::Error,
        }
    }
    pub fn shape(op: &'static str, msg: impl Into<String>) -> Error {
        Error::Shape { op, msg: msg.into() }
    }
    pub fn dtype(op: &'static str, msg: impl Into<String>) -> Error {
        Error::DType { op, msg: msg.into() }
    }
    pub fn arg(op: &'static str, msg: impl Into<String>) -> Error {
        Error::Arg { op, msg: msg.into() }
    }
}

/// `[2, 3]` printed as PyTorch prints sizes in messages: `[2, 3]`.
pub fn fmt_shape(s: &[usize]) -> String {
    format!("{s:?}")
}

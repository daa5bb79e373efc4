//! Shared vocabulary of ferrotorch: dtypes, layouts, devices and errors.
pub mod device;
pub mod dtype;
pub mod error;
pub mod layout;
pub mod ops;
pub mod optim;

pub use device::Device;
pub use dtype::{result_type, DType, Operand};
pub use error::{Error, ErrorKind, Result};
pub use layout::{broadcast_shapes, contiguous_strides, for_each_offsets, normalize_dim, Layout, StridedIter};
pub use ops::{ArgReduceOp, BinaryOp, ReduceOp, ScanOp, UnaryOp};
pub use optim::OptimStep;

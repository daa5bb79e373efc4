//! ferrotorch's `Tensor`: a cheap handle over shared, device-tagged storage plus a
//! layout. Ops are grouped by family in `ops/`; each primitive routes through
//! `storage.rs` to the backend of its device.
pub mod autograd;
pub mod indexing;
pub mod ops;
pub mod optim;
pub mod random;
pub mod storage;
pub mod tensor;

pub use ferrotorch_core::{DType, Device, Error, ErrorKind, Layout, Result};
pub use indexing::IndexItem;
pub use storage::{fresh_bytes, pending_external_delta, take_external_delta, take_fresh_bytes, Storage};
pub use tensor::{Scalar, Tensor};

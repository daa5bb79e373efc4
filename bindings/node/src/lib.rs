//! napi entry points for ferrotorch. Thin: look up handles, call the tensor crate,
//! hand back handles. Grouped by family like the ops.
mod create;
mod ops;
mod table;

pub use table::{guard, put, tensor};

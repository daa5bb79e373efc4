//! CPU storage and kernels for ferrotorch.
pub mod binary;
pub mod conv;
pub mod copy;
pub mod elem;
pub mod index;
pub mod matmul;
pub mod pool;
pub mod reduce;
pub mod simd_exp;
pub mod sort;
pub mod storage;
pub mod unary;

pub use elem::Elem;
pub use storage::CpuStorage;

/// Below this many elements a kernel stays on the calling thread.
pub const GRAIN: usize = 1 << 15;

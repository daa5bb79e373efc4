//! The CPU kernels' fast paths (contiguous slices, scalar broadcast, rayon above
//! `GRAIN`, `expf_fast`, the buffer pool, batched GEMM scheduling, im2col) checked
//! against plain references: naive loops over logical indices, or the same kernel on a
//! layout that forces the generic strided path. Odd sizes, non-contiguous views and
//! sizes around each threshold throughout.

// Op tables pair an op with its reference function inline.
#![allow(clippy::type_complexity)]
mod binary;
mod broadcast_rows;
mod common;
mod conv;
mod copy_index;
mod matmul;
mod pool;
mod reduce;
mod unary;

//! Ops by family. Each file holds an op family's shape rules and forward; primitives
//! call the backend through `Storage`, composites are written from primitives.
pub mod conv;
pub mod elementwise;
pub mod gather;
pub mod linalg;
pub mod nn;
pub mod reduce;
pub mod shape;
pub mod sort;

use ferrotorch_core::{normalize_dim, Error, Result};

/// Normalizes a list of dims, rejecting repeats as PyTorch does.
pub fn norm_dims(op: &'static str, dims: &[i64], ndim: usize) -> Result<Vec<usize>> {
    let mut out = Vec::with_capacity(dims.len());
    for &d in dims {
        let n = normalize_dim(op, d, ndim)?;
        if out.contains(&n) {
            return Err(Error::arg(op, format!("dim {n} appears multiple times in the list of dims")));
        }
        out.push(n);
    }
    Ok(out)
}

/// Resolves a shape that may hold one -1 against `numel`.
pub fn infer_shape(op: &'static str, shape: &[i64], numel: usize) -> Result<Vec<usize>> {
    let mut infer = None;
    let mut known = 1usize;
    for (i, &s) in shape.iter().enumerate() {
        if s == -1 {
            if infer.is_some() {
                return Err(Error::arg(op, "only one dimension can be inferred"));
            }
            infer = Some(i);
        } else if s < 0 {
            return Err(Error::arg(op, format!("invalid shape dimension {s}")));
        } else {
            known = known.saturating_mul(s as usize);
        }
    }
    let mut out: Vec<usize> = shape.iter().map(|&s| s.max(0) as usize).collect();
    match infer {
        Some(i) => {
            if known == 0 || !numel.is_multiple_of(known) {
                return Err(Error::shape(op, format!("shape '{shape:?}' is invalid for input of size {numel}")));
            }
            out[i] = numel / known;
        }
        None if known != numel => {
            return Err(Error::shape(op, format!("shape '{shape:?}' is invalid for input of size {numel}")));
        }
        None => {}
    }
    Ok(out)
}

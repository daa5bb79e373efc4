//! Fused optimizer steps on the device (optim.cu), one launch per parameter.
use crate::device::{grid, launch};
use crate::source::Family;
use crate::storage::CudaStorage;
use ferrotorch_core::{OptimStep, Result};

/// Updates `[param, grad, state...]` (contiguous, `n` elements from each storage's offset)
/// in place; the state order is the CPU step's (see `ferrotorch_tensor::optim`).
pub fn optim_step(step: OptimStep, ts: &[(&CudaStorage, usize)], n: usize) -> Result<()> {
    if n == 0 {
        return Ok(());
    }
    let d = ts[0].0.dev.clone();
    let dt = ts[0].0.dtype();
    let p = |i: usize| ts.get(i).map(|(s, o)| s.ptr_at(*o)).unwrap_or(0);
    let (pp, gp, nn) = (p(0), p(1), n as i64);
    let name = "optimizer.step";
    match step {
        OptimStep::Sgd { lr, momentum, dampening, weight_decay, nesterov, maximize, first } => {
            let (buf, nest, maxi, fst) = (p(2), nesterov as i32, maximize as i32, first as i32);
            launch!(d, d.func(Family::Optim, dt, dt, "sgd")?, grid(n), name; pp, gp, buf, nn, lr, momentum, dampening, weight_decay, nest, maxi, fst)
        }
        OptimStep::Adam { lr, b1, b2, eps, weight_decay, amsgrad, maximize, decoupled, step } => {
            let (m1, m2, mx, ams, maxi, dec) = (p(2), p(3), p(4), amsgrad as i32, maximize as i32, decoupled as i32);
            launch!(d, d.func(Family::Optim, dt, dt, "adam")?, grid(n), name; pp, gp, m1, m2, mx, nn, lr, b1, b2, eps, weight_decay, ams, maxi, dec, step)
        }
        OptimStep::Rmsprop { lr, alpha, eps, weight_decay, momentum, centered, maximize } => {
            let sq = p(2);
            let ga = if centered { p(3) } else { 0 };
            let buf = if momentum > 0.0 { p(if centered { 4 } else { 3 }) } else { 0 };
            let (cen, maxi) = (centered as i32, maximize as i32);
            launch!(d, d.func(Family::Optim, dt, dt, "rmsprop")?, grid(n), name; pp, gp, sq, ga, buf, nn, lr, alpha, eps, weight_decay, momentum, cen, maxi)
        }
        OptimStep::Adagrad { lr, weight_decay, eps, maximize } => {
            let (sum, maxi) = (p(2), maximize as i32);
            launch!(d, d.func(Family::Optim, dt, dt, "adagrad")?, grid(n), name; pp, gp, sum, nn, lr, weight_decay, eps, maxi)
        }
    }
}

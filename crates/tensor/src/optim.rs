//! Fused optimizer steps: one call updates every parameter of a group in place, reading
//! and writing each element once. The arithmetic follows PyTorch's single-tensor
//! implementations in the same order (and the same rounding of scalars to the dtype),
//! so trajectories match the unfused tensor-op versions exactly.
use crate::tensor::Tensor;
use ferrotorch_core::{DType, Error, Result};
use rayon::prelude::*;

pub use ferrotorch_core::OptimStep as Step;

trait F:
    Copy
    + Send
    + Sync
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + std::ops::Neg<Output = Self>
    + PartialOrd
{
    fn c(v: f64) -> Self;
    fn sqrt(self) -> Self;
}
impl F for f32 {
    fn c(v: f64) -> Self {
        v as f32
    }
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
}
impl F for f64 {
    fn c(v: f64) -> Self {
        v
    }
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
}

/// Runs `f` with mutable slices of every tensor (all contiguous, one float dtype).
fn with_slices<T: F + ferrotorch_cpu::Elem>(ts: &[&Tensor], f: impl FnOnce(&mut [&mut [T]])) -> Result<()> {
    let mut guards: Vec<_> = ts.iter().map(|t| t.storage().write()).collect();
    let mut slices: Vec<&mut [T]> = Vec::with_capacity(ts.len());
    for (g, t) in guards.iter_mut().zip(ts) {
        let s = g.cpu_mut()?;
        let r = t.storage_offset()..t.storage_offset() + t.numel();
        slices.push(&mut T::slice_mut(s)[r]);
    }
    f(&mut slices);
    Ok(())
}

// Index loops over several parallel slices read clearest here.
#[allow(clippy::needless_range_loop)]
fn run<T: F + ferrotorch_cpu::Elem>(step: Step, ts: &[&Tensor]) -> Result<()> {
    with_slices::<T>(ts, |s| {
        let n = s[0].len();
        match step {
            Step::Sgd { lr, momentum, dampening, weight_decay, nesterov, maximize, first } => {
                let (lr, mo, da, wd) = (T::c(lr), T::c(momentum), T::c(1.0 - dampening), T::c(weight_decay));
                for i in 0..n {
                    let p = s[0][i];
                    let mut d = if maximize { -s[1][i] } else { s[1][i] };
                    if weight_decay != 0.0 {
                        d = d + p * wd;
                    }
                    if momentum != 0.0 {
                        let buf = if first { d } else { s[2][i] * mo + d * da };
                        s[2][i] = buf;
                        d = if nesterov { d + buf * mo } else { buf };
                    }
                    s[0][i] = p - d * lr;
                }
            }
            Step::Adam { lr, b1, b2, eps, weight_decay, amsgrad, maximize, decoupled, step } => {
                let bc1 = 1.0 - b1.powf(step);
                let bc2 = 1.0 - b2.powf(step);
                let k = AdamConsts {
                    one_b1: T::c(1.0 - b1),
                    b2: T::c(b2),
                    one_b2: T::c(1.0 - b2),
                    step_size: T::c(lr / bc1),
                    bc2s: T::c(bc2.sqrt()),
                    eps: T::c(eps),
                    wd: T::c(weight_decay),
                    decay: T::c(1.0 - lr * weight_decay),
                    has_wd: weight_decay != 0.0,
                    decoupled,
                    maximize,
                };
                let (p, rest) = s.split_first_mut().expect("param");
                let (g, rest) = rest.split_first_mut().expect("grad");
                let (m, rest) = rest.split_first_mut().expect("exp_avg");
                let (v, rest) = rest.split_first_mut().expect("exp_avg_sq");
                // Chunks in parallel; each chunk's loop gets separate slices, so it vectorizes.
                const CHUNK: usize = 1 << 14;
                let pm = p.par_chunks_mut(CHUNK).zip(g.par_chunks(CHUNK)).zip(m.par_chunks_mut(CHUNK)).zip(v.par_chunks_mut(CHUNK));
                if amsgrad {
                    let vmax = rest.first_mut().expect("max_exp_avg_sq");
                    pm.zip(vmax.par_chunks_mut(CHUNK)).for_each(|((((p, g), m), v), x)| adam_chunk(&k, p, g, m, v, Some(x)));
                } else {
                    pm.for_each(|(((p, g), m), v)| adam_chunk(&k, p, g, m, v, None));
                }
            }
            Step::Rmsprop { lr, alpha, eps, weight_decay, momentum, centered, maximize } => {
                let (a, one_a, epst, lrt, wd, mo) =
                    (T::c(alpha), T::c(1.0 - alpha), T::c(eps), T::c(lr), T::c(weight_decay), T::c(momentum));
                for i in 0..n {
                    let p = s[0][i];
                    let mut d = if maximize { -s[1][i] } else { s[1][i] };
                    if weight_decay != 0.0 {
                        d = d + p * wd;
                    }
                    let sq = s[2][i] * a + d * d * one_a;
                    s[2][i] = sq;
                    let avg = if centered {
                        let ga = s[3][i] + (d - s[3][i]) * one_a;
                        s[3][i] = ga;
                        (sq - ga * ga).sqrt() + epst
                    } else {
                        sq.sqrt() + epst
                    };
                    if momentum > 0.0 {
                        let k = if centered { 4 } else { 3 };
                        let buf = s[k][i] * mo + d / avg;
                        s[k][i] = buf;
                        s[0][i] = p - buf * lrt;
                    } else {
                        s[0][i] = p - d / avg * lrt;
                    }
                }
            }
            Step::Adagrad { lr, weight_decay, eps, maximize } => {
                let (clr, epst, wd) = (T::c(lr), T::c(eps), T::c(weight_decay));
                for i in 0..n {
                    let p = s[0][i];
                    let mut d = if maximize { -s[1][i] } else { s[1][i] };
                    if weight_decay != 0.0 {
                        d = d + p * wd;
                    }
                    let sum = s[2][i] + d * d;
                    s[2][i] = sum;
                    s[0][i] = p - d / (sum.sqrt() + epst) * clr;
                }
            }
        }
    })
}

/// Adam's scalars, rounded to the parameter dtype once (as PyTorch's single-tensor Adam).
struct AdamConsts<T> {
    one_b1: T,
    b2: T,
    one_b2: T,
    step_size: T,
    bc2s: T,
    eps: T,
    wd: T,
    decay: T,
    has_wd: bool,
    decoupled: bool,
    maximize: bool,
}

/// Adam over one chunk, in PyTorch's order of operations.
fn adam_chunk<T: F>(k: &AdamConsts<T>, p: &mut [T], g: &[T], m: &mut [T], v: &mut [T], mut vmax: Option<&mut [T]>) {
    for i in 0..p.len() {
        let mut pv = p[i];
        let mut d = if k.maximize { -g[i] } else { g[i] };
        if k.has_wd {
            if k.decoupled {
                pv = pv * k.decay;
            } else {
                d = d + pv * k.wd;
            }
        }
        let mi = m[i] + (d - m[i]) * k.one_b1;
        let vi = v[i] * k.b2 + d * d * k.one_b2;
        m[i] = mi;
        v[i] = vi;
        let vv = match vmax.as_deref_mut() {
            Some(x) => {
                let old = x[i];
                #[allow(clippy::eq_op)]
                let mx = if old != old || vi != vi {
                    T::c(f64::NAN)
                } else if old > vi {
                    old
                } else {
                    vi
                };
                x[i] = mx;
                mx
            }
            None => vi,
        };
        let denom = vv.sqrt() / k.bc2s + k.eps;
        p[i] = pv - mi / denom * k.step_size;
    }
}

/// One fused update of a parameter: `tensors` is `[param, grad, state...]` in the order
/// the step kind reads them (Adam: exp_avg, exp_avg_sq[, max_exp_avg_sq]; SGD: momentum
/// buffer; RMSprop: square_avg[, grad_avg][, momentum_buffer]; Adagrad: sum).
pub fn fused_step(step: Step, tensors: &[Tensor]) -> Result<()> {
    let p = &tensors[0];
    for t in tensors {
        if t.shape() != p.shape() || t.dtype() != p.dtype() || !t.is_contiguous() {
            return Err(Error::arg(
                "optimizer.step",
                format!(
                    "fused step needs contiguous tensors of one shape and dtype (got {:?} {} and {:?} {})",
                    p.shape(),
                    p.dtype(),
                    t.shape(),
                    t.dtype()
                ),
            ));
        }
    }
    // The gradient may share storage with nothing we write; copy it if it aliases the param.
    let grad = if tensors[1].same_storage(p) { tensors[1].deep_clone() } else { tensors[1].clone() };
    let mut refs: Vec<&Tensor> = vec![p, &grad];
    refs.extend(tensors[2..].iter());
    if let ferrotorch_core::Device::Cuda(_) = p.device() {
        return cuda_step(step, &refs);
    }
    match p.dtype() {
        DType::F32 => run::<f32>(step, &refs),
        DType::F64 => run::<f64>(step, &refs),
        d => Err(Error::dtype("optimizer.step", format!("fused steps support float32 and float64 parameters, got {d}"))),
    }
}

/// The fused step on a CUDA device: one kernel launch updates the parameter and its state.
fn cuda_step(step: Step, ts: &[&Tensor]) -> Result<()> {
    let p = ts[0];
    if !matches!(p.dtype(), DType::F32 | DType::F64) {
        return Err(Error::dtype("optimizer.step", format!("fused steps support float32 and float64 parameters, got {}", p.dtype())));
    }
    Tensor::same_device("optimizer.step", ts)?;
    // Write locks on every storage for the duration of the launch (the param and the
    // state are written; the grad only read, and it never aliases them).
    let guards: Vec<_> = ts.iter().map(|t| t.storage().write()).collect();
    let mut args = Vec::with_capacity(ts.len());
    for (g, t) in guards.iter().zip(ts) {
        match &**g {
            crate::storage::Storage::Cuda(c) => args.push((c, t.storage_offset())),
            crate::storage::Storage::Cpu(_) => unreachable!("same_device checked"),
        }
    }
    ferrotorch_cuda::optim_step(step, &args, p.numel())
}

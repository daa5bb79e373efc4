//! The fused optimizer updates every backend implements.

/// Which update, with its hyperparameters.
#[derive(Clone, Copy, Debug)]
pub enum OptimStep {
    Sgd { lr: f64, momentum: f64, dampening: f64, weight_decay: f64, nesterov: bool, maximize: bool, first: bool },
    Adam { lr: f64, b1: f64, b2: f64, eps: f64, weight_decay: f64, amsgrad: bool, maximize: bool, decoupled: bool, step: f64 },
    Rmsprop { lr: f64, alpha: f64, eps: f64, weight_decay: f64, momentum: f64, centered: bool, maximize: bool },
    Adagrad { lr: f64, weight_decay: f64, eps: f64, maximize: bool },
}

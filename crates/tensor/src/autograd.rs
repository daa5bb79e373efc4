//! Reverse-mode autograd: every recorded op becomes a `Node` holding one `Op` variant
//! (what the backward needs) and edges to its inputs' nodes or leaves. `backward` walks
//! the graph in reverse topological order. Backward formulas are ordinary tensor ops, so
//! with `create_graph` they are recorded too (grad of grad). Each family's formulas live
//! beside its forward in `ops/*.rs`; `Op::backward` is the one exhaustive dispatch.
use crate::storage::StorageCell;
use crate::tensor::{Inner, Tensor};
use ferrotorch_core::{BinaryOp, DType, Error, Result, ScanOp, UnaryOp};
use parking_lot::Mutex;
use std::cell::Cell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
    static ANOMALY: Cell<bool> = const { Cell::new(false) };
}

/// `detect_anomaly`: check every backward output for NaN/Inf and name the op.
pub fn set_anomaly_enabled(on: bool) -> bool {
    ANOMALY.with(|a| a.replace(on))
}

fn check_anomaly(name: &str, grads: &[Option<Tensor>]) -> Result<()> {
    if !ANOMALY.with(|a| a.get()) {
        return Ok(());
    }
    for (i, g) in grads.iter().enumerate() {
        if let Some(g) = g {
            let bad = g
                .detach()
                .unary(UnaryOp::Abs)?
                .binary_scalar(BinaryOp::Eq, crate::tensor::Scalar::Float(f64::INFINITY), false)?
                .binary(BinaryOp::LogicalOr, &g.detach().isnan()?)?
                .any(None, false)?
                .item()?;
            if bad != 0.0 {
                return Err(Error::arg("backward", format!("Function '{name}' returned nan values in its {i}th output.")));
            }
        }
    }
    Ok(())
}

/// `torch.is_grad_enabled()`.
pub fn is_grad_enabled() -> bool {
    GRAD_ENABLED.with(|g| g.get())
}

/// Sets grad mode, returning the previous one (`set_grad_enabled`).
pub fn set_grad_enabled(on: bool) -> bool {
    GRAD_ENABLED.with(|g| g.replace(on))
}

/// Runs `f` with grad mode set to `on`, restoring it afterwards (also on error).
pub fn with_grad_mode<T>(on: bool, f: impl FnOnce() -> T) -> T {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            set_grad_enabled(self.0);
        }
    }
    let _r = Restore(set_grad_enabled(on));
    f()
}

/// Per-tensor autograd state.
#[derive(Default, Debug)]
pub struct Meta {
    pub requires_grad: bool,
    pub grad: Option<Tensor>,
    pub grad_fn: Option<Arc<Node>>,
    pub retain_grad: bool,
    /// Hook ids (called by the binding) run on this leaf's gradient.
    pub hooks: Vec<u64>,
}

/// Where a gradient goes next.
#[derive(Debug, Clone)]
pub enum Edge {
    Node(Arc<Node>),
    /// A leaf that requires grad: the gradient accumulates into its `.grad`.
    Leaf(Tensor),
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// One recorded op. `op` is taken out when the graph is freed after backward.
#[derive(Debug)]
pub struct Node {
    pub id: u64,
    pub name: &'static str,
    op: Mutex<Option<Op>>,
    pub next: Vec<Option<Edge>>,
    /// Storage versions of the saved tensors when they were saved.
    saved: Vec<(Arc<StorageCell>, u64, Vec<usize>, DType)>,
    /// Non-leaf tensors that asked for `retain_grad()`.
    pub retained: Mutex<Vec<Weak<Inner>>>,
    /// Hook ids run on the gradient of this node's output.
    pub hooks: Mutex<Vec<u64>>,
}

/// What each recorded op keeps for its backward. Saved outputs are detached handles, so
/// a node never keeps its own output's history alive.
#[derive(Debug)]
pub enum Op {
    Unary {
        op: UnaryOp,
        x: Tensor,
        out: Tensor,
    },
    Binary {
        op: BinaryOp,
        a: Tensor,
        b: Tensor,
        out: Tensor,
        a_shape: Vec<usize>,
        b_shape: Vec<usize>,
    },
    Where {
        cond: Tensor,
        a_shape: Vec<usize>,
        b_shape: Vec<usize>,
    },
    Sum {
        in_shape: Vec<usize>,
        dims: Vec<usize>,
        keepdim: bool,
    },
    Prod {
        x: Tensor,
        out: Tensor,
        dims: Vec<usize>,
        keepdim: bool,
    },
    Extremum {
        x: Tensor,
        out: Tensor,
        dims: Vec<usize>,
        keepdim: bool,
    },
    Scan {
        op: ScanOp,
        x: Tensor,
        out: Tensor,
        dim: usize,
    },
    Matmul {
        a: Tensor,
        b: Tensor,
    },
    Cast {
        from: DType,
    },
    ToDevice {
        from: ferrotorch_core::Device,
    },
    Reshape {
        in_shape: Vec<usize>,
    },
    Permute {
        dims: Vec<usize>,
    },
    Expand {
        in_shape: Vec<usize>,
    },
    Slice {
        in_shape: Vec<usize>,
        dim: usize,
        start: usize,
        step: usize,
    },
    Select {
        in_shape: Vec<usize>,
        dim: usize,
        index: usize,
    },
    SliceScatter {
        dim: usize,
        start: usize,
        step: usize,
        src_shape: Vec<usize>,
    },
    Cat {
        dim: usize,
        sizes: Vec<usize>,
    },
    Gather {
        dim: usize,
        index: Tensor,
        in_shape: Vec<usize>,
    },
    Scatter {
        dim: usize,
        index: Tensor,
        accumulate: bool,
    },
    TakeLinear {
        lin: Tensor,
        in_shape: Vec<usize>,
    },
    Pad {
        pad: Vec<i64>,
    },
    Unfold {
        win: ferrotorch_cpu::conv::Window,
    },
    Fold {
        win: ferrotorch_cpu::conv::Window,
    },
    MaxPool {
        indices: Tensor,
        in_shape: Vec<usize>,
    },
    /// A user-defined `autograd.Function`: the binding runs its JS backward.
    Custom {
        id: u64,
        name: &'static str,
    },
}

impl Op {
    fn name(&self) -> &'static str {
        use UnaryOp as U;
        match self {
            Op::Unary { op, .. } => match op {
                U::Neg => "NegBackward0",
                U::Abs => "AbsBackward0",
                U::Exp => "ExpBackward0",
                U::Log => "LogBackward0",
                U::Sqrt => "SqrtBackward0",
                U::Tanh => "TanhBackward0",
                U::Sigmoid => "SigmoidBackward0",
                U::Relu => "ReluBackward0",
                U::Sin => "SinBackward0",
                U::Cos => "CosBackward0",
                U::Clamp { .. } => "ClampBackward1",
                U::PowScalar { .. } => "PowBackward0",
                U::Gelu { .. } => "GeluBackward0",
                U::Silu => "SiluBackward0",
                _ => "UnaryBackward0",
            },
            Op::Binary { op, .. } => match op {
                BinaryOp::Add => "AddBackward0",
                BinaryOp::Sub => "SubBackward0",
                BinaryOp::Mul => "MulBackward0",
                BinaryOp::Div => "DivBackward0",
                BinaryOp::Pow => "PowBackward1",
                BinaryOp::Maximum => "MaximumBackward0",
                BinaryOp::Minimum => "MinimumBackward0",
                BinaryOp::Atan2 => "Atan2Backward0",
                _ => "BinaryBackward0",
            },
            Op::Where { .. } => "WhereBackward0",
            Op::Sum { .. } => "SumBackward1",
            Op::Prod { .. } => "ProdBackward1",
            Op::Extremum { .. } => "AmaxBackward0",
            Op::Scan { op: ScanOp::Sum, .. } => "CumsumBackward0",
            Op::Scan { op: ScanOp::Prod, .. } => "CumprodBackward0",
            Op::Matmul { .. } => "MmBackward0",
            Op::Cast { .. } | Op::ToDevice { .. } => "ToCopyBackward0",
            Op::Reshape { .. } => "ViewBackward0",
            Op::Permute { .. } => "PermuteBackward0",
            Op::Expand { .. } => "ExpandBackward0",
            Op::Slice { .. } => "SliceBackward0",
            Op::Select { .. } => "SelectBackward0",
            Op::SliceScatter { .. } => "SliceScatterBackward0",
            Op::Cat { .. } => "CatBackward0",
            Op::Gather { .. } => "GatherBackward0",
            Op::Scatter { accumulate: true, .. } => "ScatterAddBackward0",
            Op::Scatter { .. } => "ScatterBackward0",
            Op::TakeLinear { .. } => "IndexBackward0",
            Op::Pad { .. } => "ConstantPadNdBackward0",
            Op::Unfold { .. } => "Im2ColBackward0",
            Op::Fold { .. } => "Col2ImBackward0",
            Op::MaxPool { .. } => "MaxPool2DWithIndicesBackward0",
            Op::Custom { name, .. } => name,
        }
    }

    /// Tensors whose in-place modification would make the backward wrong.
    /// Only what the backward formula reads is checked (as PyTorch saves only that).
    fn saved(&self) -> Vec<&Tensor> {
        use UnaryOp as U;
        match self {
            Op::Unary { op, x, out } => match op {
                U::Exp
                | U::Exp2
                | U::Expm1
                | U::Sqrt
                | U::Rsqrt
                | U::Tan
                | U::Tanh
                | U::Sigmoid
                | U::Reciprocal
                | U::Relu
                | U::RPowScalar { .. } => vec![out],
                U::Elu { .. } => vec![x, out],
                U::Neg | U::Sign | U::Floor | U::Ceil | U::Round | U::Trunc | U::LogicalNot => vec![],
                _ => vec![x],
            },
            Op::Binary { op, a, b, out, .. } => match op {
                BinaryOp::Add | BinaryOp::Sub => vec![],
                BinaryOp::Div => vec![b, out],
                BinaryOp::Pow => vec![a, b, out],
                _ => vec![a, b],
            },
            Op::Prod { x, out, .. } | Op::Extremum { x, out, .. } | Op::Scan { x, out, .. } => vec![x, out],
            Op::Matmul { a, b } => vec![a, b],
            _ => vec![],
        }
    }

    /// Gradients of the inputs given the output's gradient `g`.
    fn backward(&self, g: &Tensor, n_inputs: usize, cb: &mut dyn Callbacks) -> Result<Vec<Option<Tensor>>> {
        use crate::ops::*;
        Ok(match self {
            Op::Unary { op, x, out } => {
                // Under create_graph the output is recomputed from the input, so the
                // second derivative sees its dependence on x.
                let y = if is_grad_enabled() { x.unary(*op)? } else { out.clone() };
                vec![Some(elementwise::unary_backward(*op, x, &y, g)?)]
            }
            Op::Binary { op, a, b, out, a_shape, b_shape } => {
                let y = if is_grad_enabled() { a.binary(*op, b)? } else { out.clone() };
                let (ga, gb) = elementwise::binary_backward(*op, a, b, &y, g)?;
                vec![ga.map(|t| t.sum_to(a_shape)).transpose()?, gb.map(|t| t.sum_to(b_shape)).transpose()?]
            }
            Op::Where { cond, a_shape, b_shape } => {
                let (ga, gb) = elementwise::where_backward(cond, g)?;
                vec![Some(ga.sum_to(a_shape)?), Some(gb.sum_to(b_shape)?)]
            }
            Op::Sum { in_shape, dims, keepdim } => vec![Some(reduce::sum_backward(g, in_shape, dims, *keepdim)?)],
            Op::Prod { x, out, dims, keepdim } => {
                let y = if is_grad_enabled() { x.prod_dims(dims, *keepdim)? } else { out.clone() };
                vec![Some(reduce::prod_backward(x, &y, g, dims, *keepdim)?)]
            }
            Op::Extremum { x, out, dims, keepdim } => vec![Some(reduce::extremum_backward(x, out, g, dims, *keepdim)?)],
            Op::Scan { op, x, out, dim } => {
                let y = if is_grad_enabled() { x.scan(*op, *dim as i64)? } else { out.clone() };
                vec![Some(reduce::scan_backward(*op, x, &y, g, *dim)?)]
            }
            Op::Matmul { a, b } => {
                let (ga, gb) = linalg::matmul_backward(a, b, g)?;
                vec![Some(ga), Some(gb)]
            }
            Op::Cast { from } => vec![Some(g.to_dtype(*from))],
            Op::ToDevice { from } => vec![Some(g.to_device(*from)?)],
            Op::Reshape { in_shape } => vec![Some(g.reshape_usize(in_shape)?)],
            Op::Permute { dims } => {
                let mut inv = vec![0i64; dims.len()];
                for (i, &d) in dims.iter().enumerate() {
                    inv[d] = i as i64;
                }
                vec![Some(g.permute(&inv)?)]
            }
            Op::Expand { in_shape } => vec![Some(g.sum_to(in_shape)?)],
            Op::Slice { in_shape, dim, start, step } => {
                let base = Tensor::zeros(in_shape, g.dtype(), g.device())?;
                vec![Some(base.slice_scatter(g, *dim, *start, *step)?)]
            }
            Op::Select { in_shape, dim, index } => {
                let base = Tensor::zeros(in_shape, g.dtype(), g.device())?;
                vec![Some(base.slice_scatter(&g.unsqueeze(*dim as i64)?, *dim, *index, 1)?)]
            }
            Op::SliceScatter { dim, start, step, src_shape } => {
                let z = Tensor::zeros(src_shape, g.dtype(), g.device())?;
                let gsrc =
                    g.slice(*dim, Some(*start as i64), Some((*start + (src_shape[*dim].max(1) - 1) * *step + 1) as i64), *step as i64)?;
                vec![Some(g.slice_scatter(&z, *dim, *start, *step)?), Some(gsrc)]
            }
            Op::Cat { dim, sizes } => {
                let mut at = 0i64;
                let mut out = Vec::with_capacity(sizes.len());
                for &s in sizes {
                    out.push(Some(g.narrow(*dim as i64, at, s as i64)?));
                    at += s as i64;
                }
                out
            }
            Op::Gather { dim, index, in_shape } => {
                let z = Tensor::zeros(in_shape, g.dtype(), g.device())?;
                vec![Some(z.scatter_add(*dim as i64, index, g)?)]
            }
            Op::Scatter { dim, index, accumulate } => {
                let gself = if *accumulate {
                    g.clone()
                } else {
                    let z = Tensor::zeros(index.shape(), g.dtype(), g.device())?;
                    g.scatter(*dim as i64, index, &z)?
                };
                vec![Some(gself), Some(g.gather(*dim as i64, index)?)]
            }
            Op::TakeLinear { lin, in_shape } => {
                let n: usize = in_shape.iter().product();
                let z = Tensor::zeros(&[n], g.dtype(), g.device())?;
                vec![Some(z.scatter_add(0, lin, &g.reshape(&[-1])?)?.reshape_usize(in_shape)?)]
            }
            Op::Pad { pad } => {
                let neg: Vec<i64> = pad.iter().map(|p| -p).collect();
                vec![Some(g.pad_constant(&neg, 0.0)?)]
            }
            Op::Unfold { win } => vec![Some(g.col2im_win(win)?)],
            Op::Fold { win } => vec![Some(g.im2col_win(win)?)],
            Op::MaxPool { indices, in_shape } => {
                let (nc, hw) = (in_shape[0] * in_shape[1], in_shape[2] * in_shape[3]);
                let l = (g.numel() / nc.max(1)) as i64;
                let z = Tensor::zeros(&[nc, hw], g.dtype(), g.device())?;
                let idx = indices.reshape(&[nc as i64, l])?;
                vec![Some(z.scatter_add(1, &idx, &g.reshape(&[nc as i64, l])?)?.reshape_usize(in_shape)?)]
            }
            Op::Custom { id, .. } => cb.custom_backward(*id, g, n_inputs)?,
        })
    }
}

/// What only the binding can do: run JS hooks and JS `autograd.Function` backwards.
pub trait Callbacks {
    /// Runs hook `id` on `grad`; `Some` replaces the gradient.
    fn hook(&mut self, id: u64, grad: &Tensor) -> Result<Option<Tensor>>;
    /// Runs the backward of custom function `id`.
    fn custom_backward(&mut self, id: u64, grad: &Tensor, n_inputs: usize) -> Result<Vec<Option<Tensor>>>;
}

/// Callbacks for pure-Rust callers: no hooks, no custom functions.
pub struct NoCallbacks;
impl Callbacks for NoCallbacks {
    fn hook(&mut self, _: u64, _: &Tensor) -> Result<Option<Tensor>> {
        Ok(None)
    }
    fn custom_backward(&mut self, _: u64, _: &Tensor, _: usize) -> Result<Vec<Option<Tensor>>> {
        Err(Error::Unsupported("custom autograd functions need the JS binding".into()))
    }
}

impl Tensor {
    pub fn requires_grad(&self) -> bool {
        self.0.meta.lock().requires_grad
    }

    pub fn grad_fn(&self) -> Option<Arc<Node>> {
        self.0.meta.lock().grad_fn.clone()
    }

    pub fn is_leaf(&self) -> bool {
        self.0.meta.lock().grad_fn.is_none()
    }

    pub fn grad(&self) -> Option<Tensor> {
        self.0.meta.lock().grad.clone()
    }

    pub fn set_grad(&self, g: Option<Tensor>) -> Result<()> {
        if let Some(g) = &g {
            if g.shape() != self.shape() {
                return Err(Error::shape(
                    "grad",
                    format!("assigned grad has data of a different size ({:?} vs {:?})", g.shape(), self.shape()),
                ));
            }
            if g.dtype() != self.dtype() {
                return Err(Error::dtype(
                    "grad",
                    format!("assigned grad has data of a different type ({} vs {})", g.dtype(), self.dtype()),
                ));
            }
        }
        self.0.meta.lock().grad = g;
        Ok(())
    }

    /// `requires_grad_(flag)`: only leaves may change it; only floats may require grad.
    pub fn set_requires_grad(&self, on: bool) -> Result<()> {
        let mut m = self.0.meta.lock();
        if m.grad_fn.is_some() {
            if !on {
                return Err(Error::arg("requires_grad_", "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach()."));
            }
            return Ok(());
        }
        if on && !self.dtype().is_float() {
            return Err(Error::dtype(
                "requires_grad_",
                format!("only Tensors of floating point dtype can require gradients (got {})", self.dtype()),
            ));
        }
        m.requires_grad = on;
        Ok(())
    }

    /// `retain_grad()`: a non-leaf keeps its `.grad` after backward.
    pub fn retain_grad(&self) -> Result<()> {
        let m = self.0.meta.lock();
        if !m.requires_grad {
            return Err(Error::arg("retain_grad", "can't retain_grad on Tensor that has requires_grad=False"));
        }
        if let Some(n) = &m.grad_fn {
            n.retained.lock().push(Arc::downgrade(&self.0));
        }
        drop(m);
        self.0.meta.lock().retain_grad = true;
        Ok(())
    }

    /// Registers a hook id on this tensor's gradient.
    pub fn register_hook(&self, id: u64) -> Result<()> {
        let mut m = self.0.meta.lock();
        if !m.requires_grad {
            return Err(Error::arg("register_hook", "cannot register a hook on a tensor that doesn't require gradient"));
        }
        match &m.grad_fn {
            Some(n) => n.hooks.lock().push(id),
            None => m.hooks.push(id),
        }
        Ok(())
    }

    /// `detach_()`: drops history in place.
    pub fn detach_(&self) {
        let mut m = self.0.meta.lock();
        m.grad_fn = None;
        m.requires_grad = false;
    }

    /// Attaches history to a freshly computed output when grad mode is on and some
    /// input requires grad. `make` builds the saved state only in that case.
    pub(crate) fn record(self, inputs: &[&Tensor], make: impl FnOnce() -> Op) -> Tensor {
        if !is_grad_enabled() || !self.dtype().is_float() || !inputs.iter().any(|t| t.requires_grad()) {
            return self;
        }
        let op = make();
        let next = inputs.iter().map(|t| t.edge()).collect();
        let saved = op.saved().iter().map(|t| (t.storage().clone(), t.storage().version(), t.shape().to_vec(), t.dtype())).collect();
        let node = Arc::new(Node {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            name: op.name(),
            op: Mutex::new(Some(op)),
            next,
            saved,
            retained: Mutex::new(vec![]),
            hooks: Mutex::new(vec![]),
        });
        {
            let mut m = self.0.meta.lock();
            m.requires_grad = true;
            m.grad_fn = Some(node);
        }
        self
    }

    /// Attaches a custom (JS) backward node with these inputs.
    pub fn record_custom(self, inputs: &[&Tensor], id: u64, name: &'static str) -> Tensor {
        self.record(inputs, || Op::Custom { id, name })
    }

    fn edge(&self) -> Option<Edge> {
        let m = self.0.meta.lock();
        if !m.requires_grad {
            return None;
        }
        Some(match &m.grad_fn {
            Some(n) => Edge::Node(n.clone()),
            None => Edge::Leaf(self.clone()),
        })
    }

    /// Sums a broadcast gradient back down to `shape`.
    pub fn sum_to(&self, shape: &[usize]) -> Result<Tensor> {
        if self.shape() == shape {
            return Ok(self.clone());
        }
        let lead = self.ndim() - shape.len();
        let mut dims: Vec<i64> = (0..lead as i64).collect();
        for (i, &s) in shape.iter().enumerate() {
            if s == 1 && self.shape()[lead + i] != 1 {
                dims.push((lead + i) as i64);
            }
        }
        let r = if dims.is_empty() { self.clone() } else { self.sum(Some(&dims), true)? };
        r.reshape_usize(shape)
    }

    /// Version check before a node's backward.
    fn check_versions(node: &Node) -> Result<()> {
        for (st, v, shape, dt) in &node.saved {
            if st.version() != *v {
                return Err(Error::arg(
                    "backward",
                    format!(
                        "one of the variables needed for gradient computation has been modified by an inplace operation: [{dt} {shape:?}], which is used by {}; is at version {}; expected version {v} instead. Hint: the backtrace further above shows the operation that failed to compute its gradient.",
                        node.name,
                        st.version()
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Options of a backward pass.
pub struct BackwardOptions {
    pub retain_graph: bool,
    pub create_graph: bool,
}

fn accumulate(map: &mut HashMap<u64, Tensor>, id: u64, g: Tensor) -> Result<()> {
    match map.remove(&id) {
        Some(prev) => {
            map.insert(id, prev.binary(BinaryOp::Add, &g)?);
        }
        None => {
            map.insert(id, g);
        }
    }
    Ok(())
}

fn run_hooks(ids: &[u64], mut g: Tensor, cb: &mut dyn Callbacks) -> Result<Tensor> {
    for &id in ids {
        if let Some(ng) = cb.hook(id, &g)? {
            g = ng;
        }
    }
    Ok(g)
}

/// Runs backward from `roots` (tensor, gradient). With `inputs`, the gradients of those
/// tensors are returned instead of accumulated into `.grad` (`autograd.grad`).
pub fn run_backward(
    roots: &[(Tensor, Tensor)],
    inputs: Option<&[Tensor]>,
    opts: &BackwardOptions,
    cb: &mut dyn Callbacks,
) -> Result<Vec<Option<Tensor>>> {
    with_grad_mode(opts.create_graph, || run_backward_inner(roots, inputs, opts, cb))
}

fn run_backward_inner(
    roots: &[(Tensor, Tensor)],
    inputs: Option<&[Tensor]>,
    opts: &BackwardOptions,
    cb: &mut dyn Callbacks,
) -> Result<Vec<Option<Tensor>>> {
    // Which inputs we capture: leaves by their Inner pointer, non-leaves by node id.
    let mut capture_leaf: HashMap<usize, usize> = HashMap::new();
    let mut capture_node: HashMap<u64, usize> = HashMap::new();
    let n_inputs = inputs.map(|i| i.len()).unwrap_or(0);
    if let Some(ins) = inputs {
        for (k, t) in ins.iter().enumerate() {
            if !t.requires_grad() {
                return Err(Error::arg("grad", "One of the differentiated Tensors does not require grad"));
            }
            match t.grad_fn() {
                Some(n) => {
                    capture_node.insert(n.id, k);
                }
                None => {
                    capture_leaf.insert(Arc::as_ptr(&t.0) as usize, k);
                }
            }
        }
    }
    let mut results: Vec<Option<Tensor>> = vec![None; n_inputs];

    // Dependency counts over the reachable graph.
    let mut deps: HashMap<u64, usize> = HashMap::new();
    let mut nodes: HashMap<u64, Arc<Node>> = HashMap::new();
    let mut stack: Vec<Arc<Node>> = vec![];
    let mut grads: HashMap<u64, Tensor> = HashMap::new();
    let mut leaf_grads: Vec<(Tensor, Tensor)> = vec![];
    for (t, g) in roots {
        match t.grad_fn() {
            Some(n) => {
                if let std::collections::hash_map::Entry::Vacant(e) = nodes.entry(n.id) {
                    e.insert(n.clone());
                    stack.push(n.clone());
                }
                accumulate(&mut grads, n.id, g.clone())?;
            }
            None if t.requires_grad() => leaf_grads.push((t.clone(), g.clone())),
            None => {
                return Err(Error::arg("backward", "element 0 of tensors does not require grad and does not have a grad_fn"));
            }
        }
    }
    while let Some(n) = stack.pop() {
        for e in n.next.iter().flatten() {
            if let Edge::Node(m) = e {
                *deps.entry(m.id).or_insert(0) += 1;
                if let std::collections::hash_map::Entry::Vacant(e) = nodes.entry(m.id) {
                    e.insert(m.clone());
                    stack.push(m.clone());
                }
            }
        }
    }
    // Ready nodes, newest first (PyTorch runs the most recently created node first).
    let mut ready: Vec<Arc<Node>> = nodes.values().filter(|n| !deps.contains_key(&n.id)).cloned().collect();
    ready.sort_by_key(|n| n.id);
    while let Some(n) = ready.pop() {
        let Some(g) = grads.remove(&n.id) else {
            // No gradient reached this node: its inputs get none from it.
            for e in n.next.iter().flatten() {
                if let Edge::Node(m) = e {
                    release_dep(&mut deps, &nodes, &mut ready, m.id);
                }
            }
            continue;
        };
        let g = run_hooks(&n.hooks.lock().clone(), g, cb)?;
        for w in n.retained.lock().iter() {
            if let Some(inner) = w.upgrade() {
                let t = Tensor(inner);
                let prev = t.grad();
                let ng = match prev {
                    Some(p) => p.binary(BinaryOp::Add, &g)?,
                    None => g.detach_if(!opts.create_graph),
                };
                t.0.meta.lock().grad = Some(ng);
            }
        }
        if let Some(&k) = capture_node.get(&n.id) {
            results[k] = Some(g.clone());
        }
        Tensor::check_versions(&n)?;
        let input_grads = {
            let guard = if opts.retain_graph { None } else { n.op.lock().take() };
            let lock;
            let op_ref: &Op = match &guard {
                Some(op) => op,
                None => {
                    lock = n.op.lock();
                    match lock.as_ref() {
                        Some(op) => {
                            // retain_graph: use in place.
                            let r = op.backward(&g, n.next.len(), cb)?;
                            drop(lock);
                            check_anomaly(n.name, &r)?;
                            deliver(&n, r, &mut grads, &mut leaf_grads, &mut deps, &nodes, &mut ready)?;
                            continue;
                        }
                        None => {
                            return Err(Error::arg("backward", "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward."));
                        }
                    }
                }
            };
            op_ref.backward(&g, n.next.len(), cb)?
        };
        check_anomaly(n.name, &input_grads)?;
        deliver(&n, input_grads, &mut grads, &mut leaf_grads, &mut deps, &nodes, &mut ready)?;
    }
    // Leaves: capture for autograd.grad, or accumulate into .grad.
    for (leaf, g) in leaf_grads {
        let key = Arc::as_ptr(&leaf.0) as usize;
        if inputs.is_some() {
            if let Some(&k) = capture_leaf.get(&key) {
                results[k] = Some(match results[k].take() {
                    Some(p) => p.binary(BinaryOp::Add, &g)?,
                    None => g,
                });
            }
            continue;
        }
        let hooks = leaf.0.meta.lock().hooks.clone();
        let g = run_hooks(&hooks, g, cb)?;
        let prev = leaf.grad();
        let ng = match prev {
            Some(p) => p.binary(BinaryOp::Add, &g)?,
            None => g.detach_if(!opts.create_graph).contiguous_detached(!opts.create_graph),
        };
        leaf.0.meta.lock().grad = Some(ng);
    }
    Ok(results)
}

fn release_dep(deps: &mut HashMap<u64, usize>, nodes: &HashMap<u64, Arc<Node>>, ready: &mut Vec<Arc<Node>>, id: u64) {
    if let Some(c) = deps.get_mut(&id) {
        *c -= 1;
        if *c == 0 {
            deps.remove(&id);
            let n = nodes[&id].clone();
            // Keep newest-first order among ready nodes.
            let pos = ready.partition_point(|m| m.id < n.id);
            ready.insert(pos, n);
        }
    }
}

fn deliver(
    n: &Node,
    input_grads: Vec<Option<Tensor>>,
    grads: &mut HashMap<u64, Tensor>,
    leaf_grads: &mut Vec<(Tensor, Tensor)>,
    deps: &mut HashMap<u64, usize>,
    nodes: &HashMap<u64, Arc<Node>>,
    ready: &mut Vec<Arc<Node>>,
) -> Result<()> {
    for (e, g) in n.next.iter().zip(input_grads) {
        match (e, g) {
            (Some(Edge::Node(m)), Some(g)) => {
                accumulate(grads, m.id, g)?;
                release_dep(deps, nodes, ready, m.id);
            }
            (Some(Edge::Node(m)), None) => release_dep(deps, nodes, ready, m.id),
            (Some(Edge::Leaf(t)), Some(g)) => {
                // Merge with an earlier gradient for the same leaf.
                let key = Arc::as_ptr(&t.0);
                match leaf_grads.iter_mut().find(|(l, _)| Arc::as_ptr(&l.0) == key) {
                    Some((_, prev)) => *prev = prev.binary(BinaryOp::Add, &g)?,
                    None => leaf_grads.push((t.clone(), g)),
                }
            }
            _ => {}
        }
    }
    Ok(())
}

impl Tensor {
    fn detach_if(&self, yes: bool) -> Tensor {
        if yes {
            self.detach()
        } else {
            self.clone()
        }
    }

    /// A gradient stored in `.grad` owns its memory (never a view into another tensor).
    fn contiguous_detached(&self, yes: bool) -> Tensor {
        if yes && (!self.is_contiguous() || self.layout().storage_extent() != self.numel() || self.storage_offset() != 0) {
            self.copy_as(self.dtype())
        } else {
            self.clone()
        }
    }
}

//! Op entry points. Unary, binary and reduction ops take a numeric op code (the
//! tables in `src/opcodes.ts` mirror these) so one entry serves a whole family.
use crate::create::dt;
use crate::table::{guard, op, put, tensor, H};
use ferrotorch_core::{ArgReduceOp, BinaryOp, ReduceOp, ScanOp, UnaryOp};
use ferrotorch_tensor::{Error, IndexItem, Scalar, Tensor};
use napi::bindgen_prelude::*;
use napi_derive::napi;

type R<T> = std::result::Result<T, Error>;

pub fn unary_op(code: u32, a: f64, b: f64, c: f64) -> R<UnaryOp> {
    use UnaryOp::*;
    // Clamp: `c` says which bounds are present (bit 0 min, bit 1 max), so NaN stays a value.
    let flags = c as u32;
    Ok(match code {
        0 => Neg,
        1 => Abs,
        2 => Sign,
        3 => Square,
        4 => Relu,
        5 => Floor,
        6 => Ceil,
        7 => Round,
        8 => Trunc,
        9 => Clamp { min: (flags & 1 != 0).then_some(a), max: (flags & 2 != 0).then_some(b) },
        10 => LogicalNot,
        11 => Exp,
        12 => Exp2,
        13 => Log,
        14 => Log2,
        15 => Log10,
        16 => Log1p,
        17 => Expm1,
        18 => Sqrt,
        19 => Rsqrt,
        20 => Sin,
        21 => Cos,
        22 => Tan,
        23 => Asin,
        24 => Acos,
        25 => Atan,
        26 => Sinh,
        27 => Cosh,
        28 => Tanh,
        29 => Sigmoid,
        30 => Erf,
        31 => Erfc,
        32 => Reciprocal,
        33 => Gelu { tanh: a != 0.0 },
        34 => Silu,
        35 => Mish,
        36 => Softplus { beta: a, threshold: b },
        37 => LeakyRelu { slope: a },
        38 => Elu { alpha: a, scale: b, input_scale: c },
        39 => Hardtanh { min: a, max: b },
        40 => Hardsigmoid,
        41 => Hardswish,
        42 => PowScalar { exp: a },
        43 => RPowScalar { base: a },
        _ => return Err(Error::Type(format!("unknown unary op code {code}"))),
    })
}

pub fn binary_op(code: u32) -> R<BinaryOp> {
    use BinaryOp::*;
    const T: [BinaryOp; 23] = [
        Add,
        Sub,
        Mul,
        Div,
        Pow,
        Maximum,
        Minimum,
        Atan2,
        Remainder,
        Fmod,
        FloorDivide,
        BitAnd,
        BitOr,
        BitXor,
        LogicalAnd,
        LogicalOr,
        LogicalXor,
        Eq,
        Ne,
        Lt,
        Le,
        Gt,
        Ge,
    ];
    T.get(code as usize).copied().ok_or_else(|| Error::Type(format!("unknown binary op code {code}")))
}

/// kind: 0 bool, 1 int, 2 float (JS numbers that are integers count as ints).
pub fn scalar(v: f64, kind: u32) -> Scalar {
    match kind {
        0 => Scalar::Bool(v != 0.0),
        1 => Scalar::Int(v as i64),
        _ => Scalar::Float(v),
    }
}

#[napi]
pub fn unary(env: Env, h: H, code: u32, a: f64, b: f64, c: f64) -> Result<H> {
    op(&env, || tensor(h)?.unary(unary_op(code, a, b, c)?))
}

#[napi]
pub fn binary(env: Env, a: H, b: H, code: u32) -> Result<H> {
    op(&env, || tensor(a)?.binary(binary_op(code)?, &tensor(b)?))
}

#[napi]
pub fn binary_scalar(env: Env, a: H, v: f64, kind: u32, code: u32, reverse: bool) -> Result<H> {
    op(&env, || tensor(a)?.binary_scalar(binary_op(code)?, scalar(v, kind), reverse))
}

#[napi]
pub fn scalar_tensor(env: Env, like: H, v: f64, kind: u32) -> Result<H> {
    op(&env, || tensor(like)?.scalar_like(scalar(v, kind)))
}

#[napi]
pub fn add_alpha(env: Env, a: H, b: H, alpha: f64, kind: u32) -> Result<H> {
    op(&env, || tensor(a)?.add_alpha(&tensor(b)?, scalar(alpha, kind)))
}

#[napi]
pub fn div_mode(env: Env, a: H, b: H, mode: Option<String>) -> Result<H> {
    op(&env, || tensor(a)?.div_mode(&tensor(b)?, mode.as_deref()))
}

#[napi]
pub fn pow_scalar(env: Env, a: H, v: f64, kind: u32) -> Result<H> {
    op(&env, || tensor(a)?.pow_scalar(scalar(v, kind)))
}

#[napi(js_name = "where")]
pub fn where_(env: Env, c: H, a: H, b: H) -> Result<H> {
    op(&env, || Tensor::where_(&tensor(c)?, &tensor(a)?, &tensor(b)?))
}

#[napi]
pub fn clamp_tensor(env: Env, h: H, min: Option<H>, max: Option<H>) -> Result<H> {
    op(&env, || {
        let lo = min.map(tensor).transpose()?;
        let hi = max.map(tensor).transpose()?;
        tensor(h)?.clamp_tensor(lo.as_ref(), hi.as_ref())
    })
}

// ---- reductions -------------------------------------------------------------------

fn reduce_op(code: u32) -> R<ReduceOp> {
    use ReduceOp::*;
    [Sum, Prod, Max, Min, All, Any].get(code as usize).copied().ok_or_else(|| Error::Type(format!("unknown reduce op code {code}")))
}

#[napi]
pub fn reduce(env: Env, h: H, code: u32, dims: Option<Vec<i64>>, keepdim: bool) -> Result<H> {
    op(&env, || tensor(h)?.reduce(reduce_op(code)?, dims.as_deref(), keepdim))
}

#[napi]
pub fn mean(env: Env, h: H, dims: Option<Vec<i64>>, keepdim: bool) -> Result<H> {
    op(&env, || tensor(h)?.mean(dims.as_deref(), keepdim))
}

#[napi]
pub fn var(env: Env, h: H, dims: Option<Vec<i64>>, correction: f64, keepdim: bool, std: bool) -> Result<H> {
    op(&env, || {
        let t = tensor(h)?;
        if std {
            t.std(dims.as_deref(), correction, keepdim)
        } else {
            t.var(dims.as_deref(), correction, keepdim)
        }
    })
}

#[napi]
pub fn logsumexp(env: Env, h: H, dims: Vec<i64>, keepdim: bool) -> Result<H> {
    op(&env, || tensor(h)?.logsumexp(&dims, keepdim))
}

#[napi]
pub fn norm(env: Env, h: H, p: f64, dims: Option<Vec<i64>>, keepdim: bool) -> Result<H> {
    op(&env, || tensor(h)?.norm(p, dims.as_deref(), keepdim))
}

/// `max(dim)` / `min(dim)`: [values, indices] handles.
#[napi]
pub fn arg_reduce(env: Env, h: H, is_max: bool, dim: i64, keepdim: bool) -> Result<Vec<H>> {
    let (v, i) = guard(&env, || tensor(h)?.arg_reduce(if is_max { ArgReduceOp::Max } else { ArgReduceOp::Min }, dim, keepdim))?;
    Ok(vec![put(&env, v), put(&env, i)])
}

#[napi]
pub fn argmax(env: Env, h: H, is_max: bool, dim: Option<i64>, keepdim: bool) -> Result<H> {
    op(&env, || tensor(h)?.argmax_like(if is_max { ArgReduceOp::Max } else { ArgReduceOp::Min }, dim, keepdim))
}

#[napi]
pub fn scan(env: Env, h: H, is_sum: bool, dim: i64) -> Result<H> {
    op(&env, || tensor(h)?.scan(if is_sum { ScanOp::Sum } else { ScanOp::Prod }, dim))
}

// ---- shape -------------------------------------------------------------------------

#[napi]
pub fn view(env: Env, h: H, shape: Vec<i64>) -> Result<H> {
    op(&env, || tensor(h)?.view(&shape))
}

#[napi]
pub fn reshape(env: Env, h: H, shape: Vec<i64>) -> Result<H> {
    op(&env, || tensor(h)?.reshape(&shape))
}

#[napi]
pub fn permute(env: Env, h: H, dims: Vec<i64>) -> Result<H> {
    op(&env, || tensor(h)?.permute(&dims))
}

#[napi]
pub fn transpose(env: Env, h: H, d0: i64, d1: i64) -> Result<H> {
    op(&env, || tensor(h)?.transpose(d0, d1))
}

#[napi]
pub fn t(env: Env, h: H) -> Result<H> {
    op(&env, || tensor(h)?.t())
}

#[napi]
pub fn expand(env: Env, h: H, sizes: Vec<i64>) -> Result<H> {
    op(&env, || tensor(h)?.expand(&sizes))
}

#[napi]
pub fn squeeze(env: Env, h: H, dims: Option<Vec<i64>>) -> Result<H> {
    op(&env, || tensor(h)?.squeeze(dims.as_deref()))
}

#[napi]
pub fn unsqueeze(env: Env, h: H, dim: i64) -> Result<H> {
    op(&env, || tensor(h)?.unsqueeze(dim))
}

#[napi]
pub fn flatten(env: Env, h: H, start: i64, end: i64) -> Result<H> {
    op(&env, || tensor(h)?.flatten(start, end))
}

#[napi]
pub fn unflatten(env: Env, h: H, dim: i64, sizes: Vec<i64>) -> Result<H> {
    op(&env, || tensor(h)?.unflatten(dim, &sizes))
}

#[napi]
pub fn narrow(env: Env, h: H, dim: i64, start: i64, length: i64) -> Result<H> {
    op(&env, || tensor(h)?.narrow(dim, start, length))
}

#[napi]
pub fn select(env: Env, h: H, dim: i64, index: i64) -> Result<H> {
    op(&env, || tensor(h)?.select(dim, index))
}

fn many(hs: &[H]) -> R<Vec<Tensor>> {
    hs.iter().map(|&h| tensor(h)).collect()
}

fn put_all(env: &Env, ts: Vec<Tensor>) -> Vec<H> {
    ts.into_iter().map(|t| put(env, t)).collect()
}

#[napi]
pub fn cat(env: Env, hs: Vec<H>, dim: i64) -> Result<H> {
    op(&env, || Tensor::cat(&many(&hs)?, dim))
}

#[napi]
pub fn stack(env: Env, hs: Vec<H>, dim: i64) -> Result<H> {
    op(&env, || Tensor::stack(&many(&hs)?, dim))
}

#[napi]
pub fn split(env: Env, h: H, size: i64, dim: i64) -> Result<Vec<H>> {
    let ts = guard(&env, || {
        if size < 0 {
            return Err(Error::arg("split", format!("split expects split_size be non-negative, but got split_size={size}")));
        }
        tensor(h)?.split(size as usize, dim)
    })?;
    Ok(put_all(&env, ts))
}

#[napi]
pub fn split_sizes(env: Env, h: H, sizes: Vec<i64>, dim: i64) -> Result<Vec<H>> {
    let ts = guard(&env, || {
        let s: Vec<usize> = sizes.iter().map(|&x| x.max(0) as usize).collect();
        tensor(h)?.split_sizes(&s, dim)
    })?;
    Ok(put_all(&env, ts))
}

#[napi]
pub fn chunk(env: Env, h: H, chunks: i64, dim: i64) -> Result<Vec<H>> {
    let ts = guard(&env, || tensor(h)?.chunk(chunks.max(0) as usize, dim))?;
    Ok(put_all(&env, ts))
}

#[napi]
pub fn flip(env: Env, h: H, dims: Vec<i64>) -> Result<H> {
    op(&env, || tensor(h)?.flip(&dims))
}

#[napi]
pub fn roll(env: Env, h: H, shifts: Vec<i64>, dims: Vec<i64>) -> Result<H> {
    op(&env, || tensor(h)?.roll(&shifts, &dims))
}

#[napi]
pub fn repeat(env: Env, h: H, sizes: Vec<i64>) -> Result<H> {
    op(&env, || tensor(h)?.repeat(&sizes))
}

#[napi]
pub fn tri(env: Env, h: H, k: i64, upper: bool) -> Result<H> {
    op(&env, || if upper { tensor(h)?.triu(k) } else { tensor(h)?.tril(k) })
}

#[napi]
pub fn pad_constant(env: Env, h: H, pad: Vec<i64>, value: f64) -> Result<H> {
    op(&env, || tensor(h)?.pad_constant(&pad, value))
}

// ---- linear algebra -----------------------------------------------------------------

/// kind: 0 matmul, 1 mm, 2 bmm, 3 outer, 4 dot.
#[napi]
pub fn matmul(env: Env, a: H, b: H, kind: u32) -> Result<H> {
    op(&env, || {
        let (x, y) = (tensor(a)?, tensor(b)?);
        match kind {
            1 => x.mm(&y),
            2 => x.bmm(&y),
            3 => x.outer(&y),
            4 => x.dot(&y),
            _ => x.matmul(&y),
        }
    })
}

#[napi]
pub fn linear(env: Env, x: H, w: H, b: Option<H>) -> Result<H> {
    op(&env, || {
        let bias = b.map(tensor).transpose()?;
        tensor(x)?.linear(&tensor(w)?, bias.as_ref())
    })
}

#[napi]
pub fn einsum(env: Env, eq: String, hs: Vec<H>) -> Result<H> {
    op(&env, || Tensor::einsum(&eq, &many(&hs)?))
}

// ---- gather / scatter / indexing -------------------------------------------------------

#[napi]
pub fn gather(env: Env, h: H, dim: i64, index: H) -> Result<H> {
    op(&env, || tensor(h)?.gather(dim, &tensor(index)?))
}

#[napi]
pub fn scatter(env: Env, h: H, dim: i64, index: H, src: H, accumulate: bool) -> Result<H> {
    op(&env, || {
        let (t, i, s) = (tensor(h)?, tensor(index)?, tensor(src)?);
        if accumulate {
            t.scatter_add(dim, &i, &s)
        } else {
            t.scatter(dim, &i, &s)
        }
    })
}

#[napi]
pub fn index_select(env: Env, h: H, dim: i64, index: H) -> Result<H> {
    op(&env, || tensor(h)?.index_select(dim, &tensor(index)?))
}

#[napi]
pub fn take_along_dim(env: Env, h: H, index: H, dim: Option<i64>) -> Result<H> {
    op(&env, || tensor(h)?.take_along_dim(&tensor(index)?, dim))
}

#[napi]
pub fn masked_fill(env: Env, h: H, mask: H, value: H) -> Result<H> {
    op(&env, || tensor(h)?.masked_fill(&tensor(mask)?, &tensor(value)?))
}

#[napi]
pub fn masked_fill_scalar(env: Env, h: H, mask: H, v: f64, kind: u32) -> Result<H> {
    op(&env, || tensor(h)?.masked_fill_scalar(&tensor(mask)?, scalar(v, kind)))
}

#[napi]
pub fn embedding(env: Env, input: H, weight: H) -> Result<H> {
    op(&env, || Tensor::embedding(&tensor(input)?, &tensor(weight)?))
}

#[napi]
pub fn nonzero(env: Env, h: H) -> Result<H> {
    op(&env, || tensor(h)?.nonzero())
}

/// Decodes an index spec: per item a kind (0 int, 1 slice, 2 new axis, 3 ellipsis,
/// 4 tensor); ints take one number, slices three (NaN for an open end), tensors a handle.
fn spec(kinds: &[u32], nums: &[f64], hs: &[H]) -> R<Vec<IndexItem>> {
    let (mut n, mut t) = (0usize, 0usize);
    let next = |n: usize| -> R<f64> { nums.get(n).copied().ok_or_else(|| Error::Type("index: malformed spec".into())) };
    let mut out = Vec::with_capacity(kinds.len());
    for &k in kinds {
        out.push(match k {
            0 => {
                let v = next(n)?;
                n += 1;
                IndexItem::Int(v as i64)
            }
            1 => {
                let o = |x: f64| if x.is_nan() { None } else { Some(x as i64) };
                let (a, b, c) = (next(n)?, next(n + 1)?, next(n + 2)?);
                n += 3;
                IndexItem::Slice(o(a), o(b), o(c))
            }
            2 => IndexItem::NewAxis,
            3 => IndexItem::Ellipsis,
            4 => {
                let h = *hs.get(t).ok_or_else(|| Error::Type("index: malformed spec".into()))?;
                t += 1;
                IndexItem::Tensor(tensor(h)?)
            }
            _ => return Err(Error::Type(format!("index: unknown item kind {k}"))),
        });
    }
    Ok(out)
}

#[napi]
pub fn index(env: Env, h: H, kinds: Vec<u32>, nums: Vec<f64>, hs: Vec<H>) -> Result<H> {
    op(&env, || tensor(h)?.index(&spec(&kinds, &nums, &hs)?))
}

#[napi]
pub fn index_put(env: Env, h: H, kinds: Vec<u32>, nums: Vec<f64>, hs: Vec<H>, value: H, accumulate: bool) -> Result<()> {
    guard(&env, || tensor(h)?.index_put_(&spec(&kinds, &nums, &hs)?, &tensor(value)?, accumulate))
}

// ---- sorting, softmax -------------------------------------------------------------------

#[napi]
pub fn sort(env: Env, h: H, dim: i64, descending: bool) -> Result<Vec<H>> {
    let (v, i) = guard(&env, || tensor(h)?.sort(dim, descending))?;
    Ok(vec![put(&env, v), put(&env, i)])
}

#[napi]
pub fn topk(env: Env, h: H, k: i64, dim: i64, largest: bool) -> Result<Vec<H>> {
    let (v, i) = guard(&env, || tensor(h)?.topk(k, dim, largest))?;
    Ok(vec![put(&env, v), put(&env, i)])
}

#[napi]
pub fn softmax(env: Env, h: H, dim: i64, log: bool) -> Result<H> {
    op(&env, || if log { tensor(h)?.log_softmax(dim) } else { tensor(h)?.softmax(dim) })
}

/// Casts to a dtype code, for ops that take a `dtype` option.
#[napi]
pub fn cast(env: Env, h: H, dtype: u32) -> Result<H> {
    op(&env, || Ok(tensor(h)?.to_dtype(dt(dtype)?)))
}

/// `unfold` / im2col: args are [kh, kw, dh, dw, ph, pw, sh, sw].
#[napi(js_name = "im2col")]
pub fn im2col(env: Env, h: H, args: Vec<u32>, pad: f64) -> Result<H> {
    op(&env, || tensor(h)?.im2col(&window_args(&args)?, pad))
}

/// `fold` / col2im to an `[oh, ow]` image.
#[napi(js_name = "col2im")]
pub fn col2im(env: Env, h: H, oh: u32, ow: u32, args: Vec<u32>) -> Result<H> {
    op(&env, || tensor(h)?.col2im((oh as usize, ow as usize), &window_args(&args)?))
}

fn window_args(a: &[u32]) -> R<ferrotorch_tensor::ops::conv::WindowArgs> {
    if a.len() != 8 {
        return Err(Error::Type("window args must be [kh, kw, dh, dw, ph, pw, sh, sw]".into()));
    }
    let p = |i: usize| (a[i] as usize, a[i + 1] as usize);
    Ok(ferrotorch_tensor::ops::conv::WindowArgs { kernel: p(0), dilation: p(2), padding: p(4), stride: p(6) })
}

/// Fused optimizer step over a whole parameter group in one call: `handles` holds
/// `per` handles for each parameter ([param, grad, state...]); `kind` 0 SGD, 1 Adam,
/// 2 RMSprop, 3 Adagrad; `h` holds the hyperparameters in the order of
/// `ferrotorch_tensor::optim::Step`'s fields; `steps` the per-parameter step counts
/// (Adam's bias correction) or first-step flags (SGD's momentum buffer) as 0/1.
#[napi]
pub fn optim_step(env: Env, kind: u32, handles: Vec<H>, per: u32, h: Vec<f64>, flags: Vec<bool>, steps: Vec<f64>) -> Result<()> {
    use ferrotorch_tensor::optim::{fused_step, Step};
    guard(&env, || {
        let per = per.max(2) as usize;
        if !handles.len().is_multiple_of(per) {
            return Err(Error::Type("optim_step: handles must come in groups of `per`".into()));
        }
        let g = |i: usize| h.get(i).copied().unwrap_or(0.0);
        let f = |i: usize| flags.get(i).copied().unwrap_or(false);
        for (k, chunk) in handles.chunks(per).enumerate() {
            let ts: Vec<Tensor> = chunk.iter().map(|&x| tensor(x)).collect::<R<_>>()?;
            let st = steps.get(k).copied().unwrap_or(0.0);
            let step = match kind {
                0 => Step::Sgd {
                    lr: g(0),
                    momentum: g(1),
                    dampening: g(2),
                    weight_decay: g(3),
                    nesterov: f(0),
                    maximize: f(1),
                    first: st != 0.0,
                },
                1 => Step::Adam {
                    lr: g(0),
                    b1: g(1),
                    b2: g(2),
                    eps: g(3),
                    weight_decay: g(4),
                    step: st,
                    amsgrad: f(0),
                    maximize: f(1),
                    decoupled: f(2),
                },
                2 => Step::Rmsprop { lr: g(0), alpha: g(1), eps: g(2), weight_decay: g(3), momentum: g(4), centered: f(0), maximize: f(1) },
                3 => Step::Adagrad { lr: g(0), weight_decay: g(1), eps: g(2), maximize: f(0) },
                _ => return Err(Error::Type(format!("unknown optimizer kind {kind}"))),
            };
            fused_step(step, &ts)?;
        }
        Ok(())
    })
}

/// Max pooling to `[oh, ow]` with window args [kh, kw, dh, dw, ph, pw, sh, sw].
#[napi(js_name = "maxPool2d")]
pub fn max_pool2d(env: Env, h: H, args: Vec<u32>, oh: u32, ow: u32) -> Result<H> {
    op(&env, || tensor(h)?.max_pool2d(&window_args(&args)?, oh as usize, ow as usize))
}

//! Every primitive on CUDA against the CPU result (forward, backward, optimizer steps,
//! random streams, the caching allocator). Skips, saying so, where no GPU is present.
//! Build here with `cargo test -p ferrotorch-tensor --release --test cuda --no-run` and
//! run the binary on a GPU machine (it needs no Node, no Rust, only the NVIDIA driver,
//! NVRTC and cuBLAS libraries).
// Cases read best as literal slices of clones.
#![allow(clippy::cloned_ref_to_slice_refs)]
use ferrotorch_core::{ArgReduceOp, BinaryOp, DType, Device, OptimStep, ReduceOp, ScanOp, UnaryOp};
use ferrotorch_cpu::CpuStorage;
use ferrotorch_tensor::autograd::{run_backward, BackwardOptions, NoCallbacks};
use ferrotorch_tensor::ops::conv::WindowArgs;
use ferrotorch_tensor::{IndexItem, Scalar, Tensor};

const GPU: Device = Device::Cuda(0);

/// The GPU, held for one test at a time (allocator counters and the seed are global), or
/// None (with a message) where there is none.
fn gpu() -> Option<std::sync::MutexGuard<'static, ()>> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    if !ferrotorch_cuda::is_available() {
        eprintln!("skipped: no CUDA device (ferrotorch_cuda::is_available() is false)");
        return None;
    }
    Some(LOCK.lock().unwrap_or_else(|e| e.into_inner()))
}

fn f64s(t: &Tensor) -> Vec<f64> {
    match t.copy_as(DType::F64).to_cpu_storage().unwrap() {
        CpuStorage::F64(v) => v,
        _ => unreachable!(),
    }
}

/// Deterministic values in roughly [-3, 3], some exactly representable, as `dtype`.
fn data(shape: &[usize], dtype: DType, salt: usize) -> Tensor {
    let n: usize = shape.iter().product();
    let v: Vec<f64> = (0..n).map(|i| (((i * 7919 + salt * 104729) % 613) as f64) / 100.0 - 3.0).collect();
    Tensor::from_cpu(CpuStorage::F64(v), shape).to_dtype(dtype)
}

fn tol(d: DType) -> f64 {
    match d {
        DType::F16 => 2e-3,
        DType::BF16 => 1.6e-2,
        DType::F32 => 2e-5,
        DType::F64 => 1e-10,
        _ => 0.0,
    }
}

/// `got` (any device) equals `want` (CPU) in shape, dtype and values within `rtol`.
fn same(label: &str, got: &Tensor, want: &Tensor, rtol: f64) {
    assert_eq!(got.shape(), want.shape(), "{label}: shape");
    assert_eq!(got.dtype(), want.dtype(), "{label}: dtype");
    for (i, (g, w)) in f64s(got).iter().zip(f64s(want)).enumerate() {
        let ok = (g.is_nan() && w.is_nan()) || g == &w || (g - w).abs() <= rtol * w.abs().max(1.0);
        assert!(ok, "{label}: element {i}: cuda {g} vs cpu {w}");
    }
}

/// Runs `f` on CPU inputs and on the same inputs moved to the GPU; compares.
fn both(label: &str, inputs: &[Tensor], rtol: f64, f: impl Fn(&[Tensor]) -> Tensor) {
    let want = f(inputs);
    let moved: Vec<Tensor> = inputs.iter().map(|t| t.to_device(GPU).unwrap()).collect();
    let got = f(&moved);
    assert_eq!(got.device(), GPU, "{label}: result device");
    same(label, &got, &want, rtol);
}

const FLOATS: [DType; 4] = [DType::F32, DType::F64, DType::F16, DType::BF16];

#[test]
fn transfers_round_trip_every_dtype() {
    let Some(_gpu) = gpu() else { return };
    for d in DType::ALL {
        let t = data(&[3, 5], d, 1);
        let back = t.to_device(GPU).unwrap().to_device(Device::Cpu).unwrap();
        same(&format!("round trip {d}"), &back, &t, 0.0);
        // Non-contiguous views move as their logical elements.
        let v = t.t().unwrap();
        same(&format!("transposed {d}"), &v.to_device(GPU).unwrap(), &v.contiguous(), 0.0);
        let full = Tensor::full(&[4], 3.0, d, GPU).unwrap();
        same(&format!("full {d}"), &full, &Tensor::full(&[4], 3.0, d, Device::Cpu).unwrap(), 0.0);
    }
    // Out-of-range fills saturate as on the CPU; -0.0 stays negative.
    for (d, v) in [(DType::U8, 300.0), (DType::U8, -1.0), (DType::I32, 3e9), (DType::F32, -0.0)] {
        let g = Tensor::full(&[2], v, d, GPU).unwrap();
        let c = Tensor::full(&[2], v, d, Device::Cpu).unwrap();
        same(&format!("full {d} {v}"), &g, &c, 0.0);
        assert_eq!(f64s(&g)[0].is_sign_negative(), f64s(&c)[0].is_sign_negative());
    }
}

#[test]
fn casts_between_every_pair_of_dtypes() {
    let Some(_gpu) = gpu() else { return };
    for a in DType::ALL {
        for b in DType::ALL {
            let t = data(&[4, 6], a, 2).t().unwrap();
            both(&format!("cast {a}->{b}"), &[t], tol(b).max(tol(a)), |x| x[0].to_dtype(b));
        }
    }
}

#[test]
fn unary_ops_match_cpu() {
    let Some(_gpu) = gpu() else { return };
    use UnaryOp::*;
    let ops = [
        Neg,
        Abs,
        Sign,
        Square,
        Relu,
        Floor,
        Ceil,
        Round,
        Trunc,
        Clamp { min: Some(-1.0), max: Some(0.5) },
        Clamp { min: None, max: Some(0.0) },
        Exp,
        Exp2,
        Log,
        Log2,
        Log10,
        Log1p,
        Expm1,
        Sqrt,
        Rsqrt,
        Sin,
        Cos,
        Tan,
        Asin,
        Acos,
        Atan,
        Sinh,
        Cosh,
        Tanh,
        Sigmoid,
        Erf,
        Erfc,
        Reciprocal,
        Gelu { tanh: false },
        Gelu { tanh: true },
        Silu,
        Mish,
        Softplus { beta: 2.0, threshold: 10.0 },
        LeakyRelu { slope: 0.1 },
        Elu { alpha: 1.0, scale: 1.0, input_scale: 1.0 },
        Hardtanh { min: -1.0, max: 1.0 },
        Hardsigmoid,
        Hardswish,
        PowScalar { exp: 3.0 },
        PowScalar { exp: 0.5 },
        RPowScalar { base: 2.0 },
        LogicalNot,
    ];
    for d in FLOATS {
        for op in ops {
            // Strided input (a transpose) so the kernels' index arithmetic is exercised.
            let x = data(&[37, 41], d, 3).t().unwrap();
            both(&format!("{} {d}", op.name()), &[x], tol(d) * 4.0, |x| x[0].unary(op).unwrap());
        }
    }
    for d in [DType::I64, DType::I32, DType::U8, DType::Bool] {
        for op in [Neg, Abs, Sign, Square, Relu, Clamp { min: Some(-1.0), max: Some(2.0) }, LogicalNot] {
            if d == DType::Bool && op != LogicalNot {
                continue;
            }
            if d == DType::U8 && matches!(op, Neg) {
                continue;
            }
            let x = data(&[9, 7], d, 4);
            both(&format!("{} {d}", op.name()), &[x], 0.0, |x| x[0].unary(op).unwrap());
        }
    }
}

#[test]
fn binary_ops_broadcast_and_strides_match_cpu() {
    let Some(_gpu) = gpu() else { return };
    use BinaryOp::*;
    let float_ops = [
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
        Eq,
        Ne,
        Lt,
        Le,
        Gt,
        Ge,
        LogicalAnd,
        LogicalOr,
        LogicalXor,
    ];
    for d in FLOATS {
        for op in float_ops {
            let a = data(&[5, 1, 7], d, 5);
            let b = data(&[7, 6], d, 6).t().unwrap(); // [6, 7], strided; broadcasts to [5, 6, 7]
            both(&format!("{} {d}", op.name()), &[a, b], tol(d) * 4.0, |x| x[0].binary(op, &x[1]).unwrap());
        }
    }
    let int_ops = [Add, Sub, Mul, Maximum, Minimum, BitAnd, BitOr, BitXor, Eq, Lt, Ge, FloorDivide, Remainder, Fmod, Pow];
    for d in [DType::I64, DType::I32, DType::U8] {
        for op in int_ops {
            let a = data(&[4, 9], d, 7);
            // Nonzero divisors: the ints of data() shifted away from 0.
            let b = data(&[9], DType::I64, 8).unary(UnaryOp::Abs).unwrap().binary_scalar(Add, Scalar::Int(1), false).unwrap().to_dtype(d);
            both(&format!("{} {d}", op.name()), &[a, b], 0.0, |x| x[0].binary(op, &x[1]).unwrap());
        }
    }
    // Integer division by zero is PyTorch's error on both devices.
    let a = Tensor::full(&[3], 1.0, DType::I64, GPU).unwrap();
    let z = Tensor::full(&[3], 0.0, DType::I64, GPU).unwrap();
    let e = a.binary(FloorDivide, &z).unwrap_err().to_string();
    assert!(e.contains("ZeroDivisionError"), "{e}");
    // A 0-dim CPU tensor joins a CUDA op as a scalar, as in PyTorch.
    let two = Tensor::full(&[], 2.0, DType::F32, Device::Cpu).unwrap();
    let g3 = Tensor::full(&[3], 1.5, DType::F32, GPU).unwrap();
    let r = g3.binary(Mul, &two).unwrap();
    assert_eq!((r.device(), f64s(&r)), (GPU, vec![3.0; 3]));
    // Mixed devices otherwise: PyTorch's error, naming both.
    let c = Tensor::full(&[3], 1.0, DType::F32, Device::Cpu).unwrap();
    let g = Tensor::full(&[3], 1.0, DType::F32, GPU).unwrap();
    let e = g.binary(Add, &c).unwrap_err().to_string();
    assert!(e.contains("cuda:0") && e.contains("cpu"), "{e}");
}

#[test]
fn where_masked_fill_and_scalars_match_cpu() {
    let Some(_gpu) = gpu() else { return };
    for d in FLOATS {
        let c = data(&[6, 5], DType::F32, 9).binary_scalar(BinaryOp::Gt, Scalar::Float(0.0), false).unwrap();
        let (a, b) = (data(&[6, 5], d, 10), data(&[5], d, 11));
        both(&format!("where {d}"), &[c.clone(), a, b], 0.0, |x| Tensor::where_(&x[0], &x[1], &x[2]).unwrap());
        let a = data(&[6, 5], d, 12);
        both(&format!("scalar ops {d}"), &[a], tol(d), |x| {
            x[0].binary_scalar(BinaryOp::Mul, Scalar::Float(2.5), false)
                .unwrap()
                .binary_scalar(BinaryOp::Sub, Scalar::Int(1), true)
                .unwrap()
        });
    }
}

#[test]
fn reductions_scans_and_arg_reductions_match_cpu() {
    let Some(_gpu) = gpu() else { return };
    use ReduceOp::*;
    for d in FLOATS.into_iter().chain([DType::I64, DType::I32, DType::Bool]) {
        let x = data(&[7, 300, 5], d, 13).permute(&[2, 0, 1]).unwrap(); // [5, 7, 300], strided
        let dims: [Option<&[i64]>; 5] = [None, Some(&[0]), Some(&[2]), Some(&[0, 2]), Some(&[1])];
        for op in [Sum, Prod, Max, Min, All, Any] {
            if d == DType::Bool && !matches!(op, All | Any) {
                continue;
            }
            for ds in dims {
                for keep in [false, true] {
                    // Products of 300 values overflow; take them over short dims only.
                    if op == Prod && ds != Some(&[0]) {
                        continue;
                    }
                    let r = if d.is_float() { tol(d) * 50.0 } else { 0.0 };
                    both(&format!("{op:?} {d} {ds:?}"), &[x.clone()], r, |x| x[0].reduce(op, ds, keep).unwrap());
                }
            }
        }
        if d != DType::Bool {
            for dim in 0..3 {
                for op in [ArgReduceOp::Max, ArgReduceOp::Min] {
                    both(&format!("arg {op:?} {d} dim {dim}"), &[x.clone()], 0.0, |x| x[0].arg_reduce(op, dim, false).unwrap().1);
                    both(&format!("arg values {op:?} {d} dim {dim}"), &[x.clone()], 0.0, |x| x[0].arg_reduce(op, dim, true).unwrap().0);
                }
                // Short lines keep cumulative products finite.
                let s = x.narrow(2, 0, 6).unwrap();
                both(&format!("cumsum {d} dim {dim}"), &[s.clone()], tol(d) * 20.0, |x| x[0].scan(ScanOp::Sum, dim).unwrap());
                both(&format!("cumprod {d} dim {dim}"), &[s.clone()], tol(d) * 20.0, |x| x[0].scan(ScanOp::Prod, dim).unwrap());
            }
        }
    }
    // NaN propagates through max and wins argmax, as on the CPU.
    let x = Tensor::from_cpu(CpuStorage::F32(vec![1.0, f32::NAN, 3.0, 2.0]), &[4]);
    both("max with NaN", &[x.clone()], 0.0, |x| x[0].reduce(Max, None, false).unwrap());
    both("argmax with NaN", &[x], 0.0, |x| x[0].arg_reduce(ArgReduceOp::Max, 0, false).unwrap().1);
    for d in [DType::F32, DType::F64] {
        let x = data(&[8, 33], d, 14);
        both(&format!("softmax {d}"), &[x.clone()], tol(d) * 10.0, |x| x[0].softmax(1).unwrap());
        both(&format!("log_softmax {d}"), &[x.clone()], tol(d) * 10.0, |x| x[0].log_softmax(0).unwrap());
        both(&format!("var {d}"), &[x.clone()], tol(d) * 10.0, |x| x[0].var(Some(&[1]), 1.0, false).unwrap());
        both(&format!("mean {d}"), &[x], tol(d) * 10.0, |x| x[0].mean(None, false).unwrap());
    }
}

#[test]
fn matmul_matches_cpu_for_layouts_batches_and_dtypes() {
    let Some(_gpu) = gpu() else { return };
    for d in FLOATS.into_iter().chain([DType::I64, DType::I32]) {
        let r = if d.is_float() { tol(d) * 30.0 } else { 0.0 };
        let cases: Vec<(Tensor, Tensor)> = vec![
            (data(&[17, 31], d, 15), data(&[31, 13], d, 16)),
            (data(&[31, 17], d, 17).t().unwrap(), data(&[31, 13], d, 18)),
            (data(&[17, 31], d, 19), data(&[13, 31], d, 20).t().unwrap()),
            (data(&[3, 5, 8], d, 21), data(&[8, 4], d, 22)),
            (data(&[2, 3, 5, 8], d, 23), data(&[3, 8, 4], d, 24)),
            (data(&[4, 6, 8], d, 25).permute(&[1, 0, 2]).unwrap(), data(&[6, 8, 3], d, 26)),
            (data(&[1, 7], d, 27), data(&[7, 1], d, 28)),
            (data(&[7], d, 29), data(&[7, 5], d, 30)),
            (data(&[4, 0], d, 31), data(&[0, 3], d, 32)),
        ];
        for (k, (a, b)) in cases.into_iter().enumerate() {
            both(&format!("matmul case {k} {d}"), &[a, b], r, |x| x[0].matmul(&x[1]).unwrap());
        }
    }
}

#[test]
fn gather_scatter_and_indexing_match_cpu() {
    let Some(_gpu) = gpu() else { return };
    for d in [DType::F32, DType::F64, DType::F16, DType::I64] {
        let x = data(&[6, 9], d, 33);
        let idx = Tensor::from_cpu(CpuStorage::I64(vec![0, 8, 3, 3, 1, 2, 7, 7, 5, 0, 4, 6]), &[6, 2]);
        both(&format!("gather {d}"), &[x.clone(), idx.clone()], 0.0, |x| x[0].gather(1, &x[1]).unwrap());
        let src = data(&[6, 2], d, 34);
        let r = if d.is_float() { tol(d) * 4.0 } else { 0.0 };
        both(&format!("scatter_add {d}"), &[x.clone(), idx.clone(), src], r, |x| x[0].scatter_add(1, &x[1], &x[2]).unwrap());
        let rows = Tensor::from_cpu(CpuStorage::I64(vec![5, 0, 5, 2]), &[4]);
        both(&format!("index_select {d}"), &[x.clone(), rows.clone()], 0.0, |x| x[0].index_select(0, &x[1]).unwrap());
        both(&format!("advanced index {d}"), &[x.clone(), rows.clone()], 0.0, |x| {
            x[0].index(&[IndexItem::Tensor(x[1].clone()), IndexItem::Slice(Some(1), None, Some(2))]).unwrap()
        });
        both(&format!("index_put_ accumulate {d}"), &[x.clone(), rows], r, |x| {
            let t = x[0].deep_clone();
            let v = Tensor::full(&[9], 1.0, d, t.device()).unwrap();
            t.index_put_(&[IndexItem::Tensor(x[1].clone())], &v, true).unwrap();
            t
        });
        let w = data(&[10, 4], d, 35);
        let ids = Tensor::from_cpu(CpuStorage::I64(vec![3, 9, 0, 3]), &[2, 2]);
        both(&format!("embedding {d}"), &[ids, w], 0.0, |x| Tensor::embedding(&x[0], &x[1]).unwrap());
        both(&format!("sort {d}"), &[x.clone()], 0.0, |x| x[0].sort(1, true).unwrap().0);
        both(&format!("sort indices {d}"), &[x.clone()], 0.0, |x| x[0].sort(0, false).unwrap().1);
        both(&format!("topk {d}"), &[x.clone()], 0.0, |x| x[0].topk(3, 1, true).unwrap().0);
        both(&format!("cat {d}"), &[x.clone(), x.clone()], 0.0, |x| {
            Tensor::cat(&[x[0].clone(), x[1].t().unwrap().t().unwrap()], 0).unwrap()
        });
    }
}

#[test]
fn conv_helpers_and_pooling_match_cpu() {
    let Some(_gpu) = gpu() else { return };
    for d in [DType::F32, DType::F64, DType::F16] {
        let x = data(&[2, 3, 9, 8], d, 36);
        for a in [
            WindowArgs { kernel: (3, 3), dilation: (1, 1), padding: (1, 1), stride: (1, 1) },
            WindowArgs { kernel: (2, 3), dilation: (2, 1), padding: (0, 2), stride: (2, 3) },
        ] {
            both(&format!("im2col {d} {a:?}"), &[x.clone()], 0.0, |x| x[0].im2col(&a, 0.0).unwrap());
            let cols = x.im2col(&a, 0.0).unwrap();
            let r = tol(d) * 8.0;
            both(&format!("col2im {d} {a:?}"), &[cols], r, |x| x[0].col2im((9, 8), &a).unwrap());
            let (oh, ow) = (
                (9 + 2 * a.padding.0 - a.dilation.0 * (a.kernel.0 - 1) - 1) / a.stride.0 + 1,
                (8 + 2 * a.padding.1 - a.dilation.1 * (a.kernel.1 - 1) - 1) / a.stride.1 + 1,
            );
            if a.padding.0 * 2 <= a.kernel.0 && a.padding.1 * 2 <= a.kernel.1 {
                both(&format!("max_pool2d {d} {a:?}"), &[x.clone()], 0.0, |x| x[0].max_pool2d(&a, oh, ow).unwrap());
            }
        }
    }
}

/// A small conv net's forward and backward on both devices: loss and every gradient.
#[test]
fn autograd_through_a_conv_net_matches_cpu() {
    let Some(_gpu) = gpu() else { return };
    let run = |dev: Device| -> Vec<Tensor> {
        let x = data(&[4, 2, 8, 8], DType::F32, 37).to_device(dev).unwrap();
        let w =
            data(&[3, 2 * 3 * 3], DType::F32, 38).binary_scalar(BinaryOp::Mul, Scalar::Float(0.1), false).unwrap().to_device(dev).unwrap();
        let fc =
            data(&[3 * 4 * 4, 5], DType::F32, 39).binary_scalar(BinaryOp::Mul, Scalar::Float(0.05), false).unwrap().to_device(dev).unwrap();
        w.set_requires_grad(true).unwrap();
        fc.set_requires_grad(true).unwrap();
        let a = WindowArgs { kernel: (3, 3), dilation: (1, 1), padding: (1, 1), stride: (1, 1) };
        let cols = x.im2col(&a, 0.0).unwrap(); // [4, 18, 64]
        let y = w.matmul(&cols).unwrap().reshape(&[4, 3, 8, 8]).unwrap().unary(UnaryOp::Relu).unwrap();
        let p = WindowArgs { kernel: (2, 2), dilation: (1, 1), padding: (0, 0), stride: (2, 2) };
        let z = y.max_pool2d(&p, 4, 4).unwrap().reshape(&[4, 48]).unwrap();
        let logits = z.matmul(&fc).unwrap().log_softmax(1).unwrap();
        let target = Tensor::from_cpu(CpuStorage::I64(vec![0, 3, 1, 4]), &[4, 1]).to_device(dev).unwrap();
        let loss = logits.gather(1, &target).unwrap().mean(None, false).unwrap().unary(UnaryOp::Neg).unwrap();
        let one = Tensor::full(&[], 1.0, DType::F32, dev).unwrap();
        run_backward(&[(loss.clone(), one)], None, &BackwardOptions { retain_graph: false, create_graph: false }, &mut NoCallbacks)
            .unwrap();
        vec![loss, w.grad().unwrap(), fc.grad().unwrap()]
    };
    let (cpu, cuda) = (run(Device::Cpu), run(GPU));
    for (k, (g, w)) in cuda.iter().zip(&cpu).enumerate() {
        same(&format!("conv net output {k}"), g, w, 1e-4);
    }
}

#[test]
fn fused_optimizer_steps_match_cpu() {
    let Some(_gpu) = gpu() else { return };
    let steps = [
        OptimStep::Sgd { lr: 0.1, momentum: 0.9, dampening: 0.0, weight_decay: 0.01, nesterov: true, maximize: false, first: false },
        OptimStep::Adam {
            lr: 1e-3,
            b1: 0.9,
            b2: 0.999,
            eps: 1e-8,
            weight_decay: 0.01,
            amsgrad: true,
            maximize: false,
            decoupled: true,
            step: 3.0,
        },
        OptimStep::Rmsprop { lr: 1e-2, alpha: 0.99, eps: 1e-8, weight_decay: 0.0, momentum: 0.5, centered: true, maximize: true },
        OptimStep::Adagrad { lr: 1e-2, weight_decay: 0.1, eps: 1e-10, maximize: false },
    ];
    for d in [DType::F32, DType::F64] {
        for step in steps {
            let n_state = match step {
                OptimStep::Sgd { .. } => 1,
                OptimStep::Adam { .. } => 3,
                OptimStep::Rmsprop { .. } => 3,
                OptimStep::Adagrad { .. } => 1,
            };
            let make = |dev: Device| -> Vec<Tensor> {
                let mut v = vec![data(&[300], d, 40), data(&[300], d, 41)];
                for k in 0..n_state {
                    v.push(
                        data(&[300], d, 42 + k)
                            .unary(UnaryOp::Abs)
                            .unwrap()
                            .binary_scalar(BinaryOp::Mul, Scalar::Float(0.01), false)
                            .unwrap(),
                    );
                }
                v.into_iter().map(|t| t.to_device(dev).unwrap()).collect()
            };
            let (c, g) = (make(Device::Cpu), make(GPU));
            ferrotorch_tensor::optim::fused_step(step, &c).unwrap();
            ferrotorch_tensor::optim::fused_step(step, &g).unwrap();
            for (k, (x, y)) in g.iter().zip(&c).enumerate() {
                same(&format!("{step:?} {d} tensor {k}"), x, y, tol(d) * 4.0);
            }
        }
    }
}

#[test]
fn random_streams_are_seeded_and_well_distributed() {
    let Some(_gpu) = gpu() else { return };
    use ferrotorch_tensor::random;
    random::manual_seed(7);
    let a = random::rand(&[1 << 20], DType::F32, GPU).unwrap();
    random::manual_seed(7);
    let b = random::rand(&[1 << 20], DType::F32, GPU).unwrap();
    same("rand repeats under a seed", &a, &b, 0.0);
    let c = random::rand(&[1 << 20], DType::F32, GPU).unwrap();
    assert_ne!(f64s(&b)[..16], f64s(&c)[..16], "a second draw differs");
    let v = f64s(&a);
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    assert!((mean - 0.5).abs() < 0.005 && v.iter().all(|&x| (0.0..1.0).contains(&x)), "uniform mean {mean}");
    let n = f64s(&random::normal(&[1 << 20], 2.0, 3.0, DType::F64, GPU).unwrap());
    let m = n.iter().sum::<f64>() / n.len() as f64;
    let s = (n.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n.len() as f64).sqrt();
    assert!((m - 2.0).abs() < 0.02 && (s - 3.0).abs() < 0.02, "normal mean {m} std {s}");
    let bern = f64s(&random::bernoulli(&[1 << 20], 0.3, DType::F32, GPU).unwrap());
    let p = bern.iter().sum::<f64>() / bern.len() as f64;
    assert!((p - 0.3).abs() < 0.005, "bernoulli mean {p}");
}

#[test]
fn caching_allocator_reuses_blocks_and_reports_memory() {
    let Some(_gpu) = gpu() else { return };
    let _warm = Tensor::zeros(&[1], DType::F32, GPU).unwrap();
    ferrotorch_cuda::reset_peak(0).unwrap();
    let (base, _, _) = ferrotorch_cuda::memory_stats(0).unwrap();
    {
        let t = Tensor::zeros(&[1 << 20], DType::F32, GPU).unwrap();
        let (a, p, _) = ferrotorch_cuda::memory_stats(0).unwrap();
        assert_eq!(a - base, 4 << 20);
        assert!(p >= a);
        drop(t);
    }
    let (a, _, cached) = ferrotorch_cuda::memory_stats(0).unwrap();
    assert_eq!(a, base);
    assert!(cached >= 4 << 20, "the freed block stays cached");
    // The next allocation of that size reuses it: nothing new is cached or allocated.
    let t = Tensor::full(&[1 << 20], 2.0, DType::F32, GPU).unwrap();
    let (_, _, cached2) = ferrotorch_cuda::memory_stats(0).unwrap();
    assert_eq!(cached2, cached - (4 << 20));
    assert_eq!(f64s(&t.sum(None, false).unwrap())[0], 2.0 * (1 << 20) as f64);
    drop(t);
    ferrotorch_cuda::empty_cache();
    assert_eq!(ferrotorch_cuda::memory_stats(0).unwrap().2, 0);
    ferrotorch_cuda::synchronize(0).unwrap();
}

#[test]
fn without_a_device_cuda_requests_are_errors() {
    if ferrotorch_cuda::is_available() {
        let n = ferrotorch_cuda::device_count();
        let e = Tensor::zeros(&[2], DType::F32, Device::Cuda(n)).unwrap_err().to_string();
        assert!(e.contains("invalid device ordinal"), "{e}");
        return;
    }
    let e = Tensor::zeros(&[2], DType::F32, GPU).unwrap_err().to_string();
    assert!(e.contains("no NVIDIA driver"), "{e}");
    let t = Tensor::zeros(&[2], DType::F32, Device::Cpu).unwrap();
    assert!(t.to_device(GPU).is_err());
    assert!(ferrotorch_cuda::synchronize(0).is_err());
}

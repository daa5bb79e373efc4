//! Unary kernels: the contiguous map (serial below GRAIN, rayon chunks above) against
//! the strided walk and an f64 reference, and `expf_fast` against libm's `exp`.
use crate::common::*;
use ferrotorch_core::{DType, Layout, UnaryOp};
use ferrotorch_cpu::unary::{expf_fast, unary};
use ferrotorch_cpu::CpuStorage;

/// Runs `op` on every view of every shape. The result must equal, element for element,
/// the op on a packed copy of the same logical values (fast and strided paths agree bit
/// for bit), and lie within `ulps` (+ `abs`) of `reference` computed in f64.
fn check_float(op: UnaryOp, dtype: DType, reference: impl Fn(f64) -> f64, ulps: f64, abs: f64, seed: u64) {
    let mut rng = Rng::new(seed);
    for shape in all_shapes() {
        for v in views(&shape) {
            let s = storage(dtype, &float_data(&mut rng, v.len, 0.02));
            let logical = gather(&values(&s), &v.layout);
            let out = unary(op, &s, &v.layout);
            assert_eq!(out.dtype(), dtype);
            let got = values(&out);
            let ctx = format!("{op:?} {dtype} {shape:?} {}", v.name);
            let packed = unary(op, &storage(dtype, &logical), &Layout::contiguous(&shape));
            assert_same(&got, &values(&packed), &ctx);
            check_all(got.len(), &ctx, |i| {
                let want = round_to(dtype, reference(logical[i]));
                if close(got[i], want, dtype, ulps, abs) {
                    Ok(())
                } else {
                    Err(format!("x = {:?}: got {:?}, want {want:?}", logical[i], got[i]))
                }
            });
        }
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + libm::exp(-x))
}

fn clamp_ref(lo: Option<f64>, hi: Option<f64>) -> impl Fn(f64) -> f64 {
    move |x| {
        if lo.is_some_and(f64::is_nan) || hi.is_some_and(f64::is_nan) || x.is_nan() {
            return f64::NAN;
        }
        let y = lo.map_or(x, |l| x.max(l));
        hi.map_or(y, |h| y.min(h))
    }
}

const CLAMPS: [(Option<f64>, Option<f64>); 5] =
    [(Some(-1.5), Some(2.25)), (None, Some(0.0)), (Some(3.0), None), (Some(1.0), Some(-1.0)), (Some(f64::NAN), Some(1.0))];

/// The subnormal range of f32 results (exp below -87.34) is flushed to zero by
/// `expf_fast`; `abs` admits that much.
const F32_FLOOR: f64 = f32::MIN_POSITIVE as f64;

#[test]
fn float_ops_fast_vs_strided_vs_f64_reference() {
    for (k, dtype) in [DType::F32, DType::F64].into_iter().enumerate() {
        let floor = if dtype == DType::F32 { F32_FLOOR } else { f64::MIN_POSITIVE };
        let seed = 100 * k as u64;
        check_float(UnaryOp::Exp, dtype, libm::exp, 2.0, floor, seed + 1);
        check_float(UnaryOp::Relu, dtype, |x| if x > 0.0 || x.is_nan() { x } else { 0.0 }, 0.0, 0.0, seed + 2);
        check_float(UnaryOp::Sigmoid, dtype, sigmoid, 4.0, floor, seed + 3);
        check_float(UnaryOp::Silu, dtype, |x| x * sigmoid(x), 4.0, floor, seed + 4);
        check_float(UnaryOp::Neg, dtype, |x| -x, 0.0, 0.0, seed + 5);
        check_float(UnaryOp::Abs, dtype, f64::abs, 0.0, 0.0, seed + 6);
        check_float(UnaryOp::Tanh, dtype, libm::tanh, 3.0, 0.0, seed + 7);
        for (j, (lo, hi)) in CLAMPS.into_iter().enumerate() {
            check_float(UnaryOp::Clamp { min: lo, max: hi }, dtype, clamp_ref(lo, hi), 0.0, 0.0, seed + 10 + j as u64);
        }
    }
}

#[test]
fn half_types_fast_vs_strided_vs_f64_reference() {
    for (k, dtype) in [DType::F16, DType::BF16].into_iter().enumerate() {
        let floor = if dtype == DType::F16 { 2f64.powi(-24) } else { F32_FLOOR };
        let seed = 1000 + 100 * k as u64;
        check_float(UnaryOp::Exp, dtype, libm::exp, 1.5, floor, seed + 1);
        check_float(UnaryOp::Relu, dtype, |x| if x > 0.0 || x.is_nan() { x } else { 0.0 }, 0.0, 0.0, seed + 2);
        check_float(UnaryOp::Sigmoid, dtype, sigmoid, 1.5, floor, seed + 3);
        let (lo, hi) = CLAMPS[0];
        check_float(UnaryOp::Clamp { min: lo, max: hi }, dtype, clamp_ref(lo, hi), 0.0, 0.0, seed + 4);
    }
}

#[test]
fn int_ops_fast_vs_strided_vs_reference() {
    let ops: [(UnaryOp, fn(i64) -> i64); 6] = [
        (UnaryOp::Neg, i64::wrapping_neg),
        (UnaryOp::Abs, i64::wrapping_abs),
        (UnaryOp::Square, |x| x.wrapping_mul(x)),
        (UnaryOp::Relu, |x| x.max(0)),
        (UnaryOp::Sign, i64::signum),
        (UnaryOp::Clamp { min: Some(-3.0), max: Some(5.0) }, |x| x.clamp(-3, 5)),
    ];
    let mut rng = Rng::new(7);
    for dtype in [DType::U8, DType::I32, DType::I64, DType::Bool] {
        for shape in all_shapes() {
            for v in views(&shape) {
                let s = int_storage(dtype, &int_data(&mut rng, dtype, v.len));
                let logical = gather_ints(&s, &v.layout);
                for (op, f) in ops {
                    let out = unary(op, &s, &v.layout);
                    assert_eq!(out.dtype(), dtype);
                    let got = ints(&out);
                    let ctx = format!("{op:?} {dtype} {shape:?} {}", v.name);
                    assert_eq!(got.len(), logical.len(), "{ctx}");
                    // Bool keeps its values for every op that keeps ints.
                    let want = |x: i64| if dtype == DType::Bool { x } else { wrap(dtype, f(x)) };
                    check_all(got.len(), &ctx, |i| {
                        if got[i] == want(logical[i]) {
                            Ok(())
                        } else {
                            Err(format!("x = {}: got {}, want {}", logical[i], got[i], want(logical[i])))
                        }
                    });
                }
            }
        }
    }
}

#[test]
fn logical_not_gives_bool_for_every_dtype() {
    let mut rng = Rng::new(8);
    for dtype in DType::ALL {
        for n in SIZES {
            for v in views(&[n]) {
                let s = if dtype.is_float() {
                    storage(dtype, &float_data(&mut rng, v.len, 0.2))
                } else {
                    int_storage(dtype, &int_data(&mut rng, dtype, v.len))
                };
                let logical = gather(&values(&s), &v.layout);
                let out = unary(UnaryOp::LogicalNot, &s, &v.layout);
                assert_eq!(out.dtype(), DType::Bool);
                let want: Vec<f64> = logical.iter().map(|&x| (x == 0.0) as u8 as f64).collect();
                assert_same(&values(&out), &want, &format!("logical_not {dtype} [{n}] {}", v.name));
            }
        }
    }
}

/// Every 4099th f32 bit pattern plus +-3000 ulps around the range limits and the
/// reduction's breakpoints.
fn exp_inputs() -> Vec<f32> {
    let mut xs: Vec<f32> = (0..1u64 << 32).step_by(4099).map(|b| f32::from_bits(b as u32)).collect();
    for c in [88.72283f32, 88.72284, -87.33654, -87.33655, -103.97208, 0.0, 0.346_573_6, -0.346_573_6, 1.0, 44.0, -44.0] {
        for d in -3000i32..=3000 {
            xs.push(f32::from_bits(c.to_bits().wrapping_add(d as u32)));
        }
    }
    xs.extend([f32::INFINITY, f32::NEG_INFINITY, f32::NAN, -f32::NAN, f32::MAX, f32::MIN, f32::MIN_POSITIVE, -0.0]);
    xs
}

fn ulp_distance(a: f32, b: f32) -> u32 {
    assert!(a >= 0.0 && b >= 0.0);
    a.to_bits().abs_diff(b.to_bits())
}

#[test]
fn expf_fast_within_two_ulp_of_libm_and_vector_loop_matches_scalar() {
    let xs = exp_inputs();
    let mut worst = (0u32, 0f32);
    for &x in &xs {
        let got = expf_fast(x);
        let exact = libm::exp(x as f64);
        let want = exact as f32;
        if x.is_nan() {
            assert!(got.is_nan(), "exp({x:?}) = {got:?}");
        } else if want.is_infinite() {
            assert_eq!(got, f32::INFINITY, "exp({x:?}): exact {exact:e}");
        } else if want >= f32::MIN_POSITIVE {
            let d = ulp_distance(got, want);
            if d > worst.0 {
                worst = (d, x);
            }
        } else {
            // Subnormal results: flushed to zero or close to exact, never above the normal range.
            assert!((0.0..=f32::MIN_POSITIVE).contains(&got), "exp({x:?}) = {got:e}, exact {exact:e}");
        }
    }
    assert!(worst.0 <= 2, "exp({:?}) is {} ulp from libm", worst.1, worst.0);
    // The kernel's vectorized loop (rayon chunks, and the serial loop on a short slice) gives the scalar results bit for bit.
    let s = CpuStorage::F32(xs.clone());
    let out = unary(UnaryOp::Exp, &s, &Layout::contiguous(&[xs.len()]));
    let short = unary(UnaryOp::Exp, &s, &Layout { offset: xs.len() - 5000, ..Layout::contiguous(&[4999]) });
    let (CpuStorage::F32(out), CpuStorage::F32(short)) = (out, short) else { panic!("dtype") };
    for (i, &x) in xs.iter().enumerate() {
        assert!(same(out[i] as f64, expf_fast(x) as f64), "exp({x:?}): loop {:?}, scalar {:?}", out[i], expf_fast(x));
    }
    for (i, &x) in xs[xs.len() - 5000..xs.len() - 1].iter().enumerate() {
        assert!(same(short[i] as f64, expf_fast(x) as f64), "exp({x:?}): serial loop {:?}, scalar {:?}", short[i], expf_fast(x));
    }
}

/// PyTorch's CPU `exp` keeps subnormal results (`torch.exp(torch.tensor(-100.))` is
/// 3.7835e-44); `expf_fast` flushes everything below exp(-87.3365) to zero.
#[test]
fn expf_fast_keeps_subnormal_results() {
    for x in [-88.0f32, -90.0, -100.0, -103.0] {
        let want = libm::exp(x as f64) as f32;
        let got = expf_fast(x);
        assert!(ulp_distance(got, want) <= 2, "exp({x}) = {got:e}, want {want:e}");
    }
}

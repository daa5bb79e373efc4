//! Binary kernels: both-contiguous slices (serial and rayon), one-side scalar broadcast
//! (stride 0), and the generic strided walk (row/column broadcast, transposes), each
//! against the op applied element by element to the logical values.
use crate::common::*;
use ferrotorch_core::{BinaryOp, DType, Layout};
use ferrotorch_cpu::binary::binary;

/// Operand layouts over one broadcast shape: (what the pair exercises, a, b).
fn pairs(shape: &[usize]) -> Vec<(&'static str, View, View)> {
    let nd = shape.len();
    let n: usize = shape.iter().product();
    let scalar =
        |offset: usize| View { name: "scalar", layout: Layout { shape: shape.to_vec(), strides: vec![0; nd], offset }, len: offset + 1 };
    let offset = |k: usize| View { name: "offset", layout: Layout { offset: k, ..Layout::contiguous(shape) }, len: n + k };
    let row = {
        let l = Layout { offset: 1, ..Layout::contiguous(&shape[nd - 1..]) };
        View { name: "row", layout: l.broadcast_to("test", shape).unwrap(), len: shape[nd - 1] + 1 }
    };
    let v = views(shape);
    let strided = v.iter().find(|x| x.name == "step2").unwrap().clone();
    let mut p = vec![
        ("contiguous, contiguous", contiguous(shape), contiguous(shape)),
        ("offset, offset", offset(3), offset(1)),
        ("contiguous, scalar", offset(2), scalar(2)),
        ("scalar, contiguous", scalar(0), offset(5)),
        ("scalar, scalar", scalar(1), scalar(0)),
        ("contiguous, row broadcast", contiguous(shape), row.clone()),
        ("row broadcast, step2", row, strided.clone()),
        ("step2, scalar", strided, scalar(0)),
    ];
    if nd >= 2 {
        let mut col_shape = shape.to_vec();
        col_shape[nd - 1] = 1;
        let col = View {
            name: "column",
            layout: Layout::contiguous(&col_shape).broadcast_to("test", shape).unwrap(),
            len: col_shape.iter().product(),
        };
        let rev = v.iter().find(|x| x.name == "reversed").unwrap().clone();
        p.push(("transposed, contiguous", rev.clone(), contiguous(shape)));
        p.push(("column broadcast, transposed", col, rev));
    }
    p
}

fn float_operands(rng: &mut Rng, n: usize) -> Vec<f64> {
    // Repeated small values so that comparisons and maximum see ties.
    let mut v = float_data(rng, n, 0.05);
    for x in v.iter_mut() {
        if rng.chance(0.2) {
            *x = rng.int(-2, 2) as f64;
        }
    }
    v
}

fn py_rem(x: f64, y: f64) -> f64 {
    let r = x % y;
    if r != 0.0 && ((r < 0.0) != (y < 0.0)) {
        r + y
    } else {
        r
    }
}

fn nan_max(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        f64::NAN
    } else if x > y {
        x
    } else {
        y // ties (0.0 and -0.0 included) give the second operand
    }
}

fn nan_min(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        f64::NAN
    } else if x < y {
        x
    } else {
        y
    }
}

/// f64 references; rounding them to f32/f16/bf16 gives the dtype's own correctly rounded
/// result (+ - * / computed in a format with at least 2p+2 bits round once).
const FLOAT_OPS: [(BinaryOp, fn(f64, f64) -> f64); 14] = [
    (BinaryOp::Add, |x, y| x + y),
    (BinaryOp::Sub, |x, y| x - y),
    (BinaryOp::Mul, |x, y| x * y),
    (BinaryOp::Div, |x, y| x / y),
    (BinaryOp::Maximum, nan_max),
    (BinaryOp::Minimum, nan_min),
    (BinaryOp::Remainder, py_rem),
    (BinaryOp::Eq, |x, y| (x == y) as u8 as f64),
    (BinaryOp::Ne, |x, y| (x != y) as u8 as f64),
    (BinaryOp::Lt, |x, y| (x < y) as u8 as f64),
    (BinaryOp::Le, |x, y| (x <= y) as u8 as f64),
    (BinaryOp::Gt, |x, y| (x > y) as u8 as f64),
    (BinaryOp::Ge, |x, y| (x >= y) as u8 as f64),
    (BinaryOp::LogicalAnd, |x, y| (x != 0.0 && y != 0.0) as u8 as f64),
];

fn check_float(dtype: DType, shapes: &[Vec<usize>], ops: &[(BinaryOp, fn(f64, f64) -> f64)], seed: u64) {
    let mut rng = Rng::new(seed);
    for shape in shapes {
        for (name, va, vb) in pairs(shape) {
            let sa = storage(dtype, &float_operands(&mut rng, va.len));
            let sb = storage(dtype, &float_operands(&mut rng, vb.len));
            let (xa, xb) = (gather(&values(&sa), &va.layout), gather(&values(&sb), &vb.layout));
            for &(op, f) in ops {
                let out = binary(op, &sa, &va.layout, &sb, &vb.layout).unwrap();
                assert_eq!(out.dtype(), if op.gives_bool() { DType::Bool } else { dtype });
                let got = values(&out);
                let ctx = format!("{op:?} {dtype} {shape:?} ({name})");
                assert_eq!(got.len(), xa.len(), "{ctx}");
                check_all(got.len(), &ctx, |i| {
                    let want = round_to(dtype, f(xa[i], xb[i]));
                    if same(got[i], want) {
                        Ok(())
                    } else {
                        Err(format!("({:?}, {:?}): got {:?}, want {want:?}", xa[i], xb[i], got[i]))
                    }
                });
            }
        }
    }
}

#[test]
fn float_binary_all_paths_vs_reference() {
    check_float(DType::F32, &all_shapes(), &FLOAT_OPS, 1);
    check_float(DType::F64, &all_shapes(), &FLOAT_OPS, 2);
}

#[test]
fn half_binary_all_paths_vs_reference() {
    let shapes = [vec![7], vec![G + 1], vec![3, 7], vec![3, 10923]];
    check_float(DType::F16, &shapes, &FLOAT_OPS[..6], 3);
    check_float(DType::BF16, &shapes, &FLOAT_OPS[..6], 4);
}

fn py_rem_int(x: i64, y: i64) -> i64 {
    let r = x.wrapping_rem(y);
    if r != 0 && ((r < 0) != (y < 0)) {
        r + y
    } else {
        r
    }
}

fn py_floordiv_int(x: i64, y: i64) -> i64 {
    let q = x.wrapping_div(y);
    if x.wrapping_rem(y) != 0 && ((x < 0) != (y < 0)) {
        q - 1
    } else {
        q
    }
}

/// i64 references; the kernel's results wrap to the dtype.
const INT_OPS: [(BinaryOp, fn(i64, i64) -> i64); 12] = [
    (BinaryOp::Add, i64::wrapping_add),
    (BinaryOp::Sub, i64::wrapping_sub),
    (BinaryOp::Mul, i64::wrapping_mul),
    (BinaryOp::Maximum, |x, y| x.max(y)),
    (BinaryOp::Minimum, |x, y| x.min(y)),
    (BinaryOp::BitAnd, |x, y| x & y),
    (BinaryOp::BitXor, |x, y| x ^ y),
    (BinaryOp::Eq, |x, y| (x == y) as i64),
    (BinaryOp::Lt, |x, y| (x < y) as i64),
    (BinaryOp::Ge, |x, y| (x >= y) as i64),
    (BinaryOp::LogicalOr, |x, y| (x != 0 || y != 0) as i64),
    (BinaryOp::LogicalXor, |x, y| ((x != 0) != (y != 0)) as i64),
];

/// Division-like ops, run on nonzero small divisors.
const INT_DIV_OPS: [(BinaryOp, fn(i64, i64) -> i64); 4] = [
    (BinaryOp::Div, i64::wrapping_div),
    (BinaryOp::Remainder, py_rem_int),
    (BinaryOp::FloorDivide, py_floordiv_int),
    (BinaryOp::Fmod, i64::wrapping_rem),
];

#[test]
fn int_binary_all_paths_vs_reference() {
    let mut rng = Rng::new(5);
    for dtype in [DType::U8, DType::I32, DType::I64, DType::Bool] {
        for shape in all_shapes() {
            for (name, va, vb) in pairs(&shape) {
                let mut a = int_data(&mut rng, dtype, va.len);
                let sa = int_storage(dtype, &a);
                // Dividends for the division-like ops: no i64::MIN / -1 (see the ignored test below).
                for x in a.iter_mut().filter(|x| **x == i64::MIN) {
                    *x += 1;
                }
                let sa_div = int_storage(dtype, &a);
                let mut b = int_data(&mut rng, dtype, vb.len);
                let sb = int_storage(dtype, &b);
                // Divisors: small, nonzero, of both signs.
                for y in b.iter_mut() {
                    *y = if dtype == DType::Bool {
                        1
                    } else {
                        [1, 2, 3, 7, 100, -1, -2, -7][rng.below(if dtype == DType::U8 { 5 } else { 8 })]
                    };
                }
                let sd = int_storage(dtype, &b);
                let (xa, xb) = (gather_ints(&sa, &va.layout), gather_ints(&sb, &vb.layout));
                let (xa_div, xd) = (gather_ints(&sa_div, &va.layout), gather_ints(&sd, &vb.layout));
                let div_ops: &[_] = if dtype == DType::Bool { &[] } else { &INT_DIV_OPS };
                for (&(op, f), divisor) in INT_OPS.iter().map(|o| (o, false)).chain(div_ops.iter().map(|o| (o, true))) {
                    let (s1, x1, s2, x2) = if divisor { (&sa_div, &xa_div, &sd, &xd) } else { (&sa, &xa, &sb, &xb) };
                    let ctx = format!("{op:?} {dtype} {shape:?} ({name})");
                    let out = binary(op, s1, &va.layout, s2, &vb.layout).unwrap();
                    let out_dtype = if op.gives_bool() { DType::Bool } else { dtype };
                    assert_eq!(out.dtype(), out_dtype, "{ctx}");
                    let got = ints(&out);
                    assert_eq!(got.len(), xa.len(), "{ctx}");
                    check_all(got.len(), &ctx, |i| {
                        let want = wrap(out_dtype, f(x1[i], x2[i]));
                        if got[i] == want {
                            Ok(())
                        } else {
                            Err(format!("({}, {}): got {}, want {want}", x1[i], x2[i], got[i]))
                        }
                    });
                }
            }
        }
    }
}

#[test]
fn int_division_by_zero_is_an_error_on_every_path() {
    for dtype in [DType::U8, DType::I32, DType::I64] {
        for shape in [vec![7], vec![G + 1], vec![3, 10923]] {
            for (name, va, vb) in pairs(&shape) {
                let sa = int_storage(dtype, &vec![5; va.len]);
                // One zero divisor, at the last element the view reads.
                let mut b = vec![3; vb.len];
                b[*naive_offsets(&vb.layout).last().unwrap()] = 0;
                let sb = int_storage(dtype, &b);
                for op in [BinaryOp::Div, BinaryOp::Remainder, BinaryOp::FloorDivide, BinaryOp::Fmod] {
                    let r = binary(op, &sa, &va.layout, &sb, &vb.layout);
                    assert_eq!(
                        r.err().as_deref(),
                        Some("ZeroDivisionError: integer division by zero"),
                        "{op:?} {dtype} {shape:?} ({name})"
                    );
                }
            }
        }
    }
}

/// `i64::MIN` divided by -1 overflows; `Div` and `Fmod` wrap (giving i64::MIN and 0, as
/// PyTorch does) but `Remainder` and `FloorDivide` use `rem_euclid`/`div_euclid`, which
/// panic on that overflow.
#[test]
fn int64_min_by_minus_one_wraps() {
    let l = Layout::contiguous(&[1]);
    let a = int_storage(DType::I64, &[i64::MIN]);
    let b = int_storage(DType::I64, &[-1]);
    let mut failed = vec![];
    for (op, want) in [(BinaryOp::Div, i64::MIN), (BinaryOp::Fmod, 0), (BinaryOp::Remainder, 0), (BinaryOp::FloorDivide, i64::MIN)] {
        match std::panic::catch_unwind(|| binary(op, &a, &l, &b, &l).unwrap()) {
            Ok(out) if ints(&out) == vec![want] => {}
            Ok(out) => failed.push(format!("{op:?} gave {:?}, want {want}", ints(&out))),
            Err(_) => failed.push(format!("{op:?} panicked")),
        }
    }
    assert!(failed.is_empty(), "(i64::MIN, -1): {failed:?}");
}

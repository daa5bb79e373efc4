//! Elementwise ops of two operands (already promoted to one dtype and broadcast to
//! one shape through stride-0 layouts), and `where`.
use crate::elem::Elem;
use crate::storage::CpuStorage;
use crate::GRAIN;
use ferrotorch_core::{for_each_offsets, BinaryOp, Layout};
use half::{bf16, f16};
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};

fn is_scalar(l: &Layout) -> bool {
    l.strides.iter().zip(&l.shape).all(|(&s, &d)| s == 0 || d == 1)
}

/// `f(a[i], b[i])` over the broadcast shape, into a new contiguous `Vec`.
pub fn zip_map<A: Elem, B: Elem>(a: &[A], la: &Layout, b: &[A], lb: &Layout, f: impl Fn(A, A) -> B + Sync + Send) -> Vec<B> {
    let n = la.numel();
    match (la.contiguous_range(), lb.contiguous_range()) {
        (Some(ra), Some(rb)) => {
            let (sa, sb) = (&a[ra], &b[rb]);
            if n >= GRAIN {
                let mut out = crate::pool::take::<B>(n);
                // SAFETY: every slot is written exactly once before the Vec is read.
                unsafe { out.set_len(n) };
                out.par_chunks_mut(GRAIN / 4).zip(sa.par_chunks(GRAIN / 4).zip(sb.par_chunks(GRAIN / 4))).for_each(|(o, (x, y))| {
                    for ((o, &x), &y) in o.iter_mut().zip(x).zip(y) {
                        *o = f(x, y);
                    }
                });
                return out;
            }
            let mut out = crate::pool::take::<B>(n);
            out.extend(sa.iter().zip(sb).map(|(&x, &y)| f(x, y)));
            return out;
        }
        (Some(ra), None) if is_scalar(lb) && n > 0 => {
            let y = b[lb.offset];
            return crate::unary::map_view(a, &Layout { offset: ra.start, ..Layout::contiguous(&la.shape) }, |x| f(x, y));
        }
        (None, Some(rb)) if is_scalar(la) && n > 0 => {
            let x = a[la.offset];
            return crate::unary::map_view(b, &Layout { offset: rb.start, ..Layout::contiguous(&lb.shape) }, |y| f(x, y));
        }
        _ => {}
    }
    if let Some(out) = zip_rows(a, la, b, lb, &f) {
        return out;
    }
    let mut out = crate::pool::take::<B>(n);
    for_each_offsets(&la.shape, [&la.strides, &lb.strides], [la.offset, lb.offset], |[i, j]| out.push(f(a[i], b[j])));
    out
}

/// Broadcasts whose last dim has stride 1 or 0 in both operands (`x - mean` of a layer
/// norm, `x + bias`, attention masks): the outer dims are walked once per row and each
/// row is one tight loop over slices (or a slice and a scalar), in parallel above the
/// grain size.
fn zip_rows<A: Elem, B: Elem>(a: &[A], la: &Layout, b: &[A], lb: &Layout, f: &(impl Fn(A, A) -> B + Sync + Send)) -> Option<Vec<B>> {
    let nd = la.ndim();
    if nd < 2 {
        return None;
    }
    let d = la.shape[nd - 1];
    let (sa, sb) = (la.strides[nd - 1], lb.strides[nd - 1]);
    if d < 8 || sa > 1 || sb > 1 {
        return None;
    }
    let n = la.numel();
    let mut rows: Vec<[usize; 2]> = Vec::with_capacity(n / d);
    for_each_offsets(&la.shape[..nd - 1], [&la.strides[..nd - 1], &lb.strides[..nd - 1]], [la.offset, lb.offset], |o| rows.push(o));
    let row = |o: &mut [B], [i, j]: [usize; 2]| match (sa, sb) {
        (1, 1) => {
            for ((o, &x), &y) in o.iter_mut().zip(&a[i..i + d]).zip(&b[j..j + d]) {
                *o = f(x, y);
            }
        }
        (1, _) => {
            let y = b[j];
            for (o, &x) in o.iter_mut().zip(&a[i..i + d]) {
                *o = f(x, y);
            }
        }
        (_, 1) => {
            let x = a[i];
            for (o, &y) in o.iter_mut().zip(&b[j..j + d]) {
                *o = f(x, y);
            }
        }
        _ => o.fill(f(a[i], b[j])),
    };
    let mut out = crate::pool::take::<B>(n);
    // SAFETY: every row below writes all d slots of its chunk before the Vec is read.
    unsafe { out.set_len(n) };
    if n >= GRAIN {
        out.par_chunks_mut(d).zip(rows.par_iter()).for_each(|(o, &r)| row(o, r));
    } else {
        out.chunks_mut(d).zip(rows.iter()).for_each(|(o, &r)| row(o, r));
    }
    Some(out)
}

macro_rules! float_binary {
    ($name:ident, $t:ty) => {
        fn $name(op: BinaryOp, a: &[$t], la: &Layout, b: &[$t], lb: &Layout) -> CpuStorage {
            use BinaryOp::*;
            let w = <$t as Elem>::wrap;
            let cmp = |f: fn($t, $t) -> bool| CpuStorage::Bool(zip_map(a, la, b, lb, f));
            match op {
                Add => w(zip_map(a, la, b, lb, |x, y| x + y)),
                Sub => w(zip_map(a, la, b, lb, |x, y| x - y)),
                Mul => w(zip_map(a, la, b, lb, |x, y| x * y)),
                Div => w(zip_map(a, la, b, lb, |x, y| x / y)),
                Pow => w(zip_map(a, la, b, lb, |x, y| if y == 2.0 { x * x } else { x.powf(y) })),
                Maximum => w(zip_map(a, la, b, lb, |x, y| {
                    if x.is_nan() || y.is_nan() {
                        <$t>::NAN
                    } else if x > y {
                        x
                    } else {
                        y
                    }
                })),
                Minimum => w(zip_map(a, la, b, lb, |x, y| {
                    if x.is_nan() || y.is_nan() {
                        <$t>::NAN
                    } else if x < y {
                        x
                    } else {
                        y
                    }
                })),
                Atan2 => w(zip_map(a, la, b, lb, |x, y| x.atan2(y))),
                Remainder => w(zip_map(a, la, b, lb, |x, y| {
                    let r = x % y;
                    if r != 0.0 && ((r < 0.0) != (y < 0.0)) {
                        r + y
                    } else {
                        r
                    }
                })),
                Fmod => w(zip_map(a, la, b, lb, |x, y| x % y)),
                FloorDivide => w(zip_map(a, la, b, lb, |x, y| (x / y).floor())),
                BitAnd | BitOr | BitXor => unreachable!("bitwise ops on floats are rejected by the tensor layer"),
                LogicalAnd => cmp(|x, y| x != 0.0 && y != 0.0),
                LogicalOr => cmp(|x, y| x != 0.0 || y != 0.0),
                LogicalXor => cmp(|x, y| (x != 0.0) != (y != 0.0)),
                Eq => cmp(|x, y| x == y),
                Ne => cmp(|x, y| x != y),
                Lt => cmp(|x, y| x < y),
                Le => cmp(|x, y| x <= y),
                Gt => cmp(|x, y| x > y),
                Ge => cmp(|x, y| x >= y),
            }
        }
    };
}
float_binary!(binary_f32, f32);
float_binary!(binary_f64, f64);

fn int_binary<T: Elem>(op: BinaryOp, a: &[T], la: &Layout, b: &[T], lb: &Layout) -> Result<CpuStorage, String> {
    use BinaryOp::*;
    let zero_div = AtomicBool::new(false);
    let w = |f: &(dyn Fn(i64, i64) -> i64 + Sync)| T::wrap(zip_map(a, la, b, lb, |x: T, y: T| T::from_i64(f(x.to_i64(), y.to_i64()))));
    let cmp = |f: fn(i64, i64) -> bool| CpuStorage::Bool(zip_map(a, la, b, lb, |x: T, y: T| f(x.to_i64(), y.to_i64())));
    let out = match op {
        Add => w(&|x, y| x.wrapping_add(y)),
        Sub => w(&|x, y| x.wrapping_sub(y)),
        Mul => w(&|x, y| x.wrapping_mul(y)),
        Pow => w(&|x, y| {
            if y < 0 {
                if x == 1 {
                    1
                } else if x == -1 {
                    if y % 2 == 0 {
                        1
                    } else {
                        -1
                    }
                } else {
                    // PyTorch's integer pow: |x| > 1 (and 0) to a negative power is 0.
                    0
                }
            } else {
                x.wrapping_pow(y.min(u32::MAX as i64) as u32)
            }
        }),
        Maximum => w(&|x, y| x.max(y)),
        Minimum => w(&|x, y| x.min(y)),
        Remainder | Fmod | FloorDivide | Div => w(&|x, y| {
            if y == 0 {
                zero_div.store(true, Ordering::Relaxed);
                return 0;
            }
            // Wrapping forms: i64::MIN by -1 gives 0 and i64::MIN, not an overflow panic.
            let r = x.wrapping_rem_euclid(y);
            match op {
                Remainder => r + if y < 0 && r != 0 { y } else { 0 },
                Fmod => x.wrapping_rem(y),
                Div => x.wrapping_div(y),
                _ => x.wrapping_div_euclid(y) - if y < 0 && r != 0 { 1 } else { 0 },
            }
        }),
        BitAnd => w(&|x, y| x & y),
        BitOr => w(&|x, y| x | y),
        BitXor => w(&|x, y| x ^ y),
        Atan2 => unreachable!("atan2 promotes ints to float in the tensor layer"),
        LogicalAnd => cmp(|x, y| x != 0 && y != 0),
        LogicalOr => cmp(|x, y| x != 0 || y != 0),
        LogicalXor => cmp(|x, y| (x != 0) != (y != 0)),
        Eq => cmp(|x, y| x == y),
        Ne => cmp(|x, y| x != y),
        Lt => cmp(|x, y| x < y),
        Le => cmp(|x, y| x <= y),
        Gt => cmp(|x, y| x > y),
        Ge => cmp(|x, y| x >= y),
    };
    if zero_div.load(Ordering::Relaxed) {
        return Err("ZeroDivisionError: integer division by zero".into());
    }
    Ok(out)
}

/// Applies `op` to two views of one dtype; the error string is PyTorch's message for
/// integer division by zero.
pub fn binary(op: BinaryOp, a: &CpuStorage, la: &Layout, b: &CpuStorage, lb: &Layout) -> Result<CpuStorage, String> {
    Ok(match (a, b) {
        (CpuStorage::F32(x), CpuStorage::F32(y)) => binary_f32(op, x, la, y, lb),
        (CpuStorage::F64(x), CpuStorage::F64(y)) => binary_f64(op, x, la, y, lb),
        (CpuStorage::F16(_), CpuStorage::F16(_)) | (CpuStorage::BF16(_), CpuStorage::BF16(_)) => {
            // Half types compute in f32 and round once, as PyTorch's CPU kernels do.
            let wa = crate::copy::to_contiguous(a, la, ferrotorch_core::DType::F32);
            let wb = crate::copy::to_contiguous(b, lb, ferrotorch_core::DType::F32);
            let l = Layout::contiguous(&la.shape);
            let r = binary(op, &wa, &l, &wb, &l)?;
            match r {
                CpuStorage::F32(v) if matches!(a, CpuStorage::F16(_)) => CpuStorage::F16(v.into_iter().map(f16::from_f32).collect()),
                CpuStorage::F32(v) => CpuStorage::BF16(v.into_iter().map(bf16::from_f32).collect()),
                other => other,
            }
        }
        (CpuStorage::I64(x), CpuStorage::I64(y)) => int_binary(op, x, la, y, lb)?,
        (CpuStorage::I32(x), CpuStorage::I32(y)) => int_binary(op, x, la, y, lb)?,
        (CpuStorage::U8(x), CpuStorage::U8(y)) => int_binary(op, x, la, y, lb)?,
        (CpuStorage::Bool(x), CpuStorage::Bool(y)) => int_binary(op, x, la, y, lb)?,
        _ => unreachable!("binary operands must share a dtype"),
    })
}

/// `where(cond, a, b)` with all three broadcast to one shape; `a` and `b` share a dtype.
pub fn where_(c: &CpuStorage, lc: &Layout, a: &CpuStorage, la: &Layout, b: &CpuStorage, lb: &Layout) -> CpuStorage {
    let c = match c {
        CpuStorage::Bool(v) => v,
        _ => unreachable!("where: condition must be bool"),
    };
    crate::with_storage!(a, x, T => {
        let y = T::slice(b);
        let mut out = Vec::with_capacity(lc.numel());
        for_each_offsets(&lc.shape, [&lc.strides, &la.strides, &lb.strides], [lc.offset, la.offset, lb.offset], |[i, j, k]| {
            out.push(if c[i] { x[j] } else { y[k] })
        });
        T::wrap(out)
    })
}

//! Casts and copies (`to_contiguous`, `copy_strided`, `fill_strided`: their contiguous
//! slice paths and strided walks) across dtypes, and offset gather/scatter (`take`,
//! `put` with repeated offsets, with and without accumulation), against per-element
//! references.
use crate::common::*;
use ferrotorch_core::{DType, Layout};
use ferrotorch_cpu::copy::{copy_strided, fill_strided, to_contiguous};
use ferrotorch_cpu::index::{put, take};
use ferrotorch_cpu::CpuStorage;

/// One element exactly: floats as f64, ints and bools as i64.
#[derive(Clone, Copy, Debug, PartialEq)]
enum V {
    F(f64),
    I(i64),
}

fn read(s: &CpuStorage, i: usize) -> V {
    if s.dtype().is_float() {
        V::F(s.get_f64(i))
    } else {
        V::I(s.get_i64(i))
    }
}

fn eq(a: V, b: V) -> bool {
    match (a, b) {
        (V::F(x), V::F(y)) => same(x, y),
        _ => a == b,
    }
}

/// The cast rule (PyTorch's, with Rust's saturating float-to-int): to bool is `!= 0`,
/// float to int truncates, int to int wraps, to float rounds once.
fn cast(v: V, to: DType) -> V {
    match (v, to) {
        (V::F(x), DType::Bool) => V::I((x != 0.0) as i64),
        (V::I(i), DType::Bool) => V::I((i != 0) as i64),
        (V::F(x), t) if t.is_float() => V::F(round_to(t, x)),
        (V::I(i), t) if t.is_float() => V::F(round_to(t, i as f64)), // |i| <= 2^53 here, exact in f64
        (V::F(x), DType::U8) => V::I(x as u8 as i64),
        (V::F(x), DType::I32) => V::I(x as i32 as i64),
        (V::F(x), _) => V::I(x as i64),
        (V::I(i), t) => V::I(wrap(t, i)),
    }
}

/// Values that exercise every cast: fractions of both signs, NaN, infinities, -0, values
/// past u8/i32 range, and ints up to 2^53.
fn any_storage(rng: &mut Rng, dtype: DType, n: usize) -> CpuStorage {
    if dtype.is_float() {
        const SPECIAL: [f64; 10] = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 0.0, 255.9, 256.0, -1.5, 3e9, -3e9];
        storage(dtype, &rng.vec(n, |r| if r.chance(0.1) { SPECIAL[r.below(10)] } else { r.uniform(-300.0, 300.0) }))
    } else {
        let v: Vec<i64> = int_data(rng, dtype, n).into_iter().map(|x| x % (1i64 << 53)).collect();
        int_storage(dtype, &v)
    }
}

#[test]
fn to_contiguous_every_dtype_pair_and_view() {
    let mut rng = Rng::new(41);
    for from in DType::ALL {
        for shape in [vec![0, 5], vec![7], vec![3, 7], vec![G + 1], vec![3, 10923]] {
            for v in views(&shape) {
                let s = any_storage(&mut rng, from, v.len);
                let offs = naive_offsets(&v.layout);
                for to in DType::ALL {
                    let out = to_contiguous(&s, &v.layout, to);
                    let ctx = format!("to_contiguous {from} -> {to} {shape:?} ({})", v.name);
                    assert_eq!((out.dtype(), out.len()), (to, offs.len()), "{ctx}");
                    check_all(offs.len(), &ctx, |i| {
                        let (x, want, got) = (read(&s, offs[i]), cast(read(&s, offs[i]), to), read(&out, i));
                        if eq(got, want) {
                            Ok(())
                        } else {
                            Err(format!("{x:?}: got {got:?}, want {want:?}"))
                        }
                    });
                }
            }
        }
    }
}

#[test]
fn copy_strided_and_fill_touch_exactly_the_view() {
    let mut rng = Rng::new(42);
    let pairs = [
        (DType::F32, DType::F64),
        (DType::F64, DType::F32),
        (DType::I32, DType::F32),
        (DType::U8, DType::I64),
        (DType::Bool, DType::F32),
        (DType::F16, DType::I32),
        (DType::I64, DType::Bool),
        (DType::F32, DType::F32),
        (DType::BF16, DType::F16),
    ];
    for (to, from) in pairs {
        for shape in [vec![0, 5], vec![7], vec![3, 7], vec![G + 1], vec![3, 10923]] {
            let dst_views = views(&shape);
            let src_views: Vec<View> =
                views(&shape).into_iter().filter(|v| ["contiguous", "offset", "reversed", "step2"].contains(&v.name)).collect();
            for (k, vd) in dst_views.iter().enumerate() {
                let vs = &src_views[k % src_views.len()];
                let src = any_storage(&mut rng, from, vs.len);
                let before = any_storage(&mut rng, to, vd.len);
                let mut dst = before.clone();
                copy_strided(&mut dst, &vd.layout, &src, &vs.layout);
                let ctx = format!("copy_strided {from} -> {to} {shape:?} (dst {}, src {})", vd.name, vs.name);
                let mut want: Vec<V> = (0..vd.len).map(|i| read(&before, i)).collect();
                for (&d, &s) in naive_offsets(&vd.layout).iter().zip(&naive_offsets(&vs.layout)) {
                    want[d] = cast(read(&src, s), to);
                }
                check_all(vd.len, &ctx, |i| {
                    if eq(read(&dst, i), want[i]) {
                        Ok(())
                    } else {
                        Err(format!("got {:?}, want {:?}", read(&dst, i), want[i]))
                    }
                });

                for value in [2.7, -1.5] {
                    let mut dst = before.clone();
                    fill_strided(&mut dst, &vd.layout, value);
                    let mut want: Vec<V> = (0..vd.len).map(|i| read(&before, i)).collect();
                    for d in naive_offsets(&vd.layout) {
                        want[d] = cast(V::F(value), to);
                    }
                    let ctx = format!("fill {value} {to} {shape:?} ({})", vd.name);
                    check_all(vd.len, &ctx, |i| {
                        if eq(read(&dst, i), want[i]) {
                            Ok(())
                        } else {
                            Err(format!("got {:?}, want {:?}", read(&dst, i), want[i]))
                        }
                    });
                }
            }
        }
    }
}

/// int64 -> float32 should round once (PyTorch's `static_cast<float>(int64_t)`); going
/// through f64 first rounds 2^60 + 2^36 + 1 to the f32 midpoint 2^60 + 2^36, which then
/// ties to even at 2^60.
#[test]
fn int64_to_f32_rounds_once() {
    let xs: Vec<i64> = vec![(1 << 60) + (1 << 36) + 1, -((1 << 60) + (1 << 36) + 1), (1 << 54) + (1 << 30) + 1, i64::MAX];
    let s = CpuStorage::I64(xs.clone());
    let out = to_contiguous(&s, &Layout::contiguous(&[xs.len()]), DType::F32);
    let want: Vec<f64> = xs.iter().map(|&x| x as f32 as f64).collect();
    assert_same(&values(&out), &want, &"int64 -> float32");
}

#[test]
fn take_with_repeated_offsets() {
    let mut rng = Rng::new(43);
    for dtype in DType::ALL {
        for n in [1, 7, G + 1] {
            let s = any_storage(&mut rng, dtype, n);
            let offsets: Vec<usize> = (0..2 * n + 3).map(|_| rng.below(n)).collect();
            let out = take(&s, &offsets);
            assert_eq!((out.dtype(), out.len()), (dtype, offsets.len()));
            check_all(offsets.len(), &format!("take {dtype} from {n}"), |i| {
                if eq(read(&out, i), read(&s, offsets[i])) {
                    Ok(())
                } else {
                    Err(format!("offset {}: got {:?}, want {:?}", offsets[i], read(&out, i), read(&s, offsets[i])))
                }
            });
        }
    }
}

#[test]
fn put_last_write_wins_and_accumulate_sums_repeats() {
    let mut rng = Rng::new(44);
    let pairs = [
        (DType::F32, DType::F32),
        (DType::F32, DType::F64),
        (DType::F64, DType::I32),
        (DType::F16, DType::F32),
        (DType::I64, DType::I64),
        (DType::I32, DType::I64),
        (DType::U8, DType::I32),
        (DType::I64, DType::F64),
        (DType::Bool, DType::U8),
    ];
    for (to, from) in pairs {
        for (n, m) in [(1, 5), (7, 20), (G + 1, 3 * G)] {
            // Offsets from a narrow range so that most repeat.
            let offsets: Vec<usize> = (0..m + m / 10).map(|i| rng.below(if i < m { n.min(50) } else { n })).collect();
            let src = if from.is_float() {
                storage(from, &rng.vec(offsets.len(), |r| r.uniform(-9.0, 9.0)))
            } else {
                int_storage(from, &rng.vec(offsets.len(), |r| r.int(-300, 300) as f64).iter().map(|&x| x as i64).collect::<Vec<_>>())
            };
            let before = any_storage(&mut rng, to, n);
            for accumulate in [false, true] {
                let mut dst = before.clone();
                put(&mut dst, &offsets, &src, accumulate);
                let mut want: Vec<V> = (0..n).map(|i| read(&before, i)).collect();
                for (i, &o) in offsets.iter().enumerate() {
                    let y = cast(read(&src, i), to);
                    want[o] = match (accumulate, want[o], y) {
                        (false, _, y) => y,
                        (true, V::F(d), V::F(y)) => V::F(round_to(to, d + y)),
                        (true, V::I(d), V::I(y)) => V::I(wrap(to, d.wrapping_add(y))),
                        _ => unreachable!(),
                    };
                }
                let ctx = format!("put {from} -> {to} accumulate {accumulate}, {} offsets into {n}", offsets.len());
                check_all(n, &ctx, |i| {
                    if eq(read(&dst, i), want[i]) {
                        Ok(())
                    } else {
                        Err(format!("got {:?}, want {:?}", read(&dst, i), want[i]))
                    }
                });
            }
        }
    }
}

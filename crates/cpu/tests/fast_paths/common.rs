//! Shared pieces of the fast-path tests: a deterministic PRNG, the views every kernel is
//! run on, a naive offset walk over logical indices, and comparisons that say which
//! element differs.
#![allow(dead_code)]
use ferrotorch_core::{DType, Layout};
use ferrotorch_cpu::CpuStorage;

pub const G: usize = ferrotorch_cpu::GRAIN;

/// Flat sizes around the parallel grain (and its `GRAIN / 4` chunks).
pub const SIZES: [usize; 7] = [0, 1, 7, G - 1, G, G + 1, 3 * G + 5];

/// 2-D shapes: empty, size-1 dims (contiguous whatever their strides), small odd, and
/// GRAIN - 1, GRAIN, GRAIN + 1, 3 * GRAIN + 5 elements.
pub fn shapes_2d() -> Vec<Vec<usize>> {
    vec![vec![0, 5], vec![1, 1], vec![1, 7], vec![7, 1], vec![3, 7], vec![7, 4681], vec![128, 256], vec![3, 10923], vec![37, 2657]]
}

/// SplitMix64.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.u64() % n as u64) as usize
    }
    /// Uniform integer in `lo..=hi`.
    pub fn int(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.u64() % (hi - lo + 1) as u64) as i64
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    pub fn vec(&mut self, n: usize, mut f: impl FnMut(&mut Rng) -> f64) -> Vec<f64> {
        (0..n).map(|_| f(self)).collect()
    }
}

/// Storage offsets of a view in row-major logical order, from each flat index's
/// multi-index (deliberately not `Layout::offsets` or `for_each_offsets`).
pub fn naive_offsets(l: &Layout) -> Vec<usize> {
    let n: usize = l.shape.iter().product();
    (0..n)
        .map(|flat| {
            let (mut rem, mut off) = (flat, l.offset);
            for d in (0..l.shape.len()).rev() {
                off += (rem % l.shape[d]) * l.strides[d];
                rem /= l.shape[d];
            }
            off
        })
        .collect()
}

/// The logical values of a view of `data`.
pub fn gather(data: &[f64], l: &Layout) -> Vec<f64> {
    naive_offsets(l).into_iter().map(|o| data[o]).collect()
}

/// A view with a logical shape over a storage of `len` elements.
#[derive(Clone, Debug)]
pub struct View {
    pub name: &'static str,
    pub layout: Layout,
    pub len: usize,
}

pub fn contiguous(shape: &[usize]) -> View {
    View { name: "contiguous", layout: Layout::contiguous(shape), len: shape.iter().product() }
}

/// `shape` as a permutation of a contiguous array: dim `i` of the view is dim `perm[i]`
/// of the storage.
pub fn permuted(name: &'static str, shape: &[usize], perm: &[usize]) -> View {
    let mut base = vec![0; shape.len()];
    for (i, &p) in perm.iter().enumerate() {
        base[p] = shape[i];
    }
    let layout = Layout::contiguous(&base).permute(perm);
    assert_eq!(layout.shape, shape);
    View { name, layout, len: base.iter().product() }
}

/// Contiguous, contiguous at an offset, every other element of the last dim, one column
/// of a wider array, and all dims reversed (a transpose, for ndim >= 2).
pub fn views(shape: &[usize]) -> Vec<View> {
    let n: usize = shape.iter().product();
    let nd = shape.len();
    let mut v = vec![contiguous(shape), View { name: "offset", layout: Layout { offset: 3, ..Layout::contiguous(shape) }, len: n + 5 }];
    if nd >= 1 {
        let mut base = shape.to_vec();
        base[nd - 1] = 2 * shape[nd - 1] + 1;
        let layout = Layout::contiguous(&base).slice(nd - 1, 1, base[nd - 1], 2);
        v.push(View { name: "step2", layout, len: base.iter().product() });
        let mut base = shape.to_vec();
        base.push(3);
        v.push(View { name: "column", layout: Layout::contiguous(&base).select(nd, 1), len: base.iter().product() });
    }
    if nd >= 2 {
        let perm: Vec<usize> = (0..nd).rev().collect();
        v.push(permuted("reversed", shape, &perm));
    }
    for x in &v {
        assert_eq!(x.layout.shape, shape);
        assert!(x.layout.storage_extent() <= x.len);
    }
    v
}

pub fn storage(dtype: DType, vals: &[f64]) -> CpuStorage {
    CpuStorage::from_f64_vec(dtype, vals)
}

pub fn values(s: &CpuStorage) -> Vec<f64> {
    (0..s.len()).map(|i| s.get_f64(i)).collect()
}

pub fn ints(s: &CpuStorage) -> Vec<i64> {
    (0..s.len()).map(|i| s.get_i64(i)).collect()
}

/// Bitwise equal, or both NaN.
pub fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// Machine epsilon of a float dtype (0 for the exact ones).
pub fn eps(d: DType) -> f64 {
    match d {
        DType::F16 => 2f64.powi(-10),
        DType::BF16 => 2f64.powi(-7),
        DType::F32 => 2f64.powi(-23),
        DType::F64 => 2f64.powi(-52),
        _ => 0.0,
    }
}

/// `got` within `ulps` units of `want`'s dtype precision (relative) plus `abs`; NaN and
/// infinities must match exactly.
pub fn close(got: f64, want: f64, d: DType, ulps: f64, abs: f64) -> bool {
    if want.is_nan() || got.is_nan() {
        return want.is_nan() && got.is_nan();
    }
    if want.is_infinite() || got.is_infinite() {
        return got == want;
    }
    (got - want).abs() <= ulps * eps(d) * want.abs() + abs
}

/// Panics at the first element where `ok(i)` fails, naming it and the context.
pub fn check_all(n: usize, ctx: &dyn std::fmt::Display, mut ok: impl FnMut(usize) -> Result<(), String>) {
    for i in 0..n {
        if let Err(e) = ok(i) {
            panic!("{ctx}: element {i} of {n}: {e}");
        }
    }
}

/// Element-for-element identity (NaN equal to NaN, -0 distinct from 0).
pub fn assert_same(got: &[f64], want: &[f64], ctx: &dyn std::fmt::Display) {
    assert_eq!(got.len(), want.len(), "{ctx}: length");
    check_all(got.len(), ctx, |i| if same(got[i], want[i]) { Ok(()) } else { Err(format!("got {:?}, want {:?}", got[i], want[i])) });
}

/// Within `atol + rtol * scale[i]` of the reference.
pub fn assert_close_scaled(got: &[f64], want: &[f64], scale: &[f64], rtol: f64, atol: f64, ctx: &dyn std::fmt::Display) {
    assert_eq!(got.len(), want.len(), "{ctx}: length");
    check_all(got.len(), ctx, |i| {
        let ok = if want[i].is_finite() { (got[i] - want[i]).abs() <= atol + rtol * scale[i] } else { same(got[i], want[i]) };
        if ok {
            Ok(())
        } else {
            Err(format!("got {:?}, want {:?} (tolerance {:e})", got[i], want[i], atol + rtol * scale[i]))
        }
    });
}

/// Random floats in [-10, 10) with about `p_special` of them NaN, infinities, signed
/// zeros, huge, tiny, or at exp's overflow/underflow edges.
pub fn float_data(rng: &mut Rng, n: usize, p_special: f64) -> Vec<f64> {
    const SPECIAL: [f64; 16] = [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        0.0,
        -0.0,
        1e30,
        -1e30,
        100.0,
        -100.0,
        88.72,
        -87.3,
        -95.0,
        -103.0,
        1e-30,
        -1e-30,
        1e-42,
    ];
    rng.vec(n, |r| if r.chance(p_special) { SPECIAL[r.below(SPECIAL.len())] } else { r.uniform(-10.0, 10.0) })
}

/// `x` rounded to a float dtype.
pub fn round_to(d: DType, x: f64) -> f64 {
    match d {
        DType::F16 => half::f16::from_f64(x).to_f64(),
        DType::BF16 => half::bf16::from_f64(x).to_f64(),
        DType::F32 => x as f32 as f64,
        _ => x,
    }
}

pub fn int_storage(dtype: DType, v: &[i64]) -> CpuStorage {
    match dtype {
        DType::Bool => CpuStorage::Bool(v.iter().map(|&x| x != 0).collect()),
        DType::U8 => CpuStorage::U8(v.iter().map(|&x| x as u8).collect()),
        DType::I32 => CpuStorage::I32(v.iter().map(|&x| x as i32).collect()),
        DType::I64 => CpuStorage::I64(v.to_vec()),
        _ => unreachable!(),
    }
}

/// An i64 result stored in an integer dtype (two's-complement wrap, bool is `!= 0`).
pub fn wrap(dtype: DType, v: i64) -> i64 {
    match dtype {
        DType::Bool => (v != 0) as i64,
        DType::U8 => v as u8 as i64,
        DType::I32 => v as i32 as i64,
        _ => v,
    }
}

/// Integers of a dtype's range, with its extremes now and then.
pub fn int_data(rng: &mut Rng, dtype: DType, n: usize) -> Vec<i64> {
    let (lo, hi) = match dtype {
        DType::Bool => (0, 1),
        DType::U8 => (0, 255),
        DType::I32 => (i32::MIN as i64, i32::MAX as i64),
        _ => (i64::MIN, i64::MAX),
    };
    (0..n)
        .map(|_| match rng.below(50) {
            0 => lo,
            1 => hi,
            2..=9 => 0,
            10..=29 => rng.int(-100, 100).clamp(lo, hi),
            _ if dtype == DType::I64 => rng.u64() as i64,
            _ => rng.int(lo, hi),
        })
        .collect()
}

/// The logical values of a view of an integer storage, exactly.
pub fn gather_ints(s: &CpuStorage, l: &Layout) -> Vec<i64> {
    naive_offsets(l).into_iter().map(|o| s.get_i64(o)).collect()
}

/// Every test shape: the flat sizes, then the 2-D shapes.
pub fn all_shapes() -> Vec<Vec<usize>> {
    SIZES.iter().map(|&n| vec![n]).chain(shapes_2d()).collect()
}

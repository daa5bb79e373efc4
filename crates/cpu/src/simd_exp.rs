//! `exp` over f32 slices with explicit AVX-512 / AVX2 code picked at run time: the same
//! Cephes reduction and polynomial as `unary::expf_fast`, operation for operation (no
//! fused multiply-adds), so every path gives the same bits, 16 or 8 lanes at a time;
//! other CPUs, and the tails, use `expf_fast`.
use crate::unary::expf_fast;

/// `dst[i] = exp(src[i])`; `dst.len() == src.len()`.
pub fn exp_slice(src: &[f32], dst: &mut [f32]) {
    assert_eq!(src.len(), dst.len());
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F (checked above).
            return unsafe { x86::exp_avx512(src, dst) };
        }
        if is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked above).
            return unsafe { x86::exp_avx2(src, dst) };
        }
    }
    for (o, &x) in dst.iter_mut().zip(src) {
        *o = expf_fast(x);
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::expf_fast;
    use std::arch::x86_64::*;

    const HI: f32 = 88.72283;
    const LO: f32 = -103.972_08;
    const P: [f32; 6] = [1.987_569_1e-4, 1.398_199_9e-3, 8.333_452e-3, 4.166_579_6e-2, 0.166_666_65, 0.5];

    #[target_feature(enable = "avx512f")]
    pub unsafe fn exp_avx512(src: &[f32], dst: &mut [f32]) {
        let n = src.len() / 16 * 16;
        let (hi, lo) = (_mm512_set1_ps(HI), _mm512_set1_ps(LO));
        let (log2e, half, one) = (_mm512_set1_ps(std::f32::consts::LOG2_E), _mm512_set1_ps(0.5), _mm512_set1_ps(1.0));
        let (c1, c2) = (_mm512_set1_ps(0.693_359_4), _mm512_set1_ps(-2.121_944_4e-4));
        let bias = _mm512_set1_epi32(127);
        for i in (0..n).step_by(16) {
            let x = _mm512_loadu_ps(src.as_ptr().add(i));
            let xc = _mm512_min_ps(_mm512_max_ps(x, lo), hi);
            let fx = _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC }>(_mm512_add_ps(_mm512_mul_ps(xc, log2e), half));
            let g = _mm512_sub_ps(_mm512_sub_ps(xc, _mm512_mul_ps(fx, c1)), _mm512_mul_ps(fx, c2));
            let mut p = _mm512_set1_ps(P[0]);
            for &c in &P[1..] {
                p = _mm512_add_ps(_mm512_mul_ps(p, g), _mm512_set1_ps(c));
            }
            let y = _mm512_add_ps(_mm512_add_ps(_mm512_mul_ps(_mm512_mul_ps(p, g), g), g), one);
            let nn = _mm512_cvtps_epi32(fx);
            let n1 = _mm512_srai_epi32::<1>(nn);
            let n2 = _mm512_sub_epi32(nn, n1);
            let s1 = _mm512_castsi512_ps(_mm512_slli_epi32::<23>(_mm512_add_epi32(n1, bias)));
            let s2 = _mm512_castsi512_ps(_mm512_slli_epi32::<23>(_mm512_add_epi32(n2, bias)));
            let mut r = _mm512_mul_ps(_mm512_mul_ps(y, s1), s2);
            r = _mm512_mask_blend_ps(_mm512_cmp_ps_mask::<_CMP_GT_OQ>(x, hi), r, _mm512_set1_ps(f32::INFINITY));
            r = _mm512_mask_blend_ps(_mm512_cmp_ps_mask::<_CMP_LT_OQ>(x, lo), r, _mm512_setzero_ps());
            r = _mm512_mask_blend_ps(_mm512_cmp_ps_mask::<_CMP_UNORD_Q>(x, x), r, x);
            _mm512_storeu_ps(dst.as_mut_ptr().add(i), r);
        }
        for i in n..src.len() {
            dst[i] = expf_fast(src[i]);
        }
    }

    #[target_feature(enable = "avx2")]
    pub unsafe fn exp_avx2(src: &[f32], dst: &mut [f32]) {
        let n = src.len() / 8 * 8;
        let (hi, lo) = (_mm256_set1_ps(HI), _mm256_set1_ps(LO));
        let (log2e, half, one) = (_mm256_set1_ps(std::f32::consts::LOG2_E), _mm256_set1_ps(0.5), _mm256_set1_ps(1.0));
        let (c1, c2) = (_mm256_set1_ps(0.693_359_4), _mm256_set1_ps(-2.121_944_4e-4));
        let bias = _mm256_set1_epi32(127);
        for i in (0..n).step_by(8) {
            let x = _mm256_loadu_ps(src.as_ptr().add(i));
            let xc = _mm256_min_ps(_mm256_max_ps(x, lo), hi);
            let fx = _mm256_floor_ps(_mm256_add_ps(_mm256_mul_ps(xc, log2e), half));
            let g = _mm256_sub_ps(_mm256_sub_ps(xc, _mm256_mul_ps(fx, c1)), _mm256_mul_ps(fx, c2));
            let mut p = _mm256_set1_ps(P[0]);
            for &c in &P[1..] {
                p = _mm256_add_ps(_mm256_mul_ps(p, g), _mm256_set1_ps(c));
            }
            let y = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(_mm256_mul_ps(p, g), g), g), one);
            let nn = _mm256_cvtps_epi32(fx);
            let n1 = _mm256_srai_epi32::<1>(nn);
            let n2 = _mm256_sub_epi32(nn, n1);
            let s1 = _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_add_epi32(n1, bias)));
            let s2 = _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_add_epi32(n2, bias)));
            let mut r = _mm256_mul_ps(_mm256_mul_ps(y, s1), s2);
            r = _mm256_blendv_ps(r, _mm256_set1_ps(f32::INFINITY), _mm256_cmp_ps::<_CMP_GT_OQ>(x, hi));
            r = _mm256_blendv_ps(r, _mm256_setzero_ps(), _mm256_cmp_ps::<_CMP_LT_OQ>(x, lo));
            r = _mm256_blendv_ps(r, x, _mm256_cmp_ps::<_CMP_UNORD_Q>(x, x));
            _mm256_storeu_ps(dst.as_mut_ptr().add(i), r);
        }
        for i in n..src.len() {
            dst[i] = expf_fast(src[i]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SIMD paths agree with `expf_fast` bit for bit over every range it treats
    /// differently (overflow, subnormal results, underflow, NaN, odd lengths).
    #[test]
    fn simd_exp_matches_the_scalar_kernel() {
        let mut v: Vec<f32> = (0..40_001).map(|i| -110.0 + i as f32 * 0.005).collect();
        v.extend([f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 0.0, -0.0, 88.72283, 88.7229, -103.972, -103.973, 1e-30]);
        for len in [0, 1, 15, 17, v.len()] {
            let mut out = vec![0f32; len];
            exp_slice(&v[..len], &mut out);
            for (i, (&x, &y)) in v[..len].iter().zip(&out).enumerate() {
                let want = expf_fast(x);
                assert!(want.to_bits() == y.to_bits() || (want.is_nan() && y.is_nan()), "exp({x}) [{i}]: simd {y} vs scalar {want}");
            }
        }
    }
}

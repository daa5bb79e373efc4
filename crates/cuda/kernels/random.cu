// Counter-based random numbers (Philox-4x32-10): element i of a call draws from counter
// (i, offset) under key seed, so results do not depend on the launch shape.
struct P4 { u32 x, y, z, w; };

__device__ __forceinline__ P4 philox(u64 ctr_lo, u64 ctr_hi, u64 seed) {
  P4 c = {(u32)ctr_lo, (u32)(ctr_lo >> 32), (u32)ctr_hi, (u32)(ctr_hi >> 32)};
  u32 k0 = (u32)seed, k1 = (u32)(seed >> 32);
  for (int r = 0; r < 10; ++r) {
    u32 hi0 = __umulhi(0xD2511F53u, c.x), lo0 = 0xD2511F53u * c.x;
    u32 hi1 = __umulhi(0xCD9E8D57u, c.z), lo1 = 0xCD9E8D57u * c.z;
    P4 n = {hi1 ^ c.y ^ k0, lo1, hi0 ^ c.w ^ k1, lo0};
    c = n;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return c;
}

// Uniform on [0, 1) with 53 random bits.
__device__ __forceinline__ double u01(u32 a, u32 b) {
  return (double)((((u64)a << 32) | b) >> 11) * (1.0 / 9007199254740992.0);
}

// kind 0: uniform(a, b); 1: normal(mean a, std b); 2: bernoulli(p = a).
extern "C" __global__ void random(TA::S* y, i64 n, u64 seed, u64 offset, int kind, double a, double b) {
  GRID_LOOP(i, n) {
    P4 r = philox((u64)i, offset, seed);
    double v;
    if (kind == 0) {
      v = a + (b - a) * u01(r.x, r.y);
    } else if (kind == 1) {
      double u1 = 1.0 - u01(r.x, r.y), u2 = u01(r.z, r.w);
      v = a + b * sqrt(-2.0 * log(u1)) * cospi(2.0 * u2);
    } else {
      v = u01(r.x, r.y) < a ? 1.0 : 0.0;
    }
    typename TA::S s = TA::from_d(v);
    // Rounding to a narrow float can reach 1.0; uniform draws stay below `b`.
    if (kind == 0 && (double)TA::ld(s) >= b && b > a) s = TA::from_d(a);
    y[i] = s;
  }
}

// Conversions between two dtypes (TA -> TB): contiguous casts, strided copies, and the
// scatter by storage offsets (the tensor layer computes and checks the offsets).
extern "C" __global__ void cast(const TA::S* x, Strided lx, TB::S* y, i64 n) {
  GRID_LOOP(i, n) { y[i] = convert<TA, TB>(x[soff(lx, i)]); }
}

extern "C" __global__ void copy_into(TB::S* y, Strided ly, const TA::S* x, Strided lx, i64 n) {
  GRID_LOOP(i, n) { y[soff(ly, i)] = convert<TA, TB>(x[soff(lx, i)]); }
}

// dst (TB) [offs[i]] = src (TA) [i], or += with `accumulate` (atomic, so repeats add up).
extern "C" __global__ void put(TB::S* dst, const i64* offs, const TA::S* src, i64 n, int accumulate) {
  GRID_LOOP(i, n) {
    TB::S v = convert<TA, TB>(src[i]);
    if (accumulate) {
      TB::atomic_add(dst + offs[i], TB::ld(v));
    } else {
      dst[offs[i]] = v;
    }
  }
}

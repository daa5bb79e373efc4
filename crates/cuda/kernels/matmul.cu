// Integer matmul (cuBLAS covers the float types): [batch, m, k] @ [batch, k, n] through
// per-batch strides; one thread per output element, wrapping int64 accumulation.
extern "C" __global__ void matmul_int(const TA::S* a, const TA::S* b, TA::S* c, i64 batch, i64 m, i64 k, i64 n,
                                      i64 sab, i64 sar, i64 sac, i64 sbb, i64 sbr, i64 sbc) {
  GRID_LOOP(i, batch * m * n) {
    i64 j = i % n, r = (i / n) % m, bt = i / (m * n);
    u64 acc = 0;
    for (i64 p = 0; p < k; ++p)
      acc += (u64)(i64)TA::ld(a[bt * sab + r * sar + p * sac]) * (u64)(i64)TA::ld(b[bt * sbb + p * sbr + j * sbc]);
    c[i] = TA::st((typename TA::C)(i64)acc);
  }
}

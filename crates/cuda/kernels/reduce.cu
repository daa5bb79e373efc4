// Reductions over a set of dims (TA in, TB out), arg-reductions over one dim, and scans.
// Op codes mirror `ReduceOp`: sum, prod, max, min, all, any.
enum { R_SUM, R_PROD, R_MAX, R_MIN, R_ALL, R_ANY };
#define RBLOCK 256

template <class T>
__device__ __forceinline__ typename T::C r_ident(int op) {
  typedef typename T::C C;
  switch (op) {
    case R_PROD: case R_ALL: return (C)1;
    case R_MAX:
      if constexpr (T::FLOAT) { return -(C)__int_as_float(0x7f800000); } else { return (C)(-9223372036854775807LL - 1); }
    case R_MIN:
      if constexpr (T::FLOAT) { return (C)__int_as_float(0x7f800000); } else { return (C)9223372036854775807LL; }
  }
  return (C)0;
}

template <class T>
__device__ __forceinline__ typename T::C r_comb(int op, typename T::C a, typename T::C b) {
  typedef typename T::C C;
  switch (op) {
    case R_SUM:
      if constexpr (T::FLOAT) { return a + b; } else { return (C)((u64)a + (u64)b); }
    case R_PROD:
      if constexpr (T::FLOAT) { return a * b; } else { return (C)((u64)a * (u64)b); }
    case R_MAX: return (a != a || b != b) ? (a != a ? a : b) : (a > b ? a : b);
    case R_MIN: return (a != a || b != b) ? (a != a ? a : b) : (a < b ? a : b);
    case R_ALL: return (C)(a != (C)0 && b != (C)0);
    case R_ANY: return (C)(a != (C)0 || b != (C)0);
  }
  return a;
}

template <class T>
__device__ __forceinline__ typename T::C r_val(int op, typename T::S s) {
  typename T::C v = T::ld(s);
  if (op == R_ALL || op == R_ANY) return (typename T::C)(v != (typename T::C)0);
  return v;
}

// One block per output element (long reductions).
template <class T, class O>
__device__ void reduce_block_body(const typename T::S* x, const Strided& outer, const Strided& inner, i64 R, typename O::S* y, i64 nout, int op) {
  typedef typename T::C C;
  __shared__ C buf[RBLOCK];
  for (i64 o = blockIdx.x; o < nout; o += gridDim.x) {
    i64 base = soff(outer, o);
    C acc = r_ident<T>(op);
    for (i64 r = threadIdx.x; r < R; r += blockDim.x) acc = r_comb<T>(op, acc, r_val<T>(op, x[base + soff(inner, r)]));
    buf[threadIdx.x] = acc;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
      if (threadIdx.x < s) buf[threadIdx.x] = r_comb<T>(op, buf[threadIdx.x], buf[threadIdx.x + s]);
      __syncthreads();
    }
    if (threadIdx.x == 0) y[o] = O::st((typename O::C)buf[0]);
    __syncthreads();
  }
}

extern "C" __global__ void reduce_block(const TA::S* x, Strided outer, Strided inner, i64 R, TB::S* y, i64 nout, int op) {
  reduce_block_body<TA, TB>(x, outer, inner, R, y, nout, op);
}

// One thread per output element (short reductions, many outputs).
template <class T, class O>
__device__ void reduce_thread_body(const typename T::S* x, const Strided& outer, const Strided& inner, i64 R, typename O::S* y, i64 nout, int op) {
  GRID_LOOP(o, nout) {
    i64 base = soff(outer, o);
    typename T::C acc = r_ident<T>(op);
    for (i64 r = 0; r < R; ++r) acc = r_comb<T>(op, acc, r_val<T>(op, x[base + soff(inner, r)]));
    y[o] = O::st((typename O::C)acc);
  }
}

extern "C" __global__ void reduce_thread(const TA::S* x, Strided outer, Strided inner, i64 R, TB::S* y, i64 nout, int op) {
  reduce_thread_body<TA, TB>(x, outer, inner, R, y, nout, op);
}

// Max/min along one dim with the first winner's index; NaN wins (PyTorch's rule).
template <class T>
__device__ __forceinline__ bool a_better(typename T::C cv, i64 ci, typename T::C bv, i64 bi, int is_max) {
  if (ci < 0) return false;
  if (bi < 0) return true;
  bool cn = cv != cv, bn = bv != bv;
  if (cn && bn) return ci < bi;
  if (bn) return false;
  if (cn) return true;
  if (cv == bv) return ci < bi;
  return is_max ? cv > bv : cv < bv;
}

template <class T>
__device__ void arg_reduce_body(const typename T::S* x, const Strided& outer, i64 n, i64 st, typename T::S* vals, i64* idx, i64 nout, int is_max) {
  typedef typename T::C C;
  __shared__ C bv[RBLOCK];
  __shared__ i64 bi[RBLOCK];
  for (i64 o = blockIdx.x; o < nout; o += gridDim.x) {
    i64 base = soff(outer, o);
    C v = (C)0;
    i64 k = -1;
    for (i64 r = threadIdx.x; r < n; r += blockDim.x) {
      C c = T::ld(x[base + r * st]);
      if (a_better<T>(c, r, v, k, is_max)) { v = c; k = r; }
    }
    bv[threadIdx.x] = v;
    bi[threadIdx.x] = k;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
      if (threadIdx.x < s && a_better<T>(bv[threadIdx.x + s], bi[threadIdx.x + s], bv[threadIdx.x], bi[threadIdx.x], is_max)) {
        bv[threadIdx.x] = bv[threadIdx.x + s];
        bi[threadIdx.x] = bi[threadIdx.x + s];
      }
      __syncthreads();
    }
    if (threadIdx.x == 0) {
      vals[o] = T::st(bv[0]);
      idx[o] = bi[0] < 0 ? 0 : bi[0];
    }
    __syncthreads();
  }
}

extern "C" __global__ void arg_reduce(const TA::S* x, Strided outer, i64 n, i64 st, TA::S* vals, i64* idx, i64 nout, int is_max) {
  arg_reduce_body<TA>(x, outer, n, st, vals, idx, nout, is_max);
}

// cumsum / cumprod: one thread per line; floats accumulate in double, ints in int64 (TB).
template <class T, class O>
__device__ void scan_body(const typename T::S* x, const Strided& lin, const Strided& lout, i64 n, i64 st_in, i64 st_out, typename O::S* y, i64 lines, int is_prod) {
  GRID_LOOP(l, lines) {
    i64 bi = soff(lin, l), bo = soff(lout, l);
    if constexpr (T::FLOAT) {
      double acc = is_prod ? 1.0 : 0.0;
      for (i64 k = 0; k < n; ++k) {
        double v = (double)T::ld(x[bi + k * st_in]);
        acc = is_prod ? acc * v : acc + v;
        y[bo + k * st_out] = O::from_d(acc);
      }
    } else {
      u64 acc = is_prod ? 1 : 0;
      for (i64 k = 0; k < n; ++k) {
        u64 v = (u64)(i64)T::ld(x[bi + k * st_in]);
        acc = is_prod ? acc * v : acc + v;
        y[bo + k * st_out] = O::from_i((i64)acc);
      }
    }
  }
}

extern "C" __global__ void scan(const TA::S* x, Strided lin, Strided lout, i64 n, i64 st_in, i64 st_out, TB::S* y, i64 lines, int is_prod) {
  scan_body<TA, TB>(x, lin, lout, n, st_in, st_out, y, lines, is_prod);
}

// Fills, unary and binary ops, where, gather by offsets. `TA` is the operand dtype
// (a typedef the module's header sets).

extern "C" __global__ void take(const TA::S* x, const i64* offs, TA::S* y, i64 n) {
  GRID_LOOP(i, n) { y[i] = x[offs[i]]; }
}

extern "C" __global__ void fill(TA::S* y, Strided ly, double v, i64 n) {
  TA::S s = TA::from_d(v);
  GRID_LOOP(i, n) { y[soff(ly, i)] = s; }
}

// Op codes mirror `UnaryOp` (see src/kernels.rs).
enum {
  U_NEG, U_ABS, U_SIGN, U_SQUARE, U_RELU, U_FLOOR, U_CEIL, U_ROUND, U_TRUNC, U_CLAMP, U_EXP, U_EXP2,
  U_LOG, U_LOG2, U_LOG10, U_LOG1P, U_EXPM1, U_SQRT, U_RSQRT, U_SIN, U_COS, U_TAN, U_ASIN, U_ACOS,
  U_ATAN, U_SINH, U_COSH, U_TANH, U_SIGMOID, U_ERF, U_ERFC, U_RECIPROCAL, U_GELU, U_GELU_TANH,
  U_SILU, U_MISH, U_SOFTPLUS, U_LEAKY_RELU, U_ELU, U_HARDTANH, U_HARDSIGMOID, U_HARDSWISH,
  U_POW_SCALAR, U_RPOW_SCALAR
};

struct UParams {
  double p0, p1, p2;
  int has_min, has_max;
};

template <class C>
__device__ __forceinline__ C clamp01(C v) { return v < (C)0 ? (C)0 : (v > (C)1 ? (C)1 : v); }

template <class C>
__device__ C unary_float(int op, C x, const UParams& p) {
  switch (op) {
    case U_NEG: return -x;
    case U_ABS: return fabs(x);
    case U_SIGN: return x > (C)0 ? (C)1 : (x < (C)0 ? (C)-1 : (C)0);
    case U_SQUARE: return x * x;
    case U_RELU: return (x > (C)0 || x != x) ? x : (C)0;
    case U_FLOOR: return floor(x);
    case U_CEIL: return ceil(x);
    case U_ROUND: return rint(x);
    case U_TRUNC: return trunc(x);
    case U_CLAMP: {
      C y = x;
      if (p.has_min) { C lo = (C)p.p0; if (lo != lo) return lo; if (y < lo) y = lo; }
      if (p.has_max) { C hi = (C)p.p1; if (hi != hi) return hi; if (y > hi) y = hi; }
      return y;
    }
    case U_EXP: return exp(x);
    case U_EXP2: return exp2(x);
    case U_LOG: return log(x);
    case U_LOG2: return log2(x);
    case U_LOG10: return log10(x);
    case U_LOG1P: return log1p(x);
    case U_EXPM1: return expm1(x);
    case U_SQRT: return sqrt(x);
    case U_RSQRT: return (C)1 / sqrt(x);
    case U_SIN: return sin(x);
    case U_COS: return cos(x);
    case U_TAN: return tan(x);
    case U_ASIN: return asin(x);
    case U_ACOS: return acos(x);
    case U_ATAN: return atan(x);
    case U_SINH: return sinh(x);
    case U_COSH: return cosh(x);
    case U_TANH: return tanh(x);
    case U_SIGMOID: return (C)1 / ((C)1 + exp(-x));
    case U_ERF: return erf(x);
    case U_ERFC: return erfc(x);
    case U_RECIPROCAL: return (C)1 / x;
    case U_GELU: return (C)0.5 * x * ((C)1 + erf(x * (C)0.70710678118654752440));
    case U_GELU_TANH: {
      C k = (C)0.79788456080286535588;
      return (C)0.5 * x * ((C)1 + tanh(k * (x + (C)0.044715 * x * x * x)));
    }
    case U_SILU: return x / ((C)1 + exp(-x));
    case U_MISH: {
      C sp = x > (C)20 ? x : log1p(exp(x));
      return x * tanh(sp);
    }
    case U_SOFTPLUS: {
      C b = (C)p.p0;
      return x * b > (C)p.p1 ? x : log1p(exp(x * b)) / b;
    }
    case U_LEAKY_RELU: return x > (C)0 ? x : x * (C)p.p0;
    case U_ELU: return x > (C)0 ? x * (C)p.p1 : expm1(x * (C)p.p2) * (C)(p.p0 * p.p1);
    case U_HARDTANH: return x < (C)p.p0 ? (C)p.p0 : (x > (C)p.p1 ? (C)p.p1 : x);
    case U_HARDSIGMOID: return clamp01(x / (C)6 + (C)0.5);
    case U_HARDSWISH: return x * clamp01(x / (C)6 + (C)0.5);
    case U_POW_SCALAR: {
      double e = p.p0;
      if (e == 2.0) return x * x;
      if (e == 1.0) return x;
      if (e == 0.5) return sqrt(x);
      return pow(x, (C)e);
    }
    case U_RPOW_SCALAR: return pow((C)p.p0, x);
  }
  return x;
}

__device__ i64 unary_int(int op, i64 v, const UParams& p) {
  switch (op) {
    case U_NEG: return (i64)(0ull - (u64)v);
    case U_ABS: return v < 0 ? (i64)(0ull - (u64)v) : v;
    case U_SIGN: return (v > 0) - (v < 0);
    case U_SQUARE: return (i64)((u64)v * (u64)v);
    case U_RELU: return v > 0 ? v : 0;
    case U_CLAMP: {
      i64 y = v;
      if (p.has_min && y < (i64)p.p0) y = (i64)p.p0;
      if (p.has_max && y > (i64)p.p1) y = (i64)p.p1;
      return y;
    }
    case U_HARDTANH: {
      i64 y = v < (i64)p.p0 ? (i64)p.p0 : v;
      return y > (i64)p.p1 ? (i64)p.p1 : y;
    }
  }
  return v;
}

template <class T>
__device__ void unary_body(const typename T::S* x, const Strided& lx, typename T::S* y, i64 n, int op, const UParams& p) {
  GRID_LOOP(i, n) {
    typename T::C v = T::ld(x[soff(lx, i)]);
    if constexpr (T::FLOAT) {
      y[i] = T::st(unary_float<typename T::C>(op, v, p));
    } else {
      y[i] = T::st((typename T::C)unary_int(op, (i64)v, p));
    }
  }
}

extern "C" __global__ void unary(const TA::S* x, Strided lx, TA::S* y, i64 n, int op, UParams p) {
  unary_body<TA>(x, lx, y, n, op, p);
}

extern "C" __global__ void logical_not(const TA::S* x, Strided lx, unsigned char* y, i64 n) {
  GRID_LOOP(i, n) { y[i] = TA::ld(x[soff(lx, i)]) == (TA::C)0; }
}

// Op codes mirror `BinaryOp`.
enum {
  B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_MAXIMUM, B_MINIMUM, B_ATAN2, B_REMAINDER, B_FMOD, B_FLOOR_DIVIDE,
  B_BITAND, B_BITOR, B_BITXOR, B_LAND, B_LOR, B_LXOR, B_EQ, B_NE, B_LT, B_LE, B_GT, B_GE
};

template <class C>
__device__ C binary_float(int op, C x, C y) {
  switch (op) {
    case B_ADD: return x + y;
    case B_SUB: return x - y;
    case B_MUL: return x * y;
    case B_DIV: return x / y;
    case B_POW: return y == (C)2 ? x * x : pow(x, y);
    case B_MAXIMUM: return (x != x || y != y) ? (x != x ? x : y) : (x > y ? x : y);
    case B_MINIMUM: return (x != x || y != y) ? (x != x ? x : y) : (x < y ? x : y);
    case B_ATAN2: return atan2(x, y);
    case B_REMAINDER: {
      C r = fmod(x, y);
      if (r != (C)0 && ((r < (C)0) != (y < (C)0))) r += y;
      return r;
    }
    case B_FMOD: return fmod(x, y);
    case B_FLOOR_DIVIDE: return floor(x / y);
  }
  return x;
}

__device__ i64 binary_int(int op, i64 x, i64 y, int* err) {
  switch (op) {
    case B_ADD: return (i64)((u64)x + (u64)y);
    case B_SUB: return (i64)((u64)x - (u64)y);
    case B_MUL: return (i64)((u64)x * (u64)y);
    case B_POW: {
      if (y < 0) return x == 1 ? 1 : (x == -1 ? ((y % 2 == 0) ? 1 : -1) : 0);
      u64 r = 1, b = (u64)x;
      while (y > 0) { if (y & 1) r *= b; b *= b; y >>= 1; }
      return (i64)r;
    }
    case B_MAXIMUM: return x > y ? x : y;
    case B_MINIMUM: return x < y ? x : y;
    case B_DIV: case B_REMAINDER: case B_FMOD: case B_FLOOR_DIVIDE: {
      if (y == 0) { *err = 1; return 0; }
      if (y == -1) return op == B_REMAINDER || op == B_FMOD ? 0 : (i64)(0ull - (u64)x);
      i64 q = x / y, r = x % y;
      if (op == B_DIV) return q;
      if (op == B_FMOD) return r;
      bool adjust = r != 0 && ((r < 0) != (y < 0));
      if (op == B_REMAINDER) return adjust ? r + y : r;
      return adjust ? q - 1 : q;
    }
    case B_BITAND: return x & y;
    case B_BITOR: return x | y;
    case B_BITXOR: return x ^ y;
  }
  return x;
}

template <class T>
__device__ void binary_body(const typename T::S* a, const Strided& la, const typename T::S* b, const Strided& lb, typename T::S* y, i64 n, int op, int* err) {
  GRID_LOOP(i, n) {
    typename T::C x = T::ld(a[soff(la, i)]);
    typename T::C z = T::ld(b[soff(lb, i)]);
    if constexpr (T::FLOAT) {
      y[i] = T::st(binary_float<typename T::C>(op, x, z));
    } else {
      y[i] = T::st((typename T::C)binary_int(op, (i64)x, (i64)z, err));
    }
  }
}

extern "C" __global__ void binary(const TA::S* a, Strided la, const TA::S* b, Strided lb, TA::S* y, i64 n, int op, int* err) {
  binary_body<TA>(a, la, b, lb, y, n, op, err);
}

extern "C" __global__ void compare(const TA::S* a, Strided la, const TA::S* b, Strided lb, unsigned char* y, i64 n, int op) {
  GRID_LOOP(i, n) {
    TA::C x = TA::ld(a[soff(la, i)]);
    TA::C z = TA::ld(b[soff(lb, i)]);
    bool r = false;
    switch (op) {
      case B_LAND: r = x != (TA::C)0 && z != (TA::C)0; break;
      case B_LOR: r = x != (TA::C)0 || z != (TA::C)0; break;
      case B_LXOR: r = (x != (TA::C)0) != (z != (TA::C)0); break;
      case B_EQ: r = x == z; break;
      case B_NE: r = x != z; break;
      case B_LT: r = x < z; break;
      case B_LE: r = x <= z; break;
      case B_GT: r = x > z; break;
      case B_GE: r = x >= z; break;
    }
    y[i] = r;
  }
}

extern "C" __global__ void where_(const unsigned char* c, Strided lc, const TA::S* a, Strided la, const TA::S* b, Strided lb, TA::S* y, i64 n) {
  GRID_LOOP(i, n) { y[i] = c[soff(lc, i)] ? a[soff(la, i)] : b[soff(lb, i)]; }
}

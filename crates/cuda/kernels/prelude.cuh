// Shared by every ferrotorch kernel module (compiled at run time by NVRTC, no headers).
// Each dtype is a trait struct: S is the storage type, C the type arithmetic runs in.
typedef long long i64;
typedef unsigned long long u64;
typedef unsigned int u32;
#define MAXD 10

// A strided view: element i of the row-major order lives at soff(s, i).
struct Strided {
  i64 ndim;
  i64 shape[MAXD];
  i64 stride[MAXD];
  i64 offset;
};

__device__ __forceinline__ i64 soff(const Strided& s, i64 i) {
  if (s.ndim == 1 && s.stride[0] == 1) return s.offset + i;
  i64 o = s.offset;
  for (int d = (int)s.ndim - 1; d >= 0; --d) {
    i64 q = i % s.shape[d];
    i /= s.shape[d];
    o += q * s.stride[d];
  }
  return o;
}

#define GRID_LOOP(i, n) for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (i64)gridDim.x * blockDim.x)

__device__ __forceinline__ float h2f(unsigned short h) {
  float f;
  asm("{ cvt.f32.f16 %0, %1; }" : "=f"(f) : "h"(h));
  return f;
}
__device__ __forceinline__ unsigned short f2h(float f) {
  unsigned short h;
  asm("{ cvt.rn.f16.f32 %0, %1; }" : "=h"(h) : "f"(f));
  return h;
}
// double -> half in one rounding (as the CPU's half::f16::from_f64).
__device__ __forceinline__ unsigned short d2h(double d) {
  unsigned short h;
  asm("{ cvt.rn.f16.f64 %0, %1; }" : "=h"(h) : "d"(d));
  return h;
}
__device__ __forceinline__ float bf2f(unsigned short h) { return __uint_as_float(((u32)h) << 16); }
__device__ __forceinline__ unsigned short f2bf(float f) {
  u32 u = __float_as_uint(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (unsigned short)((u >> 16) | 0x40u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return (unsigned short)(u >> 16);
}

// double -> bfloat16 in one rounding: round to odd into float first, then to nearest even.
__device__ __forceinline__ unsigned short d2bf(double x) {
  float f = __double2float_rz(x);
  if ((double)f != x && x == x) f = __uint_as_float(__float_as_uint(f) | 1u);
  return f2bf(f);
}

// Atomic add on a 16- or 8-bit value through a CAS loop on its aligned 32-bit word.
template <class S, class F>
__device__ void atomic_narrow(S* p, F update) {
  size_t addr = (size_t)p;
  u32* w = (u32*)(addr & ~(size_t)3);
  u32 shift = (u32)(addr & 3) * 8;
  u32 mask = (sizeof(S) == 2 ? 0xffffu : 0xffu) << shift;
  u32 old = *w, assumed;
  do {
    assumed = old;
    S cur = (S)((assumed & mask) >> shift);
    S nxt = update(cur);
    u32 nw = (assumed & ~mask) | (((u32)nxt << shift) & mask);
    old = atomicCAS(w, assumed, nw);
  } while (assumed != old);
}

struct T_bool {
  typedef unsigned char S; typedef i64 C; enum { FLOAT = 0 };
  static __device__ C ld(S x) { return x != 0; }
  static __device__ S st(C x) { return x != 0; }
  static __device__ S from_d(double x) { return x != 0.0; }
  static __device__ S from_i(i64 x) { return x != 0; }
  static __device__ void atomic_add(S* p, C v) { atomic_narrow(p, [=](S c) { return (S)((c + v) != 0); }); }
};
// Float to int saturates and NaN gives 0, as Rust's `as` does on the CPU backend.
__device__ __forceinline__ double sat(double x, double lo, double hi) { return x != x ? 0.0 : (x < lo ? lo : (x > hi ? hi : x)); }

struct T_u8 {
  typedef unsigned char S; typedef i64 C; enum { FLOAT = 0 };
  static __device__ C ld(S x) { return x; }
  static __device__ S st(C x) { return (S)x; }
  static __device__ S from_d(double x) { return (S)(int)sat(x, 0.0, 255.0); }
  static __device__ S from_i(i64 x) { return (S)x; }
  static __device__ void atomic_add(S* p, C v) { atomic_narrow(p, [=](S c) { return (S)(c + v); }); }
};
struct T_i32 {
  typedef int S; typedef i64 C; enum { FLOAT = 0 };
  static __device__ C ld(S x) { return x; }
  static __device__ S st(C x) { return (S)x; }
  static __device__ S from_d(double x) { return (S)sat(x, -2147483648.0, 2147483647.0); }
  static __device__ S from_i(i64 x) { return (S)x; }
  static __device__ void atomic_add(S* p, C v) { atomicAdd(p, (int)v); }
};
struct T_i64 {
  typedef i64 S; typedef i64 C; enum { FLOAT = 0 };
  static __device__ C ld(S x) { return x; }
  static __device__ S st(C x) { return x; }
  static __device__ S from_d(double x) { return x != x ? 0 : (S)x; }  // cvt saturates
  static __device__ S from_i(i64 x) { return x; }
  static __device__ void atomic_add(S* p, C v) { atomicAdd((u64*)p, (u64)v); }
};
struct T_f16 {
  typedef unsigned short S; typedef float C; enum { FLOAT = 1 };
  static __device__ C ld(S x) { return h2f(x); }
  static __device__ S st(C x) { return f2h(x); }
  static __device__ S from_d(double x) { return d2h(x); }
  static __device__ S from_i(i64 x) { return d2h((double)x); }
  static __device__ void atomic_add(S* p, C v) { atomic_narrow(p, [=](S c) { return f2h(h2f(c) + v); }); }
};
struct T_bf16 {
  typedef unsigned short S; typedef float C; enum { FLOAT = 1 };
  static __device__ C ld(S x) { return bf2f(x); }
  static __device__ S st(C x) { return f2bf(x); }
  static __device__ S from_d(double x) { return d2bf(x); }
  static __device__ S from_i(i64 x) { return d2bf((double)x); }
  static __device__ void atomic_add(S* p, C v) { atomic_narrow(p, [=](S c) { return f2bf(bf2f(c) + v); }); }
};
struct T_f32 {
  typedef float S; typedef float C; enum { FLOAT = 1 };
  static __device__ C ld(S x) { return x; }
  static __device__ S st(C x) { return x; }
  static __device__ S from_d(double x) { return (float)x; }
  static __device__ S from_i(i64 x) { return (float)x; }
  static __device__ void atomic_add(S* p, C v) { atomicAdd(p, v); }
};
struct T_f64 {
  typedef double S; typedef double C; enum { FLOAT = 1 };
  static __device__ C ld(S x) { return x; }
  static __device__ S st(C x) { return x; }
  static __device__ S from_d(double x) { return x; }
  static __device__ S from_i(i64 x) { return (double)x; }
  static __device__ void atomic_add(S* p, C v) { atomicAdd(p, v); }
};

// A value of dtype A converted to dtype B: ints stay exact through i64, anything with a
// float side goes through double (float -> int truncates, as a C cast).
template <class A, class B>
__device__ __forceinline__ typename B::S convert(typename A::S x) {
  if constexpr (A::FLOAT) {
    return B::from_d((double)A::ld(x));
  } else {
    return B::from_i((i64)A::ld(x));
  }
}

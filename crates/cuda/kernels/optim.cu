// Fused optimizer steps, one thread per element, the same arithmetic (order and scalar
// rounding) as the CPU steps in crates/tensor/src/optim.rs; compiled with --fmad=false so
// no multiply-add is fused. TA is float32 or float64.
typedef TA::S F;

extern "C" __global__ void sgd(F* p, const F* g, F* buf, i64 n, double lr, double momentum, double dampening, double wd, int nesterov, int maximize, int first) {
  F lrt = (F)lr, mo = (F)momentum, da = (F)(1.0 - dampening), wdt = (F)wd;
  GRID_LOOP(i, n) {
    F pv = p[i];
    F d = maximize ? -g[i] : g[i];
    if (wd != 0.0) d = d + pv * wdt;
    if (momentum != 0.0) {
      F b = first ? d : buf[i] * mo + d * da;
      buf[i] = b;
      d = nesterov ? d + b * mo : b;
    }
    p[i] = pv - d * lrt;
  }
}

extern "C" __global__ void adam(F* p, const F* g, F* m1, F* m2, F* mx, i64 n, double lr, double b1, double b2, double eps, double wd, int amsgrad, int maximize, int decoupled, double step) {
  double bc1 = 1.0 - pow(b1, step), bc2 = 1.0 - pow(b2, step);
  F one_b1 = (F)(1.0 - b1), b2t = (F)b2, one_b2 = (F)(1.0 - b2);
  F step_size = (F)(lr / bc1), bc2s = (F)sqrt(bc2), epst = (F)eps, wdt = (F)wd, decay = (F)(1.0 - lr * wd);
  GRID_LOOP(i, n) {
    F pv = p[i];
    F d = maximize ? -g[i] : g[i];
    if (wd != 0.0) {
      if (decoupled) pv = pv * decay; else d = d + pv * wdt;
    }
    F m = m1[i] + (d - m1[i]) * one_b1;
    F v = m2[i] * b2t + d * d * one_b2;
    m1[i] = m;
    m2[i] = v;
    F vv = v;
    if (amsgrad) {
      F old = mx[i];
      F r = (old != old || v != v) ? (F)__longlong_as_double(0x7ff8000000000000LL) : (old > v ? old : v);
      mx[i] = r;
      vv = r;
    }
    F denom = sqrt(vv) / bc2s + epst;
    p[i] = pv - m / denom * step_size;
  }
}

extern "C" __global__ void rmsprop(F* p, const F* g, F* sq, F* ga, F* buf, i64 n, double lr, double alpha, double eps, double wd, double momentum, int centered, int maximize) {
  F a = (F)alpha, one_a = (F)(1.0 - alpha), epst = (F)eps, lrt = (F)lr, wdt = (F)wd, mo = (F)momentum;
  GRID_LOOP(i, n) {
    F pv = p[i];
    F d = maximize ? -g[i] : g[i];
    if (wd != 0.0) d = d + pv * wdt;
    F s = sq[i] * a + d * d * one_a;
    sq[i] = s;
    F avg;
    if (centered) {
      F gav = ga[i] + (d - ga[i]) * one_a;
      ga[i] = gav;
      avg = sqrt(s - gav * gav) + epst;
    } else {
      avg = sqrt(s) + epst;
    }
    if (momentum > 0.0) {
      F b = buf[i] * mo + d / avg;
      buf[i] = b;
      p[i] = pv - b * lrt;
    } else {
      p[i] = pv - d / avg * lrt;
    }
  }
}

extern "C" __global__ void adagrad(F* p, const F* g, F* sum, i64 n, double lr, double wd, double eps, int maximize) {
  F clr = (F)lr, epst = (F)eps, wdt = (F)wd;
  GRID_LOOP(i, n) {
    F pv = p[i];
    F d = maximize ? -g[i] : g[i];
    if (wd != 0.0) d = d + pv * wdt;
    F s = sum[i] + d * d;
    sum[i] = s;
    p[i] = pv - d / (sqrt(s) + epst) * clr;
  }
}

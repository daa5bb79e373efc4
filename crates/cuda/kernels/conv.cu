// im2col / col2im / 2-D max pooling over contiguous [N, C, H, W] images, columns laid out
// as [N, C*kh*kw, oh*ow] (the CPU backend's layout).
struct Window {
  i64 n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow;
};

extern "C" __global__ void im2col(const TA::S* x, Window g, TA::S* cols, double pad) {
  i64 l = g.oh * g.ow, kk = g.kh * g.kw;
  i64 total = g.n * g.c * kk * l;
  TA::S padv = TA::from_d(pad);
  GRID_LOOP(i, total) {
    i64 p = i % l, r = i / l;
    i64 k = r % kk, pl = r / kk;  // pl = n * C + c
    i64 oi = p / g.ow, oj = p % g.ow, ki = k / g.kw, kj = k % g.kw;
    i64 y = oi * g.sh + ki * g.dh - g.ph, xx = oj * g.sw + kj * g.dw - g.pw;
    cols[i] = (y >= 0 && y < g.h && xx >= 0 && xx < g.w) ? x[pl * g.h * g.w + y * g.w + xx] : padv;
  }
}

// Each image element gathers the columns that read it (no atomics, deterministic).
extern "C" __global__ void col2im(const TA::S* cols, Window g, TA::S* x) {
  i64 l = g.oh * g.ow, kk = g.kh * g.kw;
  i64 total = g.n * g.c * g.h * g.w;
  GRID_LOOP(i, total) {
    i64 xx = i % g.w, y = (i / g.w) % g.h, pl = i / (g.w * g.h);
    typename TA::C acc = (typename TA::C)0;
    for (i64 ki = 0; ki < g.kh; ++ki) {
      i64 ty = y + g.ph - ki * g.dh;
      if (ty < 0 || ty % g.sh != 0) continue;
      i64 oi = ty / g.sh;
      if (oi >= g.oh) continue;
      for (i64 kj = 0; kj < g.kw; ++kj) {
        i64 tx = xx + g.pw - kj * g.dw;
        if (tx < 0 || tx % g.sw != 0) continue;
        i64 oj = tx / g.sw;
        if (oj >= g.ow) continue;
        acc += TA::ld(cols[(pl * kk + ki * g.kw + kj) * l + oi * g.ow + oj]);
      }
    }
    x[i] = TA::st(acc);
  }
}

// Values and flat in-plane indices of each window's first maximum (NaN wins).
extern "C" __global__ void max_pool2d(const TA::S* x, Window g, TA::S* vals, i64* idx) {
  i64 l = g.oh * g.ow;
  i64 total = g.n * g.c * l;
  GRID_LOOP(i, total) {
    i64 p = i % l, pl = i / l;
    i64 oi = p / g.ow, oj = p % g.ow;
    const TA::S* img = x + pl * g.h * g.w;
    typename TA::C best = (typename TA::C)0;
    i64 bo = -1;
    for (i64 ki = 0; ki < g.kh; ++ki) {
      i64 y = oi * g.sh + ki * g.dh - g.ph;
      if (y < 0 || y >= g.h) continue;
      for (i64 kj = 0; kj < g.kw; ++kj) {
        i64 xx = oj * g.sw + kj * g.dw - g.pw;
        if (xx < 0 || xx >= g.w) continue;
        i64 o = y * g.w + xx;
        typename TA::C v = TA::ld(img[o]);
        if (bo < 0 || (best == best && (v != v || v > best))) { best = v; bo = o; }
      }
    }
    vals[i] = TA::st(best);
    idx[i] = bo < 0 ? 0 : bo;
  }
}

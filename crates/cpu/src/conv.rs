//! im2col / col2im for 2-D windows (convolution, pooling, and their backwards).
//! Images are contiguous `[N, C, H, W]`; columns are `[N, C*kh*kw, oh*ow]`.
use crate::elem::Elem;
use crate::storage::CpuStorage;
use rayon::prelude::*;

/// Window geometry shared by both directions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub n: usize,
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub kh: usize,
    pub kw: usize,
    pub sh: usize,
    pub sw: usize,
    pub ph: usize,
    pub pw: usize,
    pub dh: usize,
    pub dw: usize,
}

impl Window {
    pub fn out_h(&self) -> usize {
        (self.h + 2 * self.ph - self.dh * (self.kh - 1) - 1) / self.sh + 1
    }
    pub fn out_w(&self) -> usize {
        (self.w + 2 * self.pw - self.dw * (self.kw - 1) - 1) / self.sw + 1
    }
    pub fn cols_len(&self) -> usize {
        self.n * self.c * self.kh * self.kw * self.out_h() * self.out_w()
    }
}

fn im2col_t<T: Elem>(x: &[T], g: &Window, pad: T) -> Vec<T> {
    let (oh, ow) = (g.out_h(), g.out_w());
    let l = oh * ow;
    let kk = g.kh * g.kw;
    let mut out = crate::pool::take::<T>(g.n * g.c * kk * l);
    out.resize(g.n * g.c * kk * l, pad);
    // One task per image plane: it writes that plane's kh*kw rows.
    out.par_chunks_mut(kk * l).enumerate().for_each(|(plane, rows)| {
        let img = &x[plane * g.h * g.w..(plane + 1) * g.h * g.w];
        for k in 0..kk {
            let (ki, kj) = (k / g.kw, k % g.kw);
            let dst = &mut rows[k * l..(k + 1) * l];
            for oi in 0..oh {
                let y = (oi * g.sh + ki * g.dh) as isize - g.ph as isize;
                if y < 0 || y >= g.h as isize {
                    continue;
                }
                let src = &img[y as usize * g.w..(y as usize + 1) * g.w];
                let drow = &mut dst[oi * ow..(oi + 1) * ow];
                if g.sw == 1 && g.dw == 1 {
                    // Contiguous run: the in-bounds columns are one slice copy.
                    let x0 = kj as isize - g.pw as isize;
                    let lo = (-x0).max(0) as usize;
                    let hi = ((g.w as isize - x0).min(ow as isize)).max(0) as usize;
                    if lo < hi {
                        drow[lo..hi].copy_from_slice(&src[(lo as isize + x0) as usize..(hi as isize + x0) as usize]);
                    }
                    continue;
                }
                for (oj, d) in drow.iter_mut().enumerate() {
                    let xx = (oj * g.sw + kj * g.dw) as isize - g.pw as isize;
                    if xx >= 0 && xx < g.w as isize {
                        *d = src[xx as usize];
                    }
                }
            }
        }
    });
    out
}

fn col2im_t<T: Elem>(cols: &[T], g: &Window) -> Vec<T> {
    let (oh, ow) = (g.out_h(), g.out_w());
    let l = oh * ow;
    let kk = g.kh * g.kw;
    let mut out = crate::pool::filled(g.n * g.c * g.h * g.w, T::default());
    // One image plane per task: its window rows are the only writers.
    out.par_chunks_mut(g.h * g.w).enumerate().for_each(|(plane, img)| {
        let (b, c) = (plane / g.c, plane % g.c);
        for k in 0..kk {
            let (ki, kj) = (k / g.kw, k % g.kw);
            let src = &cols[((b * g.c + c) * kk + k) * l..((b * g.c + c) * kk + k + 1) * l];
            for oi in 0..oh {
                let y = (oi * g.sh + ki * g.dh) as isize - g.ph as isize;
                if y < 0 || y >= g.h as isize {
                    continue;
                }
                for oj in 0..ow {
                    let xx = (oj * g.sw + kj * g.dw) as isize - g.pw as isize;
                    if xx >= 0 && xx < g.w as isize {
                        let o = y as usize * g.w + xx as usize;
                        img[o] = T::from_f64(img[o].to_f64() + src[oi * ow + oj].to_f64());
                    }
                }
            }
        }
    });
    out
}

/// Patches of a contiguous image as columns; positions outside the image hold `pad`.
/// `offset` is where the contiguous image starts in the storage.
pub fn im2col(x: &CpuStorage, offset: usize, g: &Window, pad: f64) -> CpuStorage {
    crate::with_storage!(x, v, T => T::wrap(im2col_t(&v[offset..], g, T::from_f64(pad))))
}

/// Sums columns back into an image (the adjoint of `im2col` with zero padding).
/// `offset` is where the contiguous columns start in the storage.
pub fn col2im(cols: &CpuStorage, offset: usize, g: &Window) -> CpuStorage {
    crate::with_storage!(cols, v, T => T::wrap(col2im_t(&v[offset..], g)))
}

fn max_pool_t<T: Elem>(x: &[T], g: &Window, oh: usize, ow: usize) -> (Vec<T>, Vec<i64>) {
    let planes = g.n * g.c;
    let (hw, l) = (g.h * g.w, oh * ow);
    let mut vals = crate::pool::filled(planes * l, T::default());
    let mut idx = crate::pool::filled(planes * l, 0i64);
    vals.par_chunks_mut(l).zip(idx.par_chunks_mut(l)).enumerate().for_each(|(pl, (vo, io))| {
        let img = &x[pl * hw..(pl + 1) * hw];
        for oi in 0..oh {
            for oj in 0..ow {
                let mut best: Option<(T, usize)> = None;
                for ki in 0..g.kh {
                    let y = (oi * g.sh + ki * g.dh) as isize - g.ph as isize;
                    if y < 0 || y >= g.h as isize {
                        continue;
                    }
                    for kj in 0..g.kw {
                        let xx = (oj * g.sw + kj * g.dw) as isize - g.pw as isize;
                        if xx < 0 || xx >= g.w as isize {
                            continue;
                        }
                        let o = y as usize * g.w + xx as usize;
                        let v = img[o];
                        // NaN wins, then the first maximum (PyTorch's rule).
                        let better = match best {
                            None => true,
                            Some((b, _)) => !b.is_nan() && (v.is_nan() || v > b),
                        };
                        if better {
                            best = Some((v, o));
                        }
                    }
                }
                let (v, o) = best.unwrap_or((T::default(), 0));
                vo[oi * ow + oj] = v;
                io[oi * ow + oj] = o as i64;
            }
        }
    });
    (vals, idx)
}

/// 2-D max pooling of a contiguous image: values and the flat index (within its H*W
/// plane) of each winner. Windows are clipped to the image (padding never wins).
pub fn max_pool2d(x: &CpuStorage, offset: usize, g: &Window, oh: usize, ow: usize) -> (CpuStorage, Vec<i64>) {
    crate::with_storage!(x, v, T => {
        let (vals, idx) = max_pool_t(&v[offset..], g, oh, ow);
        (T::wrap(vals), idx)
    })
}

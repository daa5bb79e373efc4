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
    let rows = g.c * g.kh * g.kw;
    let mut out = vec![pad; g.n * rows * l];
    out.par_chunks_mut(l).enumerate().for_each(|(row, dst)| {
        let (b, r) = (row / rows, row % rows);
        let (c, k) = (r / (g.kh * g.kw), r % (g.kh * g.kw));
        let (ki, kj) = (k / g.kw, k % g.kw);
        let img = &x[(b * g.c + c) * g.h * g.w..(b * g.c + c + 1) * g.h * g.w];
        for oi in 0..oh {
            let y = (oi * g.sh + ki * g.dh) as isize - g.ph as isize;
            if y < 0 || y >= g.h as isize {
                continue;
            }
            let src = &img[y as usize * g.w..(y as usize + 1) * g.w];
            let drow = &mut dst[oi * ow..(oi + 1) * ow];
            for (oj, d) in drow.iter_mut().enumerate() {
                let xx = (oj * g.sw + kj * g.dw) as isize - g.pw as isize;
                if xx >= 0 && xx < g.w as isize {
                    *d = src[xx as usize];
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
    let mut out = vec![T::default(); g.n * g.c * g.h * g.w];
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

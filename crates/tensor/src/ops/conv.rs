//! Sliding windows: `im2col` (torch's `unfold`) and `col2im` (`fold`), each the other's
//! backward. Convolutions and pooling are composed from these and matmul (see
//! `src/nn/conv.ts`).
use crate::autograd::Op;
use crate::tensor::Tensor;
use ferrotorch_core::{Error, Result};
use ferrotorch_cpu::conv::Window;

/// Kernel, dilation, padding and stride, each as (h, w).
#[derive(Clone, Copy, Debug)]
pub struct WindowArgs {
    pub kernel: (usize, usize),
    pub dilation: (usize, usize),
    pub padding: (usize, usize),
    pub stride: (usize, usize),
}

fn window(op: &'static str, n: usize, c: usize, h: usize, w: usize, a: &WindowArgs) -> Result<Window> {
    let g = Window {
        n,
        c,
        h,
        w,
        kh: a.kernel.0,
        kw: a.kernel.1,
        sh: a.stride.0,
        sw: a.stride.1,
        ph: a.padding.0,
        pw: a.padding.1,
        dh: a.dilation.0,
        dw: a.dilation.1,
    };
    if g.kh == 0 || g.kw == 0 || g.sh == 0 || g.sw == 0 || g.dh == 0 || g.dw == 0 {
        return Err(Error::arg(op, "kernel size, stride and dilation must be greater than zero"));
    }
    let eff_h = g.dh * (g.kh - 1) + 1;
    let eff_w = g.dw * (g.kw - 1) + 1;
    if h + 2 * g.ph < eff_h || w + 2 * g.pw < eff_w {
        return Err(Error::shape(
            op,
            format!("Calculated padded input size per channel: ({} x {}). Kernel size: ({eff_h} x {eff_w}). Kernel size can't be greater than actual input size", h + 2 * g.ph, w + 2 * g.pw),
        ));
    }
    Ok(g)
}

impl Tensor {
    /// `[N, C, H, W]` -> `[N, C*kh*kw, oh*ow]`; positions outside the image read `pad`.
    pub fn im2col(&self, a: &WindowArgs, pad: f64) -> Result<Tensor> {
        if self.ndim() != 4 {
            return Err(Error::shape(
                "unfold",
                format!("Expected 4D input (batch mode) tensor, but got input of shape {:?}", self.shape()),
            ));
        }
        let s = self.shape();
        let g = window("unfold", s[0], s[1], s[2], s[3], a)?;
        let x = self.contiguous();
        let out = x.storage().read().im2col(x.storage_offset(), &g, pad)?;
        let shape = [g.n, g.c * g.kh * g.kw, g.out_h() * g.out_w()];
        Ok(Tensor::from_storage(out, &shape).record(&[&x], || Op::Unfold { win: g }))
    }

    /// `[N, C*kh*kw, L]` -> `[N, C, H, W]`, summing overlapping windows.
    pub fn col2im(&self, output: (usize, usize), a: &WindowArgs) -> Result<Tensor> {
        if self.ndim() != 3 {
            return Err(Error::shape("fold", format!("Expected 3D input (batch mode) tensor, but got input of shape {:?}", self.shape())));
        }
        let s = self.shape();
        let kk = a.kernel.0 * a.kernel.1;
        if kk == 0 || !s[1].is_multiple_of(kk) {
            return Err(Error::shape("fold", format!("Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got input.size(1)={} and kernel_size={:?}", s[1], a.kernel)));
        }
        let g = window("fold", s[0], s[1] / kk, output.0, output.1, a)?;
        if g.out_h() * g.out_w() != s[2] {
            return Err(Error::shape("fold", format!("Given output_size={output:?}, kernel_size={:?}, expected size of input's dimension 2 to match the calculated number of sliding blocks {}, but got input.size(2)={}", a.kernel, g.out_h() * g.out_w(), s[2])));
        }
        let x = self.contiguous();
        let out = x.storage().read().col2im(x.storage_offset(), &g)?;
        Ok(Tensor::from_storage(out, &[g.n, g.c, g.h, g.w]).record(&[&x], || Op::Fold { win: g }))
    }

    /// 2-D max pooling to an `[oh, ow]` output; the gradient goes to the first maximum of
    /// each window (PyTorch's rule).
    pub fn max_pool2d(&self, a: &WindowArgs, oh: usize, ow: usize) -> Result<Tensor> {
        if self.ndim() != 4 {
            return Err(Error::shape("max_pool2d", format!("Expected 4D input, but got input of shape {:?}", self.shape())));
        }
        let s = self.shape();
        let g = window("max_pool2d", s[0], s[1], s[2], s[3], a)?;
        let x = self.contiguous();
        let (v, i) = x.storage().read().max_pool2d(x.storage_offset(), &g, oh, ow)?;
        let shape = [g.n, g.c, oh, ow];
        let idx = Tensor::from_storage(i, &shape);
        Ok(Tensor::from_storage(v, &shape).record(&[&x], || Op::MaxPool { indices: idx, in_shape: x.shape().to_vec() }))
    }

    /// Backward helpers: the same windows in the other direction.
    pub(crate) fn im2col_win(&self, g: &Window) -> Result<Tensor> {
        let a = WindowArgs { kernel: (g.kh, g.kw), dilation: (g.dh, g.dw), padding: (g.ph, g.pw), stride: (g.sh, g.sw) };
        self.im2col(&a, 0.0)
    }

    pub(crate) fn col2im_win(&self, g: &Window) -> Result<Tensor> {
        let a = WindowArgs { kernel: (g.kh, g.kw), dilation: (g.dh, g.dw), padding: (g.ph, g.pw), stride: (g.sh, g.sw) };
        self.col2im((g.h, g.w), &a)
    }
}

//! Shape, strides (in elements) and offset: how a view reads its storage.
use crate::error::{Error, Result};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub shape: Vec<usize>,
    pub strides: Vec<usize>,
    pub offset: usize,
}

/// Row-major strides for a shape.
pub fn contiguous_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![0; shape.len()];
    let mut acc = 1usize;
    for i in (0..shape.len()).rev() {
        strides[i] = acc;
        acc *= shape[i].max(1);
    }
    strides
}

/// Maps a possibly negative dim into `[0, ndim)`; a 0-dim tensor accepts -1 and 0.
pub fn normalize_dim(op: &'static str, dim: i64, ndim: usize) -> Result<usize> {
    let n = ndim.max(1) as i64;
    if dim < -n || dim >= n {
        return Err(Error::DimOutOfRange { op, dim, lo: -n, hi: n - 1 });
    }
    Ok(if dim < 0 { (dim + n) as usize } else { dim as usize })
}

/// numpy/PyTorch broadcasting of two shapes.
pub fn broadcast_shapes(op: &'static str, a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let da = if i + a.len() >= n { a[i + a.len() - n] } else { 1 };
        let db = if i + b.len() >= n { b[i + b.len() - n] } else { 1 };
        out[i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return Err(Error::shape(
                op,
                format!("The size of tensor a ({da}) must match the size of tensor b ({db}) at non-singleton dimension {i}"),
            ));
        };
    }
    Ok(out)
}

impl Layout {
    pub fn contiguous(shape: &[usize]) -> Layout {
        Layout { shape: shape.to_vec(), strides: contiguous_strides(shape), offset: 0 }
    }

    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }

    /// Row-major contiguous (dims of size 1 may have any stride, as in PyTorch).
    pub fn is_contiguous(&self) -> bool {
        let mut expected = 1usize;
        for i in (0..self.shape.len()).rev() {
            if self.shape[i] != 1 {
                if self.strides[i] != expected {
                    return false;
                }
                expected *= self.shape[i];
            }
        }
        true
    }

    /// The storage range `[offset, offset+numel)` when the view is contiguous.
    pub fn contiguous_range(&self) -> Option<std::ops::Range<usize>> {
        // An empty view touches nothing, wherever its offset points.
        if self.shape.contains(&0) {
            return Some(0..0);
        }
        if self.is_contiguous() {
            Some(self.offset..self.offset + self.numel())
        } else {
            None
        }
    }

    /// One past the largest storage index this view can touch (0 when empty).
    pub fn storage_extent(&self) -> usize {
        if self.shape.contains(&0) {
            return 0;
        }
        self.offset + self.shape.iter().zip(&self.strides).map(|(&d, &s)| (d - 1) * s).sum::<usize>() + 1
    }

    pub fn permute(&self, dims: &[usize]) -> Layout {
        Layout {
            shape: dims.iter().map(|&d| self.shape[d]).collect(),
            strides: dims.iter().map(|&d| self.strides[d]).collect(),
            offset: self.offset,
        }
    }

    pub fn transpose(&self, d0: usize, d1: usize) -> Layout {
        let mut l = self.clone();
        l.shape.swap(d0, d1);
        l.strides.swap(d0, d1);
        l
    }

    /// Elements `start, start+step, ...` below `stop` of one dim (bounds already clamped).
    pub fn slice(&self, dim: usize, start: usize, stop: usize, step: usize) -> Layout {
        let mut l = self.clone();
        let len = if stop > start { (stop - start).div_ceil(step) } else { 0 };
        if len > 0 {
            l.offset += start * self.strides[dim];
        }
        l.shape[dim] = len;
        l.strides[dim] = self.strides[dim] * step;
        l
    }

    pub fn select(&self, dim: usize, index: usize) -> Layout {
        let mut l = self.clone();
        l.offset += index * self.strides[dim];
        l.shape.remove(dim);
        l.strides.remove(dim);
        l
    }

    pub fn unsqueeze(&self, dim: usize) -> Layout {
        let mut l = self.clone();
        let stride = if dim < self.shape.len() { self.strides[dim] * self.shape[dim] } else { 1 };
        l.shape.insert(dim, 1);
        l.strides.insert(dim, stride);
        l
    }

    pub fn squeeze_dim(&self, dim: usize) -> Layout {
        let mut l = self.clone();
        if l.shape[dim] == 1 {
            l.shape.remove(dim);
            l.strides.remove(dim);
        }
        l
    }

    /// `expand`: size-1 dims (and new leading dims) get stride 0.
    pub fn broadcast_to(&self, op: &'static str, shape: &[usize]) -> Result<Layout> {
        if shape.len() < self.shape.len() {
            return Err(Error::shape(
                op,
                format!(
                    "the number of sizes provided ({}) must be greater or equal to the number of dimensions in the tensor ({})",
                    shape.len(),
                    self.shape.len()
                ),
            ));
        }
        let lead = shape.len() - self.shape.len();
        let mut strides = vec![0; shape.len()];
        for i in 0..shape.len() {
            if i < lead {
                continue;
            }
            let (s, st) = (self.shape[i - lead], self.strides[i - lead]);
            if s == shape[i] {
                strides[i] = st;
            } else if s == 1 {
                strides[i] = 0;
            } else {
                return Err(Error::shape(
                    op,
                    format!("The expanded size of the tensor ({}) must match the existing size ({}) at non-singleton dimension {}.  Target sizes: {:?}.  Tensor sizes: {:?}", shape[i], s, i, shape, self.shape),
                ));
            }
        }
        Ok(Layout { shape: shape.to_vec(), strides, offset: self.offset })
    }

    /// A view with a new shape over the same elements, if the strides allow it
    /// (PyTorch's `computeStride`); `None` means a copy is needed.
    pub fn view(&self, new_shape: &[usize]) -> Option<Layout> {
        let numel = self.numel();
        if numel == 0 || self.shape.is_empty() || new_shape.is_empty() {
            return Some(Layout { shape: new_shape.to_vec(), strides: contiguous_strides(new_shape), offset: self.offset });
        }
        let mut new_strides = vec![0usize; new_shape.len()];
        let mut view_d = new_shape.len() as isize - 1;
        let mut chunk_base_stride = *self.strides.last().unwrap();
        let mut tensor_numel = 1usize;
        let mut view_numel = 1usize;
        for tensor_d in (0..self.shape.len()).rev() {
            tensor_numel *= self.shape[tensor_d];
            if tensor_d == 0 || (self.shape[tensor_d - 1] != 1 && self.strides[tensor_d - 1] != tensor_numel * chunk_base_stride) {
                while view_d >= 0 && (view_numel < tensor_numel || new_shape[view_d as usize] == 1) {
                    new_strides[view_d as usize] = view_numel * chunk_base_stride;
                    view_numel *= new_shape[view_d as usize];
                    view_d -= 1;
                }
                if view_numel != tensor_numel {
                    return None;
                }
                if tensor_d > 0 {
                    chunk_base_stride = self.strides[tensor_d - 1];
                    tensor_numel = 1;
                    view_numel = 1;
                }
            }
        }
        if view_d != -1 {
            return None;
        }
        Some(Layout { shape: new_shape.to_vec(), strides: new_strides, offset: self.offset })
    }

    /// Storage offsets of the elements in row-major logical order.
    pub fn offsets(&self) -> StridedIter {
        StridedIter::new(self)
    }
}

/// Calls `f` with the storage offsets of N operands that share `shape`, in row-major
/// order; the innermost dim runs as a tight loop.
#[inline]
pub fn for_each_offsets<const N: usize>(shape: &[usize], strides: [&[usize]; N], base: [usize; N], mut f: impl FnMut([usize; N])) {
    let nd = shape.len();
    if shape.contains(&0) {
        return;
    }
    if nd == 0 {
        f(base);
        return;
    }
    let inner = shape[nd - 1];
    let mut inner_st = [0usize; N];
    for k in 0..N {
        inner_st[k] = strides[k][nd - 1];
    }
    let mut idx = vec![0usize; nd];
    let mut offs = base;
    loop {
        let mut o = offs;
        for _ in 0..inner {
            f(o);
            for k in 0..N {
                o[k] += inner_st[k];
            }
        }
        // Advance the outer counter.
        let mut d = nd - 1;
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            idx[d] += 1;
            for k in 0..N {
                offs[k] += strides[k][d];
            }
            if idx[d] < shape[d] {
                break;
            }
            for k in 0..N {
                offs[k] -= strides[k][d] * shape[d];
            }
            idx[d] = 0;
        }
    }
}

/// Iterator over a layout's storage offsets (row-major logical order).
pub struct StridedIter {
    shape: Vec<usize>,
    strides: Vec<usize>,
    idx: Vec<usize>,
    next: Option<usize>,
}

impl StridedIter {
    fn new(l: &Layout) -> StridedIter {
        let empty = l.shape.contains(&0);
        StridedIter {
            shape: l.shape.clone(),
            strides: l.strides.clone(),
            idx: vec![0; l.shape.len()],
            next: if empty { None } else { Some(l.offset) },
        }
    }
}

impl Iterator for StridedIter {
    type Item = usize;
    #[inline]
    fn next(&mut self) -> Option<usize> {
        let cur = self.next?;
        let mut off = cur;
        let mut d = self.shape.len();
        loop {
            if d == 0 {
                self.next = None;
                break;
            }
            d -= 1;
            self.idx[d] += 1;
            off += self.strides[d];
            if self.idx[d] < self.shape[d] {
                self.next = Some(off);
                break;
            }
            off -= self.strides[d] * self.shape[d];
            self.idx[d] = 0;
        }
        Some(cur)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_of_transposed_needs_copy() {
        let l = Layout::contiguous(&[2, 3]).transpose(0, 1);
        assert!(l.view(&[6]).is_none());
        assert!(l.view(&[3, 2]).is_some());
        let c = Layout::contiguous(&[2, 3, 4]);
        let v = c.view(&[6, 4]).unwrap();
        assert_eq!(v.strides, vec![4, 1]);
    }

    #[test]
    fn offsets_follow_strides() {
        let l = Layout::contiguous(&[2, 3]).transpose(0, 1);
        let o: Vec<usize> = l.offsets().collect();
        assert_eq!(o, vec![0, 3, 1, 4, 2, 5]);
        let mut got = vec![];
        for_each_offsets(&l.shape, [&l.strides], [0], |[a]| got.push(a));
        assert_eq!(got, o);
    }

    #[test]
    fn broadcast_rules() {
        assert_eq!(broadcast_shapes("add", &[3, 1], &[4]).unwrap(), vec![3, 4]);
        assert!(broadcast_shapes("add", &[3], &[4]).is_err());
    }
}

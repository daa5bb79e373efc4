//! Device storage: one buffer from the caching allocator, its dtype and length, and the
//! copies to and from the host.
use crate::alloc::Block;
use crate::device::{dev, err, Dev};
use cudarc::driver::DeviceRepr;
use ferrotorch_core::{DType, Error, Layout, Result};
use ferrotorch_cpu::CpuStorage;
use std::sync::Arc;

pub struct CudaStorage {
    block: Option<Block>,
    len: usize,
    dtype: DType,
    pub(crate) dev: Arc<Dev>,
}

impl std::fmt::Debug for CudaStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CudaStorage({} x {} on cuda:{})", self.len, self.dtype, self.dev.ordinal)
    }
}

impl Drop for CudaStorage {
    fn drop(&mut self) {
        if let Some(b) = self.block.take() {
            self.dev.alloc.lock().put(b);
        }
    }
}

/// Kernel argument: a strided view (prelude.cuh's `Strided`), dims coalesced.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Strided {
    ndim: i64,
    shape: [i64; MAXD],
    stride: [i64; MAXD],
    offset: i64,
}
const MAXD: usize = 10;
// SAFETY: plain old data with the C layout the kernels declare.
unsafe impl DeviceRepr for Strided {}

impl Strided {
    /// The view's dims with size-1 dims dropped and mergeable neighbours merged, so the
    /// kernels' index arithmetic is short (a contiguous view becomes one dim of stride 1).
    pub fn of(op: &str, l: &Layout) -> Result<Strided> {
        let mut dims: Vec<(usize, usize)> = Vec::new();
        for (&n, &s) in l.shape.iter().zip(&l.strides) {
            if n == 1 {
                continue;
            }
            match dims.last_mut() {
                Some(last) if last.1 == n * s => *last = (last.0 * n, s),
                _ => dims.push((n, s)),
            }
        }
        if dims.len() > MAXD {
            return Err(Error::Unsupported(format!(
                "{op}: CUDA kernels take views of at most {MAXD} non-mergeable dims, got {:?}",
                l.shape
            )));
        }
        let mut s = Strided { ndim: dims.len() as i64, shape: [1; MAXD], stride: [0; MAXD], offset: l.offset as i64 };
        for (k, (n, st)) in dims.into_iter().enumerate() {
            s.shape[k] = n as i64;
            s.stride[k] = st as i64;
        }
        Ok(s)
    }
}

fn bytes_of_mut(s: &mut CpuStorage) -> &mut [u8] {
    ferrotorch_cpu::with_storage!(s, v, T => {
        // SAFETY: as in `bytes_of`; the caller writes only bit patterns valid for T (bool
        // storage is never written through this).
        unsafe { std::slice::from_raw_parts_mut(v.as_mut_ptr().cast::<u8>(), std::mem::size_of_val(v.as_slice())) }
    })
}

fn bytes_of(s: &CpuStorage) -> &[u8] {
    ferrotorch_cpu::with_storage!(s, v, T => {
        // SAFETY: every element type is plain data; the byte view covers exactly the Vec.
        unsafe { std::slice::from_raw_parts(v.as_ptr().cast::<u8>(), std::mem::size_of_val(v.as_slice())) }
    })
}

impl CudaStorage {
    /// Uninitialized storage for `len` elements (kernels write it before anything reads).
    pub(crate) fn alloc(dev: &Arc<Dev>, dtype: DType, len: usize) -> Result<CudaStorage> {
        dev.bind()?;
        let block =
            dev.alloc.lock().get(&dev.stream, len * dtype.size()).map_err(|e| {
                err("allocating", format!("{e:?} ({} bytes for {len} x {dtype} on cuda:{})", len * dtype.size(), dev.ordinal))
            })?;
        Ok(CudaStorage { block: Some(block), len, dtype, dev: dev.clone() })
    }

    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    pub fn dtype(&self) -> DType {
        self.dtype
    }
    pub fn nbytes(&self) -> usize {
        self.len * self.dtype.size()
    }
    pub fn ordinal(&self) -> usize {
        self.dev.ordinal
    }
    /// The device address of element 0 (kernels take raw addresses).
    pub(crate) fn ptr(&self) -> u64 {
        self.block.as_ref().map(|b| b.ptr).unwrap_or(0)
    }
    /// The device address of element `i`.
    pub(crate) fn ptr_at(&self, i: usize) -> u64 {
        self.ptr() + (i * self.dtype.size()) as u64
    }

    /// Copies contiguous host data to device `i`.
    pub fn from_cpu(i: usize, s: &CpuStorage) -> Result<CudaStorage> {
        let d = dev(i)?;
        let mut out = CudaStorage::alloc(&d, s.dtype(), s.len())?;
        let bytes = bytes_of(s);
        if !bytes.is_empty() {
            let b = out.block.as_mut().expect("live storage");
            // Pageable host memory: the driver stages it before returning, so the host
            // buffer may go right after.
            d.stream.memcpy_htod(bytes, &mut b.slice).map_err(|e| err("copying to the device", e))?;
        }
        Ok(out)
    }

    /// The elements, contiguous on the host (waits for the stream).
    pub fn to_cpu(&self) -> Result<CpuStorage> {
        self.dev.bind()?;
        // Straight into the typed host buffer; bool comes through u8 so that only 0/1
        // ever become Rust bools.
        let wire = if self.dtype == DType::Bool { DType::U8 } else { self.dtype };
        let mut host = CpuStorage::full(wire, self.len, 0.0);
        let nbytes = self.nbytes();
        if nbytes > 0 {
            let b = self.block.as_ref().expect("live storage");
            let view = b.slice.slice(0..nbytes);
            self.dev.stream.memcpy_dtoh(&view, bytes_of_mut(&mut host)).map_err(|e| err("copying to the host", e))?;
            self.dev.synchronize()?;
        }
        Ok(match host {
            CpuStorage::U8(v) if self.dtype == DType::Bool => CpuStorage::Bool(v.into_iter().map(|x| x != 0).collect()),
            h => h,
        })
    }

    /// `n` copies of `value` on device `i`.
    pub fn full(i: usize, dtype: DType, n: usize, value: f64) -> Result<CudaStorage> {
        let d = dev(i)?;
        let mut s = CudaStorage::alloc(&d, dtype, n)?;
        s.fill(&Layout::contiguous(&[n]), value)?;
        Ok(s)
    }

    /// Device `i`'s copy of this storage (through the host between two GPUs).
    pub fn to_device(&self, i: usize) -> Result<CudaStorage> {
        CudaStorage::from_cpu(i, &self.to_cpu()?)
    }
}

/// Checks that two storages live on one device (the tensor layer checks first; this is
/// the backstop with PyTorch's words).
pub(crate) fn same_device(op: &'static str, a: &CudaStorage, b: &CudaStorage) -> Result<()> {
    if a.dev.ordinal != b.dev.ordinal {
        return Err(Error::Device { op, a: format!("cuda:{}", a.dev.ordinal), b: format!("cuda:{}", b.dev.ordinal) });
    }
    Ok(())
}

//! A per-thread cache of large freed buffers, reused by the next op that needs the same
//! dtype and length (as PyTorch's caching allocators do). A training step repeats the
//! same shapes, so its outputs land in memory that is already mapped and warm instead
//! of fresh pages from the OS.
use crate::elem::Elem;
use crate::storage::CpuStorage;
use ferrotorch_core::DType;
use std::cell::RefCell;
use std::collections::HashMap;

/// Buffers below this many bytes come from malloc directly (it is fast for them).
const MIN_BYTES: usize = 64 << 10;
/// At most this many bytes stay cached per thread.
const MAX_BYTES: usize = 512 << 20;
/// At most this many buffers per (dtype, length).
const MAX_PER_KEY: usize = 16;

#[derive(Default)]
struct Pool {
    free: HashMap<(DType, usize), Vec<CpuStorage>>,
    bytes: usize,
}

thread_local! {
    static POOL: RefCell<Pool> = RefCell::new(Pool::default());
    /// Bytes handed out from the cache and not yet claimed by a new storage: memory the
    /// process already holds, so it is not news to the GC.
    static REUSED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Takes up to `n` bytes of the reused-buffer credit (see `REUSED`).
pub fn claim_reused(n: usize) -> usize {
    REUSED
        .try_with(|c| {
            let k = c.get().min(n);
            c.set(c.get() - k);
            k
        })
        .unwrap_or(0)
}

/// An empty Vec with room for `n` elements, reused from the cache when possible.
pub fn take<T: Elem>(n: usize) -> Vec<T> {
    let bytes = n * T::DTYPE.size();
    if bytes >= MIN_BYTES {
        let hit = POOL.try_with(|p| {
            let mut p = p.borrow_mut();
            let s = p.free.get_mut(&(T::DTYPE, n)).and_then(|v| v.pop());
            if s.is_some() {
                p.bytes -= bytes;
            }
            s
        });
        if let Ok(Some(s)) = hit {
            let _ = REUSED.try_with(|c| c.set(c.get() + bytes));
            let mut v = T::into_vec(s);
            v.clear();
            return v;
        }
    }
    Vec::with_capacity(n)
}

/// `n` copies of `value`, in a cached buffer when one fits. Every element is written
/// before anything reads it, so fresh pages fault in once as plain writes (a zeroed
/// `vec!` that is read first maps the shared zero page and then pays a copy-on-write
/// fault and a TLB shootdown across threads on the first write).
pub fn filled<T: Elem>(n: usize, value: T) -> Vec<T> {
    let mut v = take::<T>(n);
    v.resize(n, value);
    v
}

/// Gives a buffer back for reuse; false when it was freed instead (cache full or small).
pub fn recycle(s: CpuStorage) -> bool {
    let (d, n) = (s.dtype(), s.len());
    let bytes = s.nbytes();
    if bytes < MIN_BYTES {
        return false;
    }
    POOL.try_with(|p| {
        let mut p = p.borrow_mut();
        if p.bytes + bytes > MAX_BYTES {
            return false;
        }
        let e = p.free.entry((d, n)).or_default();
        if e.len() < MAX_PER_KEY {
            e.push(s);
            p.bytes += bytes;
            true
        } else {
            false
        }
    })
    .unwrap_or(false)
}

/// Drops every cached buffer on this thread (`emptyCache`).
pub fn clear() {
    let _ = POOL.try_with(|p| {
        let mut p = p.borrow_mut();
        p.free.clear();
        p.bytes = 0;
    });
}

//! The handle table, error mapping and native-memory reporting.
use ferrotorch_tensor::{pending_external_delta, take_external_delta, Error, ErrorKind, Tensor};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::cell::RefCell;
use std::ffi::CString;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// A handle: slot index in the low 32 bits, the slot's generation above (an f64 holds
/// 53 bits exactly). A stale handle, such as the GC finalizer of a tensor that
/// `dispose()` already freed, finds another generation and is ignored, so JS never has
/// to unregister from its FinalizationRegistry (which costs more than the op itself).
pub type H = f64;

struct Slot {
    gen: u32,
    t: Option<Tensor>,
}

#[derive(Default)]
struct Table {
    slots: Vec<Slot>,
    free: Vec<u32>,
    live: usize,
}

thread_local! {
    /// One table per JS thread (main thread or worker): handles never cross threads.
    static TABLE: RefCell<Table> = RefCell::new(Table::default());
}

/// Report native memory to V8 once the unreported amount passes this.
const FLUSH_BYTES: i64 = 1 << 20;

static QUIET_PANICS: std::sync::Once = std::sync::Once::new();

fn flush(env: &Env) {
    let p = pending_external_delta();
    if p.abs() >= FLUSH_BYTES {
        let _ = env.adjust_external_memory(take_external_delta());
    }
}

fn split(h: H) -> (usize, u32) {
    let v = h as u64;
    ((v & 0xffff_ffff) as usize, (v >> 32) as u32)
}

/// The tensor behind a handle.
pub fn tensor(h: H) -> std::result::Result<Tensor, Error> {
    let (i, g) = split(h);
    TABLE.with(|t| match t.borrow().slots.get(i) {
        Some(Slot { gen, t: Some(x) }) if *gen == g => Ok(x.clone()),
        _ => Err(Error::Disposed),
    })
}

/// Stores a tensor and returns its handle.
pub fn put(env: &Env, x: Tensor) -> H {
    let h = TABLE.with(|tb| {
        let mut tb = tb.borrow_mut();
        tb.live += 1;
        match tb.free.pop() {
            Some(i) => {
                let s = &mut tb.slots[i as usize];
                s.t = Some(x);
                (s.gen as u64 * (1u64 << 32) + i as u64) as f64
            }
            None => {
                let i = tb.slots.len();
                tb.slots.push(Slot { gen: 0, t: Some(x) });
                i as f64
            }
        }
    });
    flush(env);
    h
}

fn throw(env: &Env, kind: ErrorKind, msg: &str) -> napi::Error {
    let c = CString::new(msg.replace('\0', " ")).unwrap_or_default();
    unsafe {
        let e = env.raw();
        match kind {
            ErrorKind::TypeError => napi::sys::napi_throw_type_error(e, std::ptr::null(), c.as_ptr()),
            ErrorKind::RangeError => napi::sys::napi_throw_range_error(e, std::ptr::null(), c.as_ptr()),
            ErrorKind::Error => napi::sys::napi_throw_error(e, std::ptr::null(), c.as_ptr()),
        };
    }
    napi::Error::new(Status::PendingException, msg.to_string())
}

/// Runs an entry point: errors become JS errors of the right class, panics become
/// plain Errors instead of aborting the process.
pub fn guard<T>(env: &Env, f: impl FnOnce() -> std::result::Result<T, Error>) -> napi::Result<T> {
    // The panic message travels in the thrown error; keep stderr quiet.
    QUIET_PANICS.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(throw(env, e.kind(), &e.to_string())),
        Err(p) => {
            let m = p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default();
            Err(throw(env, ErrorKind::Error, &format!("ferrotorch internal error (caught panic): {m}")))
        }
    }
}

/// Like `guard` for ops that return a new tensor.
pub fn op(env: &Env, f: impl FnOnce() -> std::result::Result<Tensor, Error>) -> napi::Result<H> {
    let t = guard(env, f)?;
    Ok(put(env, t))
}

/// Frees a handle (the GC's finalizer and `dispose()` both land here; the second of
/// the two finds a newer generation and does nothing).
#[napi]
pub fn release(env: Env, h: H) {
    drop(take(h));
    flush(&env);
}

/// `release` from a GC finalizer: the same bookkeeping, and the memory report goes
/// through the basic-env call that Node allows during GC.
pub fn release_in_gc(env: napi::sys::napi_env, h: H) {
    let t = take(h);
    drop(t);
    let p = pending_external_delta();
    if p.abs() >= FLUSH_BYTES {
        let mut out = 0i64;
        unsafe { napi::sys::napi_adjust_external_memory(env, take_external_delta(), &mut out) };
    }
}

/// Removes a live handle's tensor from the table (None for a stale handle).
fn take(h: H) -> Option<Tensor> {
    let (i, g) = split(h);
    TABLE.with(|tb| {
        let mut tb = tb.borrow_mut();
        let hit = matches!(tb.slots.get(i), Some(Slot { gen, t: Some(_) }) if *gen == g);
        if !hit {
            return None;
        }
        let s = &mut tb.slots[i];
        s.gen = s.gen.wrapping_add(1) & 0x1f_ffff;
        let t = s.t.take();
        tb.free.push(i as u32);
        tb.live -= 1;
        t
    })
}

/// Number of live handles on this thread (for leak tests).
#[napi]
pub fn live_handles() -> u32 {
    TABLE.with(|t| t.borrow().live as u32)
}

/// Reports all pending native-memory changes to V8 now.
#[napi]
pub fn flush_memory(env: Env) {
    let _ = env.adjust_external_memory(take_external_delta());
}

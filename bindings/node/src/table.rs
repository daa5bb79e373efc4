//! The handle table, error mapping and native-memory reporting.
use ferrotorch_tensor::{take_external_delta, pending_external_delta, Error, ErrorKind, Tensor};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use slab::Slab;
use std::cell::RefCell;
use std::ffi::CString;
use std::panic::{catch_unwind, AssertUnwindSafe};

thread_local! {
    /// One table per JS thread (main thread or worker): handles never cross threads.
    static TABLE: RefCell<Slab<Tensor>> = RefCell::new(Slab::with_capacity(1024));
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

/// The tensor behind a handle.
pub fn tensor(h: u32) -> std::result::Result<Tensor, Error> {
    TABLE.with(|t| t.borrow().get(h as usize).cloned().ok_or(Error::Disposed))
}

/// Stores a tensor and returns its handle.
pub fn put(env: &Env, t: Tensor) -> u32 {
    let h = TABLE.with(|tb| tb.borrow_mut().insert(t)) as u32;
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
pub fn op(env: &Env, f: impl FnOnce() -> std::result::Result<Tensor, Error>) -> napi::Result<u32> {
    let t = guard(env, f)?;
    Ok(put(env, t))
}

/// Frees a handle (the GC's finalizer and `dispose()` both land here).
#[napi]
pub fn release(env: Env, h: u32) {
    let t = TABLE.with(|tb| tb.borrow_mut().try_remove(h as usize));
    drop(t);
    flush(&env);
}

/// Number of live handles on this thread (for leak tests).
#[napi]
pub fn live_handles() -> u32 {
    TABLE.with(|t| t.borrow().len() as u32)
}

/// Reports all pending native-memory changes to V8 now.
#[napi]
pub fn flush_memory(env: Env) {
    let _ = env.adjust_external_memory(take_external_delta());
}

//! Raw napi callbacks for the ops every training step calls thousands of times.
//! napi-rs's generated argument handling costs ~75 ns per argument here (measured:
//! a one-number function 110-170 ns against 35 ns for none); these read their numbers
//! straight from `napi_get_cb_info`. They are registered under the same names as the
//! `#[napi]` versions would have, so the TypeScript layer does not know the difference.
use crate::ops::{binary_op, scalar, unary_op};
use crate::table::{op, release, tensor};
use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;
use std::ptr;

/// Reads up to N number arguments; a non-number throws a TypeError.
unsafe fn args<const N: usize>(env: sys::napi_env, info: sys::napi_callback_info, name: &str) -> Option<[f64; N]> {
    let mut argc = N;
    let mut argv = [ptr::null_mut(); N];
    sys::napi_get_cb_info(env, info, &mut argc, argv.as_mut_ptr(), ptr::null_mut(), ptr::null_mut());
    let mut out = [0.0f64; N];
    for i in 0..N {
        if i >= argc || sys::napi_get_value_double(env, argv[i], &mut out[i]) != sys::Status::napi_ok {
            let msg = std::ffi::CString::new(format!("{name}: argument {i} must be a number")).unwrap();
            sys::napi_throw_type_error(env, ptr::null(), msg.as_ptr());
            return None;
        }
    }
    Some(out)
}

unsafe fn number(env: sys::napi_env, r: napi::Result<f64>) -> sys::napi_value {
    match r {
        Ok(v) => {
            let mut out = ptr::null_mut();
            sys::napi_create_double(env, v, &mut out);
            out
        }
        // The error is already thrown (see `table::guard`).
        Err(_) => ptr::null_mut(),
    }
}

unsafe extern "C" fn binary_raw(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    let Some([a, b, code]) = args::<3>(env, info, "binary") else { return ptr::null_mut() };
    let e = Env::from_raw(env);
    number(env, op(&e, || tensor(a)?.binary(binary_op(code as u32)?, &tensor(b)?)))
}

unsafe extern "C" fn binary_scalar_raw(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    let Some([a, v, kind, code, reverse]) = args::<5>(env, info, "binaryScalar") else { return ptr::null_mut() };
    let e = Env::from_raw(env);
    number(env, op(&e, || tensor(a)?.binary_scalar(binary_op(code as u32)?, scalar(v, kind as u32), reverse != 0.0)))
}

unsafe extern "C" fn unary_raw(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    let Some([h, code, p1, p2, p3]) = args::<5>(env, info, "unary") else { return ptr::null_mut() };
    let e = Env::from_raw(env);
    number(env, op(&e, || tensor(h)?.unary(unary_op(code as u32, p1, p2, p3)?)))
}

unsafe extern "C" fn release_raw(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    let Some([h]) = args::<1>(env, info, "release") else { return ptr::null_mut() };
    release(Env::from_raw(env), h);
    ptr::null_mut()
}

/// Installs the raw callbacks over the generated ones.
#[napi(module_exports)]
pub fn install_fast_paths(exports: Object, env: Env) -> Result<()> {
    let fns: [(&str, sys::napi_callback); 6] = [
        ("track", Some(track_raw)),
        ("setCollector", Some(set_collector_raw)),
        ("binary", Some(binary_raw)),
        ("binaryScalar", Some(binary_scalar_raw)),
        ("unary", Some(unary_raw)),
        ("release", Some(release_raw)),
    ];
    for (name, cb) in fns {
        let mut f = ptr::null_mut();
        unsafe {
            let st = sys::napi_create_function(env.raw(), name.as_ptr().cast(), name.len() as isize, cb, ptr::null_mut(), &mut f);
            if st != sys::Status::napi_ok {
                return Err(Error::from_reason(format!("could not create {name}")));
            }
            sys::napi_set_named_property(env.raw(), exports.raw(), std::ffi::CString::new(name).unwrap().as_ptr(), f);
        }
    }
    Ok(())
}

/// Node-API finalizer for a tensor object: frees its handle. It runs inside V8's GC
/// (the module declares Node-API's experimental version, which makes finalizers
/// synchronous), so a synchronous loop frees its garbage as it goes instead of holding
/// it until the next task. It touches no JS: the table is plain Rust.
unsafe extern "C" fn finalize_tensor(env: sys::napi_env, data: *mut std::ffi::c_void, _hint: *mut std::ffi::c_void) {
    let h = f64::from_bits(data as u64);
    crate::table::release_in_gc(env, h);
}

/// `track(obj, h)`: ties the handle's lifetime to the JS object.
unsafe extern "C" fn track_raw(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    let mut argc = 2usize;
    let mut argv = [ptr::null_mut(); 2];
    sys::napi_get_cb_info(env, info, &mut argc, argv.as_mut_ptr(), ptr::null_mut(), ptr::null_mut());
    let mut h = 0.0f64;
    if argc < 2 || sys::napi_get_value_double(env, argv[1], &mut h) != sys::Status::napi_ok {
        let msg = c"track: expected (object, handle)";
        sys::napi_throw_type_error(env, ptr::null(), msg.as_ptr());
        return ptr::null_mut();
    }
    let data = h.to_bits() as usize as *mut std::ffi::c_void;
    sys::napi_add_finalizer(env, argv[0], data, Some(finalize_tensor), ptr::null_mut(), ptr::null_mut());
    // A safe point (no table borrow is live): collect the young generation when enough
    // fresh native memory has gone out since the last collection.
    if ferrotorch_tensor::fresh_bytes() >= SCAVENGE_BYTES {
        ferrotorch_tensor::take_fresh_bytes();
        collect_young(env);
    }
    ptr::null_mut()
}

/// Fresh native bytes between two young-generation collections. Tensors die young; a
/// scavenge (a fraction of a millisecond) runs their finalizers and returns their buffers
/// to the pool, where the next ops find them warm, instead of waiting for the major GC
/// that external-memory pressure would start (tens of milliseconds of marking competing
/// with the kernels' threads, and fresh pages for every op meanwhile).
const SCAVENGE_BYTES: usize = 16 << 20;

thread_local! {
    /// The JS `gc` function and its `{type: 'minor'}` argument, when the TS layer could
    /// obtain them (`setCollector`); per thread, as each worker has its own isolate.
    static COLLECTOR: std::cell::Cell<(sys::napi_ref, sys::napi_ref)> = const { std::cell::Cell::new((ptr::null_mut(), ptr::null_mut())) };
}

unsafe fn collect_young(env: sys::napi_env) {
    let (f, o) = COLLECTOR.with(|c| c.get());
    if f.is_null() {
        return;
    }
    let (mut fv, mut ov, mut undef, mut out) = (ptr::null_mut(), ptr::null_mut(), ptr::null_mut(), ptr::null_mut());
    sys::napi_get_reference_value(env, f, &mut fv);
    sys::napi_get_reference_value(env, o, &mut ov);
    sys::napi_get_undefined(env, &mut undef);
    if !fv.is_null() && !ov.is_null() {
        sys::napi_call_function(env, undef, fv, 1, &ov, &mut out);
    }
}

/// `setCollector(gc, {type: 'minor'})`: hands the binding V8's `gc` function.
unsafe extern "C" fn set_collector_raw(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    let mut argc = 2usize;
    let mut argv = [ptr::null_mut(); 2];
    sys::napi_get_cb_info(env, info, &mut argc, argv.as_mut_ptr(), ptr::null_mut(), ptr::null_mut());
    if argc == 2 {
        let (mut f, mut o) = (ptr::null_mut(), ptr::null_mut());
        sys::napi_create_reference(env, argv[0], 1, &mut f);
        sys::napi_create_reference(env, argv[1], 1, &mut o);
        COLLECTOR.with(|c| c.set((f, o)));
    }
    ptr::null_mut()
}

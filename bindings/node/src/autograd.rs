//! Autograd entry points: flags, `.grad`, backward and `autograd.grad`, hooks and custom
//! functions. Hooks and custom backwards are JS functions: the engine reaches them
//! through one JS dispatcher passed with each backward call.
use crate::table::{guard, op, put, tensor, H};
use ferrotorch_tensor::autograd::{self, BackwardOptions, Callbacks};
use ferrotorch_tensor::{Error, Tensor};
use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;
use std::ptr;

type R<T> = std::result::Result<T, Error>;

#[napi]
pub fn requires_grad(env: Env, h: H) -> Result<bool> {
    guard(&env, || Ok(tensor(h)?.requires_grad()))
}

#[napi]
pub fn set_requires_grad(env: Env, h: H, on: bool) -> Result<()> {
    guard(&env, || tensor(h)?.set_requires_grad(on))
}

#[napi]
pub fn is_leaf(env: Env, h: H) -> Result<bool> {
    guard(&env, || Ok(tensor(h)?.is_leaf()))
}

#[napi]
pub fn grad_fn_name(env: Env, h: H) -> Result<Option<String>> {
    guard(&env, || Ok(tensor(h)?.grad_fn().map(|n| n.name.to_string())))
}

#[napi]
pub fn get_grad(env: Env, h: H) -> Result<Option<H>> {
    let g = guard(&env, || Ok(tensor(h)?.grad()))?;
    Ok(g.map(|g| put(&env, g)))
}

#[napi]
pub fn set_grad(env: Env, h: H, g: Option<H>) -> Result<()> {
    guard(&env, || tensor(h)?.set_grad(g.map(tensor).transpose()?))
}

#[napi]
pub fn retain_grad(env: Env, h: H) -> Result<()> {
    guard(&env, || tensor(h)?.retain_grad())
}

#[napi]
pub fn detach(env: Env, h: H) -> Result<H> {
    op(&env, || Ok(tensor(h)?.detach()))
}

#[napi(js_name = "detachInplace")]
pub fn detach_inplace(env: Env, h: H) -> Result<()> {
    guard(&env, || {
        tensor(h)?.detach_();
        Ok(())
    })
}

#[napi]
pub fn set_grad_enabled(on: bool) -> bool {
    autograd::set_grad_enabled(on)
}

#[napi]
pub fn is_grad_enabled() -> bool {
    autograd::is_grad_enabled()
}

#[napi]
pub fn register_hook(env: Env, h: H, id: f64) -> Result<()> {
    guard(&env, || tensor(h)?.register_hook(id as u64))
}

/// Gives `out` (computed by a custom function's forward without grad) a node whose
/// backward is JS function `id`; returns the new handle.
#[napi]
pub fn record_custom(env: Env, out: H, inputs: Vec<H>, id: f64, name: String) -> Result<H> {
    op(&env, || {
        let ins: Vec<Tensor> = inputs.iter().map(|&h| tensor(h)).collect::<R<_>>()?;
        let refs: Vec<&Tensor> = ins.iter().collect();
        let o = tensor(out)?.detach();
        Ok(o.record_custom(&refs, id as u64, crate::create::intern(&name)))
    })
}

/// Calls the JS dispatcher: `(kind, id, gradHandle, nInputs)`; kind 0 is a hook
/// (returns a handle or undefined), kind 1 a custom backward (returns an array of
/// handles or nulls).
struct JsCallbacks {
    env: sys::napi_env,
    f: sys::napi_value,
}

impl JsCallbacks {
    fn call(&mut self, kind: u32, id: u64, g: &Tensor, n: usize) -> R<sys::napi_value> {
        let e = Env::from_raw(self.env);
        let gh = put(&e, g.clone());
        unsafe {
            let mut args = [ptr::null_mut(); 4];
            sys::napi_create_double(self.env, kind as f64, &mut args[0]);
            sys::napi_create_double(self.env, id as f64, &mut args[1]);
            sys::napi_create_double(self.env, gh, &mut args[2]);
            sys::napi_create_double(self.env, n as f64, &mut args[3]);
            let mut global = ptr::null_mut();
            sys::napi_get_global(self.env, &mut global);
            let mut ret = ptr::null_mut();
            let st = sys::napi_call_function(self.env, global, self.f, 4, args.as_ptr(), &mut ret);
            if st != sys::Status::napi_ok {
                let mut exc = ptr::null_mut();
                sys::napi_get_and_clear_last_exception(self.env, &mut exc);
                let mut s = ptr::null_mut();
                sys::napi_coerce_to_string(self.env, exc, &mut s);
                let mut buf = vec![0u8; 1024];
                let mut len = 0usize;
                sys::napi_get_value_string_utf8(self.env, s, buf.as_mut_ptr().cast(), buf.len(), &mut len);
                return Err(Error::Backend(String::from_utf8_lossy(&buf[..len]).into_owned()));
            }
            Ok(ret)
        }
    }

    fn handle_of(&self, v: sys::napi_value) -> R<Option<Tensor>> {
        unsafe {
            let mut t = 0;
            sys::napi_typeof(self.env, v, &mut t);
            if t == sys::ValueType::napi_undefined || t == sys::ValueType::napi_null {
                return Ok(None);
            }
            let mut h = 0.0;
            if sys::napi_get_value_double(self.env, v, &mut h) != sys::Status::napi_ok {
                return Err(Error::Type("hook/backward must return a Tensor or nothing".into()));
            }
            Ok(Some(tensor(h)?))
        }
    }
}

impl Callbacks for JsCallbacks {
    fn hook(&mut self, id: u64, grad: &Tensor) -> R<Option<Tensor>> {
        let r = self.call(0, id, grad, 0)?;
        let t = self.handle_of(r)?;
        if let Some(t) = &t {
            if t.shape() != grad.shape() {
                return Err(Error::shape(
                    "hook",
                    format!("hook returned a gradient of shape {:?}, expected {:?}", t.shape(), grad.shape()),
                ));
            }
        }
        Ok(t)
    }

    fn custom_backward(&mut self, id: u64, grad: &Tensor, n: usize) -> R<Vec<Option<Tensor>>> {
        let r = self.call(1, id, grad, n)?;
        let mut out = Vec::with_capacity(n);
        unsafe {
            let mut is_arr = false;
            sys::napi_is_array(self.env, r, &mut is_arr);
            if !is_arr {
                return Err(Error::Type("autograd.Function backward must return one gradient per input".into()));
            }
            let mut len = 0u32;
            sys::napi_get_array_length(self.env, r, &mut len);
            for i in 0..n as u32 {
                if i >= len {
                    out.push(None);
                    continue;
                }
                let mut v = ptr::null_mut();
                sys::napi_get_element(self.env, r, i, &mut v);
                out.push(self.handle_of(v)?);
            }
        }
        Ok(out)
    }
}

fn run(
    env: &Env,
    roots: &[H],
    grads: &[H],
    inputs: Option<&[H]>,
    retain_graph: bool,
    create_graph: bool,
    dispatcher: Unknown,
) -> R<Vec<Option<Tensor>>> {
    let pairs: Vec<(Tensor, Tensor)> = roots.iter().zip(grads).map(|(&r, &g)| Ok((tensor(r)?, tensor(g)?))).collect::<R<_>>()?;
    let ins: Option<Vec<Tensor>> = inputs.map(|i| i.iter().map(|&h| tensor(h)).collect::<R<_>>()).transpose()?;
    let mut cb = JsCallbacks { env: env.raw(), f: dispatcher.raw() };
    autograd::run_backward(&pairs, ins.as_deref(), &BackwardOptions { retain_graph, create_graph }, &mut cb)
}

/// `backward` of several roots with their gradients (accumulates into `.grad`).
#[napi]
pub fn backward(env: Env, roots: Vec<H>, grads: Vec<H>, retain_graph: bool, create_graph: bool, dispatcher: Unknown) -> Result<()> {
    guard(&env, || run(&env, &roots, &grads, None, retain_graph, create_graph, dispatcher).map(|_| ()))
}

/// `autograd.grad`: the gradients of `inputs` (null where unused).
#[napi]
pub fn autograd_grad(
    env: Env,
    roots: Vec<H>,
    grads: Vec<H>,
    inputs: Vec<H>,
    retain_graph: bool,
    create_graph: bool,
    dispatcher: Unknown,
) -> Result<Vec<Option<H>>> {
    let r = guard(&env, || run(&env, &roots, &grads, Some(&inputs), retain_graph, create_graph, dispatcher))?;
    Ok(r.into_iter().map(|t| t.map(|t| put(&env, t))).collect())
}

#[napi]
pub fn set_anomaly_enabled(on: bool) -> bool {
    autograd::set_anomaly_enabled(on)
}

//! napi entry points for ferrotorch. Thin: look up handles, call the tensor crate,
//! hand back handles. Grouped by family like the ops.
mod autograd;
mod create;
mod cuda;
mod fast;
mod ops;
mod table;

pub use table::{guard, put, tensor};

/// Declares Node-API's experimental version (`NAPI_VERSION_EXPERIMENTAL`): Node then runs
/// pure finalizers synchronously inside GC, which is what lets tensors dropped in a
/// synchronous loop free their native memory without waiting for the event loop.
#[no_mangle]
pub extern "C" fn node_api_module_get_api_version_v1() -> i32 {
    i32::MAX
}

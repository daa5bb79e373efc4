//! Per-device state: the context, its one stream, cuBLAS, compiled kernels, the caching
//! allocator and the random-number state. Created on first use of a device.
use crate::alloc::Alloc;
use crate::source::{module_key, module_source, Family, NVRTC_OPTIONS};
use cudarc::cublas::CudaBlas;
use cudarc::driver::{CudaContext, CudaFunction, CudaModule, CudaStream, LaunchConfig};
use cudarc::nvrtc::Ptx;
use ferrotorch_core::{DType, Error, Result};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

pub struct Dev {
    pub ordinal: usize,
    pub ctx: Arc<CudaContext>,
    pub stream: Arc<CudaStream>,
    blas: Mutex<Option<Arc<CudaBlas>>>,
    modules: Mutex<HashMap<String, Arc<CudaModule>>>,
    funcs: Mutex<HashMap<(String, &'static str), CudaFunction>>,
    pub alloc: Mutex<Alloc>,
    /// (seed, offset) of the Philox stream.
    pub rng: Mutex<(u64, u64)>,
    /// Compute capability (major, minor).
    cc: (i32, i32),
}

impl std::fmt::Debug for Dev {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cuda:{}", self.ordinal)
    }
}

/// A driver, NVRTC or cuBLAS failure as a JS-facing error.
pub fn err(op: &str, e: impl std::fmt::Debug) -> Error {
    Error::Unsupported(format!("CUDA error in {op}: {e:?}"))
}

/// Compiles one module for `arch`: `sm_XX` gives a cubin for that GPU (loads on any driver
/// of the CUDA major version, however old its PTX JIT), `compute_XX` gives PTX that the
/// driver JIT-compiles (the fallback for GPUs newer than the NVRTC library).
pub fn compile(f: Family, a: DType, b: DType, arch: &str) -> Result<Ptx> {
    use cudarc::nvrtc::{result, sys};
    use std::ffi::CString;
    // SAFETY: probes for the NVRTC library without loading symbols from it.
    if !unsafe { sys::is_culib_present() } {
        return Err(Error::Unsupported("CUDA: could not load the NVRTC library (libnvrtc)".into()));
    }
    let what = format!("compiling the {} kernels for {a}/{b} ({arch})", f.name());
    let mut opts: Vec<String> = NVRTC_OPTIONS.iter().map(|s| s.to_string()).collect();
    opts.push(format!("--gpu-architecture={arch}"));
    if f == Family::Optim {
        // No fused multiply-adds: each step rounds as the CPU step does.
        opts.push("--fmad=false".into());
    }
    let src = CString::new(module_source(f, a, b)).expect("kernel sources hold no NUL");
    let prog = result::create_program(&src, None).map_err(|e| err(&what, e))?;
    // SAFETY: `prog` is live until destroy_program below; sizes come from NVRTC.
    let out = unsafe {
        match result::compile_program(prog, &opts) {
            Err(e) => {
                let log = result::get_program_log(prog).map(|l| l.iter().map(|&c| c as u8 as char).collect::<String>()).unwrap_or_default();
                Err(err(&what, format!("{e:?}: {}", log.trim_end_matches('\0'))))
            }
            Ok(()) if arch.starts_with("sm_") => {
                let mut n = 0usize;
                sys::nvrtcGetCUBINSize(prog, &mut n).result().map_err(|e| err(&what, e))?;
                let mut bin = vec![0u8; n];
                sys::nvrtcGetCUBIN(prog, bin.as_mut_ptr().cast()).result().map_err(|e| err(&what, e))?;
                Ok(Ptx::from_binary(bin))
            }
            Ok(()) => {
                let ptx = result::get_ptx(prog).map_err(|e| err(&what, e))?;
                let text: String = ptx.iter().take_while(|&&c| c != 0).map(|&c| c as u8 as char).collect();
                Ok(Ptx::from_src(text))
            }
        }
    };
    // SAFETY: created above, destroyed once.
    let _ = unsafe { result::destroy_program(prog) };
    out
}

/// Each device's state once created (or why it could not be).
type Slot = OnceLock<std::result::Result<Arc<Dev>, String>>;

fn devices() -> &'static Vec<Slot> {
    static DEVS: OnceLock<Vec<Slot>> = OnceLock::new();
    DEVS.get_or_init(|| (0..crate::device_count()).map(|_| OnceLock::new()).collect())
}

/// The state of device `i`, created on first use.
pub fn dev(i: usize) -> Result<Arc<Dev>> {
    crate::check_device(i)?;
    let slot = &devices()[i];
    slot.get_or_init(|| Dev::new(i).map(Arc::new).map_err(|e| e.to_string())).clone().map_err(Error::Unsupported)
}

/// Devices already in use (for synchronize / memory queries without creating contexts).
pub fn live(i: usize) -> Option<Arc<Dev>> {
    devices().get(i).and_then(|s| s.get()).and_then(|r| r.as_ref().ok()).cloned()
}

impl Dev {
    fn new(ordinal: usize) -> Result<Dev> {
        let ctx = CudaContext::new(ordinal).map_err(|e| err("creating the context", e))?;
        // One stream per device: work is ordered, so no cross-stream events are needed.
        unsafe { ctx.disable_event_tracking() };
        let (major, minor) = ctx.compute_capability().map_err(|e| err("querying the device", e))?;
        if major < 6 {
            return Err(Error::Unsupported(format!(
                "CUDA: cuda:{ordinal} has compute capability {major}.{minor}; ferrotorch's kernels need 6.0 or newer"
            )));
        }
        let stream = ctx.default_stream();
        Ok(Dev {
            ordinal,
            ctx,
            stream,
            blas: Mutex::new(None),
            modules: Mutex::new(HashMap::new()),
            funcs: Mutex::new(HashMap::new()),
            alloc: Mutex::new(Alloc::default()),
            rng: Mutex::new((crate::initial_seed(), 0)),
            cc: (major, minor),
        })
    }

    /// Makes this device's context current on the calling thread.
    pub fn bind(&self) -> Result<()> {
        self.ctx.bind_to_thread().map_err(|e| err("binding the context", e))
    }

    /// A kernel of a module, compiling and loading the module on first use.
    pub fn func(&self, f: Family, a: DType, b: DType, name: &'static str) -> Result<CudaFunction> {
        let key = module_key(f, a, b);
        if let Some(k) = self.funcs.lock().get(&(key.clone(), name)) {
            return Ok(k.clone());
        }
        let module = {
            let mut mods = self.modules.lock();
            match mods.get(&key) {
                Some(m) => m.clone(),
                None => {
                    let (ma, mi) = self.cc;
                    // A cubin for this GPU; PTX when this NVRTC does not know the GPU yet.
                    let ptx = compile(f, a, b, &format!("sm_{ma}{mi}")).or_else(|_| compile(f, a, b, &format!("compute_{ma}{mi}")))?;
                    self.bind()?;
                    let m = self.ctx.load_module(ptx).map_err(|e| err("loading kernels", e))?;
                    mods.insert(key.clone(), m.clone());
                    m
                }
            }
        };
        let k = module.load_function(name).map_err(|e| err(name, e))?;
        self.funcs.lock().insert((key, name), k.clone());
        Ok(k)
    }

    pub fn blas(&self) -> Result<Arc<CudaBlas>> {
        let mut b = self.blas.lock();
        if let Some(h) = &*b {
            return Ok(h.clone());
        }
        // SAFETY: probes for the cuBLAS library without loading symbols from it.
        if !unsafe { cudarc::cublas::sys::is_culib_present() } {
            return Err(Error::Unsupported("CUDA: could not load the cuBLAS library (libcublas), which matmul needs on the GPU".into()));
        }
        self.bind()?;
        let h = Arc::new(CudaBlas::new(self.stream.clone()).map_err(|e| err("creating the cuBLAS handle", e))?);
        *b = Some(h.clone());
        Ok(h)
    }

    pub fn synchronize(&self) -> Result<()> {
        self.stream.synchronize().map_err(|e| err("synchronize", e))
    }
}

/// A 1-D launch covering `n` elements with grid-stride loops.
pub fn grid(n: usize) -> LaunchConfig {
    const BLOCK: usize = 256;
    let blocks = n.div_ceil(BLOCK).clamp(1, 65_535 * 8);
    LaunchConfig { grid_dim: (blocks as u32, 1, 1), block_dim: (BLOCK as u32, 1, 1), shared_mem_bytes: 0 }
}

/// One block of 256 threads per output (the block reductions).
pub fn blocks(n: usize) -> LaunchConfig {
    LaunchConfig { grid_dim: (n.clamp(1, 65_535 * 8) as u32, 1, 1), block_dim: (256, 1, 1), shared_mem_bytes: 0 }
}

/// Launches kernel `$f` on `$d`'s stream with the named locals as arguments (locals, so
/// each argument outlives the launch call that reads it).
macro_rules! launch {
    ($d:expr, $f:expr, $cfg:expr, $name:expr; $($a:ident),* $(,)?) => {{
        use cudarc::driver::PushKernelArg;
        let f = $f;
        let mut b = $d.stream.launch_builder(&f);
        $( b.arg(&$a); )*
        // SAFETY: the argument list matches the kernel's signature in kernels/*.cu, and
        // every buffer the kernel touches is sized by the caller for the launch's extent.
        unsafe { b.launch($cfg) }.map(|_| ()).map_err(|e| $crate::device::err($name, e))
    }};
}
pub(crate) use launch;

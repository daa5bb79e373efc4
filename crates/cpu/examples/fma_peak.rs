//! The machine's AVX-512 FMA ceiling on one core (24 independent FMA chains, no memory
//! traffic): `cargo run --release -p ferrotorch-cpu --example fma_peak`. The sgemm
//! ratios in benches/RESULTS.md are read against it.
#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;
use std::time::Instant;
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn run(iters: usize) -> f32 {
    // 24 accumulators hide the FMA latency; each FMA is 16 lanes x 2 flops.
    let mut acc = [_mm512_set1_ps(0.0); 24];
    let a = _mm512_set1_ps(1.000001);
    let b = _mm512_set1_ps(0.999999);
    for _ in 0..iters {
        for r in acc.iter_mut() {
            *r = _mm512_fmadd_ps(a, *r, b);
        }
    }
    let mut s = _mm512_setzero_ps();
    for r in acc {
        s = _mm512_add_ps(s, r);
    }
    _mm512_reduce_add_ps(s)
}
#[cfg(target_arch = "x86_64")]
fn main() {
    if !is_x86_feature_detected!("avx512f") {
        println!("no AVX-512 on this CPU");
        return;
    }
    let iters = 20_000_000;
    let t0 = Instant::now();
    let x = unsafe { run(iters) };
    let t = t0.elapsed().as_secs_f64();
    println!("1 core: {:.1} GFLOP/s (checksum {x})", (iters * 24 * 32) as f64 / t / 1e9);
}

#[cfg(not(target_arch = "x86_64"))]
fn main() {
    println!("x86_64 only");
}

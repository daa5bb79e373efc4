//! f32 exp throughput of the kernel alone: `cargo run --release --example exp_speed`.
use ferrotorch_core::{Layout, UnaryOp};
use ferrotorch_cpu::unary::{expf_fast, unary};
use ferrotorch_cpu::CpuStorage;
use std::time::Instant;

fn main() {
    let n = 1_000_000;
    let v: Vec<f32> = (0..n).map(|i| ((i % 1000) as f32) / 100.0 - 5.0).collect();
    let s = CpuStorage::F32(v.clone());
    let l = Layout::contiguous(&[n]);
    let reps = 50;
    let t0 = Instant::now();
    for _ in 0..reps {
        std::hint::black_box(unary(UnaryOp::Exp, &s, &l));
    }
    println!("unary(Exp) 1M: {:.0} us", t0.elapsed().as_micros() as f64 / reps as f64);
    let mut out = vec![0f32; n];
    let t0 = Instant::now();
    for _ in 0..reps {
        for (o, &x) in out.iter_mut().zip(&v) {
            *o = expf_fast(x);
        }
        std::hint::black_box(&out);
    }
    println!("serial expf_fast loop 1M: {:.0} us", t0.elapsed().as_micros() as f64 / reps as f64);
    let t0 = Instant::now();
    for _ in 0..reps {
        for (o, &x) in out.iter_mut().zip(&v) {
            *o = x.exp();
        }
        std::hint::black_box(&out);
    }
    println!("serial libm exp loop 1M: {:.0} us", t0.elapsed().as_micros() as f64 / reps as f64);
}

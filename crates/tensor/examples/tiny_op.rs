//! Per-op cost of the tensor layer alone (no napi): `cargo run --release --example tiny_op`.
use ferrotorch_core::BinaryOp;
use ferrotorch_cpu::CpuStorage;
use ferrotorch_tensor::Tensor;
use std::time::Instant;

fn main() {
    let a = Tensor::from_cpu(CpuStorage::F32(vec![1.0, 2.0, 3.0, 4.0]), &[4]);
    let b = Tensor::from_cpu(CpuStorage::F32(vec![1.0, 2.0, 3.0, 4.0]), &[4]);
    let n = 2_000_000;
    for _ in 0..100_000 {
        std::hint::black_box(a.binary(BinaryOp::Add, &b).unwrap());
    }
    let t0 = Instant::now();
    for _ in 0..n {
        std::hint::black_box(a.binary(BinaryOp::Add, &b).unwrap());
    }
    println!("tensor add (4 elems): {:.0} ns", t0.elapsed().as_nanos() as f64 / n as f64);
}

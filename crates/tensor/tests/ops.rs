//! Hand-computed checks of the tensor crate, and fast paths against the plain strided
//! paths around the parallel grain size.
use ferrotorch_core::{BinaryOp, DType, Device, ReduceOp, UnaryOp};
use ferrotorch_cpu::CpuStorage;
use ferrotorch_tensor::{IndexItem, Scalar, Tensor};

fn f64s(t: &Tensor) -> Vec<f64> {
    match t.copy_as(DType::F64).to_cpu_storage().unwrap() {
        CpuStorage::F64(v) => v,
        _ => unreachable!(),
    }
}

fn seq(n: usize, shape: &[usize]) -> Tensor {
    let v: Vec<f64> = (0..n).map(|i| ((i * 37 % 101) as f64) / 7.0 - 5.0).collect();
    Tensor::from_cpu(CpuStorage::F64(v), shape)
}

#[test]
fn matmul_matches_naive_for_strided_and_batched_inputs() {
    let a = seq(2 * 5 * 7, &[2, 5, 7]);
    let b = seq(7 * 3, &[3, 7]).t().unwrap(); // non-contiguous [7, 3]
    let c = a.matmul(&b).unwrap();
    assert_eq!(c.shape(), &[2, 5, 3]);
    let (av, bv, cv) = (f64s(&a), f64s(&b), f64s(&c));
    for bi in 0..2 {
        for i in 0..5 {
            for j in 0..3 {
                let want: f64 = (0..7).map(|k| av[bi * 35 + i * 7 + k] * bv[k * 3 + j]).sum();
                assert!((cv[bi * 15 + i * 3 + j] - want).abs() < 1e-9);
            }
        }
    }
}

#[test]
fn fast_and_strided_elementwise_paths_agree_around_the_grain() {
    for n in [1usize, 7, 32767, 32768, 32769, 100_003] {
        let a = seq(n * 2, &[n, 2]);
        let contiguous = a.contiguous();
        let strided = a.t().unwrap().contiguous().t().unwrap(); // same values, column-major
        assert!(!strided.is_contiguous() || n == 1);
        let x = contiguous.binary(BinaryOp::Mul, &contiguous).unwrap().unary(UnaryOp::Exp).unwrap();
        let y = strided.binary(BinaryOp::Mul, &strided).unwrap().unary(UnaryOp::Exp).unwrap();
        assert_eq!(f64s(&x), f64s(&y), "n = {n}");
        let s1 = contiguous.reduce(ReduceOp::Sum, Some(&[0]), false).unwrap();
        let s2 = strided.reduce(ReduceOp::Sum, Some(&[0]), false).unwrap();
        for (p, q) in f64s(&s1).iter().zip(f64s(&s2)) {
            assert!((p - q).abs() <= 1e-9 * p.abs().max(1.0), "n = {n}");
        }
    }
}

#[test]
fn promotion_and_scalars() {
    let i = Tensor::from_cpu(CpuStorage::I64(vec![1, 2, 3]), &[3]);
    assert_eq!(i.binary_scalar(BinaryOp::Add, Scalar::Float(0.5), false).unwrap().dtype(), DType::F32);
    assert_eq!(i.binary_scalar(BinaryOp::Add, Scalar::Int(1), false).unwrap().dtype(), DType::I64);
    assert_eq!(i.binary(BinaryOp::Div, &i).unwrap().dtype(), DType::F32);
    assert_eq!(i.sum(None, false).unwrap().item_i64().unwrap(), 6);
    let big = Tensor::from_cpu(CpuStorage::I64(vec![i64::MAX - 1]), &[1]);
    assert_eq!(big.binary_scalar(BinaryOp::Add, Scalar::Int(1), false).unwrap().item_i64().unwrap(), i64::MAX);
}

#[test]
fn views_share_storage_and_in_place_writes_show_through() {
    let x = Tensor::zeros(&[2, 3], DType::F32, Device::Cpu).unwrap();
    let col = x.index(&[IndexItem::Slice(None, None, None), IndexItem::Int(1)]).unwrap();
    col.fill_(5.0).unwrap();
    assert_eq!(f64s(&x), vec![0.0, 5.0, 0.0, 0.0, 5.0, 0.0]);
    assert!(col.same_storage(&x));
    // An aliasing copy (x into its own transpose-shaped view) reads before writing.
    let y = seq(4, &[2, 2]);
    let before = f64s(&y);
    y.copy_(&y.t().unwrap()).unwrap();
    assert_eq!(f64s(&y), vec![before[0], before[2], before[1], before[3]]);
}

#[test]
fn errors_name_the_op_and_shapes() {
    let a = seq(6, &[2, 3]);
    let e = a.matmul(&a).unwrap_err().to_string();
    assert_eq!(e, "matmul: mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)");
    let e = a.sum(Some(&[3]), false).unwrap_err();
    assert_eq!(e.kind(), ferrotorch_core::ErrorKind::RangeError);
}

//! The row loops of broadcast binary ops (last dim of stride 1 or 0 in both operands:
//! `x - mean`, `x + bias`, masks), serial and parallel, against the element-by-element
//! values for every pairing of those layouts.
use crate::common::*;
use ferrotorch_core::{BinaryOp, DType, Layout};
use ferrotorch_cpu::binary::binary;

/// Layouts over `shape` whose last stride is 1 or 0: name, layout, storage length.
fn row_layouts(shape: &[usize]) -> Vec<(&'static str, Layout, usize)> {
    let nd = shape.len();
    let n: usize = shape.iter().product();
    let bcast = |src: &[usize], offset: usize| {
        let l = Layout { offset, ..Layout::contiguous(src) };
        let len = offset + src.iter().product::<usize>();
        (l.broadcast_to("test", shape).unwrap(), len)
    };
    let mut col = shape.to_vec();
    col[nd - 1] = 1;
    let (last_one, last_len) = bcast(&col, 2);
    let (row, row_len) = bcast(&shape[nd - 1..], 1);
    let mut v = vec![
        ("contiguous", Layout { offset: 3, ..Layout::contiguous(shape) }, n + 3),
        ("last dim broadcast", last_one, last_len),
        ("row broadcast", row, row_len),
    ];
    if nd >= 3 {
        let mut mid = shape.to_vec();
        mid[nd - 2] = 1;
        let (l, len) = bcast(&mid, 0);
        v.push(("middle broadcast", l, len));
        // A slice of a wider last dim: rows with a gap between them.
        let mut wide = shape.to_vec();
        wide[nd - 1] += 5;
        let w = Layout::contiguous(&wide);
        let l = Layout { shape: shape.to_vec(), strides: w.strides.clone(), offset: 4 };
        v.push(("rows with gaps", l, 4 + wide.iter().product::<usize>()));
    }
    v
}

#[test]
fn broadcast_row_loops_match_the_logical_values() {
    let mut rng = Rng::new(0x5eed);
    // Rows of 8 (the shortest row loop), odd widths, and sizes across the parallel grain.
    for shape in [vec![3usize, 8], vec![5, 9], vec![4, 3, 33], vec![2, 100, 200], vec![257, 129], vec![7, 5, 1000]] {
        let ls = row_layouts(&shape);
        for (na, la, lena) in &ls {
            for (nb, lb, lenb) in &ls {
                let da = rng.vec(*lena, |r| r.uniform(-4.0, 4.0));
                let db = rng.vec(*lenb, |r| r.uniform(-4.0, 4.0));
                for (op, f) in [(BinaryOp::Sub, (|x, y| x - y) as fn(f64, f64) -> f64), (BinaryOp::Mul, |x, y| x * y)] {
                    let got = binary(op, &storage(DType::F64, &da), la, &storage(DType::F64, &db), lb).unwrap();
                    let (oa, ob) = (naive_offsets(la), naive_offsets(lb));
                    let want: Vec<f64> = oa.iter().zip(&ob).map(|(&i, &j)| f(da[i], db[j])).collect();
                    assert_same(&values(&got), &want, &format!("{op:?} {shape:?}: {na} with {nb}"));
                }
            }
        }
    }
}

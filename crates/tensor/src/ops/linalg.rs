//! Matrix products: matmul (PyTorch's broadcasting rules), mm, bmm, outer, dot,
//! linear, and two-operand einsum lowered to one batched product.
use crate::tensor::Tensor;
use ferrotorch_core::{broadcast_shapes, BinaryOp, DType, Error, Result};

fn shape_str(s: &[usize]) -> String {
    s.iter().map(|x| x.to_string()).collect::<Vec<_>>().join("x")
}

impl Tensor {
    fn check_mm_dtypes(&self, op: &'static str, o: &Tensor) -> Result<()> {
        Tensor::same_device(op, &[self, o])?;
        if self.dtype() != o.dtype() {
            return Err(Error::dtype(op, format!("expected m1 and m2 to have the same dtype, but got: {} != {}", self.dtype(), o.dtype())));
        }
        if self.dtype() == DType::Bool {
            return Err(Error::dtype(op, "\"addmm_impl_cpu_\" not implemented for 'Bool'"));
        }
        Ok(())
    }

    /// The primitive: `[..., m, k] @ [..., k, n]` with batch dims broadcast.
    pub fn batched_matmul(&self, o: &Tensor, op: &'static str) -> Result<Tensor> {
        self.check_mm_dtypes(op, o)?;
        let (na, nb) = (self.ndim(), o.ndim());
        let (m, k) = (self.shape()[na - 2], self.shape()[na - 1]);
        let (k2, n) = (o.shape()[nb - 2], o.shape()[nb - 1]);
        if k != k2 {
            return Err(Error::shape(op, format!("mat1 and mat2 shapes cannot be multiplied ({} and {})", shape_str(&self.shape()[na - 2..]), shape_str(&o.shape()[nb - 2..]))));
        }
        let batch = broadcast_shapes(op, &self.shape()[..na - 2], &o.shape()[..nb - 2])?;
        let mut sa = batch.clone();
        sa.extend([m, k]);
        let mut sb = batch.clone();
        sb.extend([k, n]);
        let la = self.layout().broadcast_to(op, &sa)?;
        let lb = o.layout().broadcast_to(op, &sb)?;
        let s = self.storage().read().matmul(&la, &o.storage().read(), &lb);
        let mut out = batch;
        out.extend([m, n]);
        Ok(Tensor::from_storage(s, &out))
    }

    /// `torch.matmul` with its 1-D and batched rules.
    pub fn matmul(&self, o: &Tensor) -> Result<Tensor> {
        let (na, nb) = (self.ndim(), o.ndim());
        if na == 0 || nb == 0 {
            return Err(Error::shape("matmul", format!("both arguments to matmul need to be at least 1D, but they are {na}D and {nb}D")));
        }
        if na == 1 && nb == 1 {
            return self.dot(o);
        }
        let a = if na == 1 { self.unsqueeze(0)? } else { self.clone() };
        let b = if nb == 1 { o.unsqueeze(1)? } else { o.clone() };
        if a.shape()[a.ndim() - 1] != b.shape()[b.ndim() - 2] {
            return Err(Error::shape("matmul", format!("mat1 and mat2 shapes cannot be multiplied ({} and {})", shape_str(&a.shape()[a.ndim() - 2..]), shape_str(&b.shape()[b.ndim() - 2..]))));
        }
        let r = a.batched_matmul(&b, "matmul")?;
        let r = if na == 1 { r.squeeze(Some(&[-2]))? } else { r };
        if nb == 1 {
            r.squeeze(Some(&[-1]))
        } else {
            Ok(r)
        }
    }

    pub fn mm(&self, o: &Tensor) -> Result<Tensor> {
        if self.ndim() != 2 || o.ndim() != 2 {
            return Err(Error::shape("mm", format!("mm: expected 2D tensors, got {}D and {}D", self.ndim(), o.ndim())));
        }
        self.batched_matmul(o, "mm")
    }

    pub fn bmm(&self, o: &Tensor) -> Result<Tensor> {
        if self.ndim() != 3 || o.ndim() != 3 {
            return Err(Error::shape("bmm", format!("batch1 must be a 3D tensor and batch2 must be a 3D tensor, got {}D and {}D", self.ndim(), o.ndim())));
        }
        if self.shape()[0] != o.shape()[0] || self.shape()[2] != o.shape()[1] {
            return Err(Error::shape("bmm", format!("Expected size for first two dimensions of batch2 tensor to be: [{}, {}] but got: [{}, {}].", self.shape()[0], self.shape()[2], o.shape()[0], o.shape()[1])));
        }
        self.batched_matmul(o, "bmm")
    }

    pub fn dot(&self, o: &Tensor) -> Result<Tensor> {
        if self.ndim() != 1 || o.ndim() != 1 {
            return Err(Error::shape("dot", format!("1D tensors expected, but got {}D and {}D tensors", self.ndim(), o.ndim())));
        }
        if self.numel() != o.numel() {
            return Err(Error::shape("dot", format!("inconsistent tensor size, expected tensor [{}] and src [{}] to have the same number of elements, but got {} and {} elements respectively", self.numel(), o.numel(), self.numel(), o.numel())));
        }
        self.unsqueeze(0)?.batched_matmul(&o.unsqueeze(1)?, "dot")?.reshape(&[])
    }

    pub fn outer(&self, o: &Tensor) -> Result<Tensor> {
        if self.ndim() != 1 || o.ndim() != 1 {
            return Err(Error::shape("outer", format!("outer: expected 1D tensors, got {}D and {}D", self.ndim(), o.ndim())));
        }
        self.unsqueeze(1)?.binary(BinaryOp::Mul, &o.unsqueeze(0)?)
    }

    /// `F.linear(x, w, b)`: `x @ w.T + b`.
    pub fn linear(&self, w: &Tensor, b: Option<&Tensor>) -> Result<Tensor> {
        let r = self.matmul(&w.t()?)?;
        match b {
            Some(b) => r.binary(BinaryOp::Add, b),
            None => Ok(r),
        }
    }

    /// `torch.einsum` for one or two operands (no repeated letters within an operand).
    pub fn einsum(eq: &str, ops: &[Tensor]) -> Result<Tensor> {
        let eq: String = eq.chars().filter(|c| !c.is_whitespace()).collect();
        let (lhs, out) = match eq.split_once("->") {
            Some((l, r)) => (l.to_string(), Some(r.to_string())),
            None => (eq.clone(), None),
        };
        let ins: Vec<Vec<char>> = lhs.split(',').map(|s| s.chars().collect()).collect();
        if ins.len() != ops.len() {
            return Err(Error::arg("einsum", format!("more operands were provided than specified in the equation ({} vs {})", ops.len(), ins.len())));
        }
        if ins.len() > 2 || ins.is_empty() {
            return Err(Error::Unsupported("einsum(): only one or two operands are supported".into()));
        }
        for (s, t) in ins.iter().zip(ops) {
            if s.len() != t.ndim() {
                return Err(Error::shape("einsum", format!("the number of subscripts in the equation ({}) does not match the number of dimensions ({}) for operand", s.len(), t.ndim())));
            }
            for (i, c) in s.iter().enumerate() {
                if !c.is_ascii_alphabetic() {
                    return Err(Error::arg("einsum", format!("invalid subscript given at index {i} in the equation string, subscripts must be in [a-zA-Z]")));
                }
                if s[..i].contains(c) {
                    return Err(Error::Unsupported("einsum(): repeated subscripts within one operand are not supported".into()));
                }
            }
        }
        let out: Vec<char> = match out {
            Some(o) => o.chars().collect(),
            None => {
                let mut all: Vec<char> = ins.concat();
                all.sort();
                all.iter().copied().filter(|c| all.iter().filter(|x| *x == c).count() == 1).collect::<Vec<_>>().into_iter().fold(vec![], |mut v, c| {
                    if !v.contains(&c) {
                        v.push(c)
                    }
                    v
                })
            }
        };
        // Sum away letters that appear in one operand only and not in the output.
        let reduce_own = |s: &Vec<char>, t: &Tensor, other: Option<&Vec<char>>| -> Result<(Vec<char>, Tensor)> {
            let drop: Vec<i64> = s.iter().enumerate().filter(|(_, c)| !out.contains(c) && other.map(|o| !o.contains(c)).unwrap_or(true)).map(|(i, _)| i as i64).collect();
            if drop.is_empty() {
                return Ok((s.clone(), t.clone()));
            }
            let keep: Vec<char> = s.iter().enumerate().filter(|(i, _)| !drop.contains(&(*i as i64))).map(|(_, c)| *c).collect();
            Ok((keep, t.sum(Some(&drop), false)?))
        };
        let size_of = |c: char| -> usize {
            for (s, t) in ins.iter().zip(ops) {
                if let Some(i) = s.iter().position(|x| *x == c) {
                    return t.shape()[i];
                }
            }
            1
        };
        if ops.len() == 1 {
            let (s, t) = reduce_own(&ins[0], &ops[0], None)?;
            let perm: Vec<i64> = out.iter().map(|c| s.iter().position(|x| x == c).unwrap() as i64).collect();
            return t.permute(&perm).map(|t| t.contiguous());
        }
        let (sa, a) = reduce_own(&ins[0], &ops[0], Some(&ins[1]))?;
        let (sb, b) = reduce_own(&ins[1], &ops[1], Some(&ins[0]))?;
        for c in sa.iter().filter(|c| sb.contains(c)) {
            let (da, db) = (a.shape()[sa.iter().position(|x| x == c).unwrap()], b.shape()[sb.iter().position(|x| x == c).unwrap()]);
            if da != db && da != 1 && db != 1 {
                return Err(Error::shape("einsum", format!("operands do not broadcast with remapped shapes (subscript {c}: {da} vs {db})")));
            }
        }
        let batch: Vec<char> = out.iter().copied().filter(|c| sa.contains(c) && sb.contains(c)).collect();
        let contract: Vec<char> = sa.iter().copied().filter(|c| sb.contains(c) && !out.contains(c)).collect();
        let left: Vec<char> = sa.iter().copied().filter(|c| !sb.contains(c)).collect();
        let right: Vec<char> = sb.iter().copied().filter(|c| !sa.contains(c)).collect();
        let pos = |s: &Vec<char>, c: &char| s.iter().position(|x| x == c).unwrap() as i64;
        let prod = |cs: &Vec<char>| cs.iter().map(|&c| size_of(c)).product::<usize>() as i64;
        let pa: Vec<i64> = batch.iter().chain(&left).chain(&contract).map(|c| pos(&sa, c)).collect();
        let pb: Vec<i64> = batch.iter().chain(&contract).chain(&right).map(|c| pos(&sb, c)).collect();
        let bsz: Vec<i64> = batch.iter().map(|&c| size_of(c) as i64).collect();
        let mut ra = bsz.clone();
        ra.extend([prod(&left), prod(&contract)]);
        let mut rb = bsz.clone();
        rb.extend([prod(&contract), prod(&right)]);
        let a2 = a.permute(&pa)?.expand(&batch.iter().chain(&left).chain(&contract).map(|&c| size_of(c) as i64).collect::<Vec<_>>())?.reshape(&ra)?;
        let b2 = b.permute(&pb)?.expand(&batch.iter().chain(&contract).chain(&right).map(|&c| size_of(c) as i64).collect::<Vec<_>>())?.reshape(&rb)?;
        let r = a2.batched_matmul(&b2, "einsum")?;
        let order: Vec<char> = batch.iter().chain(&left).chain(&right).copied().collect();
        let full: Vec<i64> = order.iter().map(|&c| size_of(c) as i64).collect();
        let r = r.reshape(&full)?;
        let perm: Vec<i64> = out.iter().map(|c| order.iter().position(|x| x == c).unwrap() as i64).collect();
        Ok(r.permute(&perm)?.contiguous())
    }
}

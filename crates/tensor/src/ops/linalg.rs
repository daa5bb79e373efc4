//! Matrix products: matmul (PyTorch's broadcasting rules), mm, bmm, outer, dot,
//! linear, and einsum lowered to batched products.
use crate::autograd::Op;
use crate::tensor::Tensor;
use ferrotorch_core::{broadcast_shapes, BinaryOp, DType, Error, Layout, Result};

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
            return Err(Error::shape(
                op,
                format!(
                    "mat1 and mat2 shapes cannot be multiplied ({} and {})",
                    shape_str(&self.shape()[na - 2..]),
                    shape_str(&o.shape()[nb - 2..])
                ),
            ));
        }
        let batch = broadcast_shapes(op, &self.shape()[..na - 2], &o.shape()[..nb - 2])?;
        let mut sa = batch.clone();
        sa.extend([m, k]);
        let mut sb = batch.clone();
        sb.extend([k, n]);
        let la = self.layout().broadcast_to(op, &sa)?;
        let lb = o.layout().broadcast_to(op, &sb)?;
        let s = self.storage().read().matmul(&la, &o.storage().read(), &lb)?;
        let mut out = batch;
        out.extend([m, n]);
        let r = Tensor::from_storage(s, &out);
        Ok(r.record(&[self, o], || Op::Matmul { a: self.clone(), b: o.clone() }))
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
            return Err(Error::shape(
                "matmul",
                format!(
                    "mat1 and mat2 shapes cannot be multiplied ({} and {})",
                    shape_str(&a.shape()[a.ndim() - 2..]),
                    shape_str(&b.shape()[b.ndim() - 2..])
                ),
            ));
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
            return Err(Error::shape(
                "bmm",
                format!("batch1 must be a 3D tensor and batch2 must be a 3D tensor, got {}D and {}D", self.ndim(), o.ndim()),
            ));
        }
        if self.shape()[0] != o.shape()[0] || self.shape()[2] != o.shape()[1] {
            return Err(Error::shape(
                "bmm",
                format!(
                    "Expected size for first two dimensions of batch2 tensor to be: [{}, {}] but got: [{}, {}].",
                    self.shape()[0],
                    self.shape()[2],
                    o.shape()[0],
                    o.shape()[1]
                ),
            ));
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

    /// `torch.einsum`: any number of operands, `...` broadcasting, repeated subscripts
    /// within an operand (diagonals), implicit outputs. Operands contract left to right,
    /// each pair lowered to one batched matrix product.
    pub fn einsum(eq: &str, ops: &[Tensor]) -> Result<Tensor> {
        let eq: String = eq.chars().filter(|c| !c.is_whitespace()).collect();
        let (lhs, rhs) = match eq.split_once("->") {
            Some((l, r)) => (l.to_string(), Some(r.to_string())),
            None => (eq.clone(), None),
        };
        let terms: Vec<&str> = lhs.split(',').collect();
        if ops.is_empty() {
            return Err(Error::arg("einsum", "einsum(): must provide at least one operand"));
        }
        if terms.len() != ops.len() {
            return Err(Error::arg(
                "einsum",
                format!("more operands were provided than specified in the equation ({} vs {})", ops.len(), terms.len()),
            ));
        }
        // Letters are their own labels; the dims under `...` get labels ELL + k, right-aligned
        // across operands so that they broadcast like ordinary batch dims.
        const ELL: u32 = 1 << 16;
        let parse = |s: &str, what: &str| -> Result<(Vec<u32>, Option<usize>)> {
            let mut labels = vec![];
            let mut ell = None;
            let cs: Vec<char> = s.chars().collect();
            let mut i = 0;
            while i < cs.len() {
                if cs[i] == '.' {
                    if cs.get(i + 1) != Some(&'.') || cs.get(i + 2) != Some(&'.') {
                        return Err(Error::arg("einsum", format!("found '.' for {what} that is not part of any ellipsis")));
                    }
                    if ell.is_some() {
                        return Err(Error::arg("einsum", format!("found more than one ellipsis for {what}")));
                    }
                    ell = Some(labels.len());
                    i += 3;
                    continue;
                }
                if !cs[i].is_ascii_alphabetic() {
                    return Err(Error::arg(
                        "einsum",
                        format!("invalid subscript given at index {i} in the equation string, subscripts must be in [a-zA-Z]"),
                    ));
                }
                labels.push(cs[i] as u32);
                i += 1;
            }
            Ok((labels, ell))
        };
        let mut parsed = vec![];
        let mut n_ell = 0usize;
        for (k, (term, t)) in terms.iter().zip(ops).enumerate() {
            let (labels, ell) = parse(term, &format!("operand {k}"))?;
            let ok = match ell {
                Some(_) => labels.len() <= t.ndim(),
                None => labels.len() == t.ndim(),
            };
            if !ok {
                return Err(Error::shape(
                    "einsum",
                    format!(
                        "the number of subscripts in the equation ({}) does not match the number of dimensions ({}) for operand {k}{}",
                        labels.len(),
                        t.ndim(),
                        if ell.is_some() { "" } else { " and no ellipsis was given" }
                    ),
                ));
            }
            if ell.is_some() {
                n_ell = n_ell.max(t.ndim() - labels.len());
            }
            parsed.push((labels, ell));
        }
        let mut opl: Vec<Vec<u32>> = vec![];
        for ((labels, ell), t) in parsed.iter().zip(ops) {
            let mut l = labels.clone();
            if let Some(at) = *ell {
                let e = t.ndim() - labels.len();
                let fill: Vec<u32> = (0..e).map(|j| ELL + (n_ell - e + j) as u32).collect();
                l.splice(at..at, fill);
            }
            opl.push(l);
        }
        let ell_labels: Vec<u32> = (0..n_ell).map(|j| ELL + j as u32).collect();
        let out: Vec<u32> = match rhs {
            Some(r) => {
                let (labels, ell) = parse(&r, "output")?;
                let mut o = labels.clone();
                if let Some(at) = ell {
                    o.splice(at..at, ell_labels.clone());
                }
                for (i, c) in labels.iter().enumerate() {
                    if labels[..i].contains(c) {
                        return Err(Error::arg(
                            "einsum",
                            format!("output subscript {} appears more than once in the output", char::from_u32(*c).unwrap_or('?')),
                        ));
                    }
                    if !opl.iter().any(|l| l.contains(c)) {
                        return Err(Error::arg(
                            "einsum",
                            format!(
                                "output subscript {} does not appear in the equation for any input operand",
                                char::from_u32(*c).unwrap_or('?')
                            ),
                        ));
                    }
                }
                o
            }
            None => {
                let all: Vec<u32> = opl.iter().flatten().copied().filter(|&c| c < ELL).collect();
                let mut once: Vec<u32> = all.iter().copied().filter(|c| all.iter().filter(|x| *x == c).count() == 1).collect();
                once.sort();
                ell_labels.iter().copied().chain(once).collect()
            }
        };
        // Size of each label: operands must agree, or be 1 (broadcast).
        let mut sizes: std::collections::HashMap<u32, usize> = std::collections::HashMap::new();
        for (l, t) in opl.iter().zip(ops) {
            for (&c, &n) in l.iter().zip(t.shape()) {
                let e = sizes.entry(c).or_insert(n);
                if *e != n && *e != 1 && n != 1 {
                    let name = if c >= ELL { "...".to_string() } else { char::from_u32(c).unwrap_or('?').to_string() };
                    return Err(Error::shape(
                        "einsum",
                        format!("operands do not broadcast with remapped shapes (subscript {name}: {} vs {n})", *e),
                    ));
                }
                if *e == 1 {
                    *e = n;
                }
            }
        }
        // Repeated labels within one operand take its diagonal.
        let mut cur: Vec<(Vec<u32>, Tensor)> = vec![];
        for (l, t) in opl.into_iter().zip(ops) {
            cur.push(einsum_diagonal(l, t)?);
        }
        let size_of = |c: &u32| sizes[c];
        let mut it = cur.into_iter();
        let (mut la, mut a) = it.next().unwrap();
        let rest: Vec<(Vec<u32>, Tensor)> = it.collect();
        if rest.is_empty() {
            let (l, t) = sum_unused(&la, &a, &out)?;
            la = l;
            a = t;
        }
        for k in 0..rest.len() {
            let (lb, b) = &rest[k];
            // Labels still needed: the output's and those of the operands not yet used.
            let mut keep = out.clone();
            for (l, _) in &rest[k + 1..] {
                keep.extend(l.iter().copied());
            }
            let (sa, ta) = sum_unused(&la, &a, &keep.iter().chain(lb.iter()).copied().collect::<Vec<_>>())?;
            let (sb, tb) = sum_unused(lb, b, &keep.iter().chain(sa.iter()).copied().collect::<Vec<_>>())?;
            let batch: Vec<u32> = sa.iter().copied().filter(|c| sb.contains(c) && keep.contains(c)).collect();
            let contract: Vec<u32> = sa.iter().copied().filter(|c| sb.contains(c) && !keep.contains(c)).collect();
            let left: Vec<u32> = sa.iter().copied().filter(|c| !sb.contains(c)).collect();
            let right: Vec<u32> = sb.iter().copied().filter(|c| !sa.contains(c)).collect();
            let pos = |s: &Vec<u32>, c: &u32| s.iter().position(|x| x == c).unwrap() as i64;
            let prod = |cs: &Vec<u32>| cs.iter().map(size_of).product::<usize>() as i64;
            let sizes_of = |cs: Vec<&u32>| cs.into_iter().map(|c| size_of(c) as i64).collect::<Vec<_>>();
            let pa: Vec<i64> = batch.iter().chain(&left).chain(&contract).map(|c| pos(&sa, c)).collect();
            let pb: Vec<i64> = batch.iter().chain(&contract).chain(&right).map(|c| pos(&sb, c)).collect();
            let bsz: Vec<i64> = batch.iter().map(|c| size_of(c) as i64).collect();
            let mut ra = bsz.clone();
            ra.extend([prod(&left), prod(&contract)]);
            let mut rb = bsz.clone();
            rb.extend([prod(&contract), prod(&right)]);
            let a2 = ta.permute(&pa)?.expand(&sizes_of(batch.iter().chain(&left).chain(&contract).collect()))?.reshape(&ra)?;
            let b2 = tb.permute(&pb)?.expand(&sizes_of(batch.iter().chain(&contract).chain(&right).collect()))?.reshape(&rb)?;
            let r = a2.batched_matmul(&b2, "einsum")?;
            la = batch.iter().chain(&left).chain(&right).copied().collect();
            a = r.reshape(&sizes_of(la.iter().collect()))?;
        }
        let perm: Vec<i64> = out.iter().map(|c| la.iter().position(|x| x == c).unwrap() as i64).collect();
        let r = a.permute(&perm)?;
        // Broadcast dims that stayed 1 in every operand keep size 1; expand the others.
        let full: Vec<i64> = out.iter().map(|c| size_of(c) as i64).collect();
        Ok(r.expand(&full)?.contiguous())
    }
}

/// Takes the diagonal over labels repeated within one operand (`ii->i`): one dim whose
/// stride is the sum of the repeated dims' strides.
fn einsum_diagonal(labels: Vec<u32>, t: &Tensor) -> Result<(Vec<u32>, Tensor)> {
    let l = t.layout();
    let mut shape = vec![];
    let mut strides = vec![];
    let mut out = vec![];
    for (i, &c) in labels.iter().enumerate() {
        match out.iter().position(|x| *x == c) {
            Some(j) => {
                if shape[j] != l.shape[i] {
                    return Err(Error::shape(
                        "einsum",
                        format!(
                            "subscript {} is repeated for operand but the sizes don't match, {} != {}",
                            char::from_u32(c).unwrap_or('?'),
                            shape[j],
                            l.shape[i]
                        ),
                    ));
                }
                strides[j] += l.strides[i];
            }
            None => {
                out.push(c);
                shape.push(l.shape[i]);
                strides.push(l.strides[i]);
            }
        }
    }
    if out.len() == labels.len() {
        return Ok((labels, t.clone()));
    }
    Ok((out, t.view_with(Layout { shape, strides, offset: l.offset })))
}

/// Sums away the dims whose labels are not in `keep`.
fn sum_unused(labels: &[u32], t: &Tensor, keep: &[u32]) -> Result<(Vec<u32>, Tensor)> {
    let drop: Vec<i64> = labels.iter().enumerate().filter(|(_, c)| !keep.contains(c)).map(|(i, _)| i as i64).collect();
    if drop.is_empty() {
        return Ok((labels.to_vec(), t.clone()));
    }
    let kept: Vec<u32> = labels.iter().copied().filter(|c| keep.contains(c)).collect();
    Ok((kept, t.sum(Some(&drop), false)?))
}

/// Gradients of `[..., m, k] @ [..., k, n]`, summed over broadcast batch dims.
pub fn matmul_backward(a: &Tensor, b: &Tensor, g: &Tensor) -> Result<(Tensor, Tensor)> {
    let ga = g.batched_matmul(&b.transpose(-2, -1)?, "matmul_backward")?;
    let gb = a.transpose(-2, -1)?.batched_matmul(g, "matmul_backward")?;
    Ok((ga.sum_to(a.shape())?, gb.sum_to(b.shape())?))
}

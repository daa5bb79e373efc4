// torch.autograd.gradcheck: analytical Jacobians (autograd) against central finite
// differences in float64.
import { N } from './native'
import { Tensor, wrap } from './tensor'
import { grad, noGrad } from './autograd'

export interface GradcheckOptions {
  eps?: number
  atol?: number
  rtol?: number
  /** Throw with the worst mismatch (default) instead of returning false. */
  raiseException?: boolean
}

function flatValues(t: Tensor): Float64Array {
  return N.dataAsF64(t._handle)
}

/** Checks `fn`'s gradients w.r.t. every input that requires grad (float64 inputs). */
export function gradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], opts: GradcheckOptions = {}): boolean {
  const eps = opts.eps ?? 1e-6
  const atol = opts.atol ?? 1e-5
  const rtol = opts.rtol ?? 1e-3
  const raise = opts.raiseException ?? true
  const diff = inputs.map((x, k) => {
    if (x.requiresGrad && x.dtype !== 'float64') {
      throw new Error(`gradcheck: input ${k} requires grad but is ${x.dtype}; gradcheck needs float64 inputs`)
    }
    return x.requiresGrad
  })
  const out = fn(...inputs)
  const nOut = out.numel()
  const base = noGrad(() => inputs.map((x) => x.detach().clone()))
  for (let k = 0; k < inputs.length; k++) {
    if (!diff[k]) continue
    const n = inputs[k].numel()
    // Analytical Jacobian, one output element at a time.
    const ana: Float64Array[] = []
    for (let j = 0; j < nOut; j++) {
      const onehot = new Float64Array(nOut)
      onehot[j] = 1
      const go = wrap(N.fromF64(onehot, out.shape, 7, out.device))
      const g = grad([out], [inputs[k]], { gradOutputs: [go], retainGraph: true, allowUnused: true })[0]
      ana.push(g ? flatValues(g) : new Float64Array(n))
    }
    // Numerical Jacobian by central differences.
    for (let i = 0; i < n; i++) {
      const eval_ = (delta: number): Float64Array =>
        noGrad(() => {
          const xs = base.map((b, m) => {
            if (m !== k) return b
            const v = flatValues(b)
            v[i] += delta
            return wrap(N.fromF64(v, b.shape, 7, b.device))
          })
          return flatValues(fn(...xs))
        })
      const plus = eval_(eps)
      const minus = eval_(-eps)
      for (let j = 0; j < nOut; j++) {
        const num = (plus[j] - minus[j]) / (2 * eps)
        const a = ana[j][i]
        if (!(Math.abs(a - num) <= atol + rtol * Math.abs(num))) {
          const msg = `Jacobian mismatch for output 0 with respect to input ${k},\nnumerical:${num}\nanalytical:${a}\n(element ${i} of the input, element ${j} of the output)`
          if (raise) throw new Error(`gradcheck: ${msg}`)
          return false
        }
      }
    }
  }
  return true
}

// torch.nn.utils: gradient clipping and parameter <-> vector conversion.
import { noGrad } from '../autograd'
import { cat, stack } from '../functional'
import { Tensor } from '../tensor'

/** Scales gradients so their total `normType`-norm is at most `maxNorm`; returns the total norm. */
export function clipGradNorm_(parameters: Tensor[] | Tensor, maxNorm: number, normType = 2, errorIfNonfinite = false): Tensor {
  const ps = (Array.isArray(parameters) ? parameters : [parameters]).filter((p) => p.grad !== null)
  return noGrad(() => {
    if (!ps.length) return new Tensor((require('../native') as any).N.full([], 0, 6, 'cpu'))
    // Per-parameter norms meet on the first gradient's device (parameters may be spread over devices).
    const norms = ps.map((p) => p.grad!.norm(normType))
    const dev0 = norms[0].device
    for (let i = 1; i < norms.length; i++) if (norms[i].device !== dev0) norms[i] = norms[i].to(dev0)
    const total = normType === Infinity ? stack(norms).max() : stack(norms).norm(normType)
    const t = Number(total.item())
    if (errorIfNonfinite && !Number.isFinite(t)) throw new Error(`The total norm of order ${normType} for gradients from \`parameters\` is non-finite, so it cannot be clipped.`)
    const coef = Math.min(maxNorm / (t + 1e-6), 1)
    if (coef < 1) for (const p of ps) p.grad = p.grad!.mul(coef)
    return total
  })
}

/** Clamps every gradient into [-clipValue, clipValue]. */
export function clipGradValue_(parameters: Tensor[] | Tensor, clipValue: number): void {
  const ps = Array.isArray(parameters) ? parameters : [parameters]
  noGrad(() => {
    for (const p of ps) if (p.grad) p.grad = p.grad.clamp(-clipValue, clipValue)
  })
}

export function parametersToVector(parameters: Tensor[]): Tensor {
  return cat(parameters.map((p) => p.reshape(-1)))
}

export function vectorToParameters(vec: Tensor, parameters: Tensor[]): void {
  let at = 0
  noGrad(() => {
    for (const p of parameters) {
      const n = p.numel()
      p.copy_(vec.narrow(0, at, n).reshape(p.shape))
      at += n
    }
  })
}

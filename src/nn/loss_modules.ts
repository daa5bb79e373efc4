// Loss modules: thin wrappers holding the options of the functional form.
import { Module } from './module'
import * as F from './functional'
import { Tensor } from '../tensor'

/** The options with their tensors read back from the module's buffers, which `to()` may have moved. */
function currentOpts(m: Module, opts: Record<string, any>): Record<string, any> {
  let o = opts
  for (const [k, v] of Object.entries(opts)) {
    if (!(v instanceof Tensor)) continue
    const b = (m as any)[k === 'posWeight' ? 'pos_weight' : k]
    if (b instanceof Tensor && b !== v) o = { ...o, [k]: b }
  }
  return o
}

function lossModule(name: string, f: (input: Tensor, target: Tensor, opts: any) => Tensor) {
  const C = class extends Module {
    opts: Record<string, any>
    constructor(opts: Record<string, any> = {}) {
      super()
      this.opts = opts
      // Tensors among the options (weight, posWeight) are buffers, as in PyTorch.
      for (const [k, v] of Object.entries(opts)) if (v instanceof Tensor) this.registerBuffer(k === 'posWeight' ? 'pos_weight' : k, v)
    }
    forward(input: Tensor, target: Tensor): Tensor {
      return f(input, target, currentOpts(this, this.opts))
    }
  }
  Object.defineProperty(C, 'name', { value: name })
  return C
}

export const MSELoss = lossModule('MSELoss', (i, t, o) => F.mseLoss(i, t, o))
export const L1Loss = lossModule('L1Loss', (i, t, o) => F.l1Loss(i, t, o))
export const SmoothL1Loss = lossModule('SmoothL1Loss', (i, t, o) => F.smoothL1Loss(i, t, o))
export const HuberLoss = lossModule('HuberLoss', (i, t, o) => F.huberLoss(i, t, o))
export const CrossEntropyLoss = lossModule('CrossEntropyLoss', (i, t, o) => F.crossEntropy(i, t, o))
export const NLLLoss = lossModule('NLLLoss', (i, t, o) => F.nllLoss(i, t, o))
export const BCELoss = lossModule('BCELoss', (i, t, o) => F.binaryCrossEntropy(i, t, o))
export const BCEWithLogitsLoss = lossModule('BCEWithLogitsLoss', (i, t, o) => F.binaryCrossEntropyWithLogits(i, t, o))
export const KLDivLoss = lossModule('KLDivLoss', (i, t, o) => F.klDiv(i, t, o))

export class CosineEmbeddingLoss extends Module {
  constructor(public opts: Record<string, any> = {}) {
    super()
  }
  forward(x1: Tensor, x2: Tensor, y: Tensor): Tensor {
    return F.cosineEmbeddingLoss(x1, x2, y, this.opts)
  }
}

// torch.nn.functional's activations, softmax family, pad, linear and embedding.
import { N } from '../native'
import { parse } from '../args'
import { dtypeCode } from '../dtype'
import { U } from '../opcodes'
import { Tensor, wrap } from '../tensor'

function u(x: Tensor, code: number, a = 0, b = 0, c = 0): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`argument 'input' must be Tensor, not ${typeof x}`)
  return wrap(N.unary(x._handle, code, a, b, c))
}

export function relu(input: Tensor): Tensor { return u(input, U.relu) }
export function sigmoid(input: Tensor): Tensor { return u(input, U.sigmoid) }
export function tanh(input: Tensor): Tensor { return u(input, U.tanh) }
export function silu(input: Tensor): Tensor { return u(input, U.silu) }
export function mish(input: Tensor): Tensor { return u(input, U.mish) }
export function hardsigmoid(input: Tensor): Tensor { return u(input, U.hardsigmoid) }
export function hardswish(input: Tensor): Tensor { return u(input, U.hardswish) }

/** `gelu(input, {approximate: 'none' | 'tanh'})`. */
export function gelu(input: Tensor, ...args: any[]): Tensor {
  const a = parse(args, ['approximate'], 'gelu')
  const ap = a.approximate ?? 'none'
  if (ap !== 'none' && ap !== 'tanh') throw new Error(`gelu: approximate argument must be either none or tanh, got '${ap}'`)
  return u(input, U.gelu, ap === 'tanh' ? 1 : 0)
}

export function softplus(input: Tensor, ...args: any[]): Tensor {
  const a = parse(args, ['beta', 'threshold'], 'softplus')
  return u(input, U.softplus, a.beta ?? 1, a.threshold ?? 20)
}

export function leakyRelu(input: Tensor, ...args: any[]): Tensor {
  const a = parse(args, ['negativeSlope', 'inplace'], 'leakyRelu')
  return u(input, U.leakyRelu, a.negativeSlope ?? 0.01)
}

export function elu(input: Tensor, ...args: any[]): Tensor {
  const a = parse(args, ['alpha', 'inplace'], 'elu')
  return u(input, U.elu, a.alpha ?? 1, 1, 1)
}

export function selu(input: Tensor): Tensor {
  return u(input, U.elu, 1.6732632423543772, 1.0507009873554805, 1)
}

export function celu(input: Tensor, ...args: any[]): Tensor {
  const a = parse(args, ['alpha', 'inplace'], 'celu')
  const alpha = a.alpha ?? 1
  return u(input, U.elu, alpha, 1, 1 / alpha)
}

export function hardtanh(input: Tensor, ...args: any[]): Tensor {
  const a = parse(args, ['minVal', 'maxVal', 'inplace'], 'hardtanh')
  const lo = a.minVal ?? -1
  const hi = a.maxVal ?? 1
  if (lo > hi) throw new Error('hardtanh: min_val cannot be greater than max_val')
  return u(input, U.hardtanh, lo, hi)
}

export function relu6(input: Tensor): Tensor { return u(input, U.hardtanh, 0, 6) }

export function softmax(input: Tensor, ...args: any[]): Tensor {
  const a = parse(args, ['dim', 'dtype'], 'softmax')
  return input.softmax(a)
}

export function logSoftmax(input: Tensor, ...args: any[]): Tensor {
  const a = parse(args, ['dim', 'dtype'], 'logSoftmax')
  return input.logSoftmax(a)
}

/** Source index of output position `j` (counted from the unpadded start) along a dim of size `n`. */
const PAD_INDEX: Record<string, (j: number, n: number) => number> = {
  reflect: (j, n) => (j < 0 ? -j : j >= n ? 2 * (n - 1) - j : j),
  replicate: (j, n) => Math.min(Math.max(j, 0), n - 1),
  circular: (j, n) => ((j % n) + n) % n,
}

/** `F.pad(input, pad, {mode: 'constant' | 'reflect' | 'replicate' | 'circular', value})`. */
export function pad(input: Tensor, padding: number[], ...args: any[]): Tensor {
  const a = parse(args, ['mode', 'value'], 'pad')
  const mode = a.mode ?? 'constant'
  if (mode === 'constant') return wrap(N.padConstant(input._handle, padding, a.value ?? 0))
  const at = PAD_INDEX[mode]
  if (!at) throw new Error(`pad: Unrecognised padding mode ${mode}`)
  if (a.value != null && a.value !== 0) throw new Error(`pad: Padding mode "${mode}" doesn't take in value argument`)
  const k = padding.length / 2
  const nd = input.ndim
  if (!Number.isInteger(k) || k < 1 || k > 3 || nd < k + 1 || nd > k + 2) {
    throw new Error(`pad: Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now (got a ${nd}-D input and ${padding.length} pad values in mode '${mode}')`)
  }
  // Each padded dim becomes an index_select with the mode's index map.
  let out = input
  for (let i = 0; i < k; i++) {
    const d = nd - 1 - i
    const [l, r] = [padding[2 * i], padding[2 * i + 1]]
    const n = input.shape[d]
    const limit = mode === 'reflect' ? n - 1 : n
    if (mode !== 'replicate' && (l > limit || r > limit)) {
      throw new Error(`pad: Padding size should be less than${mode === 'circular' ? ' or equal to' : ''} the corresponding input dimension, but got: padding (${l}, ${r}) at dimension ${d} of input ${JSON.stringify(input.shape)}`)
    }
    if (n === 0 && l + r > 0) throw new Error(`pad: Expected a non-empty dimension ${d} to pad in mode '${mode}', got input ${JSON.stringify(input.shape)}`)
    const len = n + l + r
    if (len < 0) throw new Error(`pad: The input size ${n}, plus negative padding ${l} and ${r} resulted in a negative output size, which is invalid. Check dimension ${d} of your input.`)
    const idx = new BigInt64Array(len)
    for (let j = 0; j < len; j++) idx[j] = BigInt(at(j - l, n))
    const it = wrap(N.fromI64(idx, [len], dtypeCode('int64'), input.device))
    out = out.indexSelect(d, it)
  }
  return out
}

/** `F.linear(input, weight, bias?)`. */
export function linear(input: Tensor, weight: Tensor, bias?: Tensor | null | { bias?: Tensor | null }): Tensor {
  if (bias !== undefined) bias = parse([bias], ['bias'], 'linear').bias as Tensor | null | undefined
  return wrap(N.linear(input._handle, weight._handle, bias instanceof Tensor ? bias._handle : undefined))
}

/** `F.embedding(input, weight, {paddingIdx})`; `paddingIdx` only matters for gradients. */
export function embedding(input: Tensor, weight: Tensor, ...args: any[]): Tensor {
  const a = parse(args, ['paddingIdx', 'maxNorm', 'normType', 'scaleGradByFreq', 'sparse'], 'embedding')
  if (a.maxNorm != null) throw new Error('embedding: maxNorm is not supported yet')
  if (a.sparse) throw new Error('embedding: sparse gradients are not supported')
  if (a.paddingIdx != null) {
    const n = weight.shape[0]
    if (!Number.isInteger(a.paddingIdx) || a.paddingIdx >= n || a.paddingIdx < -n) {
      throw new RangeError(`embedding: Padding_idx must be within num_embeddings (got ${a.paddingIdx} for ${n} embeddings)`)
    }
  }
  return wrap(N.embedding(input._handle, weight._handle))
}

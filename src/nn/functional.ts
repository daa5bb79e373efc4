// torch.nn.functional: the activations and softmax family that the tensor core covers.
// (Layers, losses and convolutions arrive with the nn issue.)
import { N } from '../native'
import { parse } from '../args'
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
  return u(input, U.hardtanh, a.minVal ?? -1, a.maxVal ?? 1)
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

/** `F.pad(input, pad, {mode: 'constant', value})`. */
export function pad(input: Tensor, padding: number[], ...args: any[]): Tensor {
  const a = parse(args, ['mode', 'value'], 'pad')
  const mode = a.mode ?? 'constant'
  if (mode !== 'constant') throw new Error(`pad: mode '${mode}' is not supported yet (only 'constant')`)
  return wrap(N.padConstant(input._handle, padding, a.value ?? 0))
}

/** `F.linear(input, weight, bias?)`. */
export function linear(input: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return wrap(N.linear(input._handle, weight._handle, bias ? bias._handle : undefined))
}

/** `F.embedding(input, weight)`. */
export function embedding(input: Tensor, weight: Tensor): Tensor {
  return wrap(N.embedding(input._handle, weight._handle))
}

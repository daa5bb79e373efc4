// torch.nn.init: in-place initializers with PyTorch's formulas (fan computation, gains).
import { noGrad } from '../autograd'
import { rand, randn } from '../creation'
import { Tensor } from '../tensor'

export function calculateGain(nonlinearity: string, param?: number): number {
  switch (nonlinearity) {
    case 'linear': case 'conv1d': case 'conv2d': case 'conv3d': case 'conv_transpose1d': case 'conv_transpose2d': case 'conv_transpose3d': case 'sigmoid':
      return 1
    case 'tanh': return 5 / 3
    case 'relu': return Math.SQRT2
    case 'leaky_relu': {
      const s = param ?? 0.01
      return Math.sqrt(2 / (1 + s * s))
    }
    case 'selu': return 3 / 4
    default: throw new Error(`Unsupported nonlinearity ${nonlinearity}`)
  }
}

/** [fanIn, fanOut] of a weight (PyTorch's _calculate_fan_in_and_fan_out). */
export function calculateFanInAndFanOut(t: Tensor): [number, number] {
  const s = t.shape
  if (s.length < 2) throw new Error('Fan in and fan out can not be computed for tensor with fewer than 2 dimensions')
  const rf = s.slice(2).reduce((a, b) => a * b, 1)
  return [s[1] * rf, s[0] * rf]
}

function fill(t: Tensor, src: Tensor): Tensor {
  noGrad(() => t.copy_(src))
  return t
}

export function uniform_(t: Tensor, a = 0, b = 1): Tensor {
  return fill(t, rand(t.shape, { dtype: t.dtype, device: t.device }).mul(b - a).add(a))
}

export function normal_(t: Tensor, mean = 0, std = 1): Tensor {
  return fill(t, randn(t.shape, { dtype: t.dtype, device: t.device }).mul(std).add(mean))
}

export function constant_(t: Tensor, v: number): Tensor {
  noGrad(() => t.fill_(v))
  return t
}

export function zeros_(t: Tensor): Tensor { return constant_(t, 0) }
export function ones_(t: Tensor): Tensor { return constant_(t, 1) }

export function xavierUniform_(t: Tensor, gain = 1): Tensor {
  const [fi, fo] = calculateFanInAndFanOut(t)
  const a = gain * Math.sqrt(6 / (fi + fo))
  return uniform_(t, -a, a)
}

export function xavierNormal_(t: Tensor, gain = 1): Tensor {
  const [fi, fo] = calculateFanInAndFanOut(t)
  return normal_(t, 0, gain * Math.sqrt(2 / (fi + fo)))
}

interface KaimingOptions {
  a?: number
  mode?: 'fan_in' | 'fan_out'
  nonlinearity?: string
}

function kaimingStd(t: Tensor, o: KaimingOptions): number {
  const [fi, fo] = calculateFanInAndFanOut(t)
  const fan = (o.mode ?? 'fan_in') === 'fan_in' ? fi : fo
  return calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0) / Math.sqrt(fan)
}

export function kaimingUniform_(t: Tensor, o: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, o)
  return uniform_(t, -bound, bound)
}

export function kaimingNormal_(t: Tensor, o: KaimingOptions = {}): Tensor {
  return normal_(t, 0, kaimingStd(t, o))
}

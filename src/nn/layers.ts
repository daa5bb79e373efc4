// nn layers: each holds its parameters as fields and calls nn.functional in forward.
import { Module, Parameter } from './module'
import * as F from './functional'
import * as init from './init'
import { empty, ones, zeros, tensor } from '../creation'
import { Tensor } from '../tensor'
import { parse } from '../args'
import { noGrad } from '../autograd'

interface Factory {
  dtype?: string
  device?: string
}

function fresh(shape: number[], f: Factory): Tensor {
  return empty(shape, { dtype: (f.dtype as any) ?? 'float32', device: f.device })
}

export class Identity extends Module {
  forward(x: Tensor): Tensor { return x }
}

/** `nn.Linear(inFeatures, outFeatures, {bias, dtype, device})`, initialised as PyTorch's. */
export class Linear extends Module {
  inFeatures: number
  outFeatures: number
  weight: Parameter
  bias: Parameter | null
  constructor(...args: any[]) {
    super()
    const a = parse(args, ['inFeatures', 'outFeatures', 'bias', 'device', 'dtype'], 'Linear')
    this.inFeatures = a.inFeatures
    this.outFeatures = a.outFeatures
    this.weight = new Parameter(fresh([a.outFeatures, a.inFeatures], a))
    this.bias = a.bias ?? true ? new Parameter(fresh([a.outFeatures], a)) : null
    this.resetParameters()
  }
  resetParameters(): void {
    init.kaimingUniform_(this.weight, { a: Math.sqrt(5) })
    if (this.bias) {
      const b = this.inFeatures > 0 ? 1 / Math.sqrt(this.inFeatures) : 0
      init.uniform_(this.bias, -b, b)
    }
  }
  forward(x: Tensor): Tensor { return F.linear(x, this.weight, this.bias) }
  extraRepr(): string { return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias !== null}` }
}

/** `nn.Bilinear(in1, in2, out)`: `y = x1^T A x2 + b`. */
export class Bilinear extends Module {
  weight: Parameter
  bias: Parameter | null
  constructor(...args: any[]) {
    super()
    const a = parse(args, ['in1Features', 'in2Features', 'outFeatures', 'bias', 'device', 'dtype'], 'Bilinear')
    this.weight = new Parameter(fresh([a.outFeatures, a.in1Features, a.in2Features], a))
    this.bias = a.bias ?? true ? new Parameter(fresh([a.outFeatures], a)) : null
    const b = 1 / Math.sqrt(a.in1Features)
    init.uniform_(this.weight, -b, b)
    if (this.bias) init.uniform_(this.bias, -b, b)
  }
  forward(x1: Tensor, x2: Tensor): Tensor {
    const y = x1.unsqueeze(-2).unsqueeze(-3).matmul(this.weight).squeeze(-2).mul(x2.unsqueeze(-2)).sum(-1)
    return this.bias ? y.add(this.bias) : y
  }
}

type Pair = number | [number, number]

abstract class ConvNd extends Module {
  weight: Parameter
  bias: Parameter | null
  stride: any
  padding: any
  dilation: any
  groups: number
  constructor(shape: number[], fanIn: number, a: any) {
    super()
    this.weight = new Parameter(fresh(shape, a))
    this.bias = a.bias ?? true ? new Parameter(fresh([a.transposed ? shape[1] * (a.groups ?? 1) : shape[0]], a)) : null
    this.stride = a.stride ?? 1
    this.padding = a.padding ?? 0
    this.dilation = a.dilation ?? 1
    this.groups = a.groups ?? 1
    init.kaimingUniform_(this.weight, { a: Math.sqrt(5) })
    if (this.bias) {
      const b = 1 / Math.sqrt(fanIn)
      init.uniform_(this.bias, -b, b)
    }
  }
}

const ks = (k: Pair): [number, number] => (typeof k === 'number' ? [k, k] : k)

/** `nn.Conv2d(inChannels, outChannels, kernelSize, {stride, padding, dilation, groups, bias})`. */
export class Conv2d extends ConvNd {
  constructor(...args: any[]) {
    const a = parse(args, ['inChannels', 'outChannels', 'kernelSize', 'stride', 'padding', 'dilation', 'groups', 'bias', 'paddingMode', 'device', 'dtype'], 'Conv2d')
    const [kh, kw] = ks(a.kernelSize)
    const g = a.groups ?? 1
    super([a.outChannels, a.inChannels / g, kh, kw], (a.inChannels / g) * kh * kw, a)
  }
  forward(x: Tensor): Tensor {
    return F.conv2d(x, this.weight, { bias: this.bias, stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups })
  }
}

/** `nn.Conv1d(inChannels, outChannels, kernelSize, {...})`. */
export class Conv1d extends ConvNd {
  constructor(...args: any[]) {
    const a = parse(args, ['inChannels', 'outChannels', 'kernelSize', 'stride', 'padding', 'dilation', 'groups', 'bias', 'paddingMode', 'device', 'dtype'], 'Conv1d')
    const g = a.groups ?? 1
    super([a.outChannels, a.inChannels / g, a.kernelSize], (a.inChannels / g) * a.kernelSize, a)
  }
  forward(x: Tensor): Tensor {
    return F.conv1d(x, this.weight, { bias: this.bias, stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups })
  }
}

/** `nn.ConvTranspose2d(inChannels, outChannels, kernelSize, {stride, padding, outputPadding, groups, bias, dilation})`. */
export class ConvTranspose2d extends ConvNd {
  outputPadding: any
  constructor(...args: any[]) {
    const a = parse(args, ['inChannels', 'outChannels', 'kernelSize', 'stride', 'padding', 'outputPadding', 'groups', 'bias', 'dilation', 'paddingMode', 'device', 'dtype'], 'ConvTranspose2d')
    const [kh, kw] = ks(a.kernelSize)
    const g = a.groups ?? 1
    super([a.inChannels, a.outChannels / g, kh, kw], (a.outChannels / g) * kh * kw, { ...a, transposed: true })
    this.outputPadding = a.outputPadding ?? 0
  }
  forward(x: Tensor): Tensor {
    return F.convTranspose2d(x, this.weight, { bias: this.bias, stride: this.stride, padding: this.padding, outputPadding: this.outputPadding, groups: this.groups, dilation: this.dilation })
  }
}

export class MaxPool2d extends Module {
  opts: any
  constructor(...args: any[]) {
    super()
    this.opts = parse(args, ['kernelSize', 'stride', 'padding', 'dilation', 'returnIndices', 'ceilMode'], 'MaxPool2d')
  }
  forward(x: Tensor): Tensor { return F.maxPool2d(x, this.opts) }
}

export class MaxPool1d extends Module {
  opts: any
  constructor(...args: any[]) {
    super()
    this.opts = parse(args, ['kernelSize', 'stride', 'padding', 'dilation', 'returnIndices', 'ceilMode'], 'MaxPool1d')
  }
  forward(x: Tensor): Tensor { return F.maxPool1d(x, this.opts) }
}

export class AvgPool2d extends Module {
  opts: any
  constructor(...args: any[]) {
    super()
    this.opts = parse(args, ['kernelSize', 'stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride'], 'AvgPool2d')
  }
  forward(x: Tensor): Tensor { return F.avgPool2d(x, this.opts) }
}

export class AdaptiveAvgPool2d extends Module {
  constructor(public outputSize: Pair) {
    super()
  }
  forward(x: Tensor): Tensor { return F.adaptiveAvgPool2d(x, this.outputSize) }
}

abstract class BatchNormBase extends Module {
  weight: Parameter | null
  bias: Parameter | null
  eps: number
  momentum: number | null
  trackRunningStats: boolean
  constructor(a: any) {
    super()
    const n = a.numFeatures
    this.eps = a.eps ?? 1e-5
    this.momentum = a.momentum === undefined ? 0.1 : a.momentum
    const affine = a.affine ?? true
    this.trackRunningStats = a.trackRunningStats ?? true
    this.weight = affine ? new Parameter(ones([n], { dtype: a.dtype ?? 'float32', device: a.device })) : null
    this.bias = affine ? new Parameter(zeros([n], { dtype: a.dtype ?? 'float32', device: a.device })) : null
    if (this.trackRunningStats) {
      this.registerBuffer('running_mean', zeros([n], { dtype: a.dtype ?? 'float32', device: a.device }))
      this.registerBuffer('running_var', ones([n], { dtype: a.dtype ?? 'float32', device: a.device }))
      this.registerBuffer('num_batches_tracked', tensor(0, { dtype: 'int64', device: a.device }))
    }
  }
  forward(x: Tensor): Tensor {
    const self = this as any
    let momentum = this.momentum ?? 0
    if (this.training && this.trackRunningStats) {
      noGrad(() => self.num_batches_tracked.add_(1))
      if (this.momentum === null) momentum = 1 / Number(self.num_batches_tracked.item())
    }
    const useBatch = this.training || !this.trackRunningStats
    return F.batchNorm(x, this.trackRunningStats ? self.running_mean : null, this.trackRunningStats ? self.running_var : null, { weight: this.weight, bias: this.bias, training: useBatch, momentum, eps: this.eps })
  }
}

export class BatchNorm1d extends BatchNormBase {
  constructor(...args: any[]) {
    super(parse(args, ['numFeatures', 'eps', 'momentum', 'affine', 'trackRunningStats', 'device', 'dtype'], 'BatchNorm1d'))
  }
}

export class BatchNorm2d extends BatchNormBase {
  constructor(...args: any[]) {
    super(parse(args, ['numFeatures', 'eps', 'momentum', 'affine', 'trackRunningStats', 'device', 'dtype'], 'BatchNorm2d'))
  }
}

export class LayerNorm extends Module {
  normalizedShape: number[]
  eps: number
  weight: Parameter | null
  bias: Parameter | null
  constructor(...args: any[]) {
    super()
    const a = parse(args, ['normalizedShape', 'eps', 'elementwiseAffine', 'bias', 'device', 'dtype'], 'LayerNorm')
    this.normalizedShape = typeof a.normalizedShape === 'number' ? [a.normalizedShape] : a.normalizedShape
    this.eps = a.eps ?? 1e-5
    const affine = a.elementwiseAffine ?? true
    this.weight = affine ? new Parameter(ones(this.normalizedShape, { dtype: a.dtype ?? 'float32', device: a.device })) : null
    this.bias = affine && (a.bias ?? true) ? new Parameter(zeros(this.normalizedShape, { dtype: a.dtype ?? 'float32', device: a.device })) : null
  }
  forward(x: Tensor): Tensor { return F.layerNorm(x, this.normalizedShape, { weight: this.weight, bias: this.bias, eps: this.eps }) }
}

export class GroupNorm extends Module {
  numGroups: number
  eps: number
  weight: Parameter | null
  bias: Parameter | null
  constructor(...args: any[]) {
    super()
    const a = parse(args, ['numGroups', 'numChannels', 'eps', 'affine', 'device', 'dtype'], 'GroupNorm')
    this.numGroups = a.numGroups
    this.eps = a.eps ?? 1e-5
    const affine = a.affine ?? true
    this.weight = affine ? new Parameter(ones([a.numChannels], { dtype: a.dtype ?? 'float32', device: a.device })) : null
    this.bias = affine ? new Parameter(zeros([a.numChannels], { dtype: a.dtype ?? 'float32', device: a.device })) : null
  }
  forward(x: Tensor): Tensor { return F.groupNorm(x, this.numGroups, { weight: this.weight, bias: this.bias, eps: this.eps }) }
}

export class Dropout extends Module {
  constructor(public p = 0.5) {
    super()
  }
  forward(x: Tensor): Tensor { return F.dropout(x, { p: this.p, training: this.training }) }
}

/** `nn.Embedding(numEmbeddings, embeddingDim, {paddingIdx})`: N(0,1) init, padding row zero. */
export class Embedding extends Module {
  weight: Parameter
  paddingIdx: number | null
  constructor(...args: any[]) {
    super()
    const a = parse(args, ['numEmbeddings', 'embeddingDim', 'paddingIdx', 'maxNorm', 'normType', 'scaleGradByFreq', 'sparse', '_weight', '_freeze', 'device', 'dtype'], 'Embedding')
    this.weight = new Parameter(fresh([a.numEmbeddings, a.embeddingDim], a))
    this.paddingIdx = a.paddingIdx === undefined || a.paddingIdx === null ? null : a.paddingIdx < 0 ? a.paddingIdx + a.numEmbeddings : a.paddingIdx
    init.normal_(this.weight)
    if (this.paddingIdx !== null) noGrad(() => this.weight.select(0, this.paddingIdx!).fill_(0))
  }
  forward(x: Tensor): Tensor {
    const y = F.embedding(x, this.weight)
    if (this.paddingIdx === null) return y
    // The padding row gets no gradient, as in PyTorch.
    const keep = x.ne(this.paddingIdx).unsqueeze(-1).to(y.dtype)
    return y.mul(keep).add(y.detach().mul(keep.rsub(1)))
  }
}

export class Flatten extends Module {
  constructor(public startDim = 1, public endDim = -1) {
    super()
  }
  forward(x: Tensor): Tensor { return x.flatten(this.startDim, this.endDim) }
}

export class Unflatten extends Module {
  constructor(public dim: number, public unflattenedSize: number[]) {
    super()
  }
  forward(x: Tensor): Tensor { return x.unflatten(this.dim, this.unflattenedSize) }
}

function act(name: string, f: (x: Tensor, self: any) => Tensor) {
  const C = class extends Module {
    [k: string]: any
    constructor(...args: any[]) {
      super()
      this.args = args
    }
    forward(x: Tensor): Tensor { return f(x, this) }
  }
  Object.defineProperty(C, 'name', { value: name })
  return C
}

export const ReLU = act('ReLU', (x) => F.relu(x))
export const GELU = act('GELU', (x, s) => F.gelu(x, ...(s.args ?? [])))
export const SiLU = act('SiLU', (x) => F.silu(x))
export const Tanh = act('Tanh', (x) => F.tanh(x))
export const Sigmoid = act('Sigmoid', (x) => F.sigmoid(x))
export const Mish = act('Mish', (x) => F.mish(x))
export const Softmax = act('Softmax', (x, s) => F.softmax(x, ...(s.args ?? [])))
export const LogSoftmax = act('LogSoftmax', (x, s) => F.logSoftmax(x, ...(s.args ?? [])))
export const LeakyReLU = act('LeakyReLU', (x, s) => F.leakyRelu(x, ...(s.args ?? [])))
export const ELU = act('ELU', (x, s) => F.elu(x, ...(s.args ?? [])))
export const Softplus = act('Softplus', (x, s) => F.softplus(x, ...(s.args ?? [])))
export const Hardtanh = act('Hardtanh', (x, s) => F.hardtanh(x, ...(s.args ?? [])))
export type ActivationModule = InstanceType<typeof ReLU>

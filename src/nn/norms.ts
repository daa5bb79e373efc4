// Normalization, dropout, attention and vector helpers of torch.nn.functional, written from
// differentiable tensor ops.
import { parse } from '../args'
import { rand, ones, arange } from '../creation'
import { noGrad } from '../autograd'
import { Tensor } from '../tensor'

/** `F.layer_norm(input, normalizedShape, {weight, bias, eps})`. */
export function layerNorm(input: Tensor, normalizedShape: number[] | number, ...args: any[]): Tensor {
  const a = parse(args, ['weight', 'bias', 'eps'], 'layerNorm')
  const ns = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape
  const nd = input.ndim
  const tail = input.shape.slice(nd - ns.length)
  if (ns.length > nd || tail.some((s, i) => s !== ns[i])) {
    throw new Error(`layer_norm: Given normalized_shape=${JSON.stringify(ns)}, expected input with shape [*, ${ns.join(', ')}], but got input of size ${JSON.stringify(input.shape)}`)
  }
  const dims = ns.map((_, i) => nd - ns.length + i)
  const mean = input.mean(dims, true)
  const xc = input.sub(mean)
  const v = xc.square().mean(dims, true)
  let y = xc.mul(v.add(a.eps ?? 1e-5).rsqrt())
  if (a.weight) y = y.mul(a.weight)
  if (a.bias) y = y.add(a.bias)
  return y
}

/**
 * `F.batch_norm(input, runningMean, runningVar, {weight, bias, training, momentum, eps})`.
 * In training the batch statistics normalize and the running ones are updated in place.
 */
export function batchNorm(input: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, ...args: any[]): Tensor {
  const a = parse(args, ['weight', 'bias', 'training', 'momentum', 'eps'], 'batchNorm')
  const training = a.training ?? false
  const momentum = a.momentum ?? 0.1
  const eps = a.eps ?? 1e-5
  if (input.ndim < 2) throw new Error(`batch_norm: expected 2D or more input (got ${input.ndim}D input)`)
  const C = input.shape[1]
  const dims = [0, ...Array.from({ length: input.ndim - 2 }, (_, i) => i + 2)]
  const bshape = input.shape.map((s, i) => (i === 1 ? C : 1))
  let mean: Tensor
  let v: Tensor
  if (training) {
    const n = input.numel() / C
    if (n <= 1) throw new Error(`batch_norm: Expected more than 1 value per channel when training, got input size ${JSON.stringify(input.shape)}`)
    mean = input.mean(dims, true)
    v = input.sub(mean).square().mean(dims, true)
    noGrad(() => {
      const m = mean.detach().reshape(C)
      const vu = v.detach().reshape(C).mul(n / (n - 1))
      if (runningMean) runningMean.mul_(1 - momentum).add_(m.mul(momentum))
      if (runningVar) runningVar.mul_(1 - momentum).add_(vu.mul(momentum))
    })
  } else {
    if (!runningMean || !runningVar) throw new Error('batch_norm: running_mean and running_var must be defined in evaluation mode')
    mean = runningMean.reshape(bshape)
    v = runningVar.reshape(bshape)
  }
  let y = input.sub(mean).mul(v.add(eps).rsqrt())
  if (a.weight) y = y.mul(a.weight.reshape(bshape))
  if (a.bias) y = y.add(a.bias.reshape(bshape))
  return y
}

/** `F.group_norm(input, numGroups, {weight, bias, eps})`. */
export function groupNorm(input: Tensor, numGroups: number, ...args: any[]): Tensor {
  const a = parse(args, ['weight', 'bias', 'eps'], 'groupNorm')
  const [Nb, C] = input.shape
  if (C % numGroups !== 0) throw new Error(`group_norm: Expected number of channels in input to be divisible by num_groups, but got input of shape ${JSON.stringify(input.shape)} and num_groups=${numGroups}`)
  const x = input.reshape(Nb, numGroups, -1)
  const mean = x.mean(2, true)
  const xc = x.sub(mean)
  const v = xc.square().mean(2, true)
  let y = xc.mul(v.add(a.eps ?? 1e-5).rsqrt()).reshape(input.shape)
  const bshape = input.shape.map((s, i) => (i === 1 ? C : 1))
  if (a.weight) y = y.mul(a.weight.reshape(bshape))
  if (a.bias) y = y.add(a.bias.reshape(bshape))
  return y
}

/** `F.dropout(input, {p, training})`: zeroes with probability p and scales by 1/(1-p). */
export function dropout(input: Tensor, ...args: any[]): Tensor {
  const a = parse(args, ['p', 'training', 'inplace'], 'dropout')
  const p = a.p ?? 0.5
  if (p < 0 || p > 1) throw new RangeError(`dropout probability has to be between 0 and 1, but got ${p}`)
  if (!(a.training ?? true) || p === 0) return input.mul(1)
  if (p === 1) return input.mul(0)
  const keep = rand(input.shape, { dtype: input.dtype, device: input.device }).ge(p)
  return input.mul(keep.to(input.dtype)).div(1 - p)
}

/** `F.scaled_dot_product_attention(q, k, v, {attnMask, dropoutP, isCausal, scale})`. */
export function scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor, ...args: any[]): Tensor {
  const a = parse(args, ['attnMask', 'dropoutP', 'isCausal', 'scale', 'enableGqa'], 'scaledDotProductAttention')
  const E = query.shape[query.ndim - 1]
  const L = query.shape[query.ndim - 2]
  const S = key.shape[key.ndim - 2]
  const scale = a.scale ?? 1 / Math.sqrt(E)
  let scores = query.matmul(key.transpose(-2, -1)).mul(scale)
  if (a.isCausal) {
    const causal = ones([L, S], { dtype: 'bool', device: query.device }).tril()
    scores = scores.maskedFill(causal.logicalNot(), -Infinity)
  }
  if (a.attnMask) {
    scores = a.attnMask.dtype === 'bool' ? scores.maskedFill(a.attnMask.logicalNot(), -Infinity) : scores.add(a.attnMask)
  }
  let attn = scores.softmax(-1)
  if (a.dropoutP) attn = dropout(attn, a.dropoutP, true)
  return attn.matmul(value)
}

/** `F.normalize(input, {p, dim, eps})`: divides by the p-norm along dim. */
export function normalize(input: Tensor, ...args: any[]): Tensor {
  const a = parse(args, ['p', 'dim', 'eps'], 'normalize')
  const n = input.norm(a.p ?? 2, a.dim ?? 1, true).clamp({ min: a.eps ?? 1e-12 })
  return input.div(n.expandAs(input))
}

/** `F.cosine_similarity(x1, x2, {dim, eps})`. */
export function cosineSimilarity(x1: Tensor, x2: Tensor, ...args: any[]): Tensor {
  const a = parse(args, ['dim', 'eps'], 'cosineSimilarity')
  const dim = a.dim ?? 1
  const eps = a.eps ?? 1e-8
  const w12 = x1.mul(x2).sum(dim)
  const w1 = x1.square().sum(dim)
  const w2 = x2.square().sum(dim)
  return w12.div(w1.mul(w2).clamp({ min: eps * eps }).sqrt())
}

/** `F.one_hot(tensor, {numClasses})`: int64 with a trailing class dim. */
export function oneHot(input: Tensor, ...args: any[]): Tensor {
  const a = parse(args, ['numClasses'], 'oneHot')
  if (input.dtype !== 'int64') throw new TypeError(`one_hot is only applicable to index tensor of type LongTensor, got ${input.dtype}`)
  let n = a.numClasses ?? -1
  if (n < 0) n = input.numel() ? Number(input.max().item()) + 1 : 0
  if (input.numel() && Number(input.min().item()) < 0) throw new RangeError('one_hot: Class values must be non-negative.')
  if (input.numel() && Number(input.max().item()) >= n) throw new RangeError('one_hot: Class values must be smaller than num_classes.')
  return input.unsqueeze(-1).eq(arange(n, { device: input.device })).to('int64')
}


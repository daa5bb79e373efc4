// Loss functions of torch.nn.functional, written from differentiable tensor ops so their
// gradients come from the tape.
import { parse } from '../args'
import * as ft from '../functional'
import { Tensor } from '../tensor'
import { zerosLike } from '../creation'
import { logSoftmax } from './basic'

type Reduction = 'mean' | 'sum' | 'none'

function reduce(loss: Tensor, reduction: Reduction, op: string): Tensor {
  switch (reduction) {
    case 'mean': return loss.mean()
    case 'sum': return loss.sum()
    case 'none': return loss
    default: throw new Error(`${op}: ${reduction} is not a valid value for reduction`)
  }
}

function checkSameShape(input: Tensor, target: Tensor, op: string): void {
  const a = input.shape
  const b = target.shape
  if (a.length !== b.length || a.some((s, i) => s !== b[i])) {
    throw new Error(`${op}: Using a target size (${JSON.stringify(b)}) that is different to the input size (${JSON.stringify(a)}) is not supported`)
  }
}

/** `F.nll_loss(input, target, {weight, ignoreIndex, reduction})`; input holds log-probabilities. */
export function nllLoss(input: Tensor, target: Tensor, ...args: any[]): Tensor {
  const a = parse(args, ['weight', 'sizeAverage', 'ignoreIndex', 'reduce', 'reduction'], 'nllLoss')
  const reduction: Reduction = a.reduction ?? 'mean'
  const ignore = a.ignoreIndex ?? -100
  if (target.isFloatingPoint()) throw new TypeError(`nll_loss: expected target of dtype int64, got ${target.dtype}`)
  const classDim = input.ndim === 1 ? 0 : 1
  const nClasses = input.shape[classDim]
  if (input.ndim > 1 && target.shape[0] !== input.shape[0]) {
    throw new Error(`nll_loss: Expected input batch_size (${input.shape[0]}) to match target batch_size (${target.shape[0]}).`)
  }
  const valid = target.ne(ignore)
  const safe = target.where(valid, 0)
  const bad = safe.lt(0).logicalOr(safe.ge(nClasses)).any().item()
  if (bad) throw new RangeError(`nll_loss: Target ${safe.max().item()} is out of bounds for ${nClasses} classes.`)
  const picked = input.gather(classDim, safe.unsqueeze(classDim)).squeeze(classDim).neg()
  let w = valid.to(input.dtype)
  if (a.weight) w = w.mul(a.weight.indexSelect(0, safe.flatten()).reshape(safe.shape))
  const loss = picked.mul(w)
  if (reduction === 'none') return loss
  if (reduction === 'sum') return loss.sum()
  return loss.sum().div(w.sum())
}

/**
 * `F.cross_entropy(input, target, {weight, ignoreIndex, reduction, labelSmoothing})` with class
 * indices or class probabilities as target.
 */
export function crossEntropy(input: Tensor, target: Tensor, ...args: any[]): Tensor {
  const a = parse(args, ['weight', 'sizeAverage', 'ignoreIndex', 'reduce', 'reduction', 'labelSmoothing'], 'crossEntropy')
  const reduction: Reduction = a.reduction ?? 'mean'
  const ls = a.labelSmoothing ?? 0
  const classDim = input.ndim === 1 ? 0 : 1
  const C = input.shape[classDim]
  const logp = logSoftmax(input, classDim)
  const wShape = input.shape.map((_, i) => (i === classDim ? C : 1))
  const wv = a.weight ? a.weight.reshape(wShape) : undefined
  if (target.isFloatingPoint()) {
    checkSameShape(input, target, 'cross_entropy')
    const t = ls > 0 ? target.mul(1 - ls).add(ls / C) : target
    let per = logp.mul(t)
    if (wv) per = per.mul(wv)
    const loss = per.sum(classDim).neg()
    if (reduction === 'mean') return loss.sum().div(input.ndim === 1 ? 1 : loss.numel())
    return reduce(loss, reduction, 'cross_entropy')
  }
  const nll = nllLoss(logp, target, { weight: a.weight, ignoreIndex: a.ignoreIndex, reduction })
  if (ls === 0) return nll
  const ignore = a.ignoreIndex ?? -100
  const valid = target.ne(ignore)
  let smooth = (wv ? logp.mul(wv) : logp).sum(classDim).neg().mul(valid.to(logp.dtype))
  if (reduction === 'none') return nll.mul(1 - ls).add(smooth.mul(ls / C))
  if (reduction === 'sum') smooth = smooth.sum()
  else {
    const denom = a.weight ? a.weight.indexSelect(0, target.where(valid, 0).flatten()).mul(valid.flatten().to(logp.dtype)).sum() : valid.sum().to(logp.dtype)
    smooth = smooth.sum().div(denom)
  }
  return nll.mul(1 - ls).add(smooth.mul(ls / C))
}

export function mseLoss(input: Tensor, target: Tensor, ...args: any[]): Tensor {
  const a = parse(args, ['sizeAverage', 'reduce', 'reduction'], 'mseLoss')
  return reduce(input.sub(target).square(), a.reduction ?? 'mean', 'mse_loss')
}

export function l1Loss(input: Tensor, target: Tensor, ...args: any[]): Tensor {
  const a = parse(args, ['sizeAverage', 'reduce', 'reduction'], 'l1Loss')
  return reduce(input.sub(target).abs(), a.reduction ?? 'mean', 'l1_loss')
}

export function smoothL1Loss(input: Tensor, target: Tensor, ...args: any[]): Tensor {
  const a = parse(args, ['sizeAverage', 'reduce', 'reduction', 'beta'], 'smoothL1Loss')
  const beta = a.beta ?? 1
  const d = input.sub(target).abs()
  if (beta === 0) return reduce(d, a.reduction ?? 'mean', 'smooth_l1_loss')
  const loss = ft.where(d.lt(beta), d.square().mul(0.5 / beta), d.sub(0.5 * beta))
  return reduce(loss, a.reduction ?? 'mean', 'smooth_l1_loss')
}

export function huberLoss(input: Tensor, target: Tensor, ...args: any[]): Tensor {
  const a = parse(args, ['reduction', 'delta'], 'huberLoss')
  const delta = a.delta ?? 1
  const d = input.sub(target).abs()
  const loss = ft.where(d.lt(delta), d.square().mul(0.5), d.sub(0.5 * delta).mul(delta))
  return reduce(loss, a.reduction ?? 'mean', 'huber_loss')
}

/** `F.binary_cross_entropy(input, target, {weight, reduction})`; logs clamp at -100 as PyTorch's. */
export function binaryCrossEntropy(input: Tensor, target: Tensor, ...args: any[]): Tensor {
  const a = parse(args, ['weight', 'sizeAverage', 'reduce', 'reduction'], 'binaryCrossEntropy')
  checkSameShape(input, target, 'binary_cross_entropy')
  const lo = input.log().clamp({ min: -100 })
  const l1m = input.rsub(1).log().clamp({ min: -100 })
  let loss = target.mul(lo).add(target.rsub(1).mul(l1m)).neg()
  if (a.weight) loss = loss.mul(a.weight)
  return reduce(loss, a.reduction ?? 'mean', 'binary_cross_entropy')
}

/** `F.binary_cross_entropy_with_logits(input, target, {weight, posWeight, reduction})`, computed stably. */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, ...args: any[]): Tensor {
  const a = parse(args, ['weight', 'sizeAverage', 'reduce', 'reduction', 'posWeight'], 'binaryCrossEntropyWithLogits')
  checkSameShape(input, target, 'binary_cross_entropy_with_logits')
  // log(1 + exp(-x)) = max(-x, 0) + log(1 + exp(-|x|))
  const softTerm = input.neg().clamp({ min: 0 }).add(input.abs().neg().exp().log1p())
  let loss: Tensor
  if (a.posWeight) {
    const lw = a.posWeight.sub(1).mul(target).add(1)
    loss = target.rsub(1).mul(input).add(lw.mul(softTerm))
  } else {
    loss = target.rsub(1).mul(input).add(softTerm)
  }
  if (a.weight) loss = loss.mul(a.weight)
  return reduce(loss, a.reduction ?? 'mean', 'binary_cross_entropy_with_logits')
}

/** `F.kl_div(input, target, {reduction, logTarget})`; input holds log-probabilities. */
export function klDiv(input: Tensor, target: Tensor, ...args: any[]): Tensor {
  const a = parse(args, ['sizeAverage', 'reduce', 'reduction', 'logTarget'], 'klDiv')
  const reduction = a.reduction ?? 'mean'
  let loss: Tensor
  if (a.logTarget) loss = target.exp().mul(target.sub(input))
  else {
    // xlogy(t, t) is 0 where t == 0.
    const tlogt = ft.where(target.gt(0), target.mul(target.where(target.gt(0), 1).log()), zerosLike(target))
    loss = tlogt.sub(target.mul(input))
  }
  if (reduction === 'batchmean') return loss.sum().div(input.ndim > 0 ? input.shape[0] : 1)
  return reduce(loss, reduction, 'kl_div')
}

/** `F.cosine_embedding_loss(x1, x2, y, {margin, reduction})`. */
export function cosineEmbeddingLoss(x1: Tensor, x2: Tensor, y: Tensor, ...args: any[]): Tensor {
  const a = parse(args, ['margin', 'sizeAverage', 'reduce', 'reduction'], 'cosineEmbeddingLoss')
  const margin = a.margin ?? 0
  const eps = 1e-12
  const prod = x1.mul(x2).sum(-1)
  const m1 = x1.square().sum(-1).add(eps)
  const m2 = x2.square().sum(-1).add(eps)
  const cos = prod.div(m1.mul(m2).sqrt())
  const pos = cos.rsub(1)
  const neg = cos.sub(margin).clamp({ min: 0 })
  const loss = ft.where(y.eq(1), pos, ft.where(y.eq(-1), neg, zerosLike(cos)))
  return reduce(loss, a.reduction ?? 'mean', 'cosine_embedding_loss')
}

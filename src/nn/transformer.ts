// MultiheadAttention and the Transformer encoder/decoder layers, with PyTorch's parameter
// names (in_proj_weight, out_proj.weight, self_attn, linear1, norm1, ...).
import { Module, Parameter } from './module'
import { Linear, LayerNorm, Dropout } from './layers'
import { ModuleList } from './containers'
import * as init from './init'
import * as F from './functional'
import { parse } from '../args'
import { empty, zeros, ones } from '../creation'
import { Tensor } from '../tensor'
import { noGrad } from '../autograd'

/** A deep copy of a module: new parameters and buffers with the same values. */
export function copyModule<M extends Module>(m: M): M {
  const out = Object.create(Object.getPrototypeOf(m))
  for (const [k, v] of Object.entries(m)) {
    if (v instanceof Parameter) out[k] = new Parameter(noGrad(() => v.clone()), v.requiresGrad)
    else if (v instanceof Tensor) out[k] = noGrad(() => v.clone())
    else if (v instanceof Module) out[k] = copyModule(v)
    else if (v instanceof Map) out[k] = new Map(v)
    else out[k] = v
  }
  return out
}

/** `nn.MultiheadAttention(embedDim, numHeads, {dropout, bias, batchFirst})`. */
export class MultiheadAttention extends Module {
  embedDim: number
  numHeads: number
  dropout: number
  batchFirst: boolean
  in_proj_weight: Parameter
  in_proj_bias: Parameter | null
  out_proj: Linear
  constructor(...args: any[]) {
    super()
    const a = parse(args, ['embedDim', 'numHeads', 'dropout', 'bias', 'addBiasKv', 'addZeroAttn', 'kdim', 'vdim', 'batchFirst', 'device', 'dtype'], 'MultiheadAttention')
    this.embedDim = a.embedDim
    this.numHeads = a.numHeads
    if (this.embedDim % this.numHeads !== 0) throw new Error('MultiheadAttention: embed_dim must be divisible by num_heads')
    if ((a.kdim && a.kdim !== a.embedDim) || (a.vdim && a.vdim !== a.embedDim)) throw new Error('MultiheadAttention: kdim/vdim different from embedDim are not supported yet')
    this.dropout = a.dropout ?? 0
    this.batchFirst = a.batchFirst ?? false
    const E = this.embedDim
    const dtype = a.dtype ?? 'float32'
    this.in_proj_weight = new Parameter(empty([3 * E, E], { dtype, device: a.device }))
    this.in_proj_bias = a.bias ?? true ? new Parameter(zeros([3 * E], { dtype, device: a.device })) : null
    this.out_proj = new Linear(E, E, { bias: a.bias ?? true, dtype, device: a.device })
    init.xavierUniform_(this.in_proj_weight)
    if (this.out_proj.bias) init.zeros_(this.out_proj.bias)
  }

  /**
   * `forward(query, key, value, {keyPaddingMask, needWeights, attnMask, averageAttnWeights, isCausal})`
   * returns `[output, weights | null]`.
   */
  forward(query: Tensor, key: Tensor, value: Tensor, ...args: any[]): [Tensor, Tensor | null] {
    const o = parse(args, ['keyPaddingMask', 'needWeights', 'attnMask', 'averageAttnWeights', 'isCausal'], 'MultiheadAttention.forward')
    const unbatched = query.ndim === 2
    let [q, k, v] = [query, key, value].map((t) => (unbatched ? t.unsqueeze(this.batchFirst ? 0 : 1) : t))
    if (!this.batchFirst) [q, k, v] = [q, k, v].map((t) => t.transpose(0, 1)) // -> [B, L, E]
    const [B, L, E] = q.shape
    const S = k.shape[1]
    const h = this.numHeads
    const d = E / h
    const W = this.in_proj_weight
    const b = this.in_proj_bias
    const proj = (x: Tensor, i: number) => F.linear(x, W.narrow(0, i * E, E), b ? b.narrow(0, i * E, E) : null)
    const heads = (x: Tensor, n: number) => x.reshape(B, n, h, d).transpose(1, 2) // [B, h, n, d]
    const qh = heads(proj(q, 0), L)
    const kh = heads(proj(k, 1), S)
    const vh = heads(proj(v, 2), S)
    let scores = qh.matmul(kh.transpose(-2, -1)).mul(1 / Math.sqrt(d))
    let mask: Tensor | null = null
    if (o.isCausal && !o.attnMask) mask = ones([L, S], { dtype: 'bool', device: q.device }).triu(1)
    if (o.attnMask) {
      const m: Tensor = o.attnMask
      if (m.dtype === 'bool') mask = m
      else scores = scores.add(m.ndim === 3 ? m.reshape(B, h, L, S) : m)
    }
    if (mask) scores = scores.maskedFill(mask.ndim === 3 ? mask.reshape(B, h, L, S) : mask, -Infinity)
    if (o.keyPaddingMask) {
      const kpm: Tensor = o.keyPaddingMask
      scores = kpm.dtype === 'bool' ? scores.maskedFill(kpm.reshape(B, 1, 1, S), -Infinity) : scores.add(kpm.reshape(B, 1, 1, S))
    }
    let attn = scores.softmax(-1)
    if (this.dropout && this.training) attn = F.dropout(attn, this.dropout, true)
    let out = attn.matmul(vh).transpose(1, 2).reshape(B, L, E)
    out = this.out_proj.call(out)
    if (!this.batchFirst) out = out.transpose(0, 1)
    if (unbatched) out = out.squeeze(this.batchFirst ? 0 : 1)
    let weights: Tensor | null = null
    if (o.needWeights ?? true) {
      weights = o.averageAttnWeights ?? true ? attn.mean(1) : attn
      if (unbatched) weights = weights.squeeze(0)
    }
    return [out, weights]
  }
}

function activation(a: any): (x: Tensor) => Tensor {
  if (typeof a === 'function') return a
  if (a === 'gelu') return (x) => F.gelu(x)
  return (x) => F.relu(x)
}

const LAYER_ARGS = ['dModel', 'nhead', 'dimFeedforward', 'dropout', 'activation', 'layerNormEps', 'batchFirst', 'normFirst', 'bias', 'device', 'dtype']

/** `nn.TransformerEncoderLayer(dModel, nhead, {dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst})`. */
export class TransformerEncoderLayer extends Module {
  self_attn: MultiheadAttention
  linear1: Linear
  dropout: Dropout
  linear2: Linear
  norm1: LayerNorm
  norm2: LayerNorm
  dropout1: Dropout
  dropout2: Dropout
  normFirst: boolean
  act: (x: Tensor) => Tensor
  constructor(...args: any[]) {
    super()
    const a = parse(args, LAYER_ARGS, 'TransformerEncoderLayer')
    const ff = a.dimFeedforward ?? 2048
    const p = a.dropout ?? 0.1
    const eps = a.layerNormEps ?? 1e-5
    const f = { bias: a.bias ?? true, dtype: a.dtype, device: a.device }
    this.self_attn = new MultiheadAttention(a.dModel, a.nhead, { dropout: p, batchFirst: a.batchFirst ?? false, ...f })
    this.linear1 = new Linear(a.dModel, ff, f)
    this.dropout = new Dropout(p)
    this.linear2 = new Linear(ff, a.dModel, f)
    this.normFirst = a.normFirst ?? false
    this.norm1 = new LayerNorm(a.dModel, { eps, ...f })
    this.norm2 = new LayerNorm(a.dModel, { eps, ...f })
    this.dropout1 = new Dropout(p)
    this.dropout2 = new Dropout(p)
    this.act = activation(a.activation)
  }
  private sa(x: Tensor, mask?: Tensor, kpm?: Tensor, isCausal?: boolean): Tensor {
    return this.dropout1.call(this.self_attn.call(x, x, x, { attnMask: mask, keyPaddingMask: kpm, needWeights: false, isCausal })[0])
  }
  private ffn(x: Tensor): Tensor {
    return this.dropout2.call(this.linear2.call(this.dropout.call(this.act(this.linear1.call(x)))))
  }
  forward(src: Tensor, ...args: any[]): Tensor {
    const o = parse(args, ['srcMask', 'srcKeyPaddingMask', 'isCausal'], 'TransformerEncoderLayer.forward')
    let x = src
    if (this.normFirst) {
      x = x.add(this.sa(this.norm1.call(x), o.srcMask, o.srcKeyPaddingMask, o.isCausal))
      x = x.add(this.ffn(this.norm2.call(x)))
    } else {
      x = this.norm1.call(x.add(this.sa(x, o.srcMask, o.srcKeyPaddingMask, o.isCausal)))
      x = this.norm2.call(x.add(this.ffn(x)))
    }
    return x
  }
}

/** `nn.TransformerDecoderLayer(dModel, nhead, {...})`: self-attention, cross-attention, feed-forward. */
export class TransformerDecoderLayer extends Module {
  self_attn: MultiheadAttention
  multihead_attn: MultiheadAttention
  linear1: Linear
  dropout: Dropout
  linear2: Linear
  norm1: LayerNorm
  norm2: LayerNorm
  norm3: LayerNorm
  dropout1: Dropout
  dropout2: Dropout
  dropout3: Dropout
  normFirst: boolean
  act: (x: Tensor) => Tensor
  constructor(...args: any[]) {
    super()
    const a = parse(args, LAYER_ARGS, 'TransformerDecoderLayer')
    const ff = a.dimFeedforward ?? 2048
    const p = a.dropout ?? 0.1
    const eps = a.layerNormEps ?? 1e-5
    const f = { bias: a.bias ?? true, dtype: a.dtype, device: a.device }
    const bf = a.batchFirst ?? false
    this.self_attn = new MultiheadAttention(a.dModel, a.nhead, { dropout: p, batchFirst: bf, ...f })
    this.multihead_attn = new MultiheadAttention(a.dModel, a.nhead, { dropout: p, batchFirst: bf, ...f })
    this.linear1 = new Linear(a.dModel, ff, f)
    this.dropout = new Dropout(p)
    this.linear2 = new Linear(ff, a.dModel, f)
    this.normFirst = a.normFirst ?? false
    this.norm1 = new LayerNorm(a.dModel, { eps, ...f })
    this.norm2 = new LayerNorm(a.dModel, { eps, ...f })
    this.norm3 = new LayerNorm(a.dModel, { eps, ...f })
    this.dropout1 = new Dropout(p)
    this.dropout2 = new Dropout(p)
    this.dropout3 = new Dropout(p)
    this.act = activation(a.activation)
  }
  forward(tgt: Tensor, memory: Tensor, ...args: any[]): Tensor {
    const o = parse(args, ['tgtMask', 'memoryMask', 'tgtKeyPaddingMask', 'memoryKeyPaddingMask', 'tgtIsCausal', 'memoryIsCausal'], 'TransformerDecoderLayer.forward')
    const sa = (x: Tensor) => this.dropout1.call(this.self_attn.call(x, x, x, { attnMask: o.tgtMask, keyPaddingMask: o.tgtKeyPaddingMask, needWeights: false, isCausal: o.tgtIsCausal })[0])
    const ca = (x: Tensor) => this.dropout2.call(this.multihead_attn.call(x, memory, memory, { attnMask: o.memoryMask, keyPaddingMask: o.memoryKeyPaddingMask, needWeights: false, isCausal: o.memoryIsCausal })[0])
    const ffn = (x: Tensor) => this.dropout3.call(this.linear2.call(this.dropout.call(this.act(this.linear1.call(x)))))
    let x = tgt
    if (this.normFirst) {
      x = x.add(sa(this.norm1.call(x)))
      x = x.add(ca(this.norm2.call(x)))
      x = x.add(ffn(this.norm3.call(x)))
    } else {
      x = this.norm1.call(x.add(sa(x)))
      x = this.norm2.call(x.add(ca(x)))
      x = this.norm3.call(x.add(ffn(x)))
    }
    return x
  }
}

/** `nn.TransformerEncoder(encoderLayer, numLayers, {norm})`: `numLayers` deep copies. */
export class TransformerEncoder extends Module {
  layers: ModuleList
  norm: Module | null
  constructor(encoderLayer: TransformerEncoderLayer, numLayers: number, opts: { norm?: Module | null } = {}) {
    super()
    this.layers = new ModuleList(Array.from({ length: numLayers }, () => copyModule(encoderLayer)))
    this.norm = opts.norm ?? null
  }
  forward(src: Tensor, ...args: any[]): Tensor {
    let x = src
    for (const l of this.layers) x = l.call(x, ...args)
    return this.norm ? this.norm.call(x) : x
  }
}

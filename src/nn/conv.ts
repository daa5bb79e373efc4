// Convolutions and pooling of torch.nn.functional, composed from im2col/col2im (native,
// each the other's backward) and batched matmul, so their gradients come from the tape.
import { N } from '../native'
import { parse } from '../args'
import { full } from '../creation'
import { Tensor, wrap } from '../tensor'
import { pad as padFn } from './basic'

type Pair = number | [number, number]

function pair(v: Pair | undefined, dflt: number, name: string, op: string): [number, number] {
  const p = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : v
  if (p.length !== 2 || p.some((x) => !Number.isInteger(x) || x < 0)) throw new TypeError(`${op}: ${name} must be a non-negative int or a pair of them, got ${JSON.stringify(v)}`)
  return p as [number, number]
}

function im2col(x: Tensor, k: [number, number], d: [number, number], p: [number, number], s: [number, number], padValue = 0): Tensor {
  return wrap(N.im2col(x._handle, [k[0], k[1], d[0], d[1], p[0], p[1], s[0], s[1]], padValue))
}

/** `F.unfold(input, kernelSize, {dilation, padding, stride})`. */
export function unfold(input: Tensor, kernelSize: Pair, ...args: any[]): Tensor {
  const a = parse(args, ['dilation', 'padding', 'stride'], 'unfold')
  return im2col(input, pair(kernelSize, 1, 'kernel_size', 'unfold'), pair(a.dilation, 1, 'dilation', 'unfold'), pair(a.padding, 0, 'padding', 'unfold'), pair(a.stride, 1, 'stride', 'unfold'))
}

/** `F.fold(input, outputSize, kernelSize, {dilation, padding, stride})`. */
export function fold(input: Tensor, outputSize: Pair, kernelSize: Pair, ...args: any[]): Tensor {
  const a = parse(args, ['dilation', 'padding', 'stride'], 'fold')
  const o = pair(outputSize, 1, 'output_size', 'fold')
  const k = pair(kernelSize, 1, 'kernel_size', 'fold')
  const w = [k[0], k[1], ...pair(a.dilation, 1, 'dilation', 'fold'), ...pair(a.padding, 0, 'padding', 'fold'), ...pair(a.stride, 1, 'stride', 'fold')]
  return wrap(N.col2im(input._handle, o[0], o[1], w))
}

/** `F.conv2d(input, weight, bias?, {stride, padding, dilation, groups})`; padding may be 'same' or 'valid'. */
export function conv2d(input: Tensor, weight: Tensor, ...args: any[]): Tensor {
  const a = parse(args, ['bias', 'stride', 'padding', 'dilation', 'groups'], 'conv2d')
  const groups = a.groups ?? 1
  const unbatched = input.ndim === 3
  let x = unbatched ? input.unsqueeze(0) : input
  if (x.ndim !== 4) throw new Error(`conv2d: Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: ${JSON.stringify(input.shape)}`)
  if (weight.ndim !== 4) throw new Error(`conv2d: weight should be 4-D, got ${JSON.stringify(weight.shape)}`)
  const [Nb, C, H, W] = x.shape
  const [O, Cg, kh, kw] = weight.shape
  if (C % groups !== 0 || O % groups !== 0 || Cg * groups !== C) {
    throw new Error(`conv2d: Given groups=${groups}, weight of size ${JSON.stringify(weight.shape)}, expected input${JSON.stringify(x.shape)} to have ${Cg * groups} channels, but got ${C} channels instead`)
  }
  const stride = pair(a.stride, 1, 'stride', 'conv2d')
  const dil = pair(a.dilation, 1, 'dilation', 'conv2d')
  let padding: [number, number]
  if (a.padding === 'same') {
    if (stride[0] !== 1 || stride[1] !== 1) throw new Error("conv2d: padding='same' is not supported for strided convolutions")
    const th = dil[0] * (kh - 1)
    const tw = dil[1] * (kw - 1)
    if (th % 2 || tw % 2) x = padFn(x, [Math.floor(tw / 2), tw - Math.floor(tw / 2), Math.floor(th / 2), th - Math.floor(th / 2)])
    padding = th % 2 || tw % 2 ? [0, 0] : [th / 2, tw / 2]
  } else if (a.padding === 'valid' || a.padding === undefined) padding = [0, 0]
  else padding = pair(a.padding, 0, 'padding', 'conv2d')
  const cols = im2col(x, [kh, kw], dil, padding, stride)
  const L = cols.shape[2]
  const oh = Math.floor((x.shape[2] + 2 * padding[0] - dil[0] * (kh - 1) - 1) / stride[0]) + 1
  const ow = L / oh
  const K = Cg * kh * kw
  const out = weight.reshape(1, groups, O / groups, K).matmul(cols.reshape(Nb, groups, K, L))
  let y = out.reshape(Nb, O, oh, ow)
  if (a.bias) y = y.add(a.bias.reshape(1, O, 1, 1))
  void H
  void W
  return unbatched ? y.squeeze(0) : y
}

/** `F.conv1d(input, weight, bias?, {stride, padding, dilation, groups})`. */
export function conv1d(input: Tensor, weight: Tensor, ...args: any[]): Tensor {
  const a = parse(args, ['bias', 'stride', 'padding', 'dilation', 'groups'], 'conv1d')
  const unbatched = input.ndim === 2
  const x = (unbatched ? input.unsqueeze(0) : input).unsqueeze(2)
  const one = (v: any, d: number) => (v === undefined ? [1, d] : typeof v === 'string' ? v : [typeof v === 'number' ? (d === 0 ? 0 : 1) : 1, Array.isArray(v) ? v[0] : v])
  const padding = a.padding === undefined ? [0, 0] : typeof a.padding === 'string' ? a.padding : [0, Array.isArray(a.padding) ? a.padding[0] : a.padding]
  const y = conv2d(x, weight.unsqueeze(2), {
    bias: a.bias,
    stride: [1, Array.isArray(a.stride) ? a.stride[0] : a.stride ?? 1],
    padding,
    dilation: [1, Array.isArray(a.dilation) ? a.dilation[0] : a.dilation ?? 1],
    groups: a.groups ?? 1,
  }).squeeze(2)
  void one
  return unbatched ? y.squeeze(0) : y
}

/** `F.conv_transpose2d(input, weight, bias?, {stride, padding, outputPadding, groups, dilation})`. */
export function convTranspose2d(input: Tensor, weight: Tensor, ...args: any[]): Tensor {
  const a = parse(args, ['bias', 'stride', 'padding', 'outputPadding', 'groups', 'dilation'], 'convTranspose2d')
  const groups = a.groups ?? 1
  const unbatched = input.ndim === 3
  const x = unbatched ? input.unsqueeze(0) : input
  const [Nb, Cin, H, W] = x.shape
  const [wc, Og, kh, kw] = weight.shape
  if (wc !== Cin) throw new Error(`conv_transpose2d: weight of size ${JSON.stringify(weight.shape)} expects ${wc} input channels, got ${Cin}`)
  const s = pair(a.stride, 1, 'stride', 'conv_transpose2d')
  const p = pair(a.padding, 0, 'padding', 'conv_transpose2d')
  const op = pair(a.outputPadding, 0, 'output_padding', 'conv_transpose2d')
  const d = pair(a.dilation, 1, 'dilation', 'conv_transpose2d')
  const Ho = (H - 1) * s[0] - 2 * p[0] + d[0] * (kh - 1) + op[0] + 1
  const Wo = (W - 1) * s[1] - 2 * p[1] + d[1] * (kw - 1) + op[1] + 1
  const Cg = Cin / groups
  const K = Og * kh * kw
  // cols[n, g] = W_g^T @ x_g : [K, H*W]
  const wt = weight.reshape(groups, Cg, K).transpose(1, 2).unsqueeze(0)
  const cols = wt.matmul(x.reshape(Nb, groups, Cg, H * W)).reshape(Nb, groups * K, H * W)
  let y = fold(cols, [Ho, Wo], [kh, kw], { dilation: d, padding: p, stride: s })
  if (a.bias) y = y.add(a.bias.reshape(1, Og * groups, 1, 1))
  return unbatched ? y.squeeze(0) : y
}

function poolOut(size: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const num = size + 2 * p - d * (k - 1) - 1
  let o = (ceil ? Math.ceil(num / s) : Math.floor(num / s)) + 1
  // The last window must start inside the input or left padding (PyTorch's rule).
  if (ceil && (o - 1) * s >= size + p) o--
  return o
}

/** Pads the bottom/right so ceil-mode windows exist, with `value`. */
function ceilPad(x: Tensor, oh: number, ow: number, k: [number, number], s: [number, number], p: [number, number], d: [number, number], value: number): Tensor {
  const needH = (oh - 1) * s[0] + d[0] * (k[0] - 1) + 1 - (x.shape[2] + 2 * p[0])
  const needW = (ow - 1) * s[1] + d[1] * (k[1] - 1) + 1 - (x.shape[3] + 2 * p[1])
  if (needH <= 0 && needW <= 0) return x
  return padFn(x, [0, Math.max(needW, 0), 0, Math.max(needH, 0)], { value })
}

/** `F.max_pool2d(input, kernelSize, {stride, padding, dilation, ceilMode, returnIndices})`. */
export function maxPool2d(input: Tensor, ...args: any[]): Tensor {
  const a = parse(args, ['kernelSize', 'stride', 'padding', 'dilation', 'ceilMode', 'returnIndices'], 'maxPool2d')
  const kernelSize: Pair = a.kernelSize
  if (a.returnIndices) throw new Error('max_pool2d: returnIndices is not supported yet')
  const unbatched = input.ndim === 3
  let x = unbatched ? input.unsqueeze(0) : input
  const k = pair(kernelSize, 1, 'kernel_size', 'max_pool2d')
  const s = a.stride === undefined || (Array.isArray(a.stride) && a.stride.length === 0) ? k : pair(a.stride, 1, 'stride', 'max_pool2d')
  const p = pair(a.padding, 0, 'padding', 'max_pool2d')
  const d = pair(a.dilation, 1, 'dilation', 'max_pool2d')
  if (p[0] > k[0] / 2 || p[1] > k[1] / 2) throw new Error(`max_pool2d: pad should be at most half of effective kernel size, but got pad=${p}, kernel_size=${k}`)
  const [Nb, C, H, W] = x.shape
  const oh = poolOut(H, k[0], s[0], p[0], d[0], !!a.ceilMode)
  const ow = poolOut(W, k[1], s[1], p[1], d[1], !!a.ceilMode)
  void Nb
  void C
  const y = wrap(N.maxPool2d(x._handle, [k[0], k[1], d[0], d[1], p[0], p[1], s[0], s[1]], oh, ow))
  return unbatched ? y.squeeze(0) : y
}

/** `F.max_pool1d(input, kernelSize, {stride, padding, dilation, ceilMode})`. */
export function maxPool1d(input: Tensor, ...args: any[]): Tensor {
  const a = parse(args, ['kernelSize', 'stride', 'padding', 'dilation', 'ceilMode', 'returnIndices'], 'maxPool1d')
  const kernelSize: number = a.kernelSize
  const unbatched = input.ndim === 2
  const x = (unbatched ? input.unsqueeze(0) : input).unsqueeze(2)
  const y = maxPool2d(x, [1, kernelSize], { stride: [1, a.stride ?? kernelSize], padding: [0, a.padding ?? 0], dilation: [1, a.dilation ?? 1], ceilMode: a.ceilMode }).squeeze(2)
  return unbatched ? y.squeeze(0) : y
}

/** `F.avg_pool2d(input, kernelSize, {stride, padding, ceilMode, countIncludePad, divisorOverride})`. */
export function avgPool2d(input: Tensor, ...args: any[]): Tensor {
  const a = parse(args, ['kernelSize', 'stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride'], 'avgPool2d')
  const kernelSize: Pair = a.kernelSize
  const unbatched = input.ndim === 3
  let x = unbatched ? input.unsqueeze(0) : input
  const k = pair(kernelSize, 1, 'kernel_size', 'avg_pool2d')
  const s = a.stride === undefined || (Array.isArray(a.stride) && a.stride.length === 0) ? k : pair(a.stride, 1, 'stride', 'avg_pool2d')
  const p = pair(a.padding, 0, 'padding', 'avg_pool2d')
  const [Nb, C, H, W] = x.shape
  const oh = poolOut(H, k[0], s[0], p[0], 1, !!a.ceilMode)
  const ow = poolOut(W, k[1], s[1], p[1], 1, !!a.ceilMode)
  const unpadded = x
  if (a.ceilMode) x = ceilPad(x, oh, ow, k, s, p, [1, 1], 0)
  const sum = im2col(x, k, [1, 1], p, s).reshape(Nb, C, k[0] * k[1], oh * ow).sum(2).reshape(Nb, C, oh, ow)
  if (a.divisorOverride) return sum.div(a.divisorOverride)
  const include = a.countIncludePad ?? true
  // The divisor counts window cells inside the (padded, if included) input only.
  const ones = full([1, 1, unpadded.shape[2], unpadded.shape[3]], 1, { dtype: input.dtype, device: input.device })
  const padOnes = include ? padFn(ones, [p[1], p[1], p[0], p[0]], { value: 1 }) : ones
  const cnt = im2col(ceilPad(padOnes, oh, ow, k, s, include ? [0, 0] : p, [1, 1], 0), k, [1, 1], include ? [0, 0] : p, s).sum(1).reshape(1, 1, oh, ow)
  const y = sum.div(cnt)
  return unbatched ? y.squeeze(0) : y
}

/** `F.adaptive_avg_pool2d(input, outputSize)`: PyTorch's start/end rule per output cell. */
export function adaptiveAvgPool2d(input: Tensor, outputSize: Pair | [number | null, number | null]): Tensor {
  const unbatched = input.ndim === 3
  const x = unbatched ? input.unsqueeze(0) : input
  const [, , H, W] = x.shape
  const os = typeof outputSize === 'number' ? [outputSize, outputSize] : outputSize
  const oh = os[0] ?? H
  const ow = os[1] ?? W
  let y: Tensor
  if (H % oh === 0 && W % ow === 0) {
    y = avgPool2d(x, [H / oh, W / ow] as [number, number])
  } else {
    const rows: Tensor[] = []
    for (let i = 0; i < oh; i++) {
      const h0 = Math.floor((i * H) / oh)
      const h1 = Math.ceil(((i + 1) * H) / oh)
      const cells: Tensor[] = []
      for (let j = 0; j < ow; j++) {
        const w0 = Math.floor((j * W) / ow)
        const w1 = Math.ceil(((j + 1) * W) / ow)
        cells.push(x.narrow(2, h0, h1 - h0).narrow(3, w0, w1 - w0).mean([2, 3]))
      }
      rows.push(stackLast(cells))
    }
    y = stackDim2(rows)
  }
  return unbatched ? y.squeeze(0) : y
}

function stackLast(ts: Tensor[]): Tensor {
  return wrap(N.stack(ts.map((t) => t._handle), -1))
}

function stackDim2(ts: Tensor[]): Tensor {
  return wrap(N.stack(ts.map((t) => t._handle), 2))
}

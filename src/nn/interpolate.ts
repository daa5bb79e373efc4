// F.interpolate for nearest and (bi)linear modes, separable along each spatial dim and
// written from indexSelect and arithmetic, so it backpropagates.
import { parse } from '../args'
import { tensor } from '../creation'
import { Tensor } from '../tensor'

function sourceIndex(outSize: number, inSize: number, scale: number | undefined, mode: string, alignCorners: boolean): { i0: number[]; i1: number[]; w1: number[] } {
  const i0: number[] = []
  const i1: number[] = []
  const w1: number[] = []
  for (let i = 0; i < outSize; i++) {
    if (mode === 'nearest') {
      const r = scale !== undefined ? 1 / scale : inSize / outSize
      i0.push(Math.min(Math.floor(i * r), inSize - 1))
      i1.push(0)
      w1.push(0)
      continue
    }
    let src: number
    if (alignCorners) src = outSize > 1 ? (i * (inSize - 1)) / (outSize - 1) : 0
    else {
      const r = scale !== undefined ? 1 / scale : inSize / outSize
      src = Math.max((i + 0.5) * r - 0.5, 0)
    }
    const a = Math.min(Math.floor(src), inSize - 1)
    i0.push(a)
    i1.push(Math.min(a + 1, inSize - 1))
    w1.push(src - a)
  }
  return { i0, i1, w1 }
}

/** `F.interpolate(input, {size, scaleFactor, mode: 'nearest' | 'linear' | 'bilinear', alignCorners})`. */
export function interpolate(input: Tensor, ...args: any[]): Tensor {
  const a = parse(args, ['size', 'scaleFactor', 'mode', 'alignCorners', 'recomputeScaleFactor', 'antialias'], 'interpolate')
  const mode = a.mode ?? 'nearest'
  if (!['nearest', 'linear', 'bilinear'].includes(mode)) throw new Error(`interpolate: mode '${mode}' is not supported (nearest, linear, bilinear)`)
  if (mode === 'nearest' && a.alignCorners !== undefined && a.alignCorners !== null) throw new Error('interpolate: align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear')
  const spatial = input.ndim - 2
  if (spatial < 1 || spatial > 2) throw new Error(`interpolate: expected 3-D or 4-D input, got ${input.ndim}-D`)
  if ((mode === 'linear' && spatial !== 1) || (mode === 'bilinear' && spatial !== 2)) throw new Error(`interpolate: got ${input.ndim}D input, but ${mode} mode needs ${mode === 'linear' ? 3 : 4}D input`)
  if ((a.size == null) === (a.scaleFactor == null)) throw new Error('interpolate: either size or scale_factor should be defined (but not both)')
  const sizes: number[] = a.size != null ? (typeof a.size === 'number' ? Array(spatial).fill(a.size) : a.size) : []
  const scales: (number | undefined)[] = a.scaleFactor != null ? (typeof a.scaleFactor === 'number' ? Array(spatial).fill(a.scaleFactor) : a.scaleFactor) : Array(spatial).fill(undefined)
  let x = input
  for (let k = 0; k < spatial; k++) {
    const dim = 2 + k
    const inSize = input.shape[dim]
    const outSize = a.size != null ? sizes[k] : Math.floor(inSize * scales[k]!)
    const sc = a.recomputeScaleFactor ? undefined : scales[k]
    const { i0, i1, w1 } = sourceIndex(outSize, inSize, sc, mode, !!a.alignCorners)
    const lo = x.indexSelect(dim, tensor(i0, { device: x.device }))
    if (mode === 'nearest') {
      x = lo
      continue
    }
    const hi = x.indexSelect(dim, tensor(i1, { device: x.device }))
    const wshape = x.shape.map((s, i) => (i === dim ? outSize : 1))
    const w = tensor(w1, { dtype: x.dtype, device: x.device }).reshape(wshape)
    x = lo.add(hi.sub(lo).mul(w))
  }
  return x
}

// The Tensor class: a JS object holding a native handle. The GC frees the native side
// through a FinalizationRegistry; `dispose()` frees it at once.
import { N } from './native'
import { DTYPES, DType, dtypeCode } from './dtype'
import { dimsArg, intArg, isOptions, parse, scalarKind, shapeArgs } from './args'
import { B, R, U, SIMPLE_BINARY, SIMPLE_UNARY } from './opcodes'
import { formatTensor } from './format'
import { parseIndex, IndexSpec } from './indexing'
import * as AG from './autograd'

const disposeSym: symbol = (Symbol as any).dispose ?? Symbol.for('Symbol.dispose')

export type Scalar = number | boolean
export type TensorOrScalar = Tensor | Scalar

/** An array that also carries names, as PyTorch's named tuples (`values`, `indices`). */
export interface ValuesIndices extends Iterable<Tensor> {
  0: Tensor
  1: Tensor
  length: 2
  values: Tensor
  indices: Tensor
}

function named(hs: number[]): ValuesIndices {
  const r: any = [wrap(hs[0]), wrap(hs[1])]
  r.values = r[0]
  r.indices = r[1]
  return r as ValuesIndices
}

/**
 * The device and dtype named by `to(...)`'s arguments (shared by `Tensor.to` and
 * `Module.to`): strings, `{dtype, device}` options or a tensor to match; dtype aliases
 * resolve to PyTorch's names.
 */
export function toTarget(args: any[]): { dtype?: DType; device?: string } {
  let dtype: DType | undefined
  let device: string | undefined
  for (const a of args) {
    if (a instanceof Tensor) {
      dtype = a.dtype
      device = a.device
    } else if (typeof a === 'string') {
      if (a === 'cpu' || a.startsWith('cuda')) device = a
      else dtype = DTYPES[dtypeCode(a)]
    } else if (isOptions(a)) {
      if (a.dtype !== undefined) dtype = DTYPES[dtypeCode(a.dtype)]
      if (a.device !== undefined) device = a.device
    }
  }
  return { dtype, device }
}

/** Wraps a fresh native handle. */
export function wrap(h: number): Tensor {
  return new Tensor(h)
}

/** Handle of a Tensor argument, with a TypeError naming the op otherwise. */
function th(x: unknown, op: string, name = 'other'): number {
  if (x instanceof Tensor) return x._handle
  throw new TypeError(`${op}(): argument '${name}' must be Tensor, not ${x === null ? 'null' : typeof x}`)
}

export class Tensor {
  /** Native handle; -1 once disposed. */
  _h: number
  private _shape: number[] | undefined
  private _dtype: DType | undefined

  constructor(h: number) {
    this._h = h
    // The native finalizer frees the handle during GC; after dispose() the handle is
    // stale and the native table ignores it.
    N.track(this, h)
  }

  get _handle(): number {
    if (this._h < 0) throw new Error('Tensor has been disposed')
    return this._h
  }

  /** Frees the native memory now; any later use throws. */
  dispose(): void {
    if (this._h >= 0) {
      N.release(this._h)
      this._h = -1
    }
  }

  [disposeSym](): void {
    this.dispose()
  }

  get isDisposed(): boolean {
    return this._h < 0
  }

  // ---- metadata --------------------------------------------------------------------

  get shape(): number[] {
    if (this._h < 0) throw new Error('Tensor has been disposed')
    if (this._shape === undefined) this._shape = N.shape(this._handle)
    return this._shape!.slice()
  }

  get dtype(): DType {
    if (this._dtype === undefined) this._dtype = DTYPES[N.dtype(this._handle)]
    return this._dtype!
  }

  get device(): string {
    return N.device(this._handle)
  }

  get ndim(): number {
    if (this._shape === undefined) this._shape = N.shape(this._handle)
    return this._shape!.length
  }

  get isCuda(): boolean {
    return this.device.startsWith('cuda')
  }

  dim(): number {
    return this.ndim
  }

  numel(): number {
    if (this._shape === undefined) this._shape = N.shape(this._handle)
    let n = 1
    for (const s of this._shape!) n *= s
    return n
  }

  /** `size()` is the shape; `size(dim)` one dim's size. */
  size(dim?: number): any {
    if (dim === undefined) return this.shape
    const s = this.shape
    const n = s.length
    if (!Number.isInteger(dim) || dim < -Math.max(n, 1) || dim >= Math.max(n, 1)) {
      throw new RangeError(`size: Dimension out of range (expected to be in range of [${-Math.max(n, 1)}, ${Math.max(n, 1) - 1}], but got ${dim})`)
    }
    return n === 0 ? 1 : s[dim < 0 ? dim + n : dim]
  }

  stride(dim?: number): any {
    const st: number[] = N.strides(this._handle)
    if (dim === undefined) return st
    return st[dim < 0 ? dim + st.length : dim]
  }

  storageOffset(): number {
    return N.storageOffset(this._handle)
  }

  isContiguous(): boolean {
    return N.isContiguous(this._handle)
  }

  elementSize(): number {
    return { bool: 1, uint8: 1, int32: 4, int64: 8, float16: 2, bfloat16: 2, float32: 4, float64: 8 }[this.dtype]
  }

  isFloatingPoint(): boolean {
    const d = this.dtype
    return d === 'float32' || d === 'float64' || d === 'float16' || d === 'bfloat16'
  }

  // ---- data out ----------------------------------------------------------------------

  /** The single value of a one-element tensor (a boolean for bool tensors). */
  item(): number | boolean {
    const v = N.item(this._handle)
    return this.dtype === 'bool' ? v !== 0 : v
  }

  /** Flat row-major typed array of the dtype's own kind (a fresh copy). */
  toTypedArray(): Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array {
    const h = this._handle
    switch (this.dtype) {
      case 'float32': return N.dataF32(h)
      case 'float64': return N.dataF64(h)
      case 'int32': return N.dataI32(h)
      case 'int64': return N.dataI64(h)
      case 'uint8':
      case 'bool': return N.dataU8(h)
      default: return N.dataU16(h)
    }
  }

  /** Nested JS arrays (numbers, or booleans for bool tensors), like `tolist()`. */
  toArray(): any {
    const d = this.dtype
    const flat: ArrayLike<number> = d === 'float32' || d === 'float64' || d === 'int32' || d === 'uint8' || d === 'bool' ? (this.toTypedArray() as any) : N.dataAsF64(this._handle)
    const conv = d === 'bool' ? (x: number) => x !== 0 : (x: number) => x
    const shape = this.shape
    if (shape.length === 0) return conv(flat[0])
    let i = 0
    const build = (k: number): any[] => {
      const out = new Array(shape[k])
      for (let j = 0; j < shape[k]; j++) out[j] = k === shape.length - 1 ? conv(flat[i++]) : build(k + 1)
      return out
    }
    return build(0)
  }

  tolist(): any {
    return this.toArray()
  }

  toString(): string {
    const d = this.dtype
    const values = d === 'int64' ? (this.toTypedArray() as BigInt64Array) : N.dataAsF64(this._handle)
    const extras: string[] = []
    if (this.device !== 'cpu') extras.push(`device='${this.device}'`)
    const fn = N.gradFnName(this._handle)
    if (fn) extras.push(`grad_fn=<${fn}>`)
    else if (N.requiresGrad(this._handle)) extras.push('requires_grad=True')
    return formatTensor(values, this.shape, d, extras)
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.isDisposed ? 'tensor(<disposed>)' : this.toString()
  }

  // ---- dtype and device ----------------------------------------------------------------

  /** `to(dtype)`, `to(device)`, `to(device, dtype)` or `to({dtype, device})`. */
  to(...args: any[]): Tensor {
    const { dtype, device } = toTarget(args)
    let t: Tensor = this
    if (device !== undefined) t = wrap(N.toDevice(t._handle, device))
    if (dtype !== undefined) t = wrap(N.toDtype(t._handle, dtypeCode(dtype)))
    return t
  }

  float(): Tensor { return this.to('float32') }
  double(): Tensor { return this.to('float64') }
  half(): Tensor { return this.to('float16') }
  bfloat16(): Tensor { return this.to('bfloat16') }
  long(): Tensor { return this.to('int64') }
  int(): Tensor { return this.to('int32') }
  byte(): Tensor { return this.to('uint8') }
  bool(): Tensor { return this.to('bool') }
  cpu(): Tensor { return this.to('cpu') }
  cuda(device: number | string = 0): Tensor { return this.to(typeof device === 'number' ? `cuda:${device}` : device) }
  type(dtype?: string): any { return dtype === undefined ? `torch.${this.dtype}` : this.to(dtype) }

  contiguous(): Tensor { return wrap(N.contiguous(this._handle)) }
  clone(): Tensor { return wrap(N.clone(this._handle)) }
  /** A view sharing storage, cut off from the graph. */
  detach(): Tensor { return wrap(N.detach(this._handle)) }

  /** Cuts this tensor off from the graph in place. */
  detach_(): Tensor {
    N.detachInplace(this._handle)
    return this
  }

  // ---- autograd ------------------------------------------------------------------------

  get requiresGrad(): boolean {
    return N.requiresGrad(this._handle)
  }

  set requiresGrad(on: boolean) {
    N.setRequiresGrad(this._handle, on)
  }

  /** `requires_grad_(flag = true)`; returns `this`. */
  requiresGrad_(on = true): Tensor {
    N.setRequiresGrad(this._handle, on)
    return this
  }

  /** The accumulated gradient, or null (PyTorch's None). */
  get grad(): Tensor | null {
    const h = N.getGrad(this._handle)
    return h === null || h === undefined ? null : wrap(h)
  }

  set grad(g: Tensor | null) {
    N.setGrad(this._handle, g ? g._handle : undefined)
  }

  /** The node that created this tensor (`gradFn.name()` is e.g. `AddBackward0`), or null. */
  get gradFn(): { name(): string; toString(): string } | null {
    const n: string | null = N.gradFnName(this._handle)
    if (n === null || n === undefined) return null
    return { name: () => n, toString: () => `<${n}>` }
  }

  get isLeaf(): boolean {
    return N.isLeaf(this._handle)
  }

  /** `backward(gradient?, {retainGraph, createGraph})`. */
  backward(gradient?: Tensor | null, opts?: AG.BackwardOptions): void {
    AG.backwardOf(this, gradient, opts)
  }

  retainGrad(): void {
    N.retainGrad(this._handle)
  }

  /** Runs `fn` on this tensor's gradient during backward; it may return a replacement. */
  registerHook(fn: (grad: Tensor) => Tensor | void): { remove(): void } {
    return AG.registerHook(this, fn)
  }

  // ---- elementwise -------------------------------------------------------------------------

  /** `add(other, {alpha})`. */
  add(other: TensorOrScalar, opts?: { alpha?: number }): Tensor {
    if (opts !== undefined && opts.alpha !== undefined && opts.alpha !== 1) {
      const o = other instanceof Tensor ? other : scalarTensor(this, other)
      return wrap(N.addAlpha(this._handle, o._handle, opts.alpha, scalarKind(opts.alpha)))
    }
    return bin(this, other, B.add, 'add')
  }

  sub(other: TensorOrScalar, opts?: { alpha?: number }): Tensor {
    if (opts !== undefined && opts.alpha !== undefined && opts.alpha !== 1) {
      const o = other instanceof Tensor ? other : scalarTensor(this, other)
      return wrap(N.addAlpha(this._handle, o._handle, -opts.alpha, scalarKind(opts.alpha)))
    }
    return bin(this, other, B.sub, 'sub')
  }

  /** `div(other, {roundingMode})` with `'trunc'` or `'floor'`. */
  div(other: TensorOrScalar, opts?: { roundingMode?: 'trunc' | 'floor' | null }): Tensor {
    if (opts !== undefined && opts.roundingMode != null) {
      const o = other instanceof Tensor ? other : scalarTensor(this, other)
      return wrap(N.divMode(this._handle, o._handle, opts.roundingMode))
    }
    return bin(this, other, B.div, 'div')
  }

  /** `pow(exponent)`. */
  pow(exponent: TensorOrScalar): Tensor {
    if (exponent instanceof Tensor) return wrap(N.binary(this._handle, exponent._handle, B.pow))
    return wrap(N.powScalar(this._handle, Number(exponent), scalarKind(exponent)))
  }

  rsub(other: TensorOrScalar): Tensor {
    if (other instanceof Tensor) return other.sub(this)
    return wrap(N.binaryScalar(this._handle, Number(other), scalarKind(other), B.sub, 1))
  }

  /** `clamp(min?, max?)` with numbers or tensors. */
  clamp(...args: any[]): Tensor {
    const a = parse(args, ['min', 'max'], 'clamp')
    const { min, max } = a
    if (min == null && max == null) throw new Error("clamp: At least one of 'min' or 'max' must not be None")
    if (min instanceof Tensor || max instanceof Tensor) {
      // The bound tensors stay referenced through the call (a fresh scalar tensor's
      // wrapper could otherwise be finalized once its handle number is taken).
      const lo = min == null ? undefined : min instanceof Tensor ? min : scalarTensor(this, min)
      const hi = max == null ? undefined : max instanceof Tensor ? max : scalarTensor(this, max)
      return wrap(N.clampTensor(this._handle, lo?._handle, hi?._handle, lo, hi))
    }
    if (!this.isFloatingPoint() && ((min != null && !Number.isInteger(min)) || (max != null && !Number.isInteger(max)))) {
      return this.to('float32').clamp(min, max)
    }
    // Integer bounds promote a bool tensor to int64 (PyTorch's result_type).
    if (this.dtype === 'bool') return this.to('int64').clamp(min, max)
    // The last argument says which bounds are present, so a NaN bound stays a value.
    const present = (min != null ? 1 : 0) | (max != null ? 2 : 0)
    return wrap(N.unary(this._handle, U.clamp, Number(min ?? 0), Number(max ?? 0), present))
  }

  clip(...args: any[]): Tensor {
    return this.clamp(...args)
  }

  /** `where(condition, other)`: `this` where `condition`, else `other`. */
  where(condition: Tensor, other: TensorOrScalar): Tensor {
    return where(condition, this, other)
  }

  isnan(): Tensor { return this.ne(this) }

  // ---- reductions -------------------------------------------------------------------------

  sum(...args: any[]): Tensor {
    const a = parse(args, ['dim', 'keepdim', 'dtype'], 'sum')
    const x = a.dtype ? this.to(a.dtype) : this
    return wrap(N.reduce(x._handle, R.sum, dimsArg(a.dim, 'sum'), !!a.keepdim))
  }

  prod(...args: any[]): Tensor {
    const a = parse(args, ['dim', 'keepdim', 'dtype'], 'prod')
    const x = a.dtype ? this.to(a.dtype) : this
    if (a.dim !== undefined && typeof a.dim !== 'number') throw new TypeError('prod(): argument \'dim\' must be int')
    return wrap(N.reduce(x._handle, R.prod, dimsArg(a.dim, 'prod'), !!a.keepdim))
  }

  mean(...args: any[]): Tensor {
    const a = parse(args, ['dim', 'keepdim', 'dtype'], 'mean')
    const x = a.dtype ? this.to(a.dtype) : this
    return wrap(N.mean(x._handle, dimsArg(a.dim, 'mean'), !!a.keepdim))
  }

  amax(...args: any[]): Tensor {
    const a = parse(args, ['dim', 'keepdim'], 'amax')
    return wrap(N.reduce(this._handle, R.amax, dimsArg(a.dim, 'amax') ?? [], !!a.keepdim))
  }

  amin(...args: any[]): Tensor {
    const a = parse(args, ['dim', 'keepdim'], 'amin')
    return wrap(N.reduce(this._handle, R.amin, dimsArg(a.dim, 'amin') ?? [], !!a.keepdim))
  }

  /** `max()` (all elements), `max(dim, keepdim)` ([values, indices]) or `max(other)`. */
  max(...args: any[]): any {
    return maxMin(this, args, true)
  }

  min(...args: any[]): any {
    return maxMin(this, args, false)
  }

  argmax(...args: any[]): Tensor {
    const a = parse(args, ['dim', 'keepdim'], 'argmax')
    return wrap(N.argmax(this._handle, true, a.dim ?? undefined, !!a.keepdim))
  }

  argmin(...args: any[]): Tensor {
    const a = parse(args, ['dim', 'keepdim'], 'argmin')
    return wrap(N.argmax(this._handle, false, a.dim ?? undefined, !!a.keepdim))
  }

  /** `var(dim, {correction, keepdim, unbiased})`. */
  var(...args: any[]): Tensor {
    return varStd(this, args, false)
  }

  std(...args: any[]): Tensor {
    return varStd(this, args, true)
  }

  logsumexp(...args: any[]): Tensor {
    const a = parse(args, ['dim', 'keepdim'], 'logsumexp')
    const dim = dimsArg(a.dim, 'logsumexp')
    if (dim === undefined) throw new TypeError("logsumexp() missing 1 required positional argument: 'dim'")
    return wrap(N.logsumexp(this._handle, dim, !!a.keepdim))
  }

  /** Vector norm: `norm(p = 2, dim, keepdim)`; p may be a number, 'fro', Infinity. */
  norm(...args: any[]): Tensor {
    const a = parse(args, ['p', 'dim', 'keepdim', 'dtype'], 'norm')
    let p = a.p ?? 2
    if (p === 'fro') p = 2
    if (typeof p === 'string') throw new Error(`norm: p='${p}' is not supported (vector norms only)`)
    const x = a.dtype ? this.to(a.dtype) : this
    return wrap(N.norm(x._handle, p, dimsArg(a.dim, 'norm'), !!a.keepdim))
  }

  all(...args: any[]): Tensor {
    const a = parse(args, ['dim', 'keepdim'], 'all')
    return wrap(N.reduce(this._handle, R.all, dimsArg(a.dim, 'all'), !!a.keepdim))
  }

  any(...args: any[]): Tensor {
    const a = parse(args, ['dim', 'keepdim'], 'any')
    return wrap(N.reduce(this._handle, R.any, dimsArg(a.dim, 'any'), !!a.keepdim))
  }

  cumsum(...args: any[]): Tensor {
    const a = parse(args, ['dim', 'dtype'], 'cumsum')
    const x = a.dtype ? this.to(a.dtype) : this
    return wrap(N.scan(x._handle, true, intArg(a.dim, 'dim', 'cumsum')))
  }

  cumprod(...args: any[]): Tensor {
    const a = parse(args, ['dim', 'dtype'], 'cumprod')
    const x = a.dtype ? this.to(a.dtype) : this
    return wrap(N.scan(x._handle, false, intArg(a.dim, 'dim', 'cumprod')))
  }

  // ---- shape -------------------------------------------------------------------------------

  view(...args: any[]): Tensor {
    if (args.length === 1 && typeof args[0] === 'string') return this.to(args[0])
    return wrap(N.view(this._handle, shapeArgs(args, 'view').shape))
  }

  reshape(...args: any[]): Tensor {
    return wrap(N.reshape(this._handle, shapeArgs(args, 'reshape').shape))
  }

  viewAs(other: Tensor): Tensor { return this.view(other.shape) }
  reshapeAs(other: Tensor): Tensor { return this.reshape(other.shape) }

  permute(...args: any[]): Tensor {
    return wrap(N.permute(this._handle, shapeArgs(args, 'permute').shape))
  }

  transpose(dim0: number, dim1: number): Tensor {
    return wrap(N.transpose(this._handle, intArg(dim0, 'dim0', 'transpose'), intArg(dim1, 'dim1', 'transpose')))
  }

  swapaxes(a: number, b: number): Tensor { return this.transpose(a, b) }

  t(): Tensor { return wrap(N.t(this._handle)) }

  /** `x.T`: all dims reversed. */
  get T(): Tensor {
    const n = this.ndim
    return this.permute([...Array(n).keys()].reverse())
  }

  /** `x.mT`: the last two dims swapped. */
  get mT(): Tensor { return this.transpose(-2, -1) }

  expand(...args: any[]): Tensor {
    return wrap(N.expand(this._handle, shapeArgs(args, 'expand').shape))
  }

  expandAs(other: Tensor): Tensor { return this.expand(other.shape) }

  squeeze(...args: any[]): Tensor {
    const a = parse(args, ['dim'], 'squeeze')
    return wrap(N.squeeze(this._handle, dimsArg(a.dim, 'squeeze')))
  }

  unsqueeze(dim: number | { dim: number }): Tensor {
    const d = typeof dim === 'object' ? dim.dim : dim
    return wrap(N.unsqueeze(this._handle, intArg(d, 'dim', 'unsqueeze')))
  }

  flatten(...args: any[]): Tensor {
    const a = parse(args, ['startDim', 'endDim'], 'flatten')
    return wrap(N.flatten(this._handle, a.startDim ?? 0, a.endDim ?? -1))
  }

  unflatten(dim: number, sizes: number[]): Tensor {
    return wrap(N.unflatten(this._handle, dim, sizes))
  }

  narrow(...args: any[]): Tensor {
    const a = parse(args, ['dim', 'start', 'length'], 'narrow')
    const start = a.start instanceof Tensor ? Number(a.start.item()) : a.start
    return wrap(N.narrow(this._handle, intArg(a.dim, 'dim', 'narrow'), intArg(start, 'start', 'narrow'), intArg(a.length, 'length', 'narrow')))
  }

  select(dim: number, index: number): Tensor {
    return wrap(N.select(this._handle, intArg(dim, 'dim', 'select'), intArg(index, 'index', 'select')))
  }

  /** `split(splitSize | sections, dim = 0)`. */
  split(...args: any[]): Tensor[] {
    const a = parse(args, ['splitSizeOrSections', 'dim'], 'split')
    const s = a.splitSizeOrSections
    const dim = a.dim ?? 0
    const hs: number[] = Array.isArray(s) ? N.splitSizes(this._handle, s, dim) : N.split(this._handle, intArg(s, 'split_size', 'split'), dim)
    return hs.map(wrap)
  }

  chunk(...args: any[]): Tensor[] {
    const a = parse(args, ['chunks', 'dim'], 'chunk')
    return (N.chunk(this._handle, intArg(a.chunks, 'chunks', 'chunk'), a.dim ?? 0) as number[]).map(wrap)
  }

  unbind(dim = 0): Tensor[] {
    const n = this.size(dim)
    const out: Tensor[] = []
    for (let i = 0; i < n; i++) out.push(this.select(dim, i))
    return out
  }

  flip(...args: any[]): Tensor {
    const a = parse(args, ['dims'], 'flip')
    return wrap(N.flip(this._handle, dimsArg(a.dims, 'flip') ?? []))
  }

  roll(...args: any[]): Tensor {
    const a = parse(args, ['shifts', 'dims'], 'roll')
    const shifts = typeof a.shifts === 'number' ? [a.shifts] : a.shifts
    return wrap(N.roll(this._handle, shifts, dimsArg(a.dims, 'roll') ?? []))
  }

  repeat(...args: any[]): Tensor {
    return wrap(N.repeat(this._handle, shapeArgs(args, 'repeat').shape))
  }

  tril(...args: any[]): Tensor {
    const a = parse(args, ['diagonal'], 'tril')
    return wrap(N.tri(this._handle, a.diagonal ?? 0, false))
  }

  triu(...args: any[]): Tensor {
    const a = parse(args, ['diagonal'], 'triu')
    return wrap(N.tri(this._handle, a.diagonal ?? 0, true))
  }

  // ---- linear algebra -------------------------------------------------------------------------

  matmul(other: Tensor): Tensor { return wrap(N.matmul(this._handle, th(other, 'matmul'), 0)) }
  mm(mat2: Tensor): Tensor { return wrap(N.matmul(this._handle, th(mat2, 'mm', 'mat2'), 1)) }
  bmm(mat2: Tensor): Tensor { return wrap(N.matmul(this._handle, th(mat2, 'bmm', 'mat2'), 2)) }
  outer(vec2: Tensor): Tensor { return wrap(N.matmul(this._handle, th(vec2, 'outer', 'vec2'), 3)) }
  dot(other: Tensor): Tensor { return wrap(N.matmul(this._handle, th(other, 'dot'), 4)) }

  // ---- indexing, gather, scatter -----------------------------------------------------------------

  /** `x[spec]`: see API.md (numbers, `[start, stop, step]`, null, '...', tensors, or a string). */
  index(spec: IndexSpec): Tensor {
    const s = parseIndex(spec, this)
    return wrap(N.index(this._handle, s.kinds, s.nums, s.handles))
  }

  /** `x[spec] = value` in place; returns `this`. */
  indexPut_(spec: IndexSpec, value: TensorOrScalar, accumulate = false): Tensor {
    const s = parseIndex(spec, this)
    const v = value instanceof Tensor ? value : scalarTensor(this, value)
    N.indexPut(this._handle, s.kinds, s.nums, s.handles, v._handle, accumulate)
    return this
  }

  gather(...args: any[]): Tensor {
    const a = parse(args, ['dim', 'index'], 'gather')
    return wrap(N.gather(this._handle, intArg(a.dim, 'dim', 'gather'), th(a.index, 'gather', 'index')))
  }

  /** `scatter(dim, index, src | value)`. */
  scatter(...args: any[]): Tensor {
    const a = parse(args, ['dim', 'index', 'src', 'value'], 'scatter')
    const src = a.src ?? a.value
    const s = src instanceof Tensor ? src : fullLike(a.index, src, this)
    return wrap(N.scatter(this._handle, intArg(a.dim, 'dim', 'scatter'), th(a.index, 'scatter', 'index'), s._handle, false))
  }

  scatterAdd(...args: any[]): Tensor {
    const a = parse(args, ['dim', 'index', 'src'], 'scatterAdd')
    return wrap(N.scatter(this._handle, intArg(a.dim, 'dim', 'scatter_add'), th(a.index, 'scatter_add', 'index'), th(a.src, 'scatter_add', 'src'), true))
  }

  scatter_(...args: any[]): Tensor { return this.copy_(this.scatter(...args)) }
  scatterAdd_(...args: any[]): Tensor { return this.copy_(this.scatterAdd(...args)) }

  indexSelect(...args: any[]): Tensor {
    const a = parse(args, ['dim', 'index'], 'indexSelect')
    return wrap(N.indexSelect(this._handle, intArg(a.dim, 'dim', 'index_select'), th(a.index, 'index_select', 'index')))
  }

  takeAlongDim(...args: any[]): Tensor {
    const a = parse(args, ['indices', 'dim'], 'takeAlongDim')
    return wrap(N.takeAlongDim(this._handle, th(a.indices, 'take_along_dim', 'indices'), a.dim ?? undefined))
  }

  maskedFill(mask: Tensor, value: TensorOrScalar): Tensor {
    if (value instanceof Tensor) return wrap(N.maskedFill(this._handle, th(mask, 'masked_fill', 'mask'), value._handle))
    return wrap(N.maskedFillScalar(this._handle, th(mask, 'masked_fill', 'mask'), Number(value), scalarKind(value)))
  }

  maskedFill_(mask: Tensor, value: TensorOrScalar): Tensor { return this._inplace((x) => x.maskedFill(mask, value), 'masked_fill_') }

  nonzero(): Tensor { return wrap(N.nonzero(this._handle)) }

  // ---- sorting, softmax ------------------------------------------------------------------------

  sort(...args: any[]): ValuesIndices {
    const a = parse(args, ['dim', 'descending', 'stable'], 'sort')
    return named(N.sort(this._handle, a.dim ?? -1, !!a.descending))
  }

  argsort(...args: any[]): Tensor {
    const a = parse(args, ['dim', 'descending', 'stable'], 'argsort')
    return this.sort(a.dim ?? -1, !!a.descending).indices
  }

  topk(...args: any[]): ValuesIndices {
    const a = parse(args, ['k', 'dim', 'largest', 'sorted'], 'topk')
    return named(N.topk(this._handle, intArg(a.k, 'k', 'topk'), a.dim ?? -1, a.largest ?? true))
  }

  softmax(...args: any[]): Tensor {
    const a = parse(args, ['dim', 'dtype'], 'softmax')
    const x = a.dtype ? this.to(a.dtype) : this
    return wrap(N.softmax(x._handle, intArg(a.dim, 'dim', 'softmax'), false))
  }

  logSoftmax(...args: any[]): Tensor {
    const a = parse(args, ['dim', 'dtype'], 'logSoftmax')
    const x = a.dtype ? this.to(a.dtype) : this
    return wrap(N.softmax(x._handle, intArg(a.dim, 'dim', 'log_softmax'), true))
  }

  // ---- in-place -----------------------------------------------------------------------------------

  /** Copies `src` (broadcast, cast) into this tensor; returns `this`. */
  copy_(src: Tensor): Tensor {
    N.copy(this._handle, th(src, 'copy_', 'src'))
    return this
  }

  fill_(value: TensorOrScalar): Tensor {
    N.fill(this._handle, value instanceof Tensor ? Number(value.item()) : Number(value))
    return this
  }

  zero_(): Tensor { return this.fill_(0) }

  add_(other: TensorOrScalar, opts?: { alpha?: number }): Tensor { return this._inplace((x) => x.add(other, opts), 'add_') }
  sub_(other: TensorOrScalar, opts?: { alpha?: number }): Tensor { return this._inplace((x) => x.sub(other, opts), 'sub_') }
  div_(other: TensorOrScalar, opts?: { roundingMode?: 'trunc' | 'floor' | null }): Tensor { return this._inplace((x) => x.div(other, opts), 'div_') }
  pow_(e: TensorOrScalar): Tensor { return this._inplace((x) => x.pow(e), 'pow_') }
  clamp_(...args: any[]): Tensor { return this._inplace((x) => x.clamp(...args), 'clamp_') }

  /**
   * An in-place op: computes `f(this)` and writes it back (PyTorch's rules for in-place
   * result dtypes). When autograd records, `f` reads a copy, so the backward never sees
   * the overwritten values, and `this` takes over the result's history.
   */
  _inplace(f: (x: Tensor) => Tensor, op: string): Tensor {
    const h = this._handle
    const src = N.requiresGrad(h) && N.isGradEnabled() && !N.isLeaf(h) ? this.clone() : this
    const r = f(src)
    N.assign(h, r._handle, op)
    return this
  }
}

// ---- generated methods: plain unary and binary ops, and their in-place forms ----------------

export interface Tensor {
  neg(): Tensor; abs(): Tensor; sign(): Tensor; square(): Tensor; relu(): Tensor; floor(): Tensor
  ceil(): Tensor; round(decimals?: number | { decimals?: number }): Tensor; trunc(): Tensor; exp(): Tensor; exp2(): Tensor; log(): Tensor
  log2(): Tensor; log10(): Tensor; log1p(): Tensor; expm1(): Tensor; sqrt(): Tensor; rsqrt(): Tensor
  sin(): Tensor; cos(): Tensor; tan(): Tensor; asin(): Tensor; acos(): Tensor; atan(): Tensor
  sinh(): Tensor; cosh(): Tensor; tanh(): Tensor; sigmoid(): Tensor; erf(): Tensor; erfc(): Tensor
  reciprocal(): Tensor; logicalNot(): Tensor
  neg_(): Tensor; abs_(): Tensor; sign_(): Tensor; square_(): Tensor; relu_(): Tensor; floor_(): Tensor
  ceil_(): Tensor; round_(decimals?: number | { decimals?: number }): Tensor; trunc_(): Tensor; exp_(): Tensor; exp2_(): Tensor; log_(): Tensor
  log2_(): Tensor; log10_(): Tensor; log1p_(): Tensor; expm1_(): Tensor; sqrt_(): Tensor; rsqrt_(): Tensor
  sin_(): Tensor; cos_(): Tensor; tan_(): Tensor; asin_(): Tensor; acos_(): Tensor; atan_(): Tensor
  sinh_(): Tensor; cosh_(): Tensor; tanh_(): Tensor; sigmoid_(): Tensor; erf_(): Tensor; erfc_(): Tensor
  reciprocal_(): Tensor; logicalNot_(): Tensor
  mul(o: TensorOrScalar): Tensor; maximum(o: Tensor): Tensor; minimum(o: Tensor): Tensor; atan2(o: Tensor): Tensor
  remainder(o: TensorOrScalar): Tensor; fmod(o: TensorOrScalar): Tensor; floorDivide(o: TensorOrScalar): Tensor
  bitwiseAnd(o: TensorOrScalar): Tensor; bitwiseOr(o: TensorOrScalar): Tensor; bitwiseXor(o: TensorOrScalar): Tensor
  logicalAnd(o: Tensor): Tensor; logicalOr(o: Tensor): Tensor; logicalXor(o: Tensor): Tensor
  eq(o: TensorOrScalar): Tensor; ne(o: TensorOrScalar): Tensor; lt(o: TensorOrScalar): Tensor
  le(o: TensorOrScalar): Tensor; gt(o: TensorOrScalar): Tensor; ge(o: TensorOrScalar): Tensor
  mul_(o: TensorOrScalar): Tensor; maximum_(o: Tensor): Tensor; minimum_(o: Tensor): Tensor; atan2_(o: Tensor): Tensor
  remainder_(o: TensorOrScalar): Tensor; fmod_(o: TensorOrScalar): Tensor; floorDivide_(o: TensorOrScalar): Tensor
  bitwiseAnd_(o: TensorOrScalar): Tensor; bitwiseOr_(o: TensorOrScalar): Tensor; bitwiseXor_(o: TensorOrScalar): Tensor
  logicalAnd_(o: Tensor): Tensor; logicalOr_(o: Tensor): Tensor; logicalXor_(o: Tensor): Tensor
  eq_(o: TensorOrScalar): Tensor; ne_(o: TensorOrScalar): Tensor; lt_(o: TensorOrScalar): Tensor
  le_(o: TensorOrScalar): Tensor; gt_(o: TensorOrScalar): Tensor; ge_(o: TensorOrScalar): Tensor
}

for (const name of SIMPLE_UNARY) {
  const code = U[name]
  const f = function (this: Tensor): Tensor {
    return wrap(N.unary(this._handle, code, 0, 0, 0))
  }
  ;(Tensor.prototype as any)[name] = f
  ;(Tensor.prototype as any)[name + '_'] = function (this: Tensor): Tensor {
    return this._inplace((x) => f.call(x), name + '_')
  }
}

/** Binary ops whose `other` must be a Tensor in PyTorch (no Python-scalar overload). */
const TENSOR_ONLY = new Set<string>(['maximum', 'minimum', 'atan2', 'logicalAnd', 'logicalOr', 'logicalXor'])

for (const name of SIMPLE_BINARY) {
  const code = B[name]
  const tensorOnly = TENSOR_ONLY.has(name)
  const f = function (this: Tensor, other: TensorOrScalar): Tensor {
    if (tensorOnly && !(other instanceof Tensor)) {
      throw new TypeError(`${name}(): argument 'other' (position 1) must be Tensor, not ${other === null ? 'null' : typeof other}`)
    }
    return bin(this, other, code, name)
  }
  ;(Tensor.prototype as any)[name] = f
  ;(Tensor.prototype as any)[name + '_'] = function (this: Tensor, other: TensorOrScalar): Tensor {
    return this._inplace((x) => f.call(x, other), name + '_')
  }
}

// ---- helpers shared with the functional API ----------------------------------------------------

/** `a op b` where b is a Tensor or a JS scalar. */
export function bin(a: Tensor, b: TensorOrScalar, code: number, op: string): Tensor {
  if (b instanceof Tensor) return wrap(N.binary(a._handle, b._handle, code))
  if (typeof b !== 'number' && typeof b !== 'boolean') {
    throw new TypeError(`${op}(): argument 'other' must be Tensor or Number, not ${b === null ? 'null' : typeof b}`)
  }
  return wrap(N.binaryScalar(a._handle, Number(b), scalarKind(b), code, 0))
}

/** A JS scalar as a 0-dim tensor of the dtype it takes next to `like`. */
export function scalarTensor(like: Tensor, v: Scalar): Tensor {
  if (typeof v !== 'number' && typeof v !== 'boolean') throw new TypeError(`expected a number or a Tensor, got ${typeof v}`)
  return wrap(N.scalarTensor(like._handle, Number(v), scalarKind(v)))
}

function fullLike(index: Tensor, value: Scalar, self: Tensor): Tensor {
  return wrap(N.full(index.shape, Number(value), dtypeCode(self.dtype), self.device))
}

/** `torch.where(condition, input, other)` with scalars allowed on either side. */
export function where(condition: Tensor, input: TensorOrScalar, other: TensorOrScalar): Tensor {
  const c = th(condition, 'where', 'condition')
  let a = input
  let b = other
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) {
    const fl = typeof a === 'number' && !Number.isInteger(a) || typeof b === 'number' && !Number.isInteger(b)
    a = wrap(N.full([], Number(a), dtypeCode(fl ? 'float32' : typeof a === 'boolean' && typeof b === 'boolean' ? 'bool' : 'int64'), condition.device))
  }
  if (!(a instanceof Tensor)) a = scalarTensor(b as Tensor, a)
  if (!(b instanceof Tensor)) b = scalarTensor(a, b)
  return wrap(N.where(c, a._handle, b._handle))
}

function maxMin(t: Tensor, args: any[], isMax: boolean): any {
  const op = isMax ? 'max' : 'min'
  if (args.length === 0) return wrap(N.reduce(t._handle, isMax ? R.amax : R.amin, undefined, false))
  if (args[0] instanceof Tensor) return bin(t, args[0], isMax ? B.maximum : B.minimum, op)
  const a = parse(args, ['dim', 'keepdim'], op)
  if (a.dim === undefined) return wrap(N.reduce(t._handle, isMax ? R.amax : R.amin, undefined, false))
  return named(N.argReduce(t._handle, isMax, intArg(a.dim, 'dim', op), !!a.keepdim))
}

function varStd(t: Tensor, args: any[], std: boolean): Tensor {
  const op = std ? 'std' : 'var'
  const a = parse(args, ['dim', 'unbiased', 'keepdim', 'correction'], op)
  let dim = a.dim
  let unbiased = a.unbiased
  // `var(true)`: PyTorch's old signature with `unbiased` first.
  if (typeof dim === 'boolean') {
    unbiased = dim
    dim = undefined
  }
  const correction = a.correction ?? (unbiased === false ? 0 : 1)
  return wrap(N.var(t._handle, dimsArg(dim, op), correction, !!a.keepdim, std))
}

/** `round(decimals = 0)`: with decimals, PyTorch's rule `nearbyint(x * 10^d) / 10^d`
 * (or `nearbyint(x / 10^-d) * 10^-d` for negative d), computed in the tensor's dtype. */
function roundDecimals(this: Tensor, ...args: any[]): Tensor {
  const a = parse(args, ['decimals'], 'round')
  const d = a.decimals ?? 0
  if (!Number.isInteger(d)) throw new TypeError(`round(): argument 'decimals' must be int, not ${typeof d}`)
  if (d === 0) return wrap(N.unary(this._handle, U.round, 0, 0, 0))
  if (!this.isFloatingPoint()) throw new TypeError(`round(): "round_cpu" not implemented for '${this.dtype}' when decimals is given`)
  const p = 10 ** Math.abs(d)
  return d > 0 ? this.mul(p).round().div(p) : this.div(p).round().mul(p)
}
;(Tensor.prototype as any).round = roundDecimals
;(Tensor.prototype as any).round_ = function (this: Tensor, ...args: any[]): Tensor {
  return this._inplace((x) => roundDecimals.apply(x, args), 'round_')
}

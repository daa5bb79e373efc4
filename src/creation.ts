// Tensor creation: ft.tensor and the factory functions, with PyTorch's dtype inference.
import { N } from './native'
import { DType, dtypeCode } from './dtype'
import { isOptions, shapeArgs } from './args'
import { Tensor, wrap } from './tensor'

export interface FactoryOptions {
  dtype?: DType | string
  device?: string
  requiresGrad?: boolean
}

export interface TensorOptions extends FactoryOptions {
  shape?: number[]
}

function dev(o: FactoryOptions | undefined): string {
  return o?.device ?? 'cpu'
}

/** Applies the `requiresGrad` factory option. */
function withGrad(t: Tensor, o: FactoryOptions | undefined): Tensor {
  if (o?.requiresGrad) t.requiresGrad_(true)
  return t
}

/** Flattens nested arrays, checking that they are rectangular. */
function flatten(data: any, shape: number[], out: any[], depth: number): void {
  if (Array.isArray(data)) {
    if (depth === shape.length) shape.push(data.length)
    else if (shape[depth] !== data.length) {
      throw new Error(`tensor: expected sequence of length ${shape[depth]} at dim ${depth} (got ${data.length})`)
    }
    for (const d of data) flatten(d, shape, out, depth + 1)
  } else {
    if (depth !== shape.length) throw new Error(`tensor: expected a sequence at dim ${depth}, got a scalar`)
    if (data instanceof Tensor) data = data.item()
    if (typeof data !== 'number' && typeof data !== 'boolean' && typeof data !== 'bigint') {
      throw new TypeError(`tensor: could not infer dtype of ${data === null ? 'null' : typeof data}`)
    }
    out.push(data)
  }
}

/** `ft.tensor(data, {dtype, device, shape})`: copies `data` (numbers, booleans, nested arrays, typed arrays). */
export function tensor(data: any, opts?: TensorOptions): Tensor {
  const device = dev(opts)
  if (ArrayBuffer.isView(data)) {
    const len = (data as any).length
    const shape = opts?.shape ?? [len]
    let h: number
    if (data instanceof Float32Array) h = N.fromF32(data, shape, dtypeCode(opts?.dtype ?? 'float32'), device)
    else if (data instanceof Float64Array) h = N.fromF64(data, shape, dtypeCode(opts?.dtype ?? 'float64'), device)
    else if (data instanceof Int32Array) h = N.fromI32(data, shape, dtypeCode(opts?.dtype ?? 'int32'), device)
    else if (data instanceof BigInt64Array) h = N.fromI64(data, shape, dtypeCode(opts?.dtype ?? 'int64'), device)
    else if (data instanceof Uint8Array) h = N.fromU8(data, shape, dtypeCode(opts?.dtype ?? 'uint8'), device)
    else if (data instanceof Uint16Array && (opts?.dtype === 'float16' || opts?.dtype === 'bfloat16')) h = N.fromU16(data, shape, dtypeCode(opts.dtype), device)
    else h = N.fromF64(Float64Array.from(data as any, Number), shape, dtypeCode(opts?.dtype ?? 'float32'), device)
    return withGrad(wrap(h), opts)
  }
  if (data instanceof Tensor) {
    // Keeps the source's device unless `device` is given (torch.tensor(t, device=...)).
    let t = data.detach()
    if (opts?.device !== undefined) t = t.to(opts.device)
    return withGrad(opts?.dtype ? t.to(opts.dtype).clone() : t.clone(), opts)
  }
  const shape: number[] = []
  const flat: any[] = []
  flatten(data, shape, flat, 0)
  let dtype = opts?.dtype
  if (dtype === undefined) {
    if (flat.length > 0 && flat.every((x) => typeof x === 'boolean')) dtype = 'bool'
    else if (flat.every((x) => typeof x === 'bigint' || (typeof x === 'boolean') || Number.isInteger(x))) dtype = 'int64'
    else dtype = 'float32'
  }
  if (opts?.shape) {
    if (opts.shape.reduce((a, b) => a * b, 1) !== flat.length) throw new Error(`tensor: shape ${JSON.stringify(opts.shape)} does not match ${flat.length} elements`)
    shape.splice(0, shape.length, ...opts.shape)
  }
  if (flat.some((x) => typeof x === 'bigint')) {
    return withGrad(wrap(N.fromI64(BigInt64Array.from(flat, (x) => BigInt(x)), shape, dtypeCode(dtype), device)), opts)
  }
  return withGrad(wrap(N.fromF64(Float64Array.from(flat, Number), shape, dtypeCode(dtype), device)), opts)
}

function factory(name: string, value: number, args: any[]): Tensor {
  const { shape, opts } = shapeArgs(args, name)
  return withGrad(wrap(N.full(shape, value, dtypeCode(opts.dtype ?? 'float32'), dev(opts))), opts)
}

/** `ft.zeros(2, 3)` or `ft.zeros([2, 3], {dtype})`. */
export function zeros(...args: any[]): Tensor { return factory('zeros', 0, args) }
export function ones(...args: any[]): Tensor { return factory('ones', 1, args) }
/** `ft.empty(...)`: zero-filled (ferrotorch never hands out uninitialized memory). */
export function empty(...args: any[]): Tensor { return factory('empty', 0, args) }

/** `ft.full(size, fillValue, {dtype})`; the dtype follows the fill value as in PyTorch. */
export function full(size: number[], fillValue: number | boolean, opts?: FactoryOptions): Tensor {
  const dtype = opts?.dtype ?? (typeof fillValue === 'boolean' ? 'bool' : Number.isInteger(fillValue) ? 'int64' : 'float32')
  return withGrad(wrap(N.full(size, Number(fillValue), dtypeCode(dtype), dev(opts))), opts)
}

function likeOpts(t: Tensor, opts?: FactoryOptions): FactoryOptions {
  return { dtype: opts?.dtype ?? t.dtype, device: opts?.device ?? t.device, requiresGrad: opts?.requiresGrad }
}

export function zerosLike(t: Tensor, opts?: FactoryOptions): Tensor { return zeros(t.shape, likeOpts(t, opts)) }
export function onesLike(t: Tensor, opts?: FactoryOptions): Tensor { return ones(t.shape, likeOpts(t, opts)) }
export function emptyLike(t: Tensor, opts?: FactoryOptions): Tensor { return empty(t.shape, likeOpts(t, opts)) }
export function fullLike(t: Tensor, v: number | boolean, opts?: FactoryOptions): Tensor { return full(t.shape, v, likeOpts(t, opts)) }
export function randLike(t: Tensor, opts?: FactoryOptions): Tensor { return rand(t.shape, likeOpts(t, opts)) }
export function randnLike(t: Tensor, opts?: FactoryOptions): Tensor { return randn(t.shape, likeOpts(t, opts)) }
export function randintLike(t: Tensor, low: number, high?: number, opts?: FactoryOptions): Tensor {
  if (high === undefined) return randint(0, low, t.shape, likeOpts(t, opts))
  return randint(low, high, t.shape, likeOpts(t, opts))
}

/** `ft.arange(end)`, `arange(start, end, step?)`; int64 when all bounds are integers. */
export function arange(...args: any[]): Tensor {
  let opts: FactoryOptions | undefined
  if (args.length && isOptions(args[args.length - 1])) opts = args.pop()
  let [start, end, step] = args.length === 1 ? [0, args[0], 1] : [args[0], args[1], args[2] ?? 1]
  for (const v of [start, end, step]) if (typeof v !== 'number') throw new TypeError('arange(): start, end and step must be numbers')
  const dtype = opts?.dtype ?? ([start, end, step].every(Number.isInteger) ? 'int64' : 'float32')
  return withGrad(wrap(N.arange(start, end, step, dtypeCode(dtype), dev(opts))), opts)
}

export function linspace(start: number, end: number, steps: number, opts?: FactoryOptions): Tensor {
  return withGrad(wrap(N.linspace(start, end, steps, dtypeCode(opts?.dtype ?? 'float32'), dev(opts))), opts)
}

export function eye(n: number, m?: number | FactoryOptions, opts?: FactoryOptions): Tensor {
  if (typeof m === 'object') {
    opts = m
    m = undefined
  }
  return withGrad(wrap(N.eye(n, m ?? n, dtypeCode(opts?.dtype ?? 'float32'), dev(opts))), opts)
}

/** `ft.rand(2, 3)`: uniform on [0, 1). */
export function rand(...args: any[]): Tensor {
  const { shape, opts } = shapeArgs(args, 'rand')
  return withGrad(wrap(N.random(0, shape, dtypeCode(opts.dtype ?? 'float32'), dev(opts))), opts)
}

/** `ft.randn(2, 3)`: standard normal. */
export function randn(...args: any[]): Tensor {
  const { shape, opts } = shapeArgs(args, 'randn')
  return withGrad(wrap(N.random(1, shape, dtypeCode(opts.dtype ?? 'float32'), dev(opts))), opts)
}

/** `ft.randint(low?, high, size)`. */
export function randint(...args: any[]): Tensor {
  let opts: FactoryOptions | undefined
  if (args.length && isOptions(args[args.length - 1])) opts = args.pop()
  let low = 0
  let high: number
  let size: number[]
  if (args.length === 2) [high, size] = args
  else [low, high, size] = args
  return wrap(N.randint(low, high, size, dtypeCode(opts?.dtype ?? 'int64'), dev(opts)))
}

export function randperm(n: number, opts?: FactoryOptions): Tensor {
  return wrap(N.randperm(n, dtypeCode(opts?.dtype ?? 'int64'), dev(opts)))
}

/** `torch.manual_seed(seed)`: makes the random factories repeatable. */
export function manualSeed(seed: number): void {
  N.manualSeed(seed)
}

/** `torch.scalar_tensor(v)`. */
export function scalarTensor(v: number, opts?: FactoryOptions): Tensor {
  return withGrad(wrap(N.full([], v, dtypeCode(opts?.dtype ?? 'float32'), dev(opts))), opts)
}

// Argument handling shared by every op: PyTorch's positional order, or one trailing
// options object with the same names in camelCase (API.md, "Arguments").

/** A plain options object (not a Tensor, array or typed array). */
export function isOptions(x: unknown): x is Record<string, any> {
  return x !== null && typeof x === 'object' && !Array.isArray(x) && !ArrayBuffer.isView(x) && (x as any)._h === undefined
}

/**
 * Maps positional arguments and a trailing options object onto `names`.
 * `parse([1, {keepdim: true}], ['dim', 'keepdim'])` gives `{dim: 1, keepdim: true}`.
 */
export function parse(args: ArrayLike<any>, names: readonly string[], op: string): Record<string, any> {
  const out: Record<string, any> = {}
  let n = args.length
  const last = n > 0 ? args[n - 1] : undefined
  const opts = n > 0 && isOptions(last) ? last : undefined
  if (opts) n--
  if (n > names.length) throw new TypeError(`${op}() takes at most ${names.length} positional arguments but ${n} were given`)
  for (let i = 0; i < n; i++) out[names[i]] = args[i]
  if (opts) {
    for (const k of Object.keys(opts)) {
      if (!names.includes(k)) throw new TypeError(`${op}() got an unexpected keyword argument '${k}'`)
      if (k in out && out[k] !== undefined) throw new TypeError(`${op}() got multiple values for argument '${k}'`)
      out[k] = opts[k]
    }
  }
  return out
}

/** Shapes as an array or as separate numbers: `(2, 3)` or `([2, 3])`. */
export function shapeArgs(args: any[], op: string): { shape: number[]; opts: Record<string, any> } {
  let opts: Record<string, any> = {}
  let a = args
  if (a.length && isOptions(a[a.length - 1])) {
    opts = a[a.length - 1]
    a = a.slice(0, -1)
  }
  const shape = a.length === 1 && Array.isArray(a[0]) ? a[0] : a
  for (const s of shape) {
    if (typeof s !== 'number' || !Number.isInteger(s)) throw new TypeError(`${op}(): shape must be a list of integers, got ${JSON.stringify(shape)}`)
  }
  return { shape: shape as number[], opts }
}

/** `dim` as a number or an array of numbers; undefined/null stays undefined. */
export function dimsArg(dim: unknown, op: string): number[] | undefined {
  if (dim === undefined || dim === null) return undefined
  if (typeof dim === 'number') {
    if (!Number.isInteger(dim)) throw new TypeError(`${op}(): dim must be an integer, got ${dim}`)
    return [dim]
  }
  if (Array.isArray(dim) && dim.every((d) => Number.isInteger(d))) return dim
  throw new TypeError(`${op}(): dim must be an int or a list of ints, got ${String(dim)}`)
}

export function intArg(x: unknown, name: string, op: string): number {
  if (typeof x !== 'number' || !Number.isInteger(x)) throw new TypeError(`${op}(): argument '${name}' must be an integer, got ${String(x)}`)
  return x
}

/** 0 bool, 1 int, 2 float: the scalar's PyTorch category. */
export function scalarKind(v: number | boolean): number {
  if (typeof v === 'boolean') return 0
  if (typeof v !== 'number') throw new TypeError(`expected a number or a Tensor, got ${typeof v}`)
  return Number.isInteger(v) ? 1 : 2
}

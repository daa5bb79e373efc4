// Tensor printing that reproduces PyTorch 2.x `str(tensor)` / `repr(tensor)` with the default
// print options. The logic mirrors torch/_tensor_str.py (_Formatter, _vector_str,
// _tensor_str_with_formatter, get_summarized_data, _add_suffixes) so that quirks match too.

const PRECISION = 4
const THRESHOLD = 1000
const EDGEITEMS = 3
const LINEWIDTH = 80
const PREFIX = 'tensor('

const FLOAT_DTYPES = new Set(['float32', 'float64', 'float16', 'bfloat16'])
// PyTorch omits the dtype for the default float dtype, int64 and bool (`has_default_dtype`).
const DEFAULT_DTYPES = new Set(['float32', 'int64', 'bool'])

// ---- Python-compatible float -> string ---------------------------------------------------
// JS toFixed/toExponential round exact ties upward, while Python rounds half to even
// (e.g. 0.03125 -> '0.0312' in Python, '0.0313' in JS), so we round the exact decimal value.

/** Exact decimal expansion of a finite positive double: x = digits / 10^scale. */
function exactDecimal(x: number): [bigint, number] {
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, x)
  const hi = view.getUint32(0)
  const biased = (hi >>> 20) & 0x7ff
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(view.getUint32(4))
  let exp = -1074 // subnormal
  if (biased !== 0) {
    mant |= 1n << 52n
    exp = biased - 1075
  }
  // m * 2^-k == m * 5^k / 10^k
  return exp >= 0 ? [mant << BigInt(exp), 0] : [mant * 5n ** BigInt(-exp), -exp]
}

/** n / 10^k rounded half to even (k may be negative: then it multiplies). */
function roundShift(n: bigint, k: number): bigint {
  if (k <= 0) return n * 10n ** BigInt(-k)
  const d = 10n ** BigInt(k)
  const q = n / d
  const twice = 2n * (n % d)
  return twice > d || (twice === d && (q & 1n) === 1n) ? q + 1n : q
}

function nonFinite(x: number): string | undefined {
  if (Number.isNaN(x)) return 'nan'
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf'
  return undefined
}

const signOf = (x: number) => (x < 0 || Object.is(x, -0) ? '-' : '')

/** Python `f"{x:.{p}f}"`. */
function toFixedPy(x: number, p: number): string {
  const special = nonFinite(x)
  if (special) return special
  if (x === 0) return signOf(x) + (p > 0 ? '0.' + '0'.repeat(p) : '0')
  const [digits, scale] = exactDecimal(Math.abs(x))
  const s = roundShift(digits, scale - p).toString().padStart(p + 1, '0')
  return signOf(x) + (p > 0 ? s.slice(0, -p) + '.' + s.slice(-p) : s)
}

/** Python `f"{x:.{p}e}"`. */
function toExpPy(x: number, p: number): string {
  const special = nonFinite(x)
  if (special) return special
  let digits = '0'.repeat(p + 1)
  let e = 0
  if (x !== 0) {
    const [d, scale] = exactDecimal(Math.abs(x))
    const len = d.toString().length
    e = len - 1 - scale
    let n = roundShift(d, len - (p + 1))
    if (n.toString().length > p + 1) { n /= 10n; e += 1 } // rounding carried, e.g. 9.99999 -> 10.0000
    digits = n.toString()
  }
  const mant = p > 0 ? digits[0] + '.' + digits.slice(1) : digits
  return `${signOf(x)}${mant}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`
}

// ---- _Formatter ----------------------------------------------------------------------------

type Elem = number | bigint

interface Formatter {
  width: number
  format(v: Elem): string
}

function makeFormatter(sample: Elem[], dtype: string): Formatter {
  const pad = (s: string, w: number) => s.padStart(w)
  if (!FLOAT_DTYPES.has(dtype)) {
    const str = dtype === 'bool'
      ? (v: Elem) => (Number(v) ? 'True' : 'False')
      : (v: Elem) => (typeof v === 'bigint' ? v.toString() : String(v))
    const width = sample.reduce<number>((w, v) => Math.max(w, str(v).length), 1)
    return { width, format: (v) => pad(str(v), width) }
  }

  const vals = sample.map(Number).filter((v) => Number.isFinite(v) && v !== 0)
  let width = 1
  let intMode = true
  let sciMode = false
  if (vals.length > 0) {
    // (reduce, not Math.max(...xs): a summarized sample can exceed the argument limit)
    const max = vals.reduce((m, v) => Math.max(m, Math.abs(v)), 0)
    const min = vals.reduce((m, v) => Math.min(m, Math.abs(v)), Infinity)
    intMode = vals.every((v) => Number.isInteger(v))
    sciMode = max / min > 1000 || max > 1e8 || min < 1e-4
    for (const v of vals) {
      // int_mode adds 1 for the trailing '.' that marks the tensor as floating point
      const len = sciMode ? toExpPy(v, PRECISION).length
        : intMode ? toFixedPy(v, 0).length + 1
          : toFixedPy(v, PRECISION).length
      width = Math.max(width, len)
    }
  }
  const format = (e: Elem): string => {
    const v = Number(e)
    if (sciMode) return pad(toExpPy(v, PRECISION), width)
    if (intMode) return pad(toFixedPy(v, 0) + (Number.isFinite(v) ? '.' : ''), width)
    return pad(toFixedPy(v, PRECISION), width)
  }
  return { width, format }
}

// ---- layout ------------------------------------------------------------------------------

/** Indices along one dim that get printed (and that the formatter sees), per get_summarized_data. */
function keptIndices(size: number, summarize: boolean): number[] {
  if (!summarize || size <= 2 * EDGEITEMS) return Array.from({ length: size }, (_, i) => i)
  return Array.from({ length: 2 * EDGEITEMS }, (_, i) => (i < EDGEITEMS ? i : size - 2 * EDGEITEMS + i))
}

function tensorBody(values: ArrayLike<Elem>, shape: number[], dtype: string): string {
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1))
  const numel = shape.reduce((a, b) => a * b, 1)
  const summarize = numel > THRESHOLD

  const sample: Elem[] = []
  const collect = (offset: number, d: number): void => {
    if (d === shape.length) { sample.push(values[offset]); return }
    for (const i of keptIndices(shape[d], summarize)) collect(offset + i * strides[d], d + 1)
  }
  collect(0, 0)
  const fmt = makeFormatter(sample, dtype)

  const render = (offset: number, d: number, indent: number): string => {
    if (d === shape.length) return fmt.format(values[offset])
    const size = shape[d]
    const cut = summarize && size > 2 * EDGEITEMS
    const idx = keptIndices(size, summarize)
    const items = idx.map((i) => render(offset + i * strides[d], d + 1, indent + 1))
    if (d === shape.length - 1) {
      // last dim: a row, wrapped to the line width ('...' counts as an element)
      if (cut) items.splice(EDGEITEMS, 0, ' ...')
      const perLine = Math.max(1, Math.floor((LINEWIDTH - indent) / (fmt.width + 2)))
      const lines: string[] = []
      for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(', '))
      return '[' + lines.join(',\n' + ' '.repeat(indent + 1)) + ']'
    }
    if (cut) items.splice(EDGEITEMS, 0, '...')
    // blocks of a k-dim slice are separated by k-1 newlines (blank lines for 3-D and up)
    const rank = shape.length - d
    return '[' + items.join(',' + '\n'.repeat(rank - 1) + ' '.repeat(indent + 1)) + ']'
  }
  return render(0, 0, PREFIX.length)
}

/** _add_suffixes: wrap suffixes onto new lines when they would pass the line width. */
function addSuffixes(body: string, suffixes: string[]): string {
  let out = body
  // PyTorch's estimate of the last line's length (it over-counts by 2; kept for identical wrapping)
  let lastLen = body.length - body.lastIndexOf('\n') + 1
  for (const s of suffixes) {
    if (lastLen + s.length + 2 > LINEWIDTH) {
      out += ',\n' + ' '.repeat(PREFIX.length) + s
      lastLen = PREFIX.length + s.length
    } else {
      out += ', ' + s
      lastLen += s.length + 2
    }
  }
  return out + ')'
}

/**
 * Format a tensor exactly like PyTorch's `str(tensor)` with default print options.
 * `values` are the elements in row-major order; `extras` are suffixes such as
 * "requires_grad=True", "grad_fn=<AddBackward0>" or "device='cuda:0'".
 */
export function formatTensor(
  values: ArrayLike<number> | ArrayLike<bigint>,
  shape: number[],
  dtype: string,
  extras: string[] = [],
): string {
  const numel = shape.reduce((a, b) => a * b, 1)
  // PyTorch order: device, then size/dtype, then autograd info.
  const suffixes = extras.filter((s) => s.startsWith('device='))
  let body: string
  if (numel === 0) {
    // Empty tensors show their shape unless 1-D, and any non-float32 dtype (even int64/bool).
    if (shape.length !== 1) suffixes.push(`size=(${shape.join(', ')})`)
    if (dtype !== 'float32') suffixes.push(`dtype=torch.${dtype}`)
    body = '[]'
  } else {
    if (!DEFAULT_DTYPES.has(dtype)) suffixes.push(`dtype=torch.${dtype}`)
    body = tensorBody(values as ArrayLike<Elem>, shape, dtype)
  }
  suffixes.push(...extras.filter((s) => !s.startsWith('device=')))
  return addSuffixes(PREFIX + body, suffixes)
}

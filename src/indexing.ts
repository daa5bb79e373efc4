// Turns an index spec (API.md "Indexing") into the flat encoding the native layer reads:
// kinds (0 int, 1 slice, 2 new axis, 3 ellipsis, 4 tensor), numbers, tensor handles.
import type { Tensor } from './tensor'

export type IndexItem = number | [number | null, (number | null)?, (number | null)?] | null | '...' | Tensor
export type IndexSpec = IndexItem[] | IndexItem | string

export interface EncodedIndex {
  kinds: number[]
  nums: number[]
  handles: number[]
}

function parseString(s: string): IndexItem[] {
  return s.split(',').map((tok) => {
    const t = tok.trim()
    if (t === '...' || t === 'Ellipsis') return '...'
    if (t === 'None' || t === 'null') return null
    if (t.includes(':')) {
      const parts = t.split(':').map((p) => p.trim())
      if (parts.length > 3) throw new TypeError(`index: invalid slice '${t}'`)
      const num = (p: string | undefined): number | null => {
        if (p === undefined || p === '') return null
        const v = Number(p)
        if (!Number.isInteger(v)) throw new TypeError(`index: invalid slice bound '${p}' in '${t}'`)
        return v
      }
      return [num(parts[0]), num(parts[1]), num(parts[2])] as IndexItem
    }
    const v = Number(t)
    if (t === '' || !Number.isInteger(v)) throw new TypeError(`index: invalid index '${t}' (expected an integer, a slice a:b:c, None or ...)`)
    return v
  })
}

export function parseIndex(spec: IndexSpec, _self: Tensor): EncodedIndex {
  let items: IndexItem[]
  if (typeof spec === 'string') items = parseString(spec)
  else if (Array.isArray(spec)) items = spec as IndexItem[]
  else items = [spec as IndexItem]
  const out: EncodedIndex = { kinds: [], nums: [], handles: [] }
  for (const it of items) {
    if (typeof it === 'number') {
      if (!Number.isInteger(it)) throw new TypeError(`index: only integers, slices, null, '...' and integer or boolean tensors are valid indices (got ${it})`)
      out.kinds.push(0)
      out.nums.push(it)
    } else if (it === null || it === undefined) {
      out.kinds.push(2)
    } else if (it === '...') {
      out.kinds.push(3)
    } else if (typeof it === 'string') {
      for (const sub of parseString(it)) {
        const e = parseIndex([sub], _self)
        out.kinds.push(...e.kinds)
        out.nums.push(...e.nums)
        out.handles.push(...e.handles)
      }
    } else if (Array.isArray(it)) {
      if ((it as any[]).length === 0 || (it as any[]).length > 3) throw new TypeError(`index: a slice is [start, stop, step], got ${JSON.stringify(it)}`)
      const [a, b, c] = it as (number | null | undefined)[]
      for (const v of [a, b, c]) {
        if (v !== null && v !== undefined && !Number.isInteger(v)) throw new TypeError(`index: slice bounds must be integers or null, got ${JSON.stringify(it)}`)
      }
      if (c === 0) throw new Error('index: slice step cannot be zero')
      if (c != null && c < 0) throw new Error('index: step must be greater than zero')
      out.kinds.push(1)
      out.nums.push(a ?? NaN, b ?? NaN, c ?? NaN)
    } else if (typeof it === 'object' && (it as any)._h !== undefined) {
      out.kinds.push(4)
      out.handles.push((it as Tensor)._handle)
    } else {
      throw new TypeError(`index: unsupported index item ${String(it)}`)
    }
  }
  return out
}

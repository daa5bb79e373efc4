// Readers for common data files: MNIST-style IDX (gzipped or not) and CSV.
import { readFileSync, existsSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import * as path from 'node:path'
import { tensor } from '../creation'
import { Tensor } from '../tensor'
import { Dataset } from './data'

const IDX_TYPES: Record<number, { dtype: string; size: number }> = {
  0x08: { dtype: 'uint8', size: 1 },
  0x09: { dtype: 'int8', size: 1 },
  0x0b: { dtype: 'int16', size: 2 },
  0x0c: { dtype: 'int32', size: 4 },
  0x0d: { dtype: 'float32', size: 4 },
  0x0e: { dtype: 'float64', size: 8 },
}

/** Reads an IDX file (`.gz` or raw) into a tensor; uint8 data stays uint8. */
export function readIdx(file: string): Tensor {
  let buf = readFileSync(file)
  if (buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipSync(buf)
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) throw new Error(`readIdx: ${file} is not an IDX file (bad magic number)`)
  const t = IDX_TYPES[buf[2]]
  if (!t) throw new Error(`readIdx: ${file} has unknown data type 0x${buf[2].toString(16)}`)
  const nd = buf[3]
  if (buf.length < 4 + 4 * nd) throw new Error(`readIdx: ${file} is truncated (header)`)
  const shape: number[] = []
  for (let i = 0; i < nd; i++) shape.push(buf.readUInt32BE(4 + 4 * i))
  const n = shape.reduce((a, b) => a * b, 1)
  const off = 4 + 4 * nd
  if (buf.length < off + n * t.size) throw new Error(`readIdx: ${file} is truncated: header promises ${n} values of ${t.dtype}, the file holds ${Math.floor((buf.length - off) / t.size)}`)
  if (t.dtype === 'uint8') return tensor(new Uint8Array(buf.buffer, buf.byteOffset + off, n), { shape })
  const vals = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const p = off + i * t.size
    vals[i] = t.dtype === 'int8' ? buf.readInt8(p) : t.dtype === 'int16' ? buf.readInt16BE(p) : t.dtype === 'int32' ? buf.readInt32BE(p) : t.dtype === 'float32' ? buf.readFloatBE(p) : buf.readDoubleBE(p)
  }
  return tensor(vals, { shape, dtype: t.dtype === 'float64' ? 'float64' : t.dtype === 'float32' ? 'float32' : 'int64' })
}

/** Reads a numeric CSV into a float32 tensor `[rows, cols]`. */
export function readCsv(file: string, opts: { header?: boolean; delimiter?: string; dtype?: any } = {}): { data: Tensor; columns: string[] } {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '')
  const d = opts.delimiter ?? ','
  const columns = opts.header ?? true ? lines.shift()!.split(d).map((s) => s.trim()) : []
  const rows = lines.map((l, i) =>
    l.split(d).map((s) => {
      const v = Number(s)
      if (s.trim() === '' || Number.isNaN(v)) throw new Error(`readCsv: ${file}:${i + (columns.length ? 2 : 1)}: '${s}' is not a number`)
      return v
    }),
  )
  const w = rows[0]?.length ?? 0
  if (rows.some((r) => r.length !== w)) throw new Error(`readCsv: ${file}: rows have different numbers of columns`)
  return { data: tensor(Float64Array.from(rows.flat()), { shape: [rows.length, w], dtype: opts.dtype ?? 'float32' }), columns }
}

const FILES = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
}

function findIdx(root: string, base: string): string {
  for (const f of [base, `${base}.gz`]) {
    const p = path.join(root, f)
    if (existsSync(p)) return p
  }
  throw new Error(`MNIST: ${base}(.gz) not found in ${root}`)
}

/** MNIST-format images (uint8 `[N, 28, 28]`) and labels (int64 `[N]`) from a directory of IDX files. */
export class MNIST extends Dataset<[Tensor, number]> {
  images: Tensor
  labels: Tensor
  private labelArr: BigInt64Array
  constructor(root: string, opts: { train?: boolean; transform?: (x: Tensor) => Tensor } = {}) {
    super()
    const [imgs, labs] = FILES[opts.train ?? true ? 'train' : 'test']
    this.images = readIdx(findIdx(root, imgs))
    this.labels = readIdx(findIdx(root, labs)).to('int64')
    this.labelArr = this.labels.toTypedArray() as BigInt64Array
    this.transform = opts.transform
  }
  transform?: (x: Tensor) => Tensor
  getItem(i: number): [Tensor, number] {
    const x = this.images.select(0, i).to('float32').div(255).unsqueeze(0)
    return [this.transform ? this.transform(x) : x, Number(this.labelArr[i])]
  }
  get length(): number {
    return this.images.shape[0]
  }
}

/** Fashion-MNIST: the same files and format as MNIST (Debian: /usr/share/datasets/fashion-mnist). */
export class FashionMNIST extends MNIST {}

// Files: safetensors (ft.save / ft.load, the format PyTorch and Hugging Face tools read)
// and numpy's .npy. Saves are atomic (write a temp file, then rename); loads check every
// size against the file before allocating, so truncated or hostile files are clean errors.
import { readFileSync, writeFileSync, renameSync, promises as fsp } from 'node:fs'
import { DType } from './dtype'
import { tensor } from './creation'
import { Tensor } from './tensor'

const ST_DTYPES: Record<DType, string> = {
  float32: 'F32', float64: 'F64', float16: 'F16', bfloat16: 'BF16', int32: 'I32', int64: 'I64', uint8: 'U8', bool: 'BOOL',
}
const ST_BACK: Record<string, { dtype: DType; size: number }> = {
  F32: { dtype: 'float32', size: 4 }, F64: { dtype: 'float64', size: 8 }, F16: { dtype: 'float16', size: 2 }, BF16: { dtype: 'bfloat16', size: 2 },
  I32: { dtype: 'int32', size: 4 }, I64: { dtype: 'int64', size: 8 }, U8: { dtype: 'uint8', size: 1 }, BOOL: { dtype: 'bool', size: 1 },
}
const MAX_HEADER = 100 * 1024 * 1024

function bytesOf(t: Tensor): Uint8Array {
  const a = t.toTypedArray() as ArrayBufferView
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength)
}

/** Serializes a `{name: Tensor}` dict to safetensors bytes. */
export function toSafetensors(dict: Record<string, Tensor>, metadata: Record<string, string> = { format: 'pt' }): Buffer {
  const header: Record<string, any> = { __metadata__: metadata }
  const chunks: Uint8Array[] = []
  let at = 0
  for (const [name, t] of Object.entries(dict)) {
    if (!(t instanceof Tensor)) throw new TypeError(`save: value for key '${name}' is not a Tensor`)
    const b = bytesOf(t)
    header[name] = { dtype: ST_DTYPES[t.dtype], shape: t.shape, data_offsets: [at, at + b.byteLength] }
    chunks.push(b)
    at += b.byteLength
  }
  let json = JSON.stringify(header)
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8)
  const hb = Buffer.from(json, 'utf8')
  const len = Buffer.alloc(8)
  len.writeBigUInt64LE(BigInt(hb.length))
  return Buffer.concat([len, hb, ...chunks])
}

/** Parses safetensors bytes into `{name: Tensor}` (data copied out of the buffer). */
export function fromSafetensors(buf: Buffer, source = 'buffer'): Record<string, Tensor> {
  if (buf.length < 8) throw new Error(`load: ${source} is not a safetensors file (shorter than its 8-byte header length)`)
  const n = buf.readBigUInt64LE(0)
  if (n > BigInt(Math.min(MAX_HEADER, buf.length - 8))) throw new Error(`load: ${source}: header claims ${n} bytes but the file holds ${buf.length - 8} after the length field`)
  let header: Record<string, any>
  try {
    header = JSON.parse(buf.subarray(8, 8 + Number(n)).toString('utf8'))
  } catch (e) {
    throw new Error(`load: ${source}: the safetensors header is not valid JSON (${(e as Error).message})`)
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw new Error(`load: ${source}: the safetensors header must be a JSON object`)
  const base = 8 + Number(n)
  const dataLen = buf.length - base
  const out: Record<string, Tensor> = {}
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue
    const dt = ST_BACK[info?.dtype]
    if (!dt) throw new Error(`load: ${source}: tensor '${name}' has unsupported dtype ${JSON.stringify(info?.dtype)}`)
    const shape: number[] = info.shape
    const offs: number[] = info.data_offsets
    if (!Array.isArray(shape) || shape.some((s) => !Number.isSafeInteger(s) || s < 0)) throw new Error(`load: ${source}: tensor '${name}' has an invalid shape`)
    if (!Array.isArray(offs) || offs.length !== 2 || offs.some((o) => !Number.isSafeInteger(o) || o < 0) || offs[1] < offs[0]) throw new Error(`load: ${source}: tensor '${name}' has invalid data_offsets`)
    const count = shape.reduce((a, b) => a * b, 1)
    if (count * dt.size !== offs[1] - offs[0]) throw new Error(`load: ${source}: tensor '${name}' of shape ${JSON.stringify(shape)} needs ${count * dt.size} bytes but its offsets span ${offs[1] - offs[0]}`)
    if (offs[1] > dataLen) throw new Error(`load: ${source}: tensor '${name}' ends at byte ${offs[1]} of a ${dataLen}-byte data section (truncated file?)`)
    const bytes = new Uint8Array(buf.buffer.slice(buf.byteOffset + base + offs[0], buf.byteOffset + base + offs[1]))
    out[name] = fromBytes(bytes, dt.dtype, shape)
  }
  return out
}

function fromBytes(bytes: Uint8Array, dtype: DType, shape: number[]): Tensor {
  const b = bytes.buffer
  switch (dtype) {
    case 'float32': return tensor(new Float32Array(b), { shape })
    case 'float64': return tensor(new Float64Array(b), { shape })
    case 'int32': return tensor(new Int32Array(b), { shape })
    case 'int64': return tensor(new BigInt64Array(b), { shape })
    case 'uint8': return tensor(new Uint8Array(b), { shape })
    case 'bool': return tensor(new Uint8Array(b), { shape, dtype: 'bool' })
    default: return tensor(new Uint16Array(b), { shape, dtype })
  }
}

/** `ft.save(stateDict, path)`: safetensors, written atomically. */
export function save(dict: Record<string, Tensor>, path: string): void {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`
  writeFileSync(tmp, toSafetensors(dict))
  renameSync(tmp, path)
}

/** `ft.load(path)`: a `{name: Tensor}` dict from a safetensors file. */
export function load(path: string): Record<string, Tensor> {
  return fromSafetensors(readFileSync(path), path)
}

export async function saveAsync(dict: Record<string, Tensor>, path: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`
  await fsp.writeFile(tmp, toSafetensors(dict))
  await fsp.rename(tmp, path)
}

export async function loadAsync(path: string): Promise<Record<string, Tensor>> {
  return fromSafetensors(await fsp.readFile(path), path)
}

// ---- .npy --------------------------------------------------------------------------------

const NPY: Record<string, { dtype: DType; size: number }> = {
  f4: { dtype: 'float32', size: 4 }, f8: { dtype: 'float64', size: 8 }, f2: { dtype: 'float16', size: 2 },
  i4: { dtype: 'int32', size: 4 }, i8: { dtype: 'int64', size: 8 }, u1: { dtype: 'uint8', size: 1 }, b1: { dtype: 'bool', size: 1 },
}
const NPY_BACK: Partial<Record<DType, string>> = { float32: '<f4', float64: '<f8', float16: '<f2', int32: '<i4', int64: '<i8', uint8: '|u1', bool: '|b1' }

/** `readNpy(path)`: any byte order, C or Fortran order. */
export function readNpy(path: string): Tensor {
  const buf = readFileSync(path)
  if (buf.length < 10 || buf.subarray(0, 6).toString('latin1') !== '\x93NUMPY') throw new Error(`readNpy: ${path} is not a .npy file`)
  const major = buf[6]
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8)
  const hstart = major === 1 ? 10 : 12
  if (hstart + hlen > buf.length) throw new Error(`readNpy: ${path}: truncated header`)
  const h = buf.subarray(hstart, hstart + hlen).toString('latin1')
  const descr = /'descr':\s*'([<>|=])(\w\d+)'/.exec(h)
  const fortran = /'fortran_order':\s*True/.test(h)
  const shapeM = /'shape':\s*\(([^)]*)\)/.exec(h)
  if (!descr || !shapeM) throw new Error(`readNpy: ${path}: unreadable header ${h}`)
  const dt = NPY[descr[2]]
  if (!dt) throw new Error(`readNpy: ${path}: unsupported dtype ${descr[1]}${descr[2]}`)
  const shape = shapeM[1].split(',').map((s) => s.trim()).filter((s) => s).map(Number)
  const n = shape.reduce((a, b) => a * b, 1)
  const off = hstart + hlen
  if (buf.length < off + n * dt.size) throw new Error(`readNpy: ${path}: truncated data (${n} values of ${dt.dtype} expected)`)
  const raw = Buffer.from(buf.subarray(off, off + n * dt.size))
  if (descr[1] === '>' && dt.size > 1) {
    if (dt.size === 2) raw.swap16()
    else if (dt.size === 4) raw.swap32()
    else raw.swap64()
  }
  const bytes = new Uint8Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength))
  if (!fortran) return fromBytes(bytes, dt.dtype, shape)
  const rev = fromBytes(bytes, dt.dtype, [...shape].reverse())
  return rev.permute([...shape.keys()].reverse()).contiguous()
}

/** `writeNpy(path, tensor)`: little-endian, C order, format version 1.0. */
export function writeNpy(path: string, t: Tensor): void {
  const descr = NPY_BACK[t.dtype]
  if (!descr) throw new TypeError(`writeNpy: dtype ${t.dtype} has no .npy equivalent`)
  const shape = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`
  let h = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`
  const total = 10 + h.length + 1
  h += ' '.repeat((64 - (total % 64)) % 64) + '\n'
  const head = Buffer.alloc(10)
  head.write('\x93NUMPY', 0, 'latin1')
  head[6] = 1
  head[7] = 0
  head.writeUInt16LE(h.length, 8)
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`
  writeFileSync(tmp, Buffer.concat([head, Buffer.from(h, 'latin1'), Buffer.from(bytesOf(t))]))
  renameSync(tmp, path)
}

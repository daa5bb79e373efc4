// DataLoader workers: for TensorDataset the rows of each batch are gathered on
// worker_threads from shared memory while the main thread computes, `prefetch` batches
// ahead per worker. The gather is plain typed-array copying, so workers need no addon.
import { Worker } from 'node:worker_threads'
import { Tensor } from '../tensor'
import { tensor } from '../creation'

interface Shared {
  buf: SharedArrayBuffer
  ctor: string
  shape: number[]
  dtype: string
  row: number
}

const WORKER_SRC = `
const { parentPort, workerData } = require('node:worker_threads')
const arrays = workerData.tensors.map((t) => new globalThis[t.ctor](t.buf))
parentPort.on('message', (m) => {
  if (m === null) return process.exit(0)
  const out = workerData.tensors.map((t, k) => {
    const src = arrays[k]
    const dst = new globalThis[t.ctor](m.idx.length * t.row)
    m.idx.forEach((r, i) => dst.set(src.subarray(r * t.row, (r + 1) * t.row), i * t.row))
    return dst
  })
  parentPort.postMessage({ seq: m.seq, out }, out.map((a) => a.buffer))
})
`

function share(t: Tensor): Shared {
  const a = t.contiguous().toTypedArray() as any
  const buf = new SharedArrayBuffer(a.byteLength)
  new Uint8Array(buf).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
  const row = t.shape.slice(1).reduce((x, y) => x * y, 1)
  return { buf, ctor: a.constructor.name, shape: t.shape, dtype: t.dtype, row }
}

/** Yields `[tensor batch per dataset tensor]` for each index batch, loaded by `n` workers. */
export async function* workerBatches(tensors: Tensor[], batches: number[][], n: number, prefetch = 2): AsyncGenerator<Tensor[]> {
  const shared = tensors.map(share)
  // Batches come back on the dataset tensors' devices, as the single-threaded loader's do.
  const devices = tensors.map((t) => t.device)
  const workers = Array.from({ length: n }, () => new Worker(WORKER_SRC, { eval: true, workerData: { tensors: shared } }))
  const pending = new Map<number, (v: ArrayBufferView[]) => void>()
  const results = new Map<number, Promise<ArrayBufferView[]>>()
  for (const w of workers) w.on('message', (m: { seq: number; out: ArrayBufferView[] }) => pending.get(m.seq)!(m.out))
  let next = 0
  const issue = () => {
    if (next >= batches.length) return
    const seq = next++
    results.set(seq, new Promise((res) => pending.set(seq, res)))
    workers[seq % n].postMessage({ seq, idx: batches[seq] })
  }
  try {
    for (let i = 0; i < n * prefetch; i++) issue()
    for (let seq = 0; seq < batches.length; seq++) {
      const out = await results.get(seq)!
      results.delete(seq)
      pending.delete(seq)
      issue()
      yield out.map((a, k) => tensor(a, { shape: [batches[seq].length, ...shared[k].shape.slice(1)], dtype: shared[k].dtype as any, device: devices[k] }))
    }
  } finally {
    for (const w of workers) w.terminate()
  }
}

// torch.utils.data: datasets, samplers and the DataLoader (sync and async iteration).
import { Tensor } from '../tensor'
import { stack } from '../functional'
import { tensor } from '../creation'
import { Generator } from './generator'
import { workerBatches } from './workers'

export abstract class Dataset<T = any> {
  abstract getItem(index: number): T
  abstract get length(): number
}

/** A dataset read by iteration only (`__iter__`). */
export abstract class IterableDataset<T = any> {
  abstract [Symbol.iterator](): Iterator<T>
}

/** Rows of several tensors that share their first dimension. */
export class TensorDataset extends Dataset<Tensor[]> {
  tensors: Tensor[]
  constructor(...tensors: Tensor[]) {
    super()
    if (!tensors.length) throw new Error('TensorDataset needs at least one tensor')
    const n = tensors[0].shape[0]
    if (tensors.some((t) => t.shape[0] !== n)) throw new Error('Size mismatch between tensors')
    this.tensors = tensors
  }
  getItem(i: number): Tensor[] {
    return this.tensors.map((t) => t.select(0, i))
  }
  get length(): number {
    return this.tensors[0].shape[0]
  }
}

export class Subset<T> extends Dataset<T> {
  constructor(public dataset: Dataset<T>, public indices: number[]) {
    super()
  }
  getItem(i: number): T {
    return this.dataset.getItem(this.indices[i])
  }
  get length(): number {
    return this.indices.length
  }
}

/** `random_split(dataset, lengths, {generator})`; lengths may be fractions summing to 1. */
export function randomSplit<T>(dataset: Dataset<T>, lengths: number[], opts: { generator?: Generator } = {}): Subset<T>[] {
  const n = dataset.length
  let ls = lengths
  if (lengths.every((l) => l > 0 && l < 1) && Math.abs(lengths.reduce((a, b) => a + b, 0) - 1) < 1e-9) {
    ls = lengths.map((f) => Math.floor(n * f))
    for (let i = 0; ls.reduce((a, b) => a + b, 0) < n; i = (i + 1) % ls.length) ls[i]++
  }
  if (ls.reduce((a, b) => a + b, 0) !== n) throw new Error('Sum of input lengths does not equal the length of the input dataset!')
  const perm = (opts.generator ?? new Generator()).randperm(n)
  let at = 0
  return ls.map((l) => {
    const s = new Subset(dataset, perm.slice(at, at + l))
    at += l
    return s
  })
}

/** Stacks tensors, turns numbers into tensors (int64 / float64, as default_collate does), recurses into arrays and objects. */
export function defaultCollate(batch: any[]): any {
  const first = batch[0]
  if (first instanceof Tensor) return stack(batch)
  if (typeof first === 'number') return tensor(batch, { dtype: batch.every(Number.isInteger) ? 'int64' : 'float64' })
  if (typeof first === 'boolean') return tensor(batch)
  if (Array.isArray(first)) return first.map((_, i) => defaultCollate(batch.map((b) => b[i])))
  if (first && typeof first === 'object') return Object.fromEntries(Object.keys(first).map((k) => [k, defaultCollate(batch.map((b) => b[k]))]))
  return batch
}

export interface DataLoaderOptions<T> {
  batchSize?: number | null
  shuffle?: boolean
  sampler?: Iterable<number>
  dropLast?: boolean
  collateFn?: (batch: T[]) => any
  generator?: Generator
  /** Batches of a TensorDataset load on this many worker threads (other datasets load here). */
  numWorkers?: number
  prefetchFactor?: number
}

/**
 * `DataLoader(dataset, {batchSize, shuffle, sampler, dropLast, collateFn, generator})`:
 * iterate with `for (const b of loader)` or `for await (const b of loader)`.
 */
export class DataLoader<T = any> {
  batchSize: number | null
  shuffle: boolean
  dropLast: boolean
  collateFn: (batch: T[]) => any
  generator: Generator
  numWorkers: number
  prefetchFactor: number
  constructor(public dataset: Dataset<T> | IterableDataset<T>, public opts: DataLoaderOptions<T> = {}) {
    this.batchSize = opts.batchSize === undefined ? 1 : opts.batchSize
    this.shuffle = opts.shuffle ?? false
    this.dropLast = opts.dropLast ?? false
    this.collateFn = opts.collateFn ?? defaultCollate
    this.generator = opts.generator ?? new Generator()
    if (opts.sampler && this.shuffle) throw new Error('sampler option is mutually exclusive with shuffle')
    this.numWorkers = opts.numWorkers ?? 0
    this.prefetchFactor = opts.prefetchFactor ?? 2
  }

  private indices(): Iterable<number> {
    const ds = this.dataset as Dataset<T>
    if (this.opts.sampler) return this.opts.sampler
    if (this.shuffle) return this.generator.randperm(ds.length)
    return Array.from({ length: ds.length }, (_, i) => i)
  }

  *[Symbol.iterator](): Iterator<any> {
    const bs = this.batchSize
    if (this.dataset instanceof TensorDataset && this.collateFn === defaultCollate && bs !== null) {
      // Whole batches at once: one indexSelect per tensor instead of a stack of rows.
      const idx = [...this.indices()]
      const ds = this.dataset
      // The index lives on the dataset tensors' device (a TensorDataset may hold CUDA tensors).
      const dev = ds.tensors[0].device
      for (let at = 0; at < idx.length; at += bs) {
        if (this.dropLast && at + bs > idx.length) break
        const sel = tensor(idx.slice(at, at + bs), { device: dev })
        yield ds.tensors.map((t) => t.indexSelect(0, t.device === dev ? sel : sel.to(t.device)))
      }
      return
    }
    const items: Iterable<T> =
      this.dataset instanceof IterableDataset
        ? (this.dataset as IterableDataset<T>)
        : (function* (ds: Dataset<T>, idx: Iterable<number>) {
            for (const i of idx) yield ds.getItem(i)
          })(this.dataset as Dataset<T>, this.indices())
    if (bs === null) {
      for (const it of items) yield it
      return
    }
    let batch: T[] = []
    for (const it of items) {
      batch.push(it)
      if (batch.length === bs) {
        yield this.collateFn(batch)
        batch = []
      }
    }
    if (batch.length && !this.dropLast) yield this.collateFn(batch)
  }

  async *[Symbol.asyncIterator](): AsyncIterator<any> {
    if (this.numWorkers > 0 && this.dataset instanceof TensorDataset && this.collateFn === defaultCollate && this.batchSize !== null) {
      const idx = [...this.indices()]
      const batches: number[][] = []
      for (let at = 0; at < idx.length; at += this.batchSize) {
        if (this.dropLast && at + this.batchSize > idx.length) break
        batches.push(idx.slice(at, at + this.batchSize))
      }
      yield* workerBatches(this.dataset.tensors, batches, this.numWorkers, this.prefetchFactor)
      return
    }
    for (const b of this) {
      yield b
      // Let other work (and finalizers) run between batches.
      await new Promise((r) => setImmediate(r))
    }
  }

  get length(): number {
    const n = (this.dataset as Dataset<T>).length
    if (this.batchSize === null) return n
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize)
  }
}

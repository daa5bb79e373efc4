// TensorFlow.js side of `npm run bench`: the workloads of WORKLOADS.md in tfjs, timed with
// the same protocol (harness.ts). bench.ts runs this file in child processes, so tfjs's
// wasm heap and threads never share a process with ferrotorch:
//
//   node --import tsx benches/bench_tfjs.ts [--backend wasm|cpu] [--threads N] [--probe] ID...
//
// prints one JSON line (a TfjsReport). --probe only initializes the backend (its peak RSS is
// the idle footprint). A workload whose op has no kernel in the backend lands in
// `unsupported` (bench.ts reruns it on the cpu backend); any other failure in `errors`.
import * as path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import { bench, peakRssKiB } from './harness'

export interface TfjsReport {
  backend: string
  /** Threads doing the math: XNNPACK's pool for wasm (caller included), 1 for cpu. */
  threads: number
  simd: boolean
  tfjsVersion: string
  /** Median seconds per call. */
  times: Record<string, number>
  /** Loss before and after the timed steps of the training workloads (a sanity check). */
  losses: Record<string, [number, number]>
  unsupported: Record<string, string>
  errors: Record<string, string>
  /** Peak RSS of this process at exit, KiB (harness.ts). */
  peakRssKiB: number
}

interface Workload {
  run: () => void
  /** Untimed, before timing: throws if the result is wrong. */
  check?: () => void
  /** Training workloads: the current loss (for the report). */
  loss?: () => number
}

// ---------------------------------------------------------------- backend setup

/**
 * The wasm backend. With threads > 1 this loads the threaded SIMD build, which tfjs only
 * enables in browsers (WASM_HAS_MULTITHREAD_SUPPORT is hard-wired to false under Node,
 * tensorflow/tfjs#3830). Three things make it run in Node:
 *  - the flag is set to true;
 *  - the pthread workers come from tfjs_wasm_worker.cjs (tfjs hands emscripten a blob:
 *    URL, which Node's Worker rejects);
 *  - XNNPACK's pool is capped at emscripten_num_logical_cores() / 2 (it assumes SMT) =
 *    os.cpus().length / 2 under Node, so while the module initializes os.cpus() reports
 *    `2 * threads` entries. The cap is read once, at module start.
 * Returns the number of threads tfjs reports.
 */
async function initWasm(threads: number): Promise<number> {
  setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep)
  setThreadsCount(threads)
  const os: { cpus: () => unknown[] } = require('node:os')
  const cpus = os.cpus
  if (threads > 1) {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true)
    const worker = path.join(__dirname, 'tfjs_wasm_worker.cjs')
    const createObjectURL = URL.createObjectURL.bind(URL) // stays patched: emscripten may start more workers later
    URL.createObjectURL = (obj: Blob) => (obj instanceof Blob && obj.type === 'application/javascript' ? worker : createObjectURL(obj))
    os.cpus = () => Array.from({ length: 2 * threads }, (_, i) => cpus()[i % cpus().length])
  }
  try {
    if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed')
  } finally {
    os.cpus = cpus
  }
  return getThreadsCount()
}

async function init(backend: string, threads: number): Promise<Pick<TfjsReport, 'backend' | 'threads' | 'simd'>> {
  if (backend === 'wasm') {
    const n = await initWasm(threads)
    if (n !== threads) throw new Error(`asked the wasm backend for ${threads} threads, got ${n}`)
    return { backend, threads: n, simd: (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean }
  }
  if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend("${backend}") failed`)
  return { backend, threads: 1, simd: false }
}

// ---------------------------------------------------------------- checks

function assertClose(what: string, got: number, want: number, rtol = 1e-3, atol = 1e-4): void {
  if (!(Math.abs(got - want) <= atol + rtol * Math.abs(want))) throw new Error(`${what}: got ${got}, expected ${want}`)
}

/** Compares a few entries of out()'s result with ref applied to the inputs' entries. */
function checkElementwise(name: string, inputs: tf.Tensor[], out: () => tf.Tensor, ref: (...x: number[]) => number): void {
  const y = out()
  const ys = y.dataSync()
  const xs = inputs.map((t) => t.dataSync())
  for (const i of [0, 1, 12345, ys.length - 1].filter((i) => i < ys.length)) assertClose(`${name}[${i}]`, ys[i], ref(...xs.map((x) => x[i])), 1e-5, 1e-6)
  y.dispose()
}

function countParams(vars: tf.Variable[] | tf.LayerVariable[]): number {
  return vars.reduce((n, v) => n + v.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0)
}

function checkParams(name: string, got: number, want: number): void {
  if (got !== want) throw new Error(`${name}: ${got} parameters, WORKLOADS.md says ${want}`)
}

// ---------------------------------------------------------------- workloads

/** A training step: Adam over `vars`, the scalar loss read back (`dataSync`) as in WORKLOADS.md. */
function trainer(lossFn: () => tf.Scalar, vars?: tf.Variable[]): Workload {
  const opt = tf.train.adam(1e-3, 0.9, 0.999, 1e-8)
  let last = NaN
  return {
    run: () => {
      const cost = opt.minimize(lossFn, true, vars)!
      last = cost.dataSync()[0]
      cost.dispose()
    },
    loss: () => last,
  }
}

let seed = 100
/** PyTorch's nn.Linear init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
function linearInit(fanIn: number, shape: number[]): tf.Variable {
  const bound = 1 / Math.sqrt(fanIn)
  return tf.variable(tf.randomUniform(shape, -bound, bound, 'float32', seed++))
}

const W: Record<string, () => Workload> = {}

for (const n of [256, 1024, 2048]) {
  W[`W1_${n}`] = () => {
    const a = tf.randomNormal([n, n], 0, 1, 'float32', 1)
    const b = tf.randomNormal([n, n], 0, 1, 'float32', 2)
    return {
      run: () => {
        const c = tf.matMul(a, b)
        c.dataSync()
        c.dispose()
      },
      check: () => {
        const c = tf.matMul(a, b)
        const [cs, as, bs] = [c.dataSync(), a.dataSync(), b.dataSync()]
        for (const [i, j] of [[0, 0], [n - 1, 3], [n >> 1, n - 1]]) {
          let s = 0
          for (let k = 0; k < n; k++) s += as[i * n + k] * bs[k * n + j]
          assertClose(`C[${i},${j}]`, cs[i * n + j], s, 1e-3, 1e-3)
        }
        c.dispose()
      },
    }
  }
}

function unary(f: (a: tf.Tensor) => tf.Tensor, ref: (x: number) => number): () => Workload {
  return () => {
    const a = tf.randomNormal([1_000_000], 0, 1, 'float32', 1)
    return { run: () => f(a).dispose(), check: () => checkElementwise('c', [a], () => f(a), ref) }
  }
}

W.W2a = () => {
  const a = tf.randomNormal([1_000_000], 0, 1, 'float32', 1)
  const b = tf.randomNormal([1_000_000], 0, 1, 'float32', 2)
  return { run: () => tf.add(a, b).dispose(), check: () => checkElementwise('c', [a, b], () => tf.add(a, b), (x, y) => x + y) }
}
W.W2b = unary(tf.exp, Math.exp)
W.W2c = unary(tf.relu, (x) => Math.max(x, 0))

W.W3 = () => {
  const a = tf.randomNormal([4], 0, 1, 'float32', 1)
  const b = tf.randomNormal([4], 0, 1, 'float32', 2)
  return { run: () => tf.add(a, b).dispose(), check: () => checkElementwise('c', [a, b], () => tf.add(a, b), (x, y) => x + y) }
}

W.W4 = () => {
  const x = tf.randomNormal([4], 0, 1, 'float32', 1)
  const g = tf.grad((t: tf.Tensor) => t.mul(2).sum())
  return {
    run: () => g(x).dispose(),
    check: () => {
      const d = g(x)
      d.dataSync().forEach((v, i) => assertClose(`dx[${i}]`, v, 2))
      d.dispose()
    },
  }
}

W.MM_FB = () => {
  const a = tf.randomNormal([1024, 1024], 0, 1, 'float32', 1)
  const b = tf.randomNormal([1024, 1024], 0, 1, 'float32', 2)
  const g = tf.grads((p: tf.Tensor, q: tf.Tensor) => p.matMul(q).sum())
  return {
    run: () => {
      for (const t of g([a, b])) t.dispose()
    },
    check: () => {
      // d/dA sum(A @ B) = 1 B^T: every row of dA holds the row sums of B.
      const [da] = g([a, b])
      const rowSum0 = b.slice([0, 0], [1, 1024]).sum().dataSync()[0]
      assertClose('dA[5,0]', da.dataSync()[5 * 1024], rowSum0, 1e-3, 1e-3)
      da.dispose()
    },
  }
}

W.W5 = () => {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [784], units: 256, activation: 'relu' }),
      tf.layers.dense({ units: 128, activation: 'relu' }),
      tf.layers.dense({ units: 10 }),
    ],
  })
  checkParams('MLP', countParams(model.trainableWeights), 235_146)
  const x = tf.randomNormal([128, 784], 0, 1, 'float32', 1)
  const y = tf.oneHot(tf.randomUniform([128], 0, 10, 'int32', 2), 10)
  return trainer(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar)
}

W.W6 = () => {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 128, activation: 'relu' }),
      tf.layers.dense({ units: 10 }),
    ],
  })
  checkParams('CNN', countParams(model.trainableWeights), 421_642)
  const x = tf.randomNormal([64, 28, 28, 1], 0, 1, 'float32', 1)
  const y = tf.oneHot(tf.randomUniform([64], 0, 10, 'int32', 2), 10)
  return trainer(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar)
}

/**
 * W8 from tfjs ops (tfjs has no attention layer). The token embedding is a one-hot matmul:
 * the wasm backend has no UnsortedSegmentSum kernel, which the gradient of tf.gather needs
 * (it adds 2 x 17 MFLOP to a ~2.5 GFLOP step). pos_emb(0..63) is the whole position table.
 */
W.W8 = () => {
  const [B, T, D, H, V] = [16, 64, 128, 4, 65]
  const params: tf.Variable[] = []
  const p = (v: tf.Variable): tf.Variable => (params.push(v), v)
  const linear = (i: number, o: number) => {
    const w = p(linearInit(i, [i, o]))
    const b = p(linearInit(i, [o]))
    return (x: tf.Tensor2D) => tf.add(tf.matMul(x, w), b) as tf.Tensor2D
  }
  const layerNorm = () => {
    const g = p(tf.variable(tf.ones([D])))
    const b = p(tf.variable(tf.zeros([D])))
    return (x: tf.Tensor2D) => {
      const { mean, variance } = tf.moments(x, -1, true)
      return x.sub(mean).mul(variance.add(1e-5).rsqrt()).mul(g).add(b) as tf.Tensor2D
    }
  }
  const tok = p(tf.variable(tf.randomNormal([V, D], 0, 1, 'float32', 3)))
  const pos = p(tf.variable(tf.randomNormal([T, D], 0, 1, 'float32', 4)))
  const causal = tf.linalg.bandPart(tf.ones([T, T]), -1, 0).sub(1).mul(1e9) // 0 on and below the diagonal, -1e9 above
  const blocks = [0, 1].map(() => {
    const [ln1, q, k, v, o, ln2, fc1, fc2] = [layerNorm(), linear(D, D), linear(D, D), linear(D, D), linear(D, D), layerNorm(), linear(D, 4 * D), linear(4 * D, D)]
    const heads = (t: tf.Tensor2D) => t.reshape([B, T, H, D / H]).transpose([0, 2, 1, 3])
    return (x: tf.Tensor2D) => {
      const h = ln1(x)
      const att = tf.softmax(tf.matMul(heads(q(h)), heads(k(h)), false, true).div(Math.sqrt(D / H)).add(causal))
      const a = tf.matMul(att, heads(v(h))).transpose([0, 2, 1, 3]).reshape([B * T, D]) as tf.Tensor2D
      x = x.add(o(a))
      const f = fc1(ln2(x))
      const gelu = f.mul(0.5).mul(tf.erf(f.mul(Math.SQRT1_2)).add(1)) as tf.Tensor2D // exact GELU, as F.gelu
      return x.add(fc2(gelu)) as tf.Tensor2D
    }
  })
  const lnF = layerNorm()
  const head = linear(D, V)
  checkParams('transformer', countParams(params), 421_697)
  const idx = tf.oneHot(tf.randomUniform([B * T], 0, V, 'int32', 5), V).toFloat() as tf.Tensor2D
  const tgt = tf.oneHot(tf.randomUniform([B * T], 0, V, 'int32', 6), V)
  const forward = () => {
    let x = tf.matMul(idx, tok).reshape([B, T, D]).add(pos).reshape([B * T, D]) as tf.Tensor2D
    for (const block of blocks) x = block(x)
    return tf.losses.softmaxCrossEntropy(tgt, head(lnF(x))) as tf.Scalar
  }
  return trainer(forward, params)
}

// ---------------------------------------------------------------- main

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const opt = (name: string, dflt: string) => {
    const i = args.indexOf(name)
    return i >= 0 ? args.splice(i, 2)[1] : dflt
  }
  const backend = opt('--backend', 'wasm')
  const threads = Number(opt('--threads', '2'))
  const probe = args.includes('--probe')
  const ids = args.filter((a) => !a.startsWith('--'))
  const report: TfjsReport = {
    ...(await init(backend, threads)),
    tfjsVersion: tf.version.tfjs,
    times: {},
    losses: {},
    unsupported: {},
    errors: {},
    peakRssKiB: 0,
  }
  for (const id of probe ? [] : ids) {
    const make = W[id]
    if (!make) {
      report.errors[id] = 'no tfjs version of this workload'
      continue
    }
    try {
      const w = make()
      w.check?.()
      w.run() // the first training step also creates Adam's state
      const loss0 = w.loss?.()
      const live = tf.memory().numTensors
      report.times[id] = bench(w.run).median
      // Every call must free what it allocates, as the ferrotorch and PyTorch versions do.
      if (tf.memory().numTensors !== live) throw new Error(`leaks tensors: ${live} -> ${tf.memory().numTensors}`)
      if (w.loss) {
        report.losses[id] = [loss0!, w.loss()]
        if (!(w.loss() < loss0!)) throw new Error(`the loss did not go down: ${loss0} -> ${w.loss()}`)
      }
      tf.disposeVariables()
    } catch (e) {
      delete report.times[id]
      const msg = errorText(e)
      if (/not registered for backend/.test(msg)) report.unsupported[id] = msg
      else report.errors[id] = msg
    }
  }
  report.peakRssKiB = peakRssKiB()
  // The wasm threads keep the event loop alive: exit once the line is written.
  process.stdout.write(JSON.stringify(report) + '\n', () => process.exit(0))
}

main().catch((e) => {
  console.error(errorText(e))
  process.exit(1)
})

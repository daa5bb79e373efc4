// `npm run bench`: ferrotorch beside PyTorch (bench_torch.py) and TensorFlow.js
// (bench_tfjs.ts) in the same run, on the same machine, with the same protocol
// (WORKLOADS.md, harness.ts). Prints a table of median times and each peer's time /
// ferrotorch's time (higher is better for ferrotorch), then the peak RSS of the training
// workloads; `--json` prints the raw numbers instead.
//
//   npm run bench [-- [--json] [--tfjs-cpu] [ID...]]     IDs: W1 (= W1_*), W2a, W5, MM_FB, ...
//
// The small workloads of ferrotorch run in this process; each training workload (W5, W6,
// W8) runs in a process of its own, for every system, so that its peak RSS is its own.
// PyTorch runs when `python3 -c "import torch"` works; tfjs always runs in child
// processes (its wasm heap and threads stay out of ferrotorch's measurements).
// --tfjs-cpu: time the workloads the tfjs wasm backend has no kernels for (W6) on the
// pure-JS cpu backend instead of printing '—' (W6 then takes minutes).
import { spawnSync } from 'node:child_process'
import { cpus } from 'node:os'
import * as path from 'node:path'
import * as ft from '../src/index'
import type { TfjsReport } from './bench_tfjs'
import { bench, peakRssKiB } from './harness'

// Every system gets 2 threads (WORKLOADS.md): rayon reads this when its pool starts, at
// ferrotorch's first parallel op, and child processes inherit it.
process.env.RAYON_NUM_THREADS ??= '2'

interface Workload {
  id: string
  name: string
  /** Units of work per call, for the throughput column (flops or elements). */
  work?: { amount: number; unit: string }
  make: () => () => unknown
}

const W: Workload[] = [
  ...[256, 1024, 2048].map((n) => ({
    id: `W1_${n}`,
    name: `sgemm ${n}x${n} f32`,
    work: { amount: 2 * n ** 3, unit: 'GFLOP/s' },
    make: () => {
      const a = ft.randn(n, n)
      const b = ft.randn(n, n)
      return () => a.matmul(b)
    },
  })),
  { id: 'W2a', name: 'add 1M f32', work: { amount: 1e6, unit: 'Melem/s' }, make: () => { const a = ft.randn(1_000_000); const b = ft.randn(1_000_000); return () => a.add(b) } },
  { id: 'W2b', name: 'exp 1M f32', work: { amount: 1e6, unit: 'Melem/s' }, make: () => { const a = ft.randn(1_000_000); return () => a.exp() } },
  { id: 'W2c', name: 'relu 1M f32', work: { amount: 1e6, unit: 'Melem/s' }, make: () => { const a = ft.randn(1_000_000); return () => a.relu() } },
  { id: 'W3', name: 'tiny add (4 elem)', make: () => { const a = ft.randn(4); const b = ft.randn(4); return () => a.add(b) } },
  {
    id: 'W4',
    name: 'tiny autograd step',
    make: () => {
      const x = ft.randn([4], { requiresGrad: true })
      return () => {
        x.mul(2).sum().backward()
        x.grad = null
      }
    },
  },
  {
    id: 'W5',
    name: 'MLP train step (784-256-128-10, b128, Adam)',
    make: () => {
      ft.manualSeed(0)
      const { nn } = ft
      const model = new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 128), new nn.ReLU(), new nn.Linear(128, 10))
      const opt = new ft.optim.Adam(model.parameters(), { lr: 1e-3 })
      const x = ft.randn(128, 784)
      const y = ft.randint(0, 10, [128])
      return () => {
        opt.zeroGrad()
        nn.functional.crossEntropy(model.call(x), y).backward()
        opt.step()
      }
    },
  },
  {
    id: 'W6',
    name: 'CNN train step (b64, Adam)',
    make: () => {
      ft.manualSeed(0)
      const { nn } = ft
      const model = new nn.Sequential(
        new nn.Conv2d(1, 32, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
        new nn.Conv2d(32, 64, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
        new nn.Flatten(), new nn.Linear(3136, 128), new nn.ReLU(), new nn.Linear(128, 10),
      )
      const opt = new ft.optim.Adam(model.parameters(), { lr: 1e-3 })
      const x = ft.randn(64, 1, 28, 28)
      const y = ft.randint(0, 10, [64])
      return () => {
        opt.zeroGrad()
        nn.functional.crossEntropy(model.call(x), y).backward()
        opt.step()
      }
    },
  },
  {
    id: 'W8',
    name: 'char transformer step (2 pre-LN blocks, d128)',
    make: () => {
      ft.manualSeed(0)
      const { nn } = ft
      const F = nn.functional
      class Block extends nn.Module {
        ln1 = new nn.LayerNorm(128)
        q = new nn.Linear(128, 128)
        k = new nn.Linear(128, 128)
        v = new nn.Linear(128, 128)
        o = new nn.Linear(128, 128)
        ln2 = new nn.LayerNorm(128)
        fc1 = new nn.Linear(128, 512)
        fc2 = new nn.Linear(512, 128)
        forward(x: ft.Tensor): ft.Tensor {
          const [B, T] = x.shape
          const h = this.ln1.call(x)
          const heads = (t: ft.Tensor) => t.reshape(B, T, 4, 32).transpose(1, 2)
          const a = F.scaledDotProductAttention(heads(this.q.call(h)), heads(this.k.call(h)), heads(this.v.call(h)), { isCausal: true })
          x = x.add(this.o.call(a.transpose(1, 2).reshape(B, T, 128)))
          return x.add(this.fc2.call(F.gelu(this.fc1.call(this.ln2.call(x)))))
        }
      }
      class Model extends nn.Module {
        tok = new nn.Embedding(65, 128)
        pos = new nn.Embedding(64, 128)
        blocks = new nn.Sequential(new Block(), new Block())
        ln = new nn.LayerNorm(128)
        head = new nn.Linear(128, 65)
        forward(idx: ft.Tensor): ft.Tensor {
          const x = this.tok.call(idx).add(this.pos.call(ft.arange(64)))
          return this.head.call(this.ln.call(this.blocks.call(x)))
        }
      }
      const model = new Model()
      const opt = new ft.optim.Adam(model.parameters(), { lr: 1e-3 })
      const idx = ft.randint(0, 65, [16, 64])
      const tgt = ft.randint(0, 65, [16, 64])
      return () => {
        opt.zeroGrad()
        F.crossEntropy(model.call(idx).reshape(-1, 65), tgt.reshape(-1)).backward()
        opt.step()
      }
    },
  },
  {
    id: 'MM_FB',
    name: 'matmul 1024 fwd+bwd',
    make: () => {
      const a = ft.randn([1024, 1024], { requiresGrad: true })
      const b = ft.randn([1024, 1024], { requiresGrad: true })
      return () => {
        a.matmul(b).sum().backward()
        a.grad = null
        b.grad = null
      }
    },
  },
]

/** Workloads that train a model: each runs in its own process, for its peak RSS. */
const TRAINING = new Set(['W5', 'W6', 'W8'])

/** What one system measured: median seconds per call, peak RSS in KiB ('idle': nothing run). */
interface Measured {
  times: Record<string, number>
  rss: Record<string, number>
  /** Per workload: why there is no number, or what is different about it. */
  notes: Record<string, string>
}

const empty = (): Measured => ({ times: {}, rss: {}, notes: {} })

/** A failed child: how it ended and the last error line of its stderr. */
class ChildError {
  constructor(readonly message: string) {}
}

/** Runs a child that prints one JSON line last; a ChildError (also shown on stderr) if it fails. */
function child<T>(what: string, cmd: string, args: string[], timeoutS = 600): T | ChildError {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 16 << 20, timeout: timeoutS * 1000 })
  const last = r.stdout?.trim().split('\n').pop()
  if (r.status === 0 && last) {
    try {
      return JSON.parse(last) as T
    } catch {
      // reported below
    }
  }
  const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit status ${r.status}`
  const stderr = (r.stderr ?? '').trim().split('\n')
  console.error(`${what} failed (${why}):\n${stderr.slice(-15).join('\n')}`)
  const lines = stderr.filter((l) => l.trim() && !/^\s+at |^Node\.js v/.test(l))
  const msg = lines.filter((l) => /Error/.test(l)).pop() ?? lines.pop() ?? ''
  return new ChildError(`the child process failed (${why}): ${msg}`.trim())
}

function progress(msg: string): void {
  process.stderr.write(`  ${msg}\n`)
}

// ---------------------------------------------------------------- ferrotorch

interface ChildReport {
  times: Record<string, number>
  peakRssKiB: number
}

/** `bench.ts --child ID`: one workload in this process (no ID: only load ferrotorch). */
function runChild(id: string | undefined): void {
  const times: Record<string, number> = {}
  if (id) {
    const w = W.find((x) => x.id === id)
    if (!w) throw new Error(`unknown workload ${id}`)
    times[id] = bench(w.make()).median
  } else {
    ft.zeros(1).add(1)
  }
  const report: ChildReport = { times, peakRssKiB: peakRssKiB() }
  console.log(JSON.stringify(report))
}

function ferrotorch(ws: Workload[]): Measured {
  const m = empty()
  for (const w of ws.filter((x) => !TRAINING.has(x.id))) {
    progress(`ferrotorch ${w.id}`)
    m.times[w.id] = bench(w.make()).median
  }
  const training = ws.filter((w) => TRAINING.has(w.id))
  for (const id of training.length ? [undefined, ...training.map((w) => w.id)] : []) {
    progress(`ferrotorch ${id ?? 'idle'} (own process)`)
    const r = child<ChildReport>(`ferrotorch ${id ?? 'idle'}`, process.execPath, [...process.execArgv, __filename, '--child', ...(id ? [id] : [])])
    if (r instanceof ChildError) {
      m.notes[id ?? 'idle'] = r.message
      continue
    }
    Object.assign(m.times, r.times)
    m.rss[id ?? 'idle'] = r.peakRssKiB
  }
  return m
}

// ---------------------------------------------------------------- PyTorch

interface TorchReport {
  times: Record<string, number>
  peak_rss_kib: number
  version: string
}

function pytorch(ids: string[]): (Measured & { version: string }) | undefined {
  if (spawnSync('python3', ['-c', 'import torch']).status !== 0) return undefined
  const script = path.join(__dirname, 'bench_torch.py')
  const m = { ...empty(), version: '' }
  const small = ids.filter((id) => !TRAINING.has(id))
  const training = ids.filter((id) => TRAINING.has(id))
  // The small workloads in one process; idle and each training workload in their own.
  const runs: { rss?: string; ids: string[] }[] = small.length ? [{ ids: small }] : []
  if (training.length) runs.push({ rss: 'idle', ids: [] }, ...training.map((id) => ({ rss: id, ids: [id] })))
  for (const { rss, ids: args } of runs) {
    progress(`PyTorch ${rss ? `${rss} (own process)` : args.join(' ')}`)
    const r = child<TorchReport>(`PyTorch ${rss ?? args.join(' ')}`, 'python3', [script, ...args])
    if (r instanceof ChildError) {
      for (const id of rss ? [rss] : args) m.notes[id] = r.message
      continue
    }
    Object.assign(m.times, r.times)
    m.version = r.version
    if (rss) m.rss[rss] = r.peak_rss_kib
  }
  return m
}

// ---------------------------------------------------------------- TensorFlow.js

interface TfjsSetup {
  backend: string
  threads: number
  simd: boolean
  version: string
  /** Why the setup is not the threaded wasm one, if it is not. */
  fallback?: string
}

function tfjs(ids: string[], cpuFallback: boolean): (Measured & { setup: TfjsSetup; backends: Record<string, string> }) | undefined {
  try {
    require.resolve('@tensorflow/tfjs')
    require.resolve('@tensorflow/tfjs-backend-wasm')
  } catch {
    return undefined
  }
  const script = path.join(__dirname, 'bench_tfjs.ts')
  const run = (what: string, args: string[], timeoutS?: number) =>
    child<TfjsReport>(`tfjs ${what}`, process.execPath, [...process.execArgv, script, ...args], timeoutS)
  // Threaded wasm if it starts, else the single-threaded wasm build, else the cpu backend.
  // The probe's peak RSS is the idle footprint (runtime + tfjs + backend started).
  let setupArgs: string[] = []
  let probe: TfjsReport | undefined
  const failed: string[] = []
  for (const args of [['--backend', 'wasm', '--threads', '2'], ['--backend', 'wasm', '--threads', '1'], ['--backend', 'cpu']]) {
    progress(`tfjs probe ${args.join(' ')}`)
    const r = run(`probe ${args.join(' ')}`, [...args, '--probe'], 120)
    if (!(r instanceof ChildError)) {
      ;[setupArgs, probe] = [args, r]
      break
    }
    failed.push(`${args.join(' ')}: ${r.message}`)
  }
  if (!probe) return undefined
  const setup: TfjsSetup = { backend: probe.backend, threads: probe.threads, simd: probe.simd, version: probe.tfjsVersion }
  if (failed.length) setup.fallback = `failed to start: ${failed.join('; ')}`
  const m = { ...empty(), setup, backends: {} as Record<string, string> }
  const small = ids.filter((id) => !TRAINING.has(id))
  const training = ids.filter((id) => TRAINING.has(id))
  const unsupported: string[] = []
  const collect = (r: TfjsReport | ChildError, ran: string[], rssKey?: string) => {
    if (r instanceof ChildError) {
      for (const id of ran) m.notes[id] = r.message
      return
    }
    Object.assign(m.times, r.times)
    for (const id of Object.keys(r.times)) if (r.backend !== setup.backend) m.backends[id] = r.backend
    for (const [id, msg] of Object.entries(r.errors)) m.notes[id] = msg
    for (const [id, msg] of Object.entries(r.unsupported)) {
      m.notes[id] = msg
      if (r.backend !== 'cpu') unsupported.push(id)
    }
    if (rssKey && r.times[rssKey] !== undefined) m.rss[rssKey] = r.peakRssKiB
  }
  if (training.length) m.rss.idle = probe.peakRssKiB
  if (small.length) {
    progress(`tfjs ${small.join(' ')}`)
    collect(run(small.join(' '), [...setupArgs, ...small]), small)
  }
  for (const id of training) {
    progress(`tfjs ${id} (own process)`)
    collect(run(id, [...setupArgs, id]), [id], id)
  }
  if (cpuFallback && unsupported.length) {
    for (const id of unsupported) {
      progress(`tfjs ${id} on the cpu backend${TRAINING.has(id) ? ' (own process)' : ''}`)
      collect(run(`${id} on cpu`, ['--backend', 'cpu', id], 1200), [id], TRAINING.has(id) ? id : undefined)
    }
  }
  return m
}

// ---------------------------------------------------------------- report

function fmt(s: number): string {
  if (s < 1e-6) return `${(s * 1e9).toFixed(0)} ns`
  if (s < 1e-3) return `${(s * 1e6).toFixed(2)} µs`
  if (s < 1) return `${(s * 1e3).toFixed(2)} ms`
  return `${s.toFixed(2)} s`
}

const mib = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`
const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined ? (a / b).toFixed(2) : '—')

function table(rows: string[][]): void {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd())
}

function select(only: string[]): Workload[] {
  if (!only.length) return W
  const unknown = only.filter((o) => !W.some((w) => w.id === o || w.id.startsWith(`${o}_`)))
  if (unknown.length) {
    console.error(`unknown workload(s) ${unknown.join(', ')}; known: ${W.map((w) => w.id).join(' ')}`)
    process.exit(2)
  }
  return W.filter((w) => only.some((o) => w.id === o || w.id.startsWith(`${o}_`)))
}

/** Footnotes marked *, †, ...: mark(text) gives text's marker, adding the text once. */
class Footnotes {
  private texts: string[] = []
  private static symbol(i: number): string {
    return '*†‡§¶'[i] ?? `[${i + 1}]`
  }
  mark(text: string): string {
    let i = this.texts.indexOf(text)
    if (i < 0) i = this.texts.push(text) - 1
    return Footnotes.symbol(i)
  }
  print(): void {
    if (this.texts.length) console.log()
    this.texts.forEach((t, i) => console.log(`${Footnotes.symbol(i)} ${t}`))
  }
}

type Tfjs = NonNullable<ReturnType<typeof tfjs>>

/** What a tfjs number means beyond the protocol, if anything. */
function tfjsNote(tf: Tfjs, id: string): string | undefined {
  const why = tf.notes[id]
  if (tf.backends[id]) return `tfjs ${id} ran on the ${tf.backends[id]} backend: ${why ?? ''}`
  if (why) {
    const hint = why.includes('not registered for backend') && tf.setup.backend !== 'cpu' ? ' (--tfjs-cpu times it on the cpu backend, which takes minutes)' : ''
    return `tfjs ${id}: ${why}${hint}`
  }
  if (tf.times[id] === undefined) return undefined
  if (id.startsWith('W1_')) return 'tfjs W1 includes dataSync() of the product (WORKLOADS.md)'
  if (id === 'W8') return 'tfjs W8 is written with tf ops (tfjs has no attention layer); the token embedding is a one-hot matmul, since the wasm backend has no kernel for the gradient of tf.gather'
  return undefined
}

function printReport(ws: Workload[], ours: Measured, torch: ReturnType<typeof pytorch>, tf: ReturnType<typeof tfjs>): void {
  console.log(`ferrotorch benchmarks — ${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model} x${cpus().length}, Node ${process.version}, ferrotorch ${process.env.RAYON_NUM_THREADS} threads`)
  console.log(torch ? `PyTorch ${torch.version} from python3 in the same run (2 threads)` : 'PyTorch: not found (python3 -c "import torch" failed)')
  if (tf) {
    const { backend, threads, simd, version, fallback } = tf.setup
    const how =
      backend !== 'wasm'
        ? 'cpu backend (pure JS, 1 thread)'
        : threads > 1
          ? `wasm backend, threaded ${simd ? 'SIMD ' : ''}build, ${threads} threads (tfjs turns wasm threads off under Node; bench_tfjs.ts turns them on)`
          : `wasm backend, ${simd ? 'SIMD ' : ''}build, 1 thread`
    console.log(`TensorFlow.js ${version}, ${how}${fallback ? `; ${fallback}` : ''}`)
  } else console.log('TensorFlow.js: not installed (npm ci installs it)')
  console.log("ratio = the other's time / ferrotorch's time (higher is better for ferrotorch)")
  console.log()

  const notes = new Footnotes()
  const cell = (v: number | undefined, show: (v: number) => string, note?: string) =>
    (v !== undefined ? show(v) : '—') + (note ? ` ${notes.mark(note)}` : '')
  const ftNote = (id: string) => (ours.notes[id] ? `ferrotorch ${id}: ${ours.notes[id]}` : undefined)
  const ptNote = (id: string) => (torch?.notes[id] ? `PyTorch ${id}: ${torch.notes[id]}` : undefined)
  const tfLabel = tf ? `tfjs (${tf.setup.backend}${tf.setup.backend === 'wasm' ? `, ${tf.setup.threads} thr` : ''})` : 'tfjs'

  const rows = [['workload', 'ferrotorch', 'PyTorch', 'ratio vs PyTorch', tfLabel, 'ratio vs tfjs', 'ferrotorch throughput']]
  for (const w of ws) {
    const [t, p, q] = [ours.times[w.id], torch?.times[w.id], tf?.times[w.id]]
    const thr = w.work && t !== undefined ? `${(w.work.amount / t / (w.work.unit === 'GFLOP/s' ? 1e9 : 1e6)).toFixed(1)} ${w.work.unit}` : ''
    const tfBackend = tf?.backends[w.id] ? ` (${tf.backends[w.id]})` : ''
    rows.push([
      `${w.id} ${w.name}`,
      cell(t, fmt, ftNote(w.id)),
      cell(p, fmt, ptNote(w.id)),
      ratio(p, t),
      cell(q, (v) => fmt(v) + tfBackend, tf && tfjsNote(tf, w.id)),
      ratio(q, t),
      thr,
    ])
  }
  table(rows)

  const rssIds = ws.filter((w) => TRAINING.has(w.id)).map((w) => w.id)
  if (rssIds.length) {
    console.log()
    console.log('Peak RSS (VmHWM of a process that ran only that workload; idle: the runtime with the library loaded, nothing run)')
    const rss = [['workload', 'ferrotorch', 'PyTorch', 'ferrotorch / PyTorch', 'tfjs', 'ferrotorch / tfjs']]
    for (const id of ['idle', ...rssIds]) {
      const [a, b, c] = [ours.rss[id], torch?.rss[id], tf?.rss[id]]
      const tfBackend = tf?.backends[id] ? ` (${tf.backends[id]})` : ''
      const name = id === 'idle' ? 'idle' : `${id} ${W.find((w) => w.id === id)!.name}`
      rss.push([name, cell(a, mib, ftNote(id)), cell(b, mib, ptNote(id)), ratio(a, b), cell(c, (v) => mib(v) + tfBackend, tf && tfjsNote(tf, id)), ratio(a, c)])
    }
    table(rss)
  }
  notes.print()
}

function main(): void {
  const argv = process.argv.slice(2)
  const childAt = argv.indexOf('--child')
  if (childAt >= 0) return runChild(argv[childAt + 1])
  const ws = select(argv.filter((a) => !a.startsWith('--')))
  const ids = ws.map((w) => w.id)
  const ours = ferrotorch(ws)
  const torch = pytorch(ids)
  const tf = tfjs(ids, argv.includes('--tfjs-cpu'))
  if (!argv.includes('--json')) return printReport(ws, ours, torch, tf)
  console.log(
    JSON.stringify({
      date: new Date().toISOString(),
      cpu: cpus()[0]?.model,
      threads: cpus().length,
      ferrotorchThreads: Number(process.env.RAYON_NUM_THREADS),
      ferrotorch: ours.times,
      pytorch: torch?.times ?? null,
      pytorchVersion: torch?.version ?? null,
      tfjs: tf?.times ?? null,
      tfjsSetup: tf ? { ...tf.setup, backends: tf.backends } : null,
      peakRssKiB: { ferrotorch: ours.rss, pytorch: torch?.rss ?? null, tfjs: tf?.rss ?? null },
      notes: { ferrotorch: ours.notes, pytorch: torch?.notes ?? null, tfjs: tf?.notes ?? null },
    }),
  )
}

main()

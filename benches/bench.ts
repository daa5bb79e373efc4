// `npm run bench`: ferrotorch beside PyTorch (same run, same machine, same protocol).
// Prints a table of median times and PyTorch's time / ferrotorch's time (higher is
// better for ferrotorch); `--json` prints the raw numbers instead.
import { spawnSync } from 'node:child_process'
import { cpus } from 'node:os'
import * as path from 'node:path'
import * as ft from '../src/index'
import { bench } from './harness'

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

function torchTimes(ids: string[]): Record<string, number> | undefined {
  const probe = spawnSync('python3', ['-c', 'import torch'], { encoding: 'utf8' })
  if (probe.status !== 0) return undefined
  const r = spawnSync('python3', [path.join(__dirname, 'bench_torch.py'), ...ids], { encoding: 'utf8', maxBuffer: 1 << 20 })
  if (r.status !== 0) {
    console.error('PyTorch side failed:', r.stderr)
    return undefined
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!)
}

function fmt(s: number): string {
  if (s < 1e-6) return `${(s * 1e9).toFixed(0)} ns`
  if (s < 1e-3) return `${(s * 1e6).toFixed(2)} µs`
  if (s < 1) return `${(s * 1e3).toFixed(2)} ms`
  return `${s.toFixed(2)} s`
}

function main(): void {
  const json = process.argv.includes('--json')
  const only = process.argv.slice(2).filter((a) => !a.startsWith('--'))
  const ws = only.length ? W.filter((w) => only.includes(w.id)) : W
  const ours: Record<string, number> = {}
  for (const w of ws) ours[w.id] = bench(w.make()).median
  const theirs = torchTimes(ws.map((w) => w.id))
  if (json) {
    console.log(JSON.stringify({ date: new Date().toISOString(), cpu: cpus()[0]?.model, threads: cpus().length, ferrotorch: ours, pytorch: theirs ?? null }))
    return
  }
  console.log(`ferrotorch benchmarks — ${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model} x${cpus().length}`)
  console.log(theirs ? 'PyTorch from python3 in the same run (2 threads)' : 'PyTorch not found (python3 -c "import torch" failed): ferrotorch only')
  const rows = [['workload', 'ferrotorch', 'throughput', 'pytorch', 'ratio (pt/ft)']]
  for (const w of ws) {
    const t = ours[w.id]
    const p = theirs?.[w.id]
    const thr = w.work ? `${(w.work.amount / t / (w.work.unit === 'GFLOP/s' ? 1e9 : 1e6)).toFixed(1)} ${w.work.unit}` : ''
    rows.push([`${w.id} ${w.name}`, fmt(t), thr, p ? fmt(p) : '-', p ? (p / t).toFixed(2) : '-'])
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  '))
}

main()

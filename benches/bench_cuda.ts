// `npm run bench:cuda`: the CUDA workloads of the CUDA issue, ferrotorch beside PyTorch on
// the same GPU (bench_cuda_torch.py, when `import torch` sees CUDA), same protocol as
// WORKLOADS.md (harness.ts) with a device synchronize closing every timed call.
// Prints one table (ratio = PyTorch's time / ferrotorch's, higher is better); --json too.
// Without a CUDA device it says so and exits 0.
import { spawnSync } from 'node:child_process'
import * as path from 'node:path'
import * as ft from '../src/index'
import { bench } from './harness'

interface Workload {
  id: string
  name: string
  work?: { amount: number; unit: string }
  make: () => () => unknown
}

const sync = (f: () => unknown) => () => {
  f()
  ft.cuda.synchronize()
}

const N = 4096
const E = 64 * 1024 * 1024
const W: Workload[] = [
  ...(['float32', 'bfloat16'] as const).map((dtype) => ({
    id: `C1_${dtype}`,
    name: `sgemm ${N}x${N} ${dtype}`,
    work: { amount: 2 * N ** 3, unit: 'TFLOP/s' },
    make: () => {
      const a = ft.randn([N, N], { device: 'cuda', dtype })
      const b = ft.randn([N, N], { device: 'cuda', dtype })
      return sync(() => a.matmul(b))
    },
  })),
  { id: 'C2a', name: 'add 64M f32', work: { amount: E, unit: 'Gelem/s' }, make: () => { const a = ft.randn([E], { device: 'cuda' }); const b = ft.randn([E], { device: 'cuda' }); return sync(() => a.add(b)) } },
  { id: 'C2b', name: 'exp 64M f32', work: { amount: E, unit: 'Gelem/s' }, make: () => { const a = ft.randn([E], { device: 'cuda' }); return sync(() => a.exp()) } },
  { id: 'C2c', name: 'relu 64M f32', work: { amount: E, unit: 'Gelem/s' }, make: () => { const a = ft.randn([E], { device: 'cuda' }); return sync(() => a.relu()) } },
  {
    id: 'C3',
    name: 'CNN train step (W6 model, b64, Adam)',
    make: () => {
      ft.manualSeed(0)
      const { nn } = ft
      const model = new nn.Sequential(
        new nn.Conv2d(1, 32, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
        new nn.Conv2d(32, 64, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
        new nn.Flatten(), new nn.Linear(3136, 128), new nn.ReLU(), new nn.Linear(128, 10),
      ).to('cuda')
      const opt = new ft.optim.Adam(model.parameters(), { lr: 1e-3 })
      const x = ft.randn([64, 1, 28, 28], { device: 'cuda' })
      const y = ft.randint(0, 10, [64]).to('cuda')
      return sync(() => {
        opt.zeroGrad()
        nn.functional.crossEntropy(model.call(x), y).backward()
        opt.step()
      })
    },
  },
]

function torchTimes(ids: string[]): Record<string, number> | undefined {
  const r = spawnSync('python3', [path.join(__dirname, 'bench_cuda_torch.py'), ...ids], { encoding: 'utf8' })
  if (r.status !== 0) {
    process.stderr.write(`PyTorch CUDA side not run: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}\n`)
    return undefined
  }
  return JSON.parse(r.stdout).times
}

function fmt(s: number): string {
  return s >= 1 ? `${s.toFixed(2)} s` : s >= 1e-3 ? `${(s * 1e3).toFixed(2)} ms` : `${(s * 1e6).toFixed(1)} µs`
}

function main(): void {
  const json = process.argv.includes('--json')
  if (!ft.cuda.isAvailable()) {
    console.log('bench:cuda skipped: no CUDA device on this machine (ft.cuda.isAvailable() is false)')
    return
  }
  const ours: Record<string, number> = {}
  for (const w of W) {
    ours[w.id] = bench(w.make()).median
    ft.cuda.emptyCache()
  }
  const theirs = torchTimes(W.map((w) => w.id)) ?? {}
  if (json) {
    console.log(JSON.stringify({ ferrotorch: ours, pytorch: theirs }))
    return
  }
  console.log('| workload | ferrotorch | throughput | PyTorch | ratio |')
  console.log('| --- | --- | --- | --- | --- |')
  for (const w of W) {
    const t = ours[w.id]
    const p = theirs[w.id]
    const tp = w.work ? `${(w.work.amount / t / (w.work.unit.startsWith('T') ? 1e12 : 1e9)).toFixed(1)} ${w.work.unit}` : ''
    console.log(`| ${w.id} ${w.name} | ${fmt(t)} | ${tp} | ${p ? fmt(p) : '—'} | ${p ? (p / t).toFixed(2) : '—'} |`)
  }
}

main()

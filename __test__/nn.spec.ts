// nn layers (output shapes, gradients by gradcheck, PyTorch init), module bookkeeping and
// state dicts, optimizers and schedulers, data loading.
import test from 'ava'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import * as ft from '../src/index'

const { nn } = ft
const f64 = { dtype: 'float64' as const }

/** Output shape and gradcheck (inputs and parameters) of a layer in float64. */
function checkLayer(t: any, m: ft.nn.Module, input: ft.Tensor, shape: number[]): void {
  m.double()
  const y = m.call(input)
  t.deepEqual(y.shape, shape, `${m.constructor.name} output shape`)
  const params = m.parameters()
  const x = input.isFloatingPoint() ? input.detach().requiresGrad_() : input
  const inputs = [...(x.requiresGrad ? [x] : []), ...params]
  const fn = (...ts: ft.Tensor[]) => {
    const xin = x.requiresGrad ? ts[0] : x
    const ps = x.requiresGrad ? ts.slice(1) : ts
    const saved = params.map((p) => p)
    // Run the module with the given parameter tensors in place of its own.
    const named = m.namedParameters()
    named.forEach(([k], i) => setPath(m, k, ps[i]))
    try {
      return m.call(xin)
    } finally {
      named.forEach(([k], i) => setPath(m, k, saved[i]))
    }
  }
  t.true(ft.autograd.gradcheck(fn, inputs, { atol: 1e-5, rtol: 1e-3 }), `${m.constructor.name} gradcheck`)
}

function setPath(m: any, key: string, v: ft.Tensor): void {
  const parts = key.split('.')
  let o = m
  for (const p of parts.slice(0, -1)) o = o[p]
  o[parts[parts.length - 1]] = v
}

const layers: [string, () => ft.nn.Module, () => ft.Tensor, number[]][] = [
  ['Linear', () => new nn.Linear(3, 2), () => ft.randn(4, 3, f64), [4, 2]],
  ['Conv1d', () => new nn.Conv1d(2, 3, 3, { padding: 1, stride: 2 }), () => ft.randn(1, 2, 5, f64), [1, 3, 3]],
  ['Conv2d same groups', () => new nn.Conv2d(2, 4, 3, { padding: 'same', groups: 2 }), () => ft.randn(1, 2, 4, 4, f64), [1, 4, 4, 4]],
  ['Conv2d dilation', () => new nn.Conv2d(1, 2, 2, { dilation: 2, stride: 1 }), () => ft.randn(1, 1, 5, 5, f64), [1, 2, 3, 3]],
  ['ConvTranspose2d', () => new nn.ConvTranspose2d(2, 1, 3, { stride: 2, padding: 1, outputPadding: 1 }), () => ft.randn(1, 2, 2, 2, f64), [1, 1, 4, 4]],
  ['MaxPool2d', () => new nn.MaxPool2d(2), () => ft.randn(1, 2, 4, 4, f64), [1, 2, 2, 2]],
  ['MaxPool1d', () => new nn.MaxPool1d(2), () => ft.randn(1, 2, 6, f64), [1, 2, 3]],
  ['AvgPool2d', () => new nn.AvgPool2d(3, { stride: 2, padding: 1 }), () => ft.randn(1, 1, 5, 5, f64), [1, 1, 3, 3]],
  ['AdaptiveAvgPool2d', () => new nn.AdaptiveAvgPool2d([2, 3]), () => ft.randn(1, 1, 5, 7, f64), [1, 1, 2, 3]],
  ['BatchNorm1d', () => new nn.BatchNorm1d(3), () => ft.randn(4, 3, f64), [4, 3]],
  ['BatchNorm2d', () => new nn.BatchNorm2d(2), () => ft.randn(2, 2, 2, 2, f64), [2, 2, 2, 2]],
  ['LayerNorm', () => new nn.LayerNorm(4), () => ft.randn(2, 4, f64), [2, 4]],
  ['GroupNorm', () => new nn.GroupNorm(2, 4), () => ft.randn(2, 4, 3, f64), [2, 4, 3]],
  ['Embedding', () => new nn.Embedding(5, 3), () => ft.tensor([[1, 0], [4, 2]]), [2, 2, 3]],
  ['Flatten', () => new nn.Flatten(), () => ft.randn(2, 3, 2, f64), [2, 6]],
  ['Unflatten', () => new nn.Unflatten(1, [2, 3]), () => ft.randn(2, 6, f64), [2, 2, 3]],
  ['GELU', () => new nn.GELU(), () => ft.randn(3, f64), [3]],
  ['Softmax', () => new nn.Softmax(1), () => ft.randn(2, 3, f64), [2, 3]],
  ['Sequential', () => new nn.Sequential(new nn.Linear(3, 4), new nn.Tanh(), new nn.Linear(4, 1)), () => ft.randn(2, 3, f64), [2, 1]],
]

for (const [name, make, input, shape] of layers) {
  test(`layer ${name}: output shape and gradients`, (t) => {
    ft.manualSeed(3)
    checkLayer(t, make(), input(), shape)
  })
}

test('Bilinear: shape and gradients', (t) => {
  const m = new nn.Bilinear(2, 3, 4).double()
  const [w, b] = [m.weight, m.bias!]
  const x1 = ft.randn([5, 2], { dtype: 'float64', requiresGrad: true })
  const x2 = ft.randn([5, 3], { dtype: 'float64', requiresGrad: true })
  t.deepEqual(m.call(x1, x2).shape, [5, 4])
  // y_k = x1^T W_k x2 + b_k, checked against einsum and by gradcheck
  const ref = ft.einsum('bi,kij->bkj', x1, w).mul(x2.unsqueeze(1)).sum(-1).add(b)
  t.true((m.call(x1, x2).sub(ref).abs().max().item() as number) < 1e-12)
  t.true(ft.autograd.gradcheck((a, c) => m.call(a, c), [x1, x2]))
})

test('Embedding: the padding row gets no gradient', (t) => {
  const e = new nn.Embedding(4, 2, { paddingIdx: 1 })
  e.call(ft.tensor([1, 2, 1])).sum().backward()
  t.deepEqual(e.weight.grad!.toArray(), [[0, 0], [0, 0], [1, 1], [0, 0]])
})

test('Linear and Conv2d are initialised with PyTorch defaults', (t) => {
  const l = new nn.Linear(100, 50)
  const b = 1 / Math.sqrt(100)
  t.true((l.weight.abs().max().item() as number) <= b)
  t.true((l.weight.abs().max().item() as number) > 0.9 * b)
  t.true((l.bias!.abs().max().item() as number) <= b)
  const c = new nn.Conv2d(4, 8, 3)
  const cb = 1 / Math.sqrt(4 * 9)
  t.true((c.weight.abs().max().item() as number) <= cb)
  t.true(Math.abs(c.weight.std().item() as number - cb / Math.sqrt(3)) < 0.02)
  const e = new nn.Embedding(10, 4, { paddingIdx: 2 })
  t.deepEqual(e.weight.index([2]).toArray(), [0, 0, 0, 0])
})

test('state dicts use PyTorch key names and round-trip', (t) => {
  class Net extends nn.Module {
    features = new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.BatchNorm2d(2), new nn.ReLU())
    head = new nn.Linear(2, 3)
    forward(x: ft.Tensor): ft.Tensor {
      return this.head.call(this.features.call(x).mean([2, 3]))
    }
  }
  const a = new Net()
  t.deepEqual(Object.keys(a.stateDict()), [
    'features.0.weight', 'features.0.bias', 'features.1.weight', 'features.1.bias',
    'features.1.running_mean', 'features.1.running_var', 'features.1.num_batches_tracked', 'head.weight', 'head.bias',
  ])
  t.deepEqual(a.namedParameters().map(([k]) => k), ['features.0.weight', 'features.0.bias', 'features.1.weight', 'features.1.bias', 'head.weight', 'head.bias'])
  const x = ft.randn(2, 1, 5, 5)
  a.call(x)
  a.eval()
  const b = new Net()
  b.loadStateDict(a.stateDict())
  b.eval()
  t.deepEqual(b.call(x).toArray(), a.call(x).toArray())
  t.is(Number((b as any).features.at(1).num_batches_tracked.item()), 1)
  t.throws(() => b.loadStateDict({ 'head.weight': ft.zeros(3, 2) }), { message: /Missing key\(s\) in state_dict: "features.0.weight"/ })
  const r = b.loadStateDict({ 'head.weight': ft.zeros(3, 2), extra: ft.zeros(1) }, { strict: false })
  t.deepEqual(r.unexpectedKeys, ['extra'])
  t.throws(() => b.loadStateDict({ ...a.stateDict(), 'head.weight': ft.zeros(4, 2) }), { message: /size mismatch for head.weight/ })
})

test('train/eval, zeroGrad, hooks, apply, to(float64)', (t) => {
  const m = new nn.Sequential(new nn.Linear(2, 2), new nn.Dropout(0.5))
  m.eval()
  t.false(m.at(1).training)
  const x = ft.ones(1, 2)
  t.deepEqual(m.call(x).toArray(), m.call(x).toArray())
  const calls: string[] = []
  const h = m.registerForwardHook((_mod, _in, out) => {
    calls.push('post')
    return out.mul(0)
  })
  m.registerForwardPreHook(() => void calls.push('pre'))
  t.is(m.call(x).abs().sum().item(), 0)
  h.remove()
  t.deepEqual(calls, ['pre', 'post'])
  m.call(x).sum().backward()
  t.truthy(m.parameters()[0].grad)
  m.zeroGrad()
  t.is(m.parameters()[0].grad, null)
  let n = 0
  m.apply(() => n++)
  t.is(n, 3)
  m.double()
  t.is(m.parameters()[0].dtype, 'float64')
})

test('optimizers: param groups, state dicts, clipping', (t) => {
  const w = new nn.Parameter(ft.tensor([1, 2], f64))
  const b = new nn.Parameter(ft.tensor([3], f64))
  const opt = new ft.optim.SGD([{ params: [w] }, { params: [b], lr: 0.5 }], { lr: 0.1, momentum: 0.9 })
  w.grad = ft.tensor([1, 1], f64)
  b.grad = ft.tensor([1], f64)
  opt.step()
  t.deepEqual(w.toArray(), [0.9, 1.9])
  t.deepEqual(b.toArray(), [2.5])
  const sd = opt.stateDict()
  t.deepEqual(sd.param_groups.map((g) => g.params), [[0], [1]])
  const opt2 = new ft.optim.SGD([{ params: [w] }, { params: [b] }], { lr: 0.1, momentum: 0.9 })
  opt2.loadStateDict(sd)
  t.is(opt2.paramGroups[1].lr, 0.5)
  t.deepEqual(opt2.state.get(w)!.momentum_buffer.toArray(), [1, 1])
  w.grad = ft.tensor([3, 4], f64)
  const norm = ft.nn.utils.clipGradNorm_([w], 1)
  t.is(norm.item(), 5)
  t.true(Math.abs((w.grad!.norm().item() as number) - 1) < 1e-5)
  t.deepEqual(ft.nn.utils.parametersToVector([w, b]).shape, [3])
})

test('lr schedulers follow PyTorch closed forms', (t) => {
  const p = new nn.Parameter(ft.zeros(1))
  const lrs = (S: (o: ft.optim.Optimizer) => any, n: number) => {
    const o = new ft.optim.SGD([p], { lr: 1 })
    const s = S(o)
    const out = [o.paramGroups[0].lr]
    for (let i = 0; i < n; i++) {
      s.step()
      out.push(o.paramGroups[0].lr)
    }
    return out.map((v) => Math.round(v * 1e6) / 1e6)
  }
  t.deepEqual(lrs((o) => new ft.optim.lrScheduler.StepLR(o, 2, 0.5), 4), [1, 1, 0.5, 0.5, 0.25])
  t.deepEqual(lrs((o) => new ft.optim.lrScheduler.MultiStepLR(o, [1, 3], 0.1), 3), [1, 0.1, 0.1, 0.01])
  t.deepEqual(lrs((o) => new ft.optim.lrScheduler.ExponentialLR(o, 0.5), 2), [1, 0.5, 0.25])
  t.deepEqual(lrs((o) => new ft.optim.lrScheduler.CosineAnnealingLR(o, 4), 4), [1, 0.853553, 0.5, 0.146447, 0])
  t.deepEqual(lrs((o) => new ft.optim.lrScheduler.LinearLR(o, 0.5, 1, 2), 3), [0.5, 0.75, 1, 1])
  t.deepEqual(lrs((o) => new ft.optim.lrScheduler.LambdaLR(o, (e) => 1 / (e + 1)), 2), [1, 0.5, 0.333333])
  // torch 2.15: OneCycleLR(max_lr=1, total_steps=4) gives [0.04, 0.811746, 0.283061, 4e-06]
  t.deepEqual(lrs((o) => new ft.optim.lrScheduler.OneCycleLR(o, { maxLr: 1, totalSteps: 4 }), 3), [0.04, 0.811746, 0.283061, 0.000004])
  const o = new ft.optim.SGD([p], { lr: 1 })
  const r = new ft.optim.lrScheduler.ReduceLROnPlateau(o, { patience: 1, factor: 0.5 })
  for (const m of [1, 1, 1, 1]) r.step(m)
  t.is(o.paramGroups[0].lr, 0.5)
})

test('DataLoader: batches, shuffling with a seeded generator, dropLast, async iteration', async (t) => {
  const x = ft.arange(10).reshape(10, 1)
  const y = ft.arange(10)
  const ds = new ft.utils.data.TensorDataset(x, y)
  const dl = new ft.utils.data.DataLoader(ds, { batchSize: 4 })
  const batches = [...dl]
  t.is(batches.length, 3)
  t.is(dl.length, 3)
  t.deepEqual(batches[2][1].toArray(), [8, 9])
  const shuffled = (seed: number) => [...new ft.utils.data.DataLoader(ds, { batchSize: 5, shuffle: true, generator: new ft.Generator(seed) })].map((b) => b[1].toArray()).flat()
  t.deepEqual(shuffled(1), shuffled(1))
  t.notDeepEqual(shuffled(1), shuffled(2))
  t.deepEqual([...shuffled(1)].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  t.is([...new ft.utils.data.DataLoader(ds, { batchSize: 4, dropLast: true })].length, 2)
  let n = 0
  for await (const [bx] of dl) n += bx.shape[0]
  t.is(n, 10)
  // Worker threads load the same batches, in order.
  const viaWorkers: number[] = []
  for await (const [, by] of new ft.utils.data.DataLoader(ds, { batchSize: 3, shuffle: true, generator: new ft.Generator(4), numWorkers: 2 })) viaWorkers.push(...(by.toArray() as number[]))
  const direct = [...new ft.utils.data.DataLoader(ds, { batchSize: 3, shuffle: true, generator: new ft.Generator(4) })].flatMap((b) => b[1].toArray() as number[])
  t.deepEqual(viaWorkers, direct)
  // A map-style dataset of plain values goes through default collate.
  class Squares extends ft.utils.data.Dataset<[number, number]> {
    getItem(i: number): [number, number] {
      return [i, i * i + 0.5]
    }
    get length() {
      return 5
    }
  }
  const [a, b] = [...new ft.utils.data.DataLoader(new Squares(), { batchSize: 5 })][0]
  t.is(a.dtype, 'int64')
  t.is(b.dtype, 'float64')
  const [s1, s2] = ft.utils.data.randomSplit(ds, [0.7, 0.3], { generator: new ft.Generator(0) })
  t.deepEqual([s1.length, s2.length], [7, 3])
})

test('IDX and CSV readers, with errors for broken files', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ft-data-'))
  const header = Buffer.from([0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3])
  const body = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
  writeFileSync(path.join(dir, 'a.idx'), Buffer.concat([header, body]))
  writeFileSync(path.join(dir, 'a.idx.gz'), gzipSync(Buffer.concat([header, body])))
  for (const f of ['a.idx', 'a.idx.gz']) {
    const x = ft.utils.data.readIdx(path.join(dir, f))
    t.deepEqual(x.shape, [2, 2, 3])
    t.is(x.dtype, 'uint8')
    t.deepEqual(x.index([1, 1]).toArray(), [10, 11, 12])
  }
  writeFileSync(path.join(dir, 'bad.idx'), Buffer.concat([header, body.subarray(0, 5)]))
  t.throws(() => ft.utils.data.readIdx(path.join(dir, 'bad.idx')), { message: /truncated/ })
  writeFileSync(path.join(dir, 'd.csv'), 'a,b\n1,2.5\n3,4\n')
  const { data, columns } = ft.utils.data.readCsv(path.join(dir, 'd.csv'))
  t.deepEqual(columns, ['a', 'b'])
  t.deepEqual(data.toArray(), [[1, 2.5], [3, 4]])
})

test('convolution and pooling read views at any storage offset', (t) => {
  const x = ft.randn(4, 2, 6, 6)
  const w = ft.randn(3, 2, 3, 3)
  const full = nn.functional.conv2d(x, w, { padding: 1 })
  const part = nn.functional.conv2d(x.narrow(0, 2, 2), w, { padding: 1 })
  t.deepEqual(part.toArray(), full.narrow(0, 2, 2).toArray())
  t.deepEqual(nn.functional.maxPool2d(x.narrow(0, 3, 1), 2).toArray(), nn.functional.maxPool2d(x, 2).narrow(0, 3, 1).toArray())
  const v = ft.randn([5, 3], { requiresGrad: true })
  const g = v.narrow(0, 2, 3).index([ft.tensor([0, 2])])
  t.deepEqual(g.toArray(), v.index([ft.tensor([2, 4])]).toArray())
})

test('interpolate matches PyTorch (nearest, linear, bilinear, align_corners, scale factors) and backpropagates', async (t) => {
  // Values from torch 2.15 on x = arange(24).reshape(2, 1, 3, 4) ** 1.5 (fixtures/interpolate.json).
  const ref = JSON.parse((await import('node:fs')).readFileSync(path.join(__dirname, 'fixtures', 'interpolate.json'), 'utf8'))
  const x = ft.arange(24, { dtype: 'float64' }).reshape(2, 1, 3, 4).pow(1.5)
  const F = nn.functional
  const got: Record<string, ft.Tensor> = {
    bil: F.interpolate(x, { size: [5, 7], mode: 'bilinear' }),
    bilac: F.interpolate(x, { scaleFactor: 2, mode: 'bilinear', alignCorners: true }),
    bilsf: F.interpolate(x, { scaleFactor: 1.5, mode: 'bilinear' }),
    near: F.interpolate(x, { size: [6, 5], mode: 'nearest' }),
    nearsf: F.interpolate(x, { scaleFactor: 2.5, mode: 'nearest' }),
    lin: F.interpolate(x.select(2, 0), { size: 7, mode: 'linear' }),
  }
  for (const [k, v] of Object.entries(got)) {
    const a = v.flatten().toArray() as number[]
    t.is(a.length, ref[k].length, k)
    a.forEach((g, i) => t.true(Math.abs(g - ref[k][i]) < 1e-9, `${k}[${i}]`))
  }
  const xi = ft.randn([1, 1, 3, 3], { dtype: 'float64', requiresGrad: true })
  t.true(ft.autograd.gradcheck((z) => F.interpolate(z, { size: [4, 5], mode: 'bilinear' }), [xi]))
})

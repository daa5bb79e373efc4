// Device plumbing, checked without a GPU. Two stand-ins for a device replace a few native
// functions for the length of one call:
//  - `onFakeDevice`: every tensor reports 'cuda:0'. Creations (full, fromF64, arange, random,
//    ...) and moves asked for that device run on the CPU; a creation or move asked for any
//    other device is recorded, with its call site. On a real GPU each of those would be a
//    tensor left on the CPU, and the next op mixing it with the inputs would throw
//    "Expected all tensors to be on the same device".
//  - `trackDevices`: tensors moved or created on a non-CPU device stay on the CPU but report
//    that device (the tag follows detach/clone/contiguous/dtype casts and grads), so
//    `Tensor.to`, `Module.to` and the creation options can be checked for where they send
//    tensors.
// A static check at the end lists every tensor creation in src/ that names no device.
import test, { ExecutionContext } from 'ava'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import * as path from 'node:path'
import * as ft from '../src/index'
import { N } from '../src/native'

const { nn, F } = ft
const FAKE = 'cuda:0'
const CREATORS = ['full', 'fromF32', 'fromF64', 'fromI32', 'fromI64', 'fromU8', 'fromU16', 'arange', 'linspace', 'eye', 'random', 'randint', 'randperm']

/** Swaps `N[name]` for `make(original)` while `fn` runs. */
function patched<T>(patches: Record<string, (orig: (...a: any[]) => any) => (...a: any[]) => any>, fn: () => T): T {
  const saved: Record<string, any> = {}
  for (const [k, make] of Object.entries(patches)) {
    saved[k] = N[k]
    N[k] = make(saved[k])
  }
  try {
    return fn()
  } finally {
    for (const k of Object.keys(saved)) N[k] = saved[k]
  }
}

const SPEC = __filename
const CREATION = path.join(__dirname, '..', 'src', 'creation.ts')

/** Where a tensor is being created: the first frame past this file's wrappers and creation.ts. */
function site(): string {
  const prev = Error.stackTraceLimit
  Error.stackTraceLimit = 40
  const frames = (new Error().stack ?? '').split('\n').slice(1).map((l) => l.trim().replace(/^at /, ''))
  Error.stackTraceLimit = prev
  let i = 0
  while (i < frames.length && frames[i].includes(SPEC)) i++
  while (i < frames.length && (frames[i].includes(CREATION) || /^Tensor\.(to|cuda|cpu) \(/.test(frames[i]))) i++
  return frames[i] ?? '(unknown)'
}

/** Runs `fn` with every tensor on the pretend device `FAKE`; returns what it made elsewhere. */
function onFakeDevice<T>(fn: () => T): { result: T; strays: string[] } {
  const strays: string[] = []
  const patches: Record<string, any> = {
    device: () => () => FAKE,
    toDevice: (orig: any) => (h: number, d: string) => {
      if (d !== FAKE && d !== 'cuda') strays.push(`toDevice(${d}) at ${site()}`)
      return orig(h, 'cpu')
    },
  }
  for (const name of CREATORS) {
    patches[name] = (orig: any) => (...a: any[]) => {
      const d = a[a.length - 1]
      if (d !== FAKE) strays.push(`${name}(device=${d}) at ${site()}`)
      a[a.length - 1] = 'cpu'
      return orig(...a)
    }
  }
  const result = patched(patches, fn)
  return { result, strays }
}

/** The strays made by src/ (a test's own inputs may sit anywhere). */
function internal(strays: string[]): string[] {
  return strays.filter((s) => !s.includes(SPEC))
}

/** `fn` must create nothing off the inputs' device. */
function sameDevice(t: ExecutionContext, label: string, fn: () => unknown): void {
  const { strays } = onFakeDevice(fn)
  t.deepEqual(internal(strays), [], `${label}: tensors created off the inputs' device`)
}

/** Runs `fn` with tensors tagged by the device they were sent to (see the file comment). */
function trackDevices<T>(fn: (moves: string[]) => T): T {
  const tag = new Map<number, string>()
  const moves: string[] = []
  const gradTag = new Map<number, string>()
  const follow = (orig: any) => (h: number, ...rest: any[]) => {
    const r = orig(h, ...rest)
    if (tag.has(h)) tag.set(r, tag.get(h)!)
    return r
  }
  const patches: Record<string, any> = {
    device: (orig: any) => (h: number) => tag.get(h) ?? orig(h),
    toDevice: (orig: any) => (h: number, d: string) => {
      const r = orig(h, 'cpu')
      const dev = d === 'cuda' ? 'cuda:0' : d
      moves.push(dev)
      if (dev === 'cpu') tag.delete(r)
      else tag.set(r, dev)
      return r
    },
    toDtype: follow,
    detach: follow,
    clone: follow,
    contiguous: follow,
    setGrad: (orig: any) => (h: number, g?: number) => {
      if (g !== undefined && tag.has(g)) gradTag.set(h, tag.get(g)!)
      else gradTag.delete(h)
      return orig(h, g)
    },
    getGrad: (orig: any) => (h: number) => {
      const r = orig(h)
      if (r !== null && r !== undefined && gradTag.has(h)) tag.set(r, gradTag.get(h)!)
      return r
    },
  }
  for (const name of CREATORS) {
    patches[name] = (orig: any) => (...a: any[]) => {
      const d = a[a.length - 1]
      a[a.length - 1] = 'cpu'
      const r = orig(...a)
      if (d !== 'cpu') tag.set(r, d === 'cuda' ? 'cuda:0' : d)
      return r
    }
  }
  return patched(patches, () => fn(moves))
}

// ---- the stand-ins themselves ------------------------------------------------------------

test.serial('the fake device reports creations that default to the CPU, with their call site', (t) => {
  const x = ft.ones([3])
  const { strays } = onFakeDevice(() => {
    t.is(x.device, FAKE)
    x.add(ft.zeros([3]))
    x.add(ft.zerosLike(x))
    x.to('cpu')
    nn.utils.clipGradNorm_([new nn.Parameter(x)], 1) // no grads: a CPU zero, by design
  })
  t.is(strays.length, 3, strays.join('\n'))
  t.true(strays[0].startsWith('full(device=cpu) at ') && strays[0].includes(SPEC), strays[0])
  t.true(strays[1].startsWith('toDevice(cpu) at ') && strays[1].includes(SPEC), strays[1])
  t.true(strays[2].startsWith('full(device=cpu) at ') && strays[2].includes(path.join('src', 'nn', 'utils.ts')), strays[2])
  t.deepEqual(internal(strays), [strays[2]])
  t.is(x.device, 'cpu')
})

// ---- the creation API ------------------------------------------------------------------------

test.serial('creation functions put tensors on the requested device', (t) => {
  const D = 'cuda:1'
  trackDevices(() => {
    const o = { device: D }
    const made: [string, ft.Tensor][] = [
      ['zeros', ft.zeros([2, 3], o)],
      ['zeros(...sizes)', ft.zeros(2, 3, o)],
      ['ones', ft.ones([2], o)],
      ['empty', ft.empty([2], o)],
      ['full', ft.full([2], 1.5, o)],
      ['arange(end)', ft.arange(5, o)],
      ['arange(start, end, step)', ft.arange(0, 1, 0.25, o)],
      ['linspace', ft.linspace(0, 1, 5, o)],
      ['eye(n)', ft.eye(3, o)],
      ['eye(n, m)', ft.eye(3, 4, o)],
      ['rand', ft.rand([2], o)],
      ['randn', ft.randn(2, 2, o)],
      ['randint(high, size)', ft.randint(5, [3], o)],
      ['randint(low, high, size)', ft.randint(1, 5, [3], o)],
      ['randperm', ft.randperm(4, o)],
      ['scalarTensor', ft.scalarTensor(2, o)],
      ['tensor(nested)', ft.tensor([[1, 2], [3, 4]], o)],
      ['tensor(bool)', ft.tensor([true, false], o)],
      ['tensor(bigint)', ft.tensor([1n, 2n], o)],
      ['tensor(Float32Array)', ft.tensor(new Float32Array([1, 2]), o)],
      ['tensor(Float64Array)', ft.tensor(new Float64Array([1, 2]), o)],
      ['tensor(Int32Array)', ft.tensor(new Int32Array([1, 2]), o)],
      ['tensor(BigInt64Array)', ft.tensor(new BigInt64Array([1n, 2n]), o)],
      ['tensor(Uint8Array)', ft.tensor(new Uint8Array([1, 2]), o)],
      ['tensor(Uint16Array, float16)', ft.tensor(new Uint16Array([0x3c00]), { ...o, dtype: 'float16' })],
      ['tensor(Tensor)', ft.tensor(ft.ones([2]), o)],
      ['tensor(Tensor, dtype)', ft.tensor(ft.ones([2]), { ...o, dtype: 'float64' })],
    ]
    for (const [name, x] of made) t.is(x.device, D, name)
    t.is(ft.tensor(ft.ones([2]), { ...o, dtype: 'float64' }).dtype, 'float64')
    t.is(ft.zeros([2]).device, 'cpu', 'the default stays the CPU')

    // *Like functions follow their source, unless told otherwise.
    const src = ft.ones([2, 2], o)
    const likes: [string, ft.Tensor][] = [
      ['zerosLike', ft.zerosLike(src)],
      ['onesLike', ft.onesLike(src)],
      ['emptyLike', ft.emptyLike(src)],
      ['fullLike', ft.fullLike(src, 3)],
      ['randLike', ft.randLike(src)],
      ['randnLike', ft.randnLike(src)],
      ['randintLike(high)', ft.randintLike(src, 4)],
      ['randintLike(low, high)', ft.randintLike(src, 1, 4)],
      ['tensor(Tensor on a device)', ft.tensor(src)],
    ]
    for (const [name, x] of likes) t.is(x.device, D, name)
    t.is(ft.zerosLike(src, { device: 'cpu' }).device, 'cpu')
    t.is(ft.zerosLike(ft.ones([2]), { device: 'cuda:2' }).device, 'cuda:2')
  })
})

test.serial('Tensor.to, cuda() and cpu() agree on device names', (t) => {
  trackDevices(() => {
    const x = ft.ones([2])
    t.is(x.cuda().device, 'cuda:0')
    t.is(x.cuda(1).device, 'cuda:1')
    t.is(x.cuda('cuda:2').device, 'cuda:2')
    t.is(x.to('cuda').device, 'cuda:0')
    t.is(x.to({ device: 'cuda:3' }).device, 'cuda:3')
    const y = x.to('cuda:1', 'float64')
    t.is(y.device, 'cuda:1')
    t.is(y.dtype, 'float64')
    t.is(y.cpu().device, 'cpu')
    const z = x.to(y)
    t.is(z.device, 'cuda:1')
    t.is(z.dtype, 'float64')
    t.true(y.isCuda)
    t.false(y.cpu().isCuda)
  })
})

// ---- Module.to ---------------------------------------------------------------------------------

class Net extends nn.Module {
  enc = new nn.Linear(4, 6)
  bn = new nn.BatchNorm1d(6)
  blocks = new nn.ModuleList([new nn.Sequential(new nn.Linear(6, 6), new nn.ReLU()), new nn.LayerNorm(6)])
  heads = new nn.ModuleDict({ gn: new nn.GroupNorm(2, 6) })
  lstm = new nn.LSTM(6, 4, { numLayers: 2, bidirectional: true })
  gru = new nn.GRU(6, 4)
  emb = new nn.Embedding(5, 6, { paddingIdx: 0 })
  attn = new nn.MultiheadAttention(6, 2)
  encoder = new nn.TransformerEncoder(new nn.TransformerEncoderLayer(6, 2, { dimFeedforward: 8 }), 2)
  conv = new nn.Conv2d(1, 2, 3)
  crit = new nn.CrossEntropyLoss({ weight: ft.tensor([1, 2, 3, 4, 5, 6], { dtype: 'float32' }) })
  bce = new nn.BCEWithLogitsLoss({ posWeight: ft.ones([6]) })
  out = new nn.Linear(6, 5, { bias: false })
  constructor() {
    super()
    // Weight tying: the same Parameter in two modules.
    this.out.weight = this.emb.weight
  }
}

test.serial('Module.to moves every parameter, buffer and gradient, and keeps shared ones shared', (t) => {
  const net = new Net()
  net.train()
  // Grads and a tracked batch before the move.
  net.bn.forward(ft.randn([3, 6]))
  net.enc.forward(ft.randn([2, 4])).sum().backward()
  const nParams = net.parameters().length
  const nBuffers = net.buffers().length
  t.true(nParams > 40)
  t.is(nBuffers, 5) // running_mean, running_var, num_batches_tracked, weight, pos_weight

  trackDevices(() => {
    t.is(net.to('cuda:1', 'float64'), net)
    for (const [k, p] of net.namedParameters()) {
      t.is(p.device, 'cuda:1', k)
      t.is(p.dtype, 'float64', k)
      t.true(p instanceof nn.Parameter && p.requiresGrad, k)
    }
    for (const [k, b] of net.namedBuffers()) t.is(b.device, 'cuda:1', k)
    const bn = net.bn as any
    t.is(bn.num_batches_tracked.dtype, 'int64', 'integer buffers keep their dtype')
    t.is(bn.running_mean.dtype, 'float64')
    t.is(net.enc.weight.grad!.device, 'cuda:1')
    t.is(net.enc.weight.grad!.dtype, 'float64')
    t.is(net.out.weight, net.emb.weight, 'tied weights stay one Parameter')
    t.is(net.parameters().length, nParams)
    // RNN weight lists and attention projections are ordinary parameters too.
    t.is((net.lstm as any).weight_hh_l1_reverse.device, 'cuda:1')
    t.is(net.attn.in_proj_weight.device, 'cuda:1')
    t.is(net.attn.out_proj.weight.device, 'cuda:1')

    // A move to where everything already is changes nothing (same objects).
    const before = net.parameters()
    const bufs = net.buffers()
    net.to({ device: 'cuda:1' })
    net.cuda(1)
    t.true(net.parameters().every((p, i) => p === before[i]))
    t.true(net.buffers().every((b, i) => b === bufs[i]))

    net.cpu()
    for (const [k, p] of net.namedParameters()) t.is(p.device, 'cpu', k)
    for (const [k, b] of net.namedBuffers()) t.is(b.device, 'cpu', k)
    net.cuda()
    for (const [k, p] of net.namedParameters()) t.is(p.device, 'cuda:0', k)
    for (const [k, b] of net.namedBuffers()) t.is(b.device, 'cuda:0', k)
  })
})

test.serial('Module.to with a dtype only casts floating-point tensors', (t) => {
  const bn = new nn.BatchNorm1d(3)
  for (const m of [bn.double(), bn.to({ dtype: 'float16' }), bn.to('bfloat16'), bn.float()]) t.is(m, bn)
  const b = bn as any
  t.is(b.num_batches_tracked.dtype, 'int64')
  t.is(b.running_var.dtype, 'float32')
  t.is(bn.weight!.dtype, 'float32')
})

test.serial('a no-op Module.to keeps the parameters an optimizer already holds', (t) => {
  const m = new nn.Linear(3, 1)
  const opt = new ft.optim.SGD(m.parameters(), { lr: 0.1 })
  m.to('cpu')
  m.float()
  const w0 = m.weight.detach().clone()
  opt.zeroGrad()
  m.forward(ft.ones([2, 3])).sum().backward()
  opt.step()
  t.false(m.weight.detach().eq(w0).all().item() as boolean, 'the step reached the module')
})

test.serial('loss modules read their weight buffers, so to() carries them', (t) => {
  const crit = new nn.CrossEntropyLoss({ weight: ft.tensor([1, 1, 1], { dtype: 'float32' }) })
  crit.double()
  const w = (crit as any).weight as ft.Tensor
  t.is(w.dtype, 'float64')
  ft.noGrad(() => w.copy_(ft.tensor([1, 0, 0])))
  const x = ft.randn([4, 3], { dtype: 'float64' })
  const y = ft.tensor([0, 1, 2, 0])
  const want = F.crossEntropy(x, y, { weight: ft.tensor([1, 0, 0], { dtype: 'float64' }) })
  t.is(crit.forward(x, y).item(), want.item())

  const bce = new nn.BCEWithLogitsLoss({ posWeight: ft.ones([2]) })
  bce.double()
  ft.noGrad(() => ((bce as any).pos_weight as ft.Tensor).fill_(3))
  const z = ft.randn([4, 2], { dtype: 'float64' })
  const tgt = ft.rand([4, 2], { dtype: 'float64' })
  t.is(bce.forward(z, tgt).item(), F.binaryCrossEntropyWithLogits(z, tgt, { posWeight: ft.full([2], 3, { dtype: 'float64' }) }).item())
})

test.serial('constructors honour the device option for every parameter and buffer', (t) => {
  trackDevices(() => {
    const o = { device: 'cuda:1' }
    const mods: [string, ft.nn.Module][] = [
      ['Linear', new nn.Linear(2, 3, o)],
      ['Bilinear', new nn.Bilinear(2, 2, 3, o)],
      ['Conv1d', new nn.Conv1d(1, 2, 3, o)],
      ['Conv2d', new nn.Conv2d(1, 2, 3, o)],
      ['ConvTranspose2d', new nn.ConvTranspose2d(2, 1, 3, o)],
      ['BatchNorm1d', new nn.BatchNorm1d(3, o)],
      ['BatchNorm2d', new nn.BatchNorm2d(3, o)],
      ['LayerNorm', new nn.LayerNorm(3, o)],
      ['GroupNorm', new nn.GroupNorm(1, 3, o)],
      ['Embedding', new nn.Embedding(4, 3, o)],
      ['RNN', new nn.RNN(3, 2, o)],
      ['LSTM', new nn.LSTM(3, 2, { numLayers: 2, bidirectional: true, ...o })],
      ['GRU', new nn.GRU(3, 2, o)],
      ['MultiheadAttention', new nn.MultiheadAttention(4, 2, o)],
      ['TransformerEncoderLayer', new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8, ...o })],
      ['TransformerDecoderLayer', new nn.TransformerDecoderLayer(4, 2, { dimFeedforward: 8, ...o })],
    ]
    for (const [name, m] of mods) {
      for (const [k, p] of m.namedParameters()) t.is(p.device, 'cuda:1', `${name}.${k}`)
      for (const [k, b] of m.namedBuffers()) t.is(b.device, 'cuda:1', `${name}.${k}`)
    }
    t.is(new nn.Linear(2, 3).weight.device, 'cpu', 'modules start on the CPU by default')
  })
})

// ---- ops that build tensors inside: all on the inputs' device -------------------------------------

test.serial('nn.functional creates its constants, masks and indices on the input device', (t) => {
  ft.manualSeed(0)
  const x4 = ft.randn([2, 3, 5, 5], { requiresGrad: true })
  const x3 = ft.randn([2, 3, 6], { requiresGrad: true })
  const logits = ft.randn([4, 5], { requiresGrad: true })
  const target = ft.tensor([0, 2, -100, 4])
  const probs = ft.rand([4, 5])
  const w5 = ft.rand([5])
  const q = ft.randn([2, 4, 8], { requiresGrad: true })
  const cases: [string, () => ft.Tensor][] = [
    ['dropout', () => F.dropout(x4, 0.3, true)],
    ['scaledDotProductAttention(isCausal)', () => F.scaledDotProductAttention(q, q, q, { isCausal: true })],
    ['scaledDotProductAttention(dropoutP)', () => F.scaledDotProductAttention(q, q, q, { dropoutP: 0.1 })],
    ['oneHot', () => F.oneHot(ft.tensor([0, 3, 1])).to('float32')],
    ['oneHot(numClasses)', () => F.oneHot(ft.tensor([0, 3, 1]), { numClasses: 6 }).to('float32')],
    ['avgPool2d', () => F.avgPool2d(x4, 3, { stride: 2, padding: 1 })],
    ['avgPool2d(countIncludePad=false, ceilMode)', () => F.avgPool2d(x4, 2, { padding: 1, ceilMode: true, countIncludePad: false })],
    ['adaptiveAvgPool2d', () => F.adaptiveAvgPool2d(x4, [2, 3])],
    ['maxPool2d(ceilMode)', () => F.maxPool2d(x4, 2, { ceilMode: true })],
    ['maxPool1d', () => F.maxPool1d(x3, 2)],
    ['interpolate(nearest)', () => F.interpolate(x4, { scaleFactor: 2 })],
    ['interpolate(bilinear)', () => F.interpolate(x4, { size: [7, 3], mode: 'bilinear', alignCorners: true })],
    ['interpolate(linear)', () => F.interpolate(x3, { scaleFactor: 1.5, mode: 'linear' })],
    ['pad(constant)', () => F.pad(x4, [1, 2, 0, 1], { value: 2 })],
    ['pad(reflect)', () => F.pad(x4, [1, 2, 2, 1], { mode: 'reflect' })],
    ['pad(replicate)', () => F.pad(x3, [2, 1], { mode: 'replicate' })],
    ['pad(circular)', () => F.pad(x4, [1, 1, 1, 1], { mode: 'circular' })],
    ['conv2d(padding=same, even kernel)', () => F.conv2d(x4, ft.randn([4, 3, 2, 2]), { padding: 'same' })],
    ['conv1d', () => F.conv1d(x3, ft.randn([2, 3, 3]), { bias: ft.zeros([2]), padding: 1 })],
    ['convTranspose2d', () => F.convTranspose2d(x4, ft.randn([3, 2, 3, 3]), { stride: 2, bias: ft.zeros([2]) })],
    ['unfold/fold', () => F.fold(F.unfold(x4, 2), [5, 5], 2)],
    ['batchNorm(training)', () => F.batchNorm(x4, ft.zeros([3]), ft.ones([3]), { training: true })],
    ['batchNorm(eval)', () => F.batchNorm(x4, ft.zeros([3]), ft.ones([3]), { weight: ft.ones([3]), bias: ft.zeros([3]) })],
    ['layerNorm', () => F.layerNorm(x4, [5, 5])],
    ['groupNorm', () => F.groupNorm(x4, 3)],
    ['normalize', () => F.normalize(x4)],
    ['cosineSimilarity', () => F.cosineSimilarity(x4, x4.mul(2))],
    ['embedding', () => F.embedding(ft.tensor([[0, 2], [1, 1]]), logits)],
    ['gelu/softplus/elu/hardtanh', () => F.hardtanh(F.elu(F.softplus(F.gelu(x3, { approximate: 'tanh' }))))],
    ['crossEntropy(indices)', () => F.crossEntropy(logits, target)],
    ['crossEntropy(weight, labelSmoothing)', () => F.crossEntropy(logits, target, { weight: w5, labelSmoothing: 0.1 })],
    ['crossEntropy(labelSmoothing, sum)', () => F.crossEntropy(logits, target, { labelSmoothing: 0.2, reduction: 'sum' })],
    ['crossEntropy(probabilities)', () => F.crossEntropy(logits, probs, { labelSmoothing: 0.1 })],
    ['nllLoss(weight)', () => F.nllLoss(logits.logSoftmax(1), target, { weight: w5 })],
    ['mseLoss/l1Loss', () => F.mseLoss(logits, probs).add(F.l1Loss(logits, probs))],
    ['smoothL1Loss/huberLoss', () => F.smoothL1Loss(logits, probs, { beta: 0.5 }).add(F.huberLoss(logits, probs))],
    ['binaryCrossEntropy', () => F.binaryCrossEntropy(logits.sigmoid(), probs, { weight: probs })],
    ['binaryCrossEntropyWithLogits', () => F.binaryCrossEntropyWithLogits(logits, probs, { posWeight: w5, weight: probs })],
    ['klDiv', () => F.klDiv(logits.logSoftmax(1), probs, { reduction: 'batchmean' })],
    ['klDiv(logTarget)', () => F.klDiv(logits.logSoftmax(1), probs.log(), { logTarget: true })],
    ['cosineEmbeddingLoss', () => F.cosineEmbeddingLoss(logits, probs, ft.tensor([1, -1, 1, -1]), { margin: 0.1 })],
  ]
  for (const [name, f] of cases) {
    sameDevice(t, name, () => {
      const y = f()
      if (y.requiresGrad) y.sum().backward()
    })
  }
})

test.serial('tensor methods that build scalars, fills and masks use the input device', (t) => {
  const x = ft.randn([3, 4], { requiresGrad: true })
  const i = ft.tensor([[0, 1, 2, 0]])
  const cases: [string, () => unknown][] = [
    ['add/sub(alpha)', () => x.add(2, { alpha: 3 }).sub(1, { alpha: 2 })],
    ['div(roundingMode)', () => x.div(2, { roundingMode: 'floor' })],
    ['clamp(tensor, number)', () => x.clamp(ft.zerosLike(x), 1)],
    ['where(scalars)', () => ft.where(x.gt(0), 1, 0)],
    ['where(scalar, tensor)', () => ft.where(x.gt(0), 1.5, x)],
    ['scatter(value)', () => x.detach().scatter(0, i, 7)],
    ['indexPut_(scalar)', () => x.detach().clone().indexPut_([ft.tensor([0, 2])], 5)],
    ['round(decimals)', () => x.round({ decimals: 2 })],
    ['pow(number, tensor)', () => ft.pow(2, x)],
    ['backward() of a scalar', () => x.square().sum().backward()],
    ['autograd.grad', () => ft.autograd.grad(x.exp().sum(), x)],
    ['gradcheck', () => ft.autograd.gradcheck((a: ft.Tensor) => a.sin().mul(a), [ft.randn([3], { dtype: 'float64', requiresGrad: true })])],
  ]
  for (const [name, f] of cases) sameDevice(t, name, f)
})

test.serial('layers run forward and backward without leaving the input device', (t) => {
  ft.manualSeed(1)
  const img = ft.randn([2, 1, 6, 6])
  const seq = ft.randn([5, 2, 4])
  const tok = ft.tensor([[1, 0, 3], [2, 2, 0]])
  const cases: [string, ft.nn.Module, () => any][] = []
  const add = (name: string, m: ft.nn.Module, call: (m: any) => any) => cases.push([name, m, () => call(m)])
  add('Linear', new nn.Linear(4, 3), (m) => m.forward(seq))
  add('Bilinear', new nn.Bilinear(4, 4, 2), (m) => m.forward(seq, seq))
  add('Conv2d+BatchNorm2d+AvgPool2d', new nn.Sequential(new nn.Conv2d(1, 2, 3, { padding: 1 }), new nn.BatchNorm2d(2), new nn.AvgPool2d(2)), (m) => m.forward(img))
  add('BatchNorm1d(momentum=null)', new nn.BatchNorm1d(4, { momentum: null }), (m) => m.forward(seq.reshape(10, 4)))
  add('BatchNorm1d(eval)', new nn.BatchNorm1d(4).eval(), (m) => m.forward(seq.reshape(10, 4)))
  add('GroupNorm/LayerNorm', new nn.Sequential(new nn.GroupNorm(1, 2), new nn.LayerNorm([6, 6])), (m) => m.forward(img.repeat(1, 2, 1, 1)))
  add('Embedding(paddingIdx)', new nn.Embedding(4, 3, { paddingIdx: 0 }), (m) => m.forward(tok))
  add('Dropout', new nn.Dropout(0.5), (m) => m.forward(seq.requiresGrad_(false).mul(1)))
  add('RNN(relu, 2 layers, dropout)', new nn.RNN(4, 3, { numLayers: 2, nonlinearity: 'relu', dropout: 0.2 }), (m) => m.forward(seq)[0])
  add('LSTM(bidirectional, batchFirst)', new nn.LSTM(4, 3, { numLayers: 2, bidirectional: true, batchFirst: true }), (m) => m.forward(seq)[0])
  add('LSTM(unbatched)', new nn.LSTM(4, 3), (m) => m.forward(seq.select(1, 0))[0])
  add('GRU', new nn.GRU(4, 3, { bidirectional: true }), (m) => m.forward(seq)[1])
  add('MultiheadAttention(isCausal)', new nn.MultiheadAttention(4, 2), (m) => m.forward(seq, seq, seq, { isCausal: true })[0])
  const kpm = ft.tensor([[false, true], [false, false], [false, false], [true, false], [false, false]])
  add('MultiheadAttention(masks, dropout)', new nn.MultiheadAttention(4, 2, { dropout: 0.1, batchFirst: true }), (m) =>
    m.forward(seq, seq, seq, { keyPaddingMask: kpm, attnMask: ft.ones([2, 2], { dtype: 'bool' }).tril() })[0],
  )
  add('TransformerEncoder', new nn.TransformerEncoder(new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8, normFirst: true }), 2), (m) => m.forward(seq, { isCausal: true }))
  add('TransformerDecoderLayer', new nn.TransformerDecoderLayer(4, 2, { dimFeedforward: 8, activation: 'gelu' }), (m) => m.forward(seq, seq, { tgtIsCausal: true }))
  add('CrossEntropyLoss(weight)', new nn.CrossEntropyLoss({ weight: ft.rand([4]), labelSmoothing: 0.1 }), (m) => m.forward(seq.reshape(10, 4).requiresGrad_(true), ft.randint(0, 4, [10])))
  add('BCEWithLogitsLoss(posWeight)', new nn.BCEWithLogitsLoss({ posWeight: ft.rand([4]) }), (m) => m.forward(seq.reshape(10, 4).requiresGrad_(true), ft.rand([10, 4])))
  for (const [name, m, run] of cases) {
    m.train()
    sameDevice(t, name, () => {
      const y = run()
      if (y.requiresGrad) y.sum().backward()
    })
  }
})

test.serial('optimizers, clipping, init and schedulers keep state on the parameters\' device', (t) => {
  const make = () => {
    ft.manualSeed(2)
    return new nn.Sequential(new nn.Linear(3, 4), new nn.Tanh(), new nn.Linear(4, 1))
  }
  const x = ft.randn([5, 3])
  const opts: [string, (ps: ft.nn.Parameter[]) => ft.optim.Optimizer][] = [
    ['SGD(momentum, nesterov)', (ps) => new ft.optim.SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 })],
    ['Adam(amsgrad)', (ps) => new ft.optim.Adam(ps, { amsgrad: true, weightDecay: 0.01 })],
    ['AdamW', (ps) => new ft.optim.AdamW(ps)],
    ['RMSprop(centered, momentum)', (ps) => new ft.optim.RMSprop(ps, { centered: true, momentum: 0.5 })],
    ['Adagrad', (ps) => new ft.optim.Adagrad(ps, { initialAccumulatorValue: 0.1, lrDecay: 0.01 })],
  ]
  for (const [name, mk] of opts) {
    const m = make()
    const opt = mk(m.parameters())
    const sched = new ft.optim.lrScheduler.StepLR(opt, 1, 0.5)
    const { strays } = onFakeDevice(() => {
      for (let i = 0; i < 2; i++) {
        opt.zeroGrad()
        m.forward(x).square().mean().backward()
        nn.utils.clipGradNorm_(m.parameters(), 0.5)
        nn.utils.clipGradValue_(m.parameters(), 0.1)
        opt.step()
        sched.step()
      }
      opt.loadStateDict(opt.stateDict())
      opt.step()
    })
    t.deepEqual(internal(strays), [], name)
    // The fake device takes the per-parameter path (the fused one is CPU-only): same numbers.
    const ref = make()
    const ropt = mk(ref.parameters())
    const rsched = new ft.optim.lrScheduler.StepLR(ropt, 1, 0.5)
    for (let i = 0; i < 2; i++) {
      ropt.zeroGrad()
      ref.forward(x).square().mean().backward()
      nn.utils.clipGradNorm_(ref.parameters(), 0.5)
      nn.utils.clipGradValue_(ref.parameters(), 0.1)
      ropt.step()
      rsched.step()
    }
    ropt.loadStateDict(ropt.stateDict())
    ropt.step()
    const a = m.parameters().map((p) => Array.from(p.detach().toTypedArray() as Float32Array))
    const b = ref.parameters().map((p) => Array.from(p.detach().toTypedArray() as Float32Array))
    a.forEach((v, i) => v.forEach((e, j) => t.true(Math.abs(e - b[i][j]) < 1e-5, `${name}: param ${i}[${j}] ${e} vs ${b[i][j]}`)))
  }

  const w = new nn.Parameter(ft.empty([4, 3]))
  sameDevice(t, 'nn.init', () => {
    nn.init.uniform_(w, -1, 1)
    nn.init.normal_(w)
    nn.init.xavierUniform_(w)
    nn.init.xavierNormal_(w)
    nn.init.kaimingUniform_(w, { a: Math.sqrt(5) })
    nn.init.kaimingNormal_(w, { mode: 'fan_out', nonlinearity: 'relu' })
    nn.init.constant_(w, 0.5)
    nn.init.zeros_(w)
    nn.init.ones_(w)
  })
  const lin = new nn.Linear(3, 2)
  sameDevice(t, 'Linear.resetParameters', () => lin.resetParameters())
  sameDevice(t, 'parametersToVector / vectorToParameters', () => nn.utils.vectorToParameters(nn.utils.parametersToVector([w]).mul(2), [w]))
})

test.serial('a DataLoader over a TensorDataset indexes on the dataset tensors\' device', (t) => {
  const ds = new ft.utils.data.TensorDataset(ft.randn([10, 3]), ft.arange(10))
  const loader = new ft.utils.data.DataLoader(ds, { batchSize: 4, shuffle: true, generator: new ft.Generator(3) })
  sameDevice(t, 'DataLoader', () => {
    let n = 0
    for (const [xb, yb] of loader) {
      t.is(yb.shape[0], xb.shape[0])
      n += xb.shape[0]
    }
    t.is(n, 10)
  })
})

test.serial('transforms.normalize follows its images to their device', (t) => {
  const norm = ft.utils.data.transforms.normalize([0.5], [0.25])
  const img = ft.rand([1, 2, 2])
  const want = Array.from(norm(img).toTypedArray() as Float32Array)
  trackDevices((moves) => {
    const g = img.to('cuda:1')
    moves.length = 0
    t.deepEqual(Array.from(norm(g).toTypedArray() as Float32Array), want)
    t.deepEqual(moves, ['cuda:1', 'cuda:1'], 'mean and std move to the image\'s device')
    norm(g)
    t.is(moves.length, 2, 'and stay there')
  })
  t.deepEqual(Array.from(norm(img).toTypedArray() as Float32Array), want)
})

// ---- static check: creations in src/ that name no device --------------------------------------------

/**
 * Creations in src/ that build on the CPU on purpose. Any other call of a creation function
 * (zeros, ones, full, empty, arange, linspace, eye, rand, randn, randint, randperm, tensor, or
 * a native N.full / N.fromXX / ...) must pass a device. Keys: `file: call` (whitespace folded).
 */
const CPU_BY_DESIGN: Record<string, string> = {
  "src/autograd.ts: N.full([], 0, 7, 'cpu')": 'stand-in input of custom Functions: recorded, never computed with',
  "src/nn/utils.ts: N.full([], 0, 6, 'cpu')": 'clipGradNorm_ with no gradients returns a CPU zero, as torch.tensor(0.0) does',
  "src/utils/data.ts: tensor(batch, { dtype: batch.every(Number.isInteger) ? 'int64' : 'float64' })": 'default_collate of numbers builds CPU tensors, as PyTorch does',
  'src/utils/data.ts: tensor(batch)': 'default_collate of booleans: CPU',
  "src/utils/transforms.ts: tensor(mean, { dtype: 'float32' })": 'built once on the CPU, moved to each image\'s device on use',
  "src/utils/transforms.ts: tensor(std, { dtype: 'float32' })": 'built once on the CPU, moved to each image\'s device on use',
  'src/utils/readers.ts: tensor(new Uint8Array(buf.buffer, buf.byteOffset + off, n), { shape })': 'file readers load to the CPU',
  "src/utils/readers.ts: tensor(vals, { shape, dtype: t.dtype === 'float64' ? 'float64' : t.dtype === 'float32' ? 'float32' : 'int64' })": 'file readers load to the CPU',
  "src/utils/readers.ts: tensor(Float64Array.from(rows.flat()), { shape: [rows.length, w], dtype: opts.dtype ?? 'float32' })": 'file readers load to the CPU',
  'src/io.ts: tensor(new Float32Array(b), { shape })': 'ft.load / readNpy load to the CPU (loadStateDict copies across devices)',
  'src/io.ts: tensor(new Float64Array(b), { shape })': 'ft.load / readNpy load to the CPU',
  'src/io.ts: tensor(new Int32Array(b), { shape })': 'ft.load / readNpy load to the CPU',
  'src/io.ts: tensor(new BigInt64Array(b), { shape })': 'ft.load / readNpy load to the CPU',
  'src/io.ts: tensor(new Uint8Array(b), { shape })': 'ft.load / readNpy load to the CPU',
  "src/io.ts: tensor(new Uint8Array(b), { shape, dtype: 'bool' })": 'ft.load / readNpy load to the CPU',
  'src/io.ts: tensor(new Uint16Array(b), { shape, dtype })': 'ft.load / readNpy load to the CPU',
}

/** The source with comments and string/template contents blanked (same offsets). */
function code(src: string): string {
  let out = ''
  let i = 0
  while (i < src.length) {
    const c = src[i]
    const d = src[i + 1]
    if (c === '/' && d === '/') {
      while (i < src.length && src[i] !== '\n') (out += ' '), i++
    } else if (c === '/' && d === '*') {
      const end = src.indexOf('*/', i + 2)
      const stop = end < 0 ? src.length : end + 2
      out += src.slice(i, stop).replace(/[^\n]/g, ' ')
      i = stop
    } else if (c === "'" || c === '"' || c === '`') {
      out += c
      i++
      while (i < src.length && src[i] !== c) {
        if (src[i] === '\\') (out += ' '), i++
        out += src[i] === '\n' ? '\n' : ' '
        i++
      }
      if (i < src.length) (out += c), i++
    } else (out += c), i++
  }
  return out
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f)
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : []
  })
}

test('static: every tensor creation in src/ names a device, or is on the CPU-by-design list', (t) => {
  const root = path.join(__dirname, '..')
  const names = 'zeros|ones|full|empty|arange|linspace|eye|rand|randn|randint|randperm|tensor'
  const natives = CREATORS.join('|')
  const re = new RegExp(`(?<![\\w.$])(?:${names})\\(|\\bN\\.(?:${natives})\\(`, 'g')
  const found: string[] = []
  const seen = new Set<string>()
  // creation.ts defines the factories (their device is the caller's option).
  for (const file of tsFiles(path.join(root, 'src')).filter((f) => !f.endsWith(`${path.sep}creation.ts`))) {
    const src = readFileSync(file, 'utf8')
    const blank = code(src)
    const rel = path.relative(root, file).split(path.sep).join('/')
    for (const m of blank.matchAll(re)) {
      const start = m.index!
      let depth = 0
      let end = start + m[0].length - 1
      for (; end < blank.length; end++) {
        if (blank[end] === '(') depth++
        else if (blank[end] === ')' && --depth === 0) break
      }
      // Skip definitions: `function zeros(...)` and methods (`  randperm(n: number): number[] {`).
      const lineStart = blank.lastIndexOf('\n', start) + 1
      if (/function\s+$/.test(blank.slice(lineStart, start))) continue
      if (/^\s*(?:(?:static|async|public|private|protected)\s+)*$/.test(blank.slice(lineStart, start)) && /^\s*[:{]/.test(blank.slice(end + 1))) continue
      const args = blank.slice(start + m[0].length, end)
      if (/\bdevice\b/.test(args)) continue
      const key = `${rel}: ${src.slice(start, end + 1).replace(/\s+/g, ' ')}`
      seen.add(key)
      if (!(key in CPU_BY_DESIGN)) found.push(key)
    }
  }
  t.deepEqual(found, [], 'creations without a device: pass the device of the tensors they meet, or add them to CPU_BY_DESIGN with the reason')
  const stale = Object.keys(CPU_BY_DESIGN).filter((k) => !seen.has(k))
  t.deepEqual(stale, [], 'CPU_BY_DESIGN entries no longer in src/: remove them')
})

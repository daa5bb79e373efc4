// Autograd: graph bookkeeping, gradcheck over every differentiable op (with broadcast and
// non-contiguous inputs), double backward against PyTorch, in-place checks, hooks,
// custom Functions, anomaly detection, grad modes and memory.
import test from 'ava'
import * as ft from '../src/index'
import type { Tensor } from '../src/index'

const f64 = { dtype: 'float64' as const, requiresGrad: true }
const r = (...shape: number[]) => ft.randn(shape, f64)
/** Same values, transposed strides (the conformance set's non-contiguous layout). */
const nc = (a: number, b: number) => ft.randn([b, a], { dtype: 'float64' }).t().requiresGrad_()
const pos = (...shape: number[]) => ft.rand(shape, { dtype: 'float64' }).add(0.5).requiresGrad_()
const unit = (...shape: number[]) => ft.rand(shape, { dtype: 'float64' }).mul(1.6).sub(0.8).requiresGrad_()
const idx = (data: number[][] | number[]) => ft.tensor(data)

function close(t: any, got: number[], exp: number[], tol = 1e-9): void {
  t.is(got.length, exp.length)
  got.forEach((g, i) => t.true(Math.abs(g - exp[i]) <= tol * (1 + Math.abs(exp[i])), `[${i}] ${g} vs ${exp[i]}`))
}

test('leaves, non-leaves, gradFn names and accumulation', (t) => {
  const x = ft.tensor([1, 2, 3], f64)
  t.true(x.isLeaf)
  t.is(x.gradFn, null)
  t.is(x.grad, null)
  const y = x.mul(x).sum()
  t.false(y.isLeaf)
  t.is(y.gradFn!.name(), 'SumBackward1')
  t.is(x.mul(2).gradFn!.name(), 'MulBackward0')
  t.is(x.add(x).gradFn!.name(), 'AddBackward0')
  y.backward(null, { retainGraph: true })
  t.deepEqual(x.grad!.toArray(), [2, 4, 6])
  y.backward()
  t.deepEqual(x.grad!.toArray(), [4, 8, 12], 'gradients accumulate')
  t.throws(() => y.backward(), { message: /backward through the graph a second time/ })
  x.grad = null
  t.is(x.grad, null)
  t.throws(() => ft.tensor([1, 2]).requiresGrad_(), { message: /only Tensors of floating point dtype can require gradients/ })
  t.throws(() => ft.ones(2).sum().backward(), { message: /does not require grad/ })
  t.throws(() => x.mul(1).backward(), { message: /grad can be implicitly created only for scalar outputs/ })
  t.is(ft.tensor([1.5], f64).toString(), 'tensor([1.5000], dtype=torch.float64, requires_grad=True)')
})

// Each entry: [name, fn, inputs]. Inputs mix broadcast shapes and transposed layouts.
const cases: [string, (...xs: Tensor[]) => Tensor, () => Tensor[]][] = [
  ['neg', (a) => a.neg(), () => [nc(3, 2)]],
  ['abs', (a) => a.abs(), () => [pos(3)]],
  ['square', (a) => a.square(), () => [nc(2, 3)]],
  ['exp', (a) => a.exp(), () => [nc(2, 3)]],
  ['exp2', (a) => a.exp2(), () => [r(3)]],
  ['log', (a) => a.log(), () => [pos(2, 3)]],
  ['log2', (a) => a.log2(), () => [pos(3)]],
  ['log10', (a) => a.log10(), () => [pos(3)]],
  ['log1p', (a) => a.log1p(), () => [pos(3)]],
  ['expm1', (a) => a.expm1(), () => [r(3)]],
  ['sqrt', (a) => a.sqrt(), () => [pos(2, 2)]],
  ['rsqrt', (a) => a.rsqrt(), () => [pos(3)]],
  ['sin', (a) => a.sin(), () => [nc(2, 3)]],
  ['cos', (a) => a.cos(), () => [r(3)]],
  ['tan', (a) => a.tan(), () => [unit(3)]],
  ['asin', (a) => a.asin(), () => [unit(3)]],
  ['acos', (a) => a.acos(), () => [unit(3)]],
  ['atan', (a) => a.atan(), () => [r(3)]],
  ['sinh', (a) => a.sinh(), () => [r(3)]],
  ['cosh', (a) => a.cosh(), () => [r(3)]],
  ['tanh', (a) => a.tanh(), () => [nc(3, 2)]],
  ['sigmoid', (a) => a.sigmoid(), () => [r(4)]],
  ['erf', (a) => a.erf(), () => [r(4)]],
  ['erfc', (a) => a.erfc(), () => [r(4)]],
  ['reciprocal', (a) => a.reciprocal(), () => [pos(3)]],
  ['relu', (a) => a.relu(), () => [r(5)]],
  ['clamp', (a) => a.clamp(-0.5, 0.5), () => [r(6)]],
  ['pow scalar', (a) => a.pow(3), () => [r(2, 2)]],
  ['rpow', (a) => ft.pow(2.5, a), () => [r(3)]],
  ['gelu', (a) => ft.F.gelu(a), () => [r(4)]],
  ['gelu tanh', (a) => ft.F.gelu(a, { approximate: 'tanh' }), () => [r(4)]],
  ['silu', (a) => ft.F.silu(a), () => [r(4)]],
  ['mish', (a) => ft.F.mish(a), () => [r(4)]],
  ['softplus', (a) => ft.F.softplus(a, { beta: 2 }), () => [r(4)]],
  ['leakyRelu', (a) => ft.F.leakyRelu(a, 0.1), () => [r(5)]],
  ['elu', (a) => ft.F.elu(a), () => [r(5)]],
  ['selu', (a) => ft.F.selu(a), () => [r(5)]],
  ['hardtanh', (a) => ft.F.hardtanh(a), () => [r(5).mul(2).detach().requiresGrad_()]],
  ['hardsigmoid', (a) => ft.F.hardsigmoid(a), () => [r(5)]],
  ['hardswish', (a) => ft.F.hardswish(a), () => [r(5)]],
  ['add broadcast', (a, b) => a.add(b), () => [nc(2, 3), r(3)]],
  ['add alpha', (a, b) => a.add(b, { alpha: -2 }), () => [r(2, 3), r(1, 3)]],
  ['sub', (a, b) => a.sub(b), () => [r(2, 1), nc(2, 3)]],
  ['mul broadcast', (a, b) => a.mul(b), () => [r(4, 1, 3), r(2, 1)]],
  ['div', (a, b) => a.div(b), () => [r(2, 3), pos(3)]],
  ['pow tensor', (a, b) => a.pow(b), () => [pos(2, 3), r(3)]],
  ['maximum', (a, b) => ft.maximum(a, b), () => [r(2, 3), r(3)]],
  ['minimum', (a, b) => ft.minimum(a, b), () => [nc(2, 3), r(2, 3)]],
  ['atan2', (a, b) => ft.atan2(a, b), () => [r(3), pos(2, 3)]],
  ['where', (a, b) => ft.where(ft.tensor([true, false, true]), a, b), () => [r(2, 3), r(3)]],
  ['sum dims', (a) => a.sum([0, 2], true), () => [r(2, 3, 2)]],
  ['mean', (a) => a.mean(1), () => [nc(3, 4)]],
  ['prod', (a) => a.prod(1), () => [pos(2, 3)]],
  ['amax', (a) => a.amax(1), () => [r(3, 4)]],
  ['amin', (a) => a.amin([0, 1]), () => [r(3, 4)]],
  ['max(dim) values', (a) => a.max(1).values, () => [nc(3, 4)]],
  ['min(dim) keepdim', (a) => a.min(0, true).values, () => [r(3, 4)]],
  ['var', (a) => a.var(1), () => [r(3, 4)]],
  ['std', (a) => a.std({ dim: 0, correction: 0 }), () => [r(3, 4)]],
  ['logsumexp', (a) => a.logsumexp(1), () => [nc(3, 4)]],
  ['norm', (a) => a.norm(2, 1), () => [r(3, 4)]],
  ['norm p3', (a) => a.norm(3), () => [pos(5)]],
  ['cumsum', (a) => a.cumsum(1), () => [nc(3, 4)]],
  ['cumprod', (a) => a.cumprod(0), () => [pos(4, 2)]],
  ['reshape', (a) => a.reshape(3, 2).mul(ft.tensor([1, 2], { dtype: 'float64' })), () => [nc(2, 3)]],
  ['permute', (a) => a.permute(2, 0, 1).mul(ft.arange(3, { dtype: 'float64' })), () => [r(2, 3, 3)]],
  ['transpose/t', (a) => a.t().matmul(a), () => [r(3, 2)]],
  ['expand', (a) => a.expand(3, 2, 4).mul(ft.arange(24, { dtype: 'float64' }).reshape(3, 2, 4)), () => [r(2, 1)]],
  ['squeeze/unsqueeze', (a) => a.unsqueeze(0).squeeze(2).mul(2), () => [r(3, 1)]],
  ['flatten', (a) => a.flatten().cumsum(0), () => [nc(2, 3)]],
  ['narrow', (a) => a.narrow(1, 1, 2).exp(), () => [r(2, 4)]],
  ['select', (a) => a.select(0, 1).exp(), () => [r(3, 2)]],
  ['index slices', (a) => a.index([[null, null, 2], -1]), () => [r(5, 3)]],
  ['index tensor', (a) => a.index([idx([2, 0, 2])]).mul(2), () => [r(4, 3)]],
  ['index bool', (a) => a.index([ft.tensor([true, false, true, true])]), () => [r(4, 2)]],
  ['index mixed', (a) => a.index([idx([0, 2]), [null, null], idx([1, 0])]), () => [r(3, 2, 2)]],
  ['cat', (a, b) => ft.cat([a, b], 1).exp(), () => [r(2, 3), nc(2, 2)]],
  ['stack', (a, b) => ft.stack([a, b], 0).exp(), () => [r(2, 3), r(2, 3)]],
  ['split', (a) => a.split([1, 2], 1)[1].exp(), () => [r(2, 3)]],
  ['chunk', (a) => a.chunk(2)[1].square(), () => [r(4, 2)]],
  ['flip', (a) => a.flip(0).cumsum(0), () => [r(3, 2)]],
  ['roll', (a) => a.roll(1, 1).cumsum(1), () => [r(2, 3)]],
  ['repeat', (a) => a.repeat(2, 3).cumsum(1), () => [r(2, 1)]],
  ['tril/triu', (a) => a.tril().add(a.triu(1).square()), () => [r(3, 3)]],
  ['pad', (a) => ft.F.pad(a, [1, 2, -1, 0]).cumsum(1), () => [r(3, 2)]],
  ['gather', (a) => a.gather(1, idx([[0, 0], [2, 1]])), () => [r(2, 3)]],
  ['scatter', (a, b) => a.scatter(1, idx([[0], [2]]), b), () => [r(2, 3), r(2, 1)]],
  ['scatterAdd', (a, b) => a.scatterAdd(0, idx([[0, 1, 0], [0, 0, 1]]), b), () => [r(2, 3), r(2, 3)]],
  ['indexSelect', (a) => a.indexSelect(1, idx([2, 0, 2])), () => [nc(2, 3)]],
  ['takeAlongDim', (a) => a.takeAlongDim(idx([[1], [0]]), 1), () => [r(2, 3)]],
  ['maskedFill', (a) => a.maskedFill(ft.tensor([true, false]), 0.5), () => [r(3, 2)]],
  ['embedding', (w) => ft.F.embedding(idx([[0, 2], [2, 1]]), w), () => [r(3, 2)]],
  ['matmul batched broadcast', (a, b) => a.matmul(b), () => [r(2, 1, 2, 3), r(3, 3, 2)]],
  ['matmul vector', (a, b) => a.matmul(b), () => [r(3), r(2, 3, 2)]],
  ['mm non-contiguous', (a, b) => a.mm(b), () => [nc(2, 3), nc(3, 2)]],
  ['bmm', (a, b) => a.bmm(b), () => [r(2, 2, 3), r(2, 3, 2)]],
  ['outer', (a, b) => a.outer(b), () => [r(3), r(2)]],
  ['dot', (a, b) => a.dot(b), () => [r(4), r(4)]],
  ['linear', (x, w, b) => ft.F.linear(x, w, b), () => [r(2, 3), r(4, 3), r(4)]],
  ['einsum', (a, b) => ft.einsum('bij,bkj->bik', a, b), () => [r(2, 2, 3), r(2, 4, 3)]],
  ['softmax', (a) => a.softmax(1), () => [nc(2, 3)]],
  ['logSoftmax', (a) => a.logSoftmax(0), () => [r(3, 2)]],
  ['sort values', (a) => a.sort(1, true).values, () => [r(2, 4)]],
  ['topk values', (a) => a.topk(2).values, () => [r(3, 4)]],
]

test('gradcheck: casts (float32 round trip, at float32 precision)', (t) => {
  const a = ft.randn([3], f64)
  t.true(ft.autograd.gradcheck((x) => x.float().double().square(), [a], { eps: 1e-2, atol: 1e-3, rtol: 1e-3 }))
})

for (const [name, fn, make] of cases) {
  test(`gradcheck: ${name}`, (t) => {
    ft.manualSeed(name.length * 7919)
    const inputs = make()
    t.true(ft.autograd.gradcheck(fn, inputs, { eps: 1e-6, atol: 1e-5, rtol: 1e-4 }))
  })
}

test('double backward: gradient penalty matches PyTorch', (t) => {
  // Values from torch 2.15: y = tanh(x @ w).sum(); g = grad(y, x, create_graph=True);
  // pen = (g.norm(2) - 1) ** 2; pen.backward().
  const x = ft.tensor([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]], f64)
  const w = ft.tensor([[0.2, -0.4], [1.1, 0.5], [-0.3, 0.8]], f64)
  const y = x.matmul(w).tanh().sum()
  const [g] = ft.autograd.grad(y, x, { createGraph: true })
  const pen = g!.norm(2).sub(1).pow(2)
  pen.backward()
  close(t, [pen.item() as number], [0.00023849376159698008])
  close(t, w.grad!.flatten().toArray(), [0.027917176330366552, -0.0073164001043439005, -0.006815118271776678, -0.0317521617276765, -0.022785999501615077, 0.02413495699591496])
  close(t, x.grad!.flatten().toArray(), [-0.0053243534334760385, 0.0029691334787681225, 0.010375646991909342, 0.008089230071011125, 0.014652939059940875, -0.014344054464340415])
})

test('double backward: Hessian-vector product matches PyTorch', (t) => {
  // torch 2.15: f = (exp(a) * a**2).sum() + sin(a[0]*a[1]) + softmax(a, 0)[1];
  // ga = grad(f, a, create_graph=True); hv = grad((ga * v).sum(), a).
  const a = ft.tensor([0.1, 0.2, -0.3], f64)
  const f = a.exp().mul(a.pow(2)).sum().add(a.index([0]).mul(a.index([1])).sin()).add(a.softmax(0).index([1]))
  const [ga] = ft.autograd.grad(f, a, { createGraph: true })
  close(t, ga!.toArray(), [0.2885796223258501, 0.8770318039802683, -0.4739856104674602])
  const v = ft.tensor([1.0, -2.0, 0.5], { dtype: 'float64' })
  const [hv] = ft.autograd.grad(ga!.mul(v).sum(), a)
  close(t, hv!.toArray(), [0.7168511538100343, -6.074360832794007, 0.4132680267333054])
})

test('in-place changes to saved tensors are caught; leaves refuse in-place ops', (t) => {
  const x = ft.tensor([1, 2, 3], f64)
  const y = x.mul(2)
  const z = y.sin() // saves its input y
  y.add_(1)
  t.throws(() => z.sum().backward(), { message: /modified by an inplace operation/ })
  const e = x.mul(2).exp() // saves its output
  e.add_(1)
  t.throws(() => e.sum().backward(), { message: /modified by an inplace operation/ })
  t.throws(() => x.add_(1), { message: /a leaf Variable that requires grad is being used in an in-place operation/ })
  ft.noGrad(() => x.add_(1))
  t.deepEqual(x.toArray(), [2, 3, 4])
  // In-place on a non-leaf keeps gradients flowing through the new history.
  const a = ft.tensor([1, 2], f64)
  const b = a.mul(3)
  b.mul_(2)
  b.sum().backward()
  t.deepEqual(a.grad!.toArray(), [6, 6])
})

test('hooks, retainGrad and detach', (t) => {
  const x = ft.tensor([1, 2], f64)
  const seen: number[][] = []
  const hook = x.registerHook((g) => {
    seen.push(g.toArray())
    return g.mul(10)
  })
  const m = x.mul(3)
  m.retainGrad()
  m.registerHook((g) => g.add(1))
  m.sum().backward()
  t.deepEqual(m.grad!.toArray(), [2, 2])
  t.deepEqual(seen, [[6, 6]])
  t.deepEqual(x.grad!.toArray(), [60, 60])
  hook.remove()
  const d = x.detach()
  t.false(d.requiresGrad)
  t.true(d.isLeaf)
  t.throws(() => ft.tensor([1.5]).registerHook((g) => g), { message: /doesn't require gradient/ })
})

test('autograd.Function runs a JS forward and backward inside the Rust tape', (t) => {
  class Cube extends ft.autograd.Function {
    static forward(ctx: any, x: Tensor, k: number): Tensor {
      ctx.saveForBackward(x)
      ctx.k = k
      return x.pow(3).mul(k)
    }
    static backward(ctx: any, g: Tensor): (Tensor | null)[] {
      const [x] = ctx.savedTensors
      return [g.mul(x.pow(2)).mul(3 * ctx.k), null]
    }
  }
  const x = ft.tensor([1, 2], f64)
  const y = Cube.apply(x, 2)
  t.is(y.gradFn!.name(), 'CubeBackward')
  y.exp().sum().backward()
  const ex = [1, 2].map((v) => Math.exp(2 * v ** 3) * 6 * v ** 2)
  close(t, x.grad!.toArray(), ex)
  t.true(ft.autograd.gradcheck((a) => Cube.apply(a, 0.5), [ft.randn([3], f64)]))
})

test('detectAnomaly names the op whose backward produced NaN', (t) => {
  const x = ft.tensor([-1, 4], f64)
  const y = x.sqrt().sum()
  t.throws(() => ft.autograd.detectAnomaly(() => y.backward()), { message: /Function 'SqrtBackward0' returned nan values in its 0th output/ })
  const z = ft.tensor([-1, 4], f64).sqrt().sum()
  t.notThrows(() => z.backward())
})

test('noGrad, enableGrad and inferenceMode', (t) => {
  const x = ft.tensor([1, 2], f64)
  const y = ft.noGrad(() => x.mul(2))
  t.false(y.requiresGrad)
  t.is(y.gradFn, null)
  const z = ft.noGrad(() => ft.enableGrad(() => x.mul(2)))
  t.true(z.requiresGrad)
  t.false(ft.inferenceMode(() => x.exp()).requiresGrad)
  t.true(ft.isGradEnabled())
})

test.serial('a 10,000-step training loop keeps memory flat (after a 10,000-step warm-up)', (t) => {
  const w = ft.randn([8, 1], { requiresGrad: true })
  const X = ft.randn(32, 8)
  const y = ft.randn(32, 1)
  const live0 = ft._internal.liveHandles()
  let rss20 = 0
  for (let step = 0; step < 20000; step++) {
    const loss = X.matmul(w).sub(y).square().mean()
    loss.backward()
    ft.noGrad(() => w.sub_(w.grad!.mul(0.01)))
    w.grad = null
    if (step === 10000) {
      ;(globalThis as any).gc?.()
      rss20 = process.memoryUsage().rss
    }
  }
  ;(globalThis as any).gc?.()
  const grew = (process.memoryUsage().rss - rss20) / 2 ** 20
  t.log(`RSS growth over steps 10000-20000: ${grew.toFixed(1)} MiB; live handles ${ft._internal.liveHandles() - live0}`)
  t.true(grew < 8)
  t.true(ft._internal.liveHandles() - live0 < 5000)
})

// torch.cuda: on a machine without a GPU every CUDA request is a clear JS error and the
// queries say so; with a GPU, a model moved with `.to('cuda')` trains and matches the CPU.
// (The conformance cases also run on CUDA when a device is present: conformance.spec.ts.)
import test from 'ava'
import * as ft from '../src/index'

const gpu = ft.cuda.isAvailable()

test('the CUDA backend is compiled in and reports its devices', (t) => {
  t.true(ft.cuda.isCompiled())
  t.is(ft.cuda.deviceCount() > 0, gpu)
})

test('device strings parse as in PyTorch', (t) => {
  t.throws(() => ft.zeros([2], { device: 'gpu' as any }), { message: /Expected one of cpu, cuda device type/ })
  t.throws(() => ft.cuda.synchronize('tpu:0'), { instanceOf: TypeError })
})

if (!gpu) {
  test('without a GPU, CUDA requests throw PyTorch\'s error', (t) => {
    const msg = /Found no NVIDIA driver on your system/
    t.throws(() => ft.zeros([2], { device: 'cuda' }), { message: msg })
    t.throws(() => ft.tensor([1, 2]).cuda(), { message: msg })
    t.throws(() => ft.tensor([1, 2]).to('cuda:1'), { message: msg })
    t.throws(() => ft.randn([3], { device: 'cuda' }), { message: msg })
    t.throws(() => new ft.nn.Linear(2, 2).to('cuda'), { message: msg })
    t.throws(() => ft.cuda.memoryAllocated(), { message: msg })
    t.throws(() => ft.cuda.synchronize(), { message: msg })
    ft.cuda.emptyCache() // a no-op without devices
    ft.cuda.manualSeed(1)
    t.is(ft.tensor([1, 2]).cpu().device, 'cpu')
  })
} else {
  test('tensors move between devices and ops across devices throw', (t) => {
    const x = ft.tensor([[1, 2], [3, 4]], { dtype: 'float32' })
    const g = x.cuda()
    t.is(g.device, 'cuda:0')
    t.deepEqual(Array.from(g.mul(2).cpu().toTypedArray() as Float32Array), [2, 4, 6, 8])
    t.throws(() => g.add(x), { message: /Expected all tensors to be on the same device|cuda:0.*cpu|cpu.*cuda:0/ })
    t.is(ft.zeros([3], { device: 'cuda' }).device, 'cuda:0')
  })

  test('a model trained on CUDA follows the CPU trajectory', (t) => {
    const run = (device: string) => {
      ft.manualSeed(3)
      const model = new ft.nn.Sequential(new ft.nn.Linear(8, 16), new ft.nn.ReLU(), new ft.nn.Linear(16, 3)).to(device)
      const opt = new ft.optim.Adam(model.parameters(), { lr: 1e-2 })
      const x = ft.linspace(-1, 1, 64).reshape([8, 8]).to(device)
      const y = ft.tensor([0, 1, 2, 0, 1, 2, 0, 1]).to(device)
      const losses: number[] = []
      for (let i = 0; i < 20; i++) {
        opt.zeroGrad()
        const loss = ft.nn.functional.crossEntropy(model.forward(x), y)
        loss.backward()
        opt.step()
        losses.push(Number(loss.item()))
      }
      return losses
    }
    const cpu = run('cpu')
    const cuda = run('cuda')
    cuda.forEach((l, i) => t.true(Math.abs(l - cpu[i]) < 1e-4 * Math.max(1, Math.abs(cpu[i])), `step ${i}: ${l} vs ${cpu[i]}`))
    t.true(cuda[19] < cuda[0])
  })

  test('the caching allocator reports and releases memory', (t) => {
    ft.cuda.synchronize()
    const before = ft.cuda.memoryAllocated()
    const x = ft.zeros([1 << 20], { device: 'cuda' })
    t.is(ft.cuda.memoryAllocated() - before, 4 << 20)
    t.true(ft.cuda.maxMemoryAllocated() >= ft.cuda.memoryAllocated())
    x.dispose()
    t.is(ft.cuda.memoryAllocated(), before)
    t.true(ft.cuda.memoryReserved() >= 4 << 20)
    ft.cuda.emptyCache()
    t.is(ft.cuda.memoryReserved(), ft.cuda.memoryAllocated())
  })
}

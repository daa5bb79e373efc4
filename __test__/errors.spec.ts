// Bad input throws a JS error of the class API.md names, naming the op and what was at
// fault; the process survives and the operands are left unchanged.
import test from 'ava'
import * as ft from '../src/index'

function unchanged(t: any, x: ft.Tensor, before: any): void {
  t.deepEqual(x.toArray(), before)
}

test('shape mistakes name the op and the shapes', (t) => {
  const a = ft.ones(2, 3)
  const b = ft.ones(4, 5)
  t.throws(() => a.matmul(b), { instanceOf: Error, message: 'matmul: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)' })
  t.throws(() => a.add(ft.ones(4)), { message: /add: The size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1/ })
  t.throws(() => a.view(4), { message: /view: shape '\[4\]' is invalid for input of size 6/ })
  t.throws(() => ft.cat([a, b]), { message: /cat: Sizes of tensors must match except in dimension 0/ })
  t.throws(() => ft.stack([a, b]), { message: /stack expects each tensor to be equal size/ })
  t.throws(() => a.expand(3, 3), { message: /expand: The expanded size/ })
  t.throws(() => ft.bmm(a, a), { message: /bmm/ })
  unchanged(t, a, [[1, 1, 1], [1, 1, 1]])
})

test('dims and indices out of range are RangeErrors', (t) => {
  const a = ft.arange(6).reshape(2, 3)
  t.throws(() => a.sum(2), { instanceOf: RangeError, message: /sum: Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)/ })
  t.throws(() => a.transpose(0, -3), { instanceOf: RangeError })
  t.throws(() => a.index([5]), { instanceOf: RangeError, message: /index 5 is out of bounds for dimension 0 with size 2/ })
  t.throws(() => a.select(1, 3), { instanceOf: RangeError })
  t.throws(() => a.gather(1, ft.tensor([[0, 3]])), { instanceOf: RangeError, message: /gather: index 3 is out of bounds/ })
  t.throws(() => a.index([ft.tensor([0, 7])]), { instanceOf: RangeError })
  t.throws(() => a.indexSelect(0, ft.tensor([-1])), { instanceOf: RangeError })
  t.throws(() => a.size(4), { instanceOf: RangeError })
  unchanged(t, a, [[0, 1, 2], [3, 4, 5]])
})

test('wrong dtypes and argument kinds are TypeErrors', (t) => {
  const f = ft.ones(2)
  t.throws(() => f.bitwiseAnd(f), { instanceOf: TypeError, message: /bitwise_and/ })
  t.throws(() => f.gather(0, ft.tensor([0.5])), { instanceOf: TypeError, message: /Expected dtype int64 for index/ })
  t.throws(() => ft.where(f, f, f), { instanceOf: TypeError, message: /where expected condition to be a boolean tensor/ })
  t.throws(() => f.maskedFill(f, 0), { instanceOf: TypeError, message: /masked_fill_ only supports boolean masks/ })
  t.throws(() => f.index([f]), { instanceOf: TypeError, message: /tensors used as indices must be long/ })
  t.throws(() => f.add('x' as any), { instanceOf: TypeError, message: /add\(\): argument 'other' must be Tensor or Number/ })
  t.throws(() => f.matmul(3 as any), { instanceOf: TypeError })
  t.throws(() => ft.zeros([2], { dtype: 'float128' as any }), { instanceOf: TypeError, message: /invalid dtype 'float128'/ })
  t.throws(() => f.sum({ dims: 0 } as any), { instanceOf: TypeError, message: /unexpected keyword argument 'dims'/ })
  t.throws(() => ft.tensor(['a'] as any), { instanceOf: TypeError })
  t.throws(() => ft.ones(2, { dtype: 'float64' }).matmul(ft.ones(2)), { instanceOf: TypeError, message: /same dtype/ })
  t.throws(() => ft.tensor([true]).neg(), { instanceOf: TypeError })
  t.throws(() => ft.tensor([1, 2]).div(0, { roundingMode: 'floor' }), { message: /ZeroDivisionError/ })
})

test('devices: unknown names, and cuda without a GPU, throw', (t) => {
  t.throws(() => ft.zeros(2, { device: 'tpu' }), { instanceOf: TypeError, message: /Expected one of cpu, cuda/ })
  if (!ft.cuda.isAvailable()) {
    t.false(ft.cuda.isAvailable())
    t.is(ft.cuda.deviceCount(), 0)
    t.throws(() => ft.ones(2).cuda(), { message: /CUDA|cuda/ })
  } else {
    t.pass()
  }
})

test('a disposed tensor cannot be used; disposing a view leaves its base', (t) => {
  const a = ft.ones(3)
  const v = a.index([[0, 2]])
  v.dispose()
  t.deepEqual(a.toArray(), [1, 1, 1])
  a.dispose()
  t.throws(() => a.add(1), { message: 'Tensor has been disposed' })
  t.throws(() => a.shape, { message: 'Tensor has been disposed' })
  t.notThrows(() => a.dispose(), 'dispose twice is harmless')
})

test('fuzz: random bad calls throw JS errors and never crash the process', (t) => {
  const ops: ((x: ft.Tensor, n: number) => unknown)[] = [
    (x, n) => x.sum(n), (x, n) => x.reshape(n, -1), (x, n) => x.view(n), (x, n) => x.narrow(n, n, n),
    (x, n) => x.index([n, n]), (x, n) => x.transpose(n, -n), (x, n) => x.expand(n, n),
    (x, n) => x.topk(n), (x, n) => x.split(n), (x, n) => x.chunk(n), (x, n) => x.repeat(n),
    (x, n) => x.permute(n, 0), (x, n) => x.roll(n, n), (x, n) => x.max(n), (x, n) => x.cumsum(n),
    (x, n) => x.gather(0, ft.tensor([n])), (x, n) => x.indexSelect(0, ft.tensor([n])),
    (x, n) => x.matmul(ft.ones(n === 0 ? 1 : Math.abs(n))), (x, n) => x.unflatten(0, [n, -1]),
    (x, n) => ft.tensor(new Float32Array(4), { shape: [n, 2] }), (x, n) => x.index([[n, null, n]]),
    (x, n) => x.flatten(n, -n), (x, n) => x.squeeze(n), (x, n) => x.tril(n).triu(-n),
  ]
  let errors = 0
  let seed = 12345
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
  for (let i = 0; i < 2000; i++) {
    const shape = Array.from({ length: Math.floor(rnd() * 4) }, () => Math.floor(rnd() * 4))
    const x = ft.zeros(shape)
    const n = Math.floor(rnd() * 13) - 6
    try {
      ops[i % ops.length](x, n)
    } catch (e) {
      t.true(e instanceof Error)
      t.false(/internal error/.test((e as Error).message), (e as Error).message)
      errors++
    }
  }
  t.true(errors > 100)
})

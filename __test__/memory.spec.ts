// Native memory: dispose() frees at once; the GC frees what users drop; a long loop of
// small ops stays flat; the addon works in several worker_threads at once.
import test from 'ava'
import * as path from 'node:path'
import { Worker } from 'node:worker_threads'
import * as ft from '../src/index'

const tick = () => new Promise((r) => setImmediate(r))

test.serial('dispose() releases the native handle at once', (t) => {
  const before = ft._internal.liveHandles()
  const xs = Array.from({ length: 100 }, () => ft.ones(10))
  t.is(ft._internal.liveHandles(), before + 100)
  for (const x of xs) x.dispose()
  t.is(ft._internal.liveHandles(), before)
})

test.serial('a loop of 100,000 small ops keeps RSS and live handles flat', async (t) => {
  const a = ft.randn(16)
  const b = ft.randn(16)
  const rss: number[] = []
  for (let round = 0; round < 100; round++) {
    for (let i = 0; i < 1000; i++) a.add(b).mul(2)
    // Let finalizers run, as any loop with an await (a DataLoader, a request) does.
    await tick()
    if ((globalThis as any).gc) (globalThis as any).gc()
    await tick()
    if (round === 20 || round === 99) rss.push(process.memoryUsage().rss)
  }
  const growthMb = (rss[1] - rss[0]) / 2 ** 20
  t.log(`RSS growth from round 20 to 100: ${growthMb.toFixed(1)} MiB; live handles ${ft._internal.liveHandles()}`)
  t.true(growthMb < 40, `RSS grew ${growthMb.toFixed(1)} MiB`)
  t.true(ft._internal.liveHandles() < 150000)
})

test.serial('a synchronous loop frees dropped tensors as it goes (no await needed)', (t) => {
  const a = ft.randn(1 << 20)
  const start = process.memoryUsage().rss
  for (let i = 0; i < 300; i++) a.add(1) // 4 MiB each: 1.2 GiB if nothing were freed
  const grew = (process.memoryUsage().rss - start) / 2 ** 20
  t.log(`RSS growth after 1.2 GiB of dropped tensors in a sync loop: ${grew.toFixed(0)} MiB; live handles ${ft._internal.liveHandles()}`)
  t.true(grew < 300, `RSS grew ${grew.toFixed(0)} MiB`)
  const before = ft._internal.liveHandles()
  for (let i = 0; i < 100000; i++) a.index([[0, 4]]).mul(2)
  t.true(ft._internal.liveHandles() - before < 20000, `live handles grew by ${ft._internal.liveHandles() - before}`)
})

test.serial('works in several worker_threads at once and in the main thread', async (t) => {
  const dist = path.resolve(__dirname, '..', 'dist', 'index.js')
  const code = `
    const { parentPort, workerData } = require('node:worker_threads')
    const ft = require(${JSON.stringify(dist)})
    const x = ft.arange(workerData * 10, workerData * 10 + 6, { dtype: 'float64' }).reshape(2, 3)
    const s = x.matmul(x.t()).sum().item()
    parentPort.postMessage(s)
  `
  const expected = (k: number) => {
    const x = ft.arange(k * 10, k * 10 + 6, { dtype: 'float64' }).reshape(2, 3)
    return x.matmul(x.t()).sum().item()
  }
  const results = await Promise.all(
    [1, 2, 3].map(
      (k) =>
        new Promise<number>((resolve, reject) => {
          const w = new Worker(code, { eval: true, workerData: k })
          w.once('message', resolve)
          w.once('error', reject)
        }),
    ),
  )
  t.deepEqual(results, [1, 2, 3].map(expected))
})

// safetensors and .npy: round trips, interop with PyTorch/numpy when python3 has them,
// and clean errors for truncated, corrupt or hostile files.
import test from 'ava'
import { mkdtempSync, writeFileSync, readFileSync, existsSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import * as ft from '../src/index'

const dir = mkdtempSync(path.join(tmpdir(), 'ft-io-'))
const hasTorch = spawnSync('python3', ['-c', 'import torch, safetensors, numpy'], { encoding: 'utf8' }).status === 0

function py(code: string): string {
  const r = spawnSync('python3', ['-c', code], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(r.stderr)
  return r.stdout.trim()
}

test('safetensors round trip keeps names, dtypes, shapes and values', (t) => {
  const d = {
    w: ft.randn(3, 4),
    b: ft.tensor([1, 2, 3], { dtype: 'float64' }),
    i: ft.tensor([[1, -2], [3, 4]]),
    m: ft.tensor([true, false, true]),
    h: ft.tensor([1.5, -2], { dtype: 'float16' }),
    s: ft.tensor(7.5),
  }
  const f = path.join(dir, 'a.safetensors')
  ft.save(d, f)
  t.false(existsSync(`${f}.tmp`))
  const back = ft.load(f)
  t.deepEqual(Object.keys(back), Object.keys(d))
  for (const [k, v] of Object.entries(d)) {
    t.is(back[k].dtype, v.dtype, k)
    t.deepEqual(back[k].shape, v.shape, k)
    t.deepEqual(back[k].toArray(), v.toArray(), k)
  }
  // Header as the spec lays it out: u64 length, JSON, 8-byte aligned.
  const raw = readFileSync(f)
  const n = Number(raw.readBigUInt64LE(0))
  t.is(n % 8, 0)
  const header = JSON.parse(raw.subarray(8, 8 + n).toString())
  t.deepEqual(header.w, { dtype: 'F32', shape: [3, 4], data_offsets: [0, 48] })
})

test('truncated, corrupt and hostile safetensors files are clean errors', (t) => {
  const f = path.join(dir, 'ok.safetensors')
  ft.save({ w: ft.ones(100) }, f)
  const good = readFileSync(f)
  const bad = (name: string, bytes: Buffer) => {
    const p = path.join(dir, name)
    writeFileSync(p, bytes)
    return p
  }
  t.throws(() => ft.load(bad('trunc', good.subarray(0, good.length - 10))), { message: /truncated/ })
  t.throws(() => ft.load(bad('short', good.subarray(0, 5))), { message: /not a safetensors file/ })
  const huge = Buffer.alloc(16)
  huge.writeBigUInt64LE(2n ** 40n) // a header "of a terabyte"
  t.throws(() => ft.load(bad('huge', huge)), { message: /header claims/ })
  const json = Buffer.from('{"w":{"dtype":"F32","shape":[1000000000],"data_offsets":[0,4000000000]}}')
  const len = Buffer.alloc(8)
  len.writeBigUInt64LE(BigInt(json.length))
  t.throws(() => ft.load(bad('lies', Buffer.concat([len, json]))), { message: /ends at byte 4000000000/ })
  const notJson = Buffer.concat([len, Buffer.alloc(json.length, 0x41)])
  t.throws(() => ft.load(bad('garbage', notJson)), { message: /not valid JSON/ })
})

test('a model trained here loads in PyTorch with the same outputs, and back', (t) => {
  if (!hasTorch) {
    t.log('python3 with torch, safetensors and numpy is not installed: checked against the format spec only (previous tests)')
    t.pass()
    return
  }
  ft.manualSeed(1)
  const model = new ft.nn.Sequential(new ft.nn.Linear(4, 8), new ft.nn.ReLU(), new ft.nn.Linear(8, 3))
  const opt = new ft.optim.Adam(model.parameters(), { lr: 0.01 })
  const x = ft.randn(16, 4)
  for (let i = 0; i < 20; i++) {
    opt.zeroGrad()
    model.call(x).square().mean().backward()
    opt.step()
  }
  const f = path.join(dir, 'model.safetensors')
  ft.save(model.stateDict(), f)
  const xf = path.join(dir, 'x.npy')
  ft.io.writeNpy(xf, x)
  const out = JSON.parse(py(`
import torch, json, numpy as np
from safetensors.torch import load_file, save_file
m = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
m.load_state_dict(load_file(${JSON.stringify(f)}))
x = torch.from_numpy(np.load(${JSON.stringify(xf)}))
torch.manual_seed(5)
m2 = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
save_file(m2.state_dict(), ${JSON.stringify(path.join(dir, 'torch.safetensors'))})
np.save(${JSON.stringify(path.join(dir, 'y2.npy'))}, m2(x).detach().numpy())
print(json.dumps(m(x).detach().flatten().tolist()))
`))
  const ours = model.call(x).flatten().toArray() as number[]
  out.forEach((v: number, i: number) => t.true(Math.abs(v - ours[i]) < 1e-5))
  // PyTorch -> ferrotorch
  const m2 = new ft.nn.Sequential(new ft.nn.Linear(4, 8), new ft.nn.ReLU(), new ft.nn.Linear(8, 3))
  m2.loadStateDict(ft.load(path.join(dir, 'torch.safetensors')))
  const y2 = ft.io.readNpy(path.join(dir, 'y2.npy'))
  t.true((m2.call(x).sub(y2).abs().max().item() as number) < 1e-5)
})

test('.npy: round trip, and numpy files in any byte order and Fortran order', (t) => {
  const a = ft.arange(6, { dtype: 'float64' }).reshape(2, 3)
  const f = path.join(dir, 'a.npy')
  ft.io.writeNpy(f, a)
  t.deepEqual(ft.io.readNpy(f).toArray(), a.toArray())
  t.deepEqual(ft.io.readNpy(f).dtype, 'float64')
  // A big-endian, Fortran-ordered int32 file written by hand per the format.
  const h = "{'descr': '>i4', 'fortran_order': True, 'shape': (2, 3), }"
  const pad = ' '.repeat(64 - ((10 + h.length + 1) % 64)) + '\n'
  const head = Buffer.alloc(10)
  head.write('\x93NUMPY', 0, 'latin1')
  head[6] = 1
  head.writeUInt16LE(h.length + pad.length, 8)
  const data = Buffer.alloc(24)
  ;[0, 3, 1, 4, 2, 5].forEach((v, i) => data.writeInt32BE(v, i * 4)) // column-major
  const g = path.join(dir, 'f.npy')
  writeFileSync(g, Buffer.concat([head, Buffer.from(h + pad, 'latin1'), data]))
  t.deepEqual(ft.io.readNpy(g).toArray(), [[0, 1, 2], [3, 4, 5]])
  if (hasTorch) {
    const v = py(`import numpy as np; print(np.load(${JSON.stringify(f)}).sum())`)
    t.is(Number(v), 15)
  }
  writeFileSync(path.join(dir, 'bad.npy'), Buffer.concat([head, Buffer.from(h + pad, 'latin1'), data.subarray(0, 8)]))
  t.throws(() => ft.io.readNpy(path.join(dir, 'bad.npy')), { message: /truncated data/ })
})

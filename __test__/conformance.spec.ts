// Conformance against golden values recorded from PyTorch (see fixtures/conformance/FORMAT.md).
// Every case of every family becomes one ava test titled by its case id; ops ferrotorch does not
// have yet are registered with `test.todo` so they stay visible in the counts.
//
// Scope: forward outputs. Gradients (`grads`) are checked in one place, `checkGrads` below, which
// the autograd work fills in.
import test, { ExecutionContext } from 'ava'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import * as ft from '../src/index'
import { Tensor } from '../src/index'

// ---- fixture types ------------------------------------------------------------------------------

type Num = number | 'nan' | 'inf' | '-inf'

interface TensorJSON {
  shape: number[]
  dtype: 'float32' | 'float64' | 'int64' | 'bool'
  data: (Num | boolean)[]
  name?: string
  requires_grad?: boolean
  layout?: { transpose: [number, number] }
}

interface Tol {
  rtol: number
  atol: number
}

interface OpCase {
  id: string
  op: string
  js_op: string
  kind: 'op'
  dtype: string
  inputs: TensorJSON[]
  args: any[]
  kwargs: Record<string, any>
  output_structure: 'tensor' | 'tuple' | 'list'
  output_names?: string[]
  outputs?: TensorJSON[]
  mutated?: Record<string, TensorJSON>
  upstream?: (TensorJSON | null)[]
  grads?: Record<string, TensorJSON>
  tol: Tol
  expect_error?: boolean
  error?: string
  tags?: string[]
  note?: string
}

interface OptimizerCase {
  id: string
  op: string
  js_op: string
  kind: 'optimizer'
  dtype: string
  hyperparams: Record<string, any>
  param: TensorJSON
  grads_seq: TensorJSON[]
  params_after: TensorJSON[]
  tol: Tol
}

type Case = OpCase | OptimizerCase

interface CaseFile {
  format_version: number
  family: string
  set: string
  cases: Case[]
}

/**
 * The public cases ship in `fixtures/conformance` (copied from the shared conformance set).
 * `FERROTORCH_CONFORMANCE_DIR=/path/to/cases` runs another set in the same format (the held-out one).
 */
const DEFAULT_FIXTURES = join(__dirname, 'fixtures', 'conformance')
const FIXTURES = process.env.FERROTORCH_CONFORMANCE_DIR || DEFAULT_FIXTURES

/** Families whose ops ferrotorch's tensor core covers: every case here must run as a real test. */
const REQUIRED_FAMILIES = new Set(['unary', 'binary', 'comparison', 'reduction', 'shape', 'indexing', 'linalg'])
/** Ops outside those families that must also run for real. */
const REQUIRED_OPS = new Set(['nn.functional.softmax', 'nn.functional.log_softmax'])

// ---- helpers ------------------------------------------------------------------------------------

function camel(s: string): string {
  return s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())
}

function num(v: Num | boolean): number {
  if (v === 'nan') return NaN
  if (v === 'inf') return Infinity
  if (v === '-inf') return -Infinity
  return Number(v)
}

/** A literal from args/kwargs: the strings "inf", "-inf", "nan" are floats, other strings stay. */
function literal(v: any): any {
  if (v === 'inf' || v === '-inf' || v === 'nan') return num(v)
  return v
}

/** Builds a tensor from its JSON (on `device`), with the column-major layout PyTorch used when `layout` is set. */
function makeTensor(j: TensorJSON, device = 'cpu'): Tensor {
  const shape = j.shape
  let t: Tensor
  switch (j.dtype) {
    case 'float64':
      t = ft.tensor(Float64Array.from(j.data, (v) => num(v as Num)), { shape, dtype: 'float64' })
      break
    case 'float32':
      t = ft.tensor(Float32Array.from(j.data, (v) => num(v as Num)), { shape, dtype: 'float32' })
      break
    case 'int64':
      t = ft.tensor(BigInt64Array.from(j.data, (v) => BigInt(v as number)), { shape, dtype: 'int64' })
      break
    case 'bool':
      t = ft.tensor(Uint8Array.from(j.data, (v) => (v ? 1 : 0)), { shape, dtype: 'bool' })
      break
    default:
      throw new Error(`unknown dtype ${(j as any).dtype}`)
  }
  if (device !== 'cpu') t = t.to(device)
  if (j.layout?.transpose) {
    const [d0, d1] = j.layout.transpose
    t = t.transpose(d0, d1).contiguous().transpose(d0, d1)
  }
  return t
}

/** Resolves refs, tensor lists, slices and literals of `args`/`kwargs`. */
function resolve(v: any, env: Map<string, Tensor>): any {
  if (Array.isArray(v)) return v.map((x) => resolve(x, env))
  if (v !== null && typeof v === 'object') {
    if ('ref' in v) {
      const t = env.get(v.ref)
      if (!t) throw new Error(`unknown input ref '${v.ref}'`)
      return t
    }
    if ('slice' in v) return (v.slice as (number | null)[]).slice()
    const out: Record<string, any> = {}
    for (const k of Object.keys(v)) out[k] = resolve(v[k], env)
    return out
  }
  return literal(v)
}

type OpFn = (args: any[], kwargs: Record<string, any>) => any

/** Calls `fn(...args, kwargs)`, leaving the options object out when there are no kwargs. */
function call(fn: (...a: any[]) => any, self: any, args: any[], kwargs: Record<string, any>): any {
  const opts: Record<string, any> = {}
  for (const k of Object.keys(kwargs)) opts[camel(k)] = kwargs[k]
  return Object.keys(opts).length ? fn.apply(self, [...args, opts]) : fn.apply(self, args)
}

/** Maps a PyTorch op name to the ferrotorch call, or undefined when ferrotorch lacks it. */
function resolveOp(op: string): OpFn | undefined {
  if (op === 'Tensor.__getitem__') {
    // args: [input, [per-dim index, ...]]; slices arrive as [start, stop, step] arrays.
    return ([x, spec]) => (x as Tensor).index(Array.isArray(spec) ? spec : [spec])
  }
  if (op.startsWith('Tensor.')) {
    const name = camel(op.slice(7))
    if (typeof (Tensor.prototype as any)[name] !== 'function') return undefined
    return ([self, ...rest], kw) => call((self as any)[name], self, rest, kw)
  }
  if (op.startsWith('nn.functional.')) {
    const fn = (ft.nn.functional as any)[camel(op.slice(14))]
    if (typeof fn !== 'function') return undefined
    return (args, kw) => call(fn, undefined, args, kw)
  }
  const name = camel(op)
  const fn = (ft as any)[name] ?? (ft as any)[name + '_'] // `var` is exported as `var_`
  if (typeof fn !== 'function') return undefined
  return (args, kw) => call(fn, undefined, args, kw)
}

/** The outputs of a call as a list, in the order of the case's `outputs`. */
function outputList(c: OpCase, r: any): Tensor[] {
  if (c.output_structure === 'tensor') return [r]
  if (c.output_structure === 'tuple') return (c.output_names ?? []).map((n, i) => r[n] ?? r[i])
  return Array.from(r as Tensor[])
}

// ---- comparison ---------------------------------------------------------------------------------

function values(t: Tensor): number[] {
  const a = t.toTypedArray() as ArrayLike<number | bigint>
  return Array.from(a, (x) => Number(x))
}

function fmt(v: number): string {
  return Number.isNaN(v) ? 'nan' : String(v)
}

/** Checks dtype, shape and values of `got` against `exp` with the case tolerance. */
function assertTensor(t: ExecutionContext, got: unknown, exp: TensorJSON, tol: Tol, what: string): void {
  if (!(got instanceof Tensor)) {
    t.fail(`${what}: expected a Tensor, got ${got === null ? 'null' : typeof got}`)
    return
  }
  t.is(got.dtype, exp.dtype, `${what}: dtype`)
  t.deepEqual(got.shape, exp.shape, `${what}: shape`)
  if (got.dtype !== exp.dtype || got.shape.length !== exp.shape.length || got.shape.some((s, i) => s !== exp.shape[i])) return
  const g = values(got)
  const e = exp.data.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : num(v)))
  const exact = exp.dtype === 'int64' || exp.dtype === 'bool'
  const bad: string[] = []
  let nbad = 0
  for (let i = 0; i < e.length; i++) {
    const gv = g[i]
    const ev = e[i]
    let ok: boolean
    if (exact) ok = gv === ev
    else if (!Number.isFinite(ev)) ok = Number.isNaN(ev) ? Number.isNaN(gv) : gv === ev
    else ok = Number.isFinite(gv) && Math.abs(gv - ev) <= tol.atol + tol.rtol * Math.abs(ev)
    if (!ok) {
      nbad++
      if (bad.length < 8) bad.push(`[${i}] got ${fmt(gv)}, expected ${fmt(ev)}`)
    }
  }
  if (nbad) t.fail(`${what}: ${nbad} of ${e.length} values differ (rtol ${tol.rtol}, atol ${tol.atol}):\n  ${bad.join('\n  ')}`)
  else t.pass()
}

// ---- gradients (autograd issue) --------------------------------------------------------------

/**
 * Gradient check: with the inputs marked `requires_grad`, `L = Σ_k sum(outputs[k] * upstream[k])`
 * over non-null upstream entries; `L.backward()`; each `input.grad` must match `c.grads[name]`
 * (a missing gradient counts as zeros, as the fixtures record unused gradients).
 */
function checkGrads(t: ExecutionContext, c: OpCase, env: Map<string, Tensor>, outputs: Tensor[], device: string): void {
  if (!c.grads || !c.upstream) return
  let loss: Tensor | undefined
  c.upstream.forEach((u, k) => {
    if (!u) return
    const term = outputs[k].mul(makeTensor(u, device)).sum()
    loss = loss ? loss.add(term) : term
  })
  if (!loss) return
  loss.backward()
  for (const [name, exp] of Object.entries(c.grads)) {
    const x = env.get(name)!
    const g = x.grad ?? ft.zerosLike(x)
    assertTensor(t, g, exp, c.tol, `grad of ${name}`)
  }
}

// ---- runners -----------------------------------------------------------------------------------

function runOpCase(t: ExecutionContext, c: OpCase, fn: OpFn, device: string): void {
  const env = new Map<string, Tensor>()
  for (const inp of c.inputs) {
    const x = makeTensor(inp, device)
    if (inp.requires_grad && c.grads) x.requiresGrad_(true)
    env.set(inp.name!, x)
  }
  const args = resolve(c.args, env) as any[]
  const kwargs = resolve(c.kwargs ?? {}, env) as Record<string, any>
  if (c.expect_error) {
    t.throws(() => {
      const r = fn(args, kwargs)
      // Lazily failing ops: reading the result must fail too.
      for (const o of outputList(c, r)) if (o instanceof Tensor) o.toTypedArray()
    }, undefined, `PyTorch raised: ${c.error ?? '(no message)'}`)
    return
  }
  const r = fn(args, kwargs)
  const outs = outputList(c, r)
  const exp = c.outputs ?? []
  t.is(outs.length, exp.length, 'number of outputs')
  for (let k = 0; k < Math.min(outs.length, exp.length); k++) {
    const name = c.output_names?.[k] ?? `outputs[${k}]`
    assertTensor(t, outs[k], exp[k], c.tol, name)
    if (outs[k] instanceof Tensor) t.is(outs[k].device, device === 'cuda' ? 'cuda:0' : device, `${name}: device`)
  }
  checkGrads(t, c, env, outs, device)
}

/** `kind: "optimizer"`: three steps of a fresh optimizer on one parameter (needs ft.optim). */
function runOptimizerCase(t: ExecutionContext, c: OptimizerCase, Ctor: any, device: string): void {
  const p = makeTensor(c.param, device)
  const hp: Record<string, any> = {}
  for (const k of Object.keys(c.hyperparams)) hp[camel(k)] = c.hyperparams[k]
  const opt = new Ctor([p], hp)
  for (let i = 0; i < c.grads_seq.length; i++) {
    ;(p as any).grad = makeTensor(c.grads_seq[i], device)
    opt.step()
    assertTensor(t, p, c.params_after[i], c.tol, `param after step ${i + 1}`)
  }
}

// ---- registration --------------------------------------------------------------------------------

const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort()

test('conformance fixtures are present', (t) => {
  const want = FIXTURES === DEFAULT_FIXTURES ? 11 : 1
  t.true(files.length >= want, `expected ${want === 11 ? 'the 11' : 'some'} case files in ${FIXTURES}, found ${files.length}`)
})

/**
 * Every case runs on the CPU, and again on CUDA where a device is present (the same golden
 * values: CUDA results must match PyTorch's as the CPU ones do). Without a GPU the CUDA pass
 * is one skipped test that says so.
 */
const DEVICES = ft.cuda.isAvailable() ? ['cpu', 'cuda'] : ['cpu']
if (!ft.cuda.isAvailable()) test.skip('cuda: conformance cases on CUDA (skipped: no CUDA device on this machine)', () => {})

for (const device of DEVICES) {
  const prefix = device === 'cpu' ? '' : `${device}: `
  for (const file of files) {
    const cf = JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as CaseFile
    for (const c of cf.cases) {
      if (c.kind === 'optimizer') {
        const Ctor = (ft as any).optim?.[c.op.slice('optim.'.length)]
        if (typeof Ctor !== 'function') test.todo(`${prefix}${c.id} (${c.op}): not implemented yet`)
        else test(prefix + c.id, (t) => runOptimizerCase(t, c, Ctor, device))
        continue
      }
      const fn = resolveOp(c.op)
      const required = REQUIRED_FAMILIES.has(cf.family) || REQUIRED_OPS.has(c.op)
      if (!fn && !required) {
        test.todo(`${prefix}${c.id} (${c.op}): not implemented yet`)
        continue
      }
      test(prefix + c.id, (t) => {
        if (!fn) {
          t.fail(`${c.op}: no ferrotorch function found for it (looked for '${c.js_op}')`)
          return
        }
        runOpCase(t, c, fn, device)
      })
    }
  }
}

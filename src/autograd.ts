// ft.autograd and grad-mode helpers. The tape lives in Rust; this file holds what must be
// JavaScript: tensor hooks, user-defined Functions (their forward/backward are JS), and
// the dispatcher through which the Rust engine calls them during backward.
import { N } from './native'
import { Tensor, wrap } from './tensor'

const hooks = new Map<number, (grad: Tensor) => Tensor | void | undefined | null>()
const customs = new Map<number, { cls: typeof Function; ctx: FunctionCtx }>()
let nextId = 1

/** Called by the Rust engine: kind 0 runs hook `id`, kind 1 a custom backward. */
function dispatcher(kind: number, id: number, gradHandle: number, nInputs: number): any {
  const grad = wrap(gradHandle)
  if (kind === 0) {
    const f = hooks.get(id)
    const r = f ? f(grad) : undefined
    if (r === undefined || r === null) return undefined
    if (!(r instanceof Tensor)) throw new TypeError('a tensor hook must return a Tensor or nothing')
    return r._handle
  }
  const entry = customs.get(id)
  if (!entry) throw new Error('autograd.Function: its backward has already been freed')
  let r = (entry.cls as any).backward(entry.ctx, grad)
  if (!Array.isArray(r)) r = [r]
  if (r.length !== nInputs && !(r.length > nInputs && r.slice(nInputs).every((x: any) => x == null))) {
    throw new Error(`function ${entry.cls.name}Backward returned an incorrect number of gradients (expected ${nInputs}, got ${r.length})`)
  }
  return r.slice(0, nInputs).map((x: any) => (x instanceof Tensor ? x._handle : null))
}

/** Adds a hook on a tensor's gradient; `remove()` takes it off again. */
export function registerHook(t: Tensor, fn: (grad: Tensor) => Tensor | void): { remove(): void } {
  const id = nextId++
  hooks.set(id, fn)
  N.registerHook(t._handle, id)
  return { remove: () => void hooks.delete(id) }
}

export interface BackwardOptions {
  retainGraph?: boolean
  createGraph?: boolean
}

/** `tensor.backward(gradient?, opts)`. */
export function backwardOf(t: Tensor, gradient?: Tensor | null, opts: BackwardOptions = {}): void {
  backward([t], gradient ? [gradient] : undefined, opts)
}

function defaultGrads(outputs: Tensor[], grads?: (Tensor | null | undefined)[]): Tensor[] {
  return outputs.map((o, i) => {
    const g = grads?.[i]
    if (g) {
      if (g.shape.join() !== o.shape.join()) throw new Error(`backward: Mismatch in shape: grad_output[${i}] has a shape of [${g.shape}] and output[${i}] has a shape of [${o.shape}].`)
      return g
    }
    if (o.numel() !== 1) throw new Error('grad can be implicitly created only for scalar outputs')
    return wrap(N.full(o.shape, 1, N.dtype(o._handle), o.device))
  })
}

/** `torch.autograd.backward(tensors, gradTensors, {retainGraph, createGraph})`. */
export function backward(tensors: Tensor | Tensor[], gradTensors?: (Tensor | null)[] | Tensor, opts: BackwardOptions = {}): void {
  const outs = Array.isArray(tensors) ? tensors : [tensors]
  const gs = gradTensors instanceof Tensor ? [gradTensors] : gradTensors
  const grads = defaultGrads(outs, gs)
  const retain = opts.retainGraph ?? opts.createGraph ?? false
  N.backward(outs.map((t) => t._handle), grads.map((g) => g._handle), retain, !!opts.createGraph, dispatcher)
}

export interface GradOptions extends BackwardOptions {
  gradOutputs?: (Tensor | null)[] | Tensor
  allowUnused?: boolean
}

/** `torch.autograd.grad(outputs, inputs, {gradOutputs, retainGraph, createGraph, allowUnused})`. */
export function grad(outputs: Tensor | Tensor[], inputs: Tensor | Tensor[], opts: GradOptions = {}): (Tensor | null)[] {
  const outs = Array.isArray(outputs) ? outputs : [outputs]
  const ins = Array.isArray(inputs) ? inputs : [inputs]
  const go = opts.gradOutputs instanceof Tensor ? [opts.gradOutputs] : opts.gradOutputs
  const grads = defaultGrads(outs, go)
  const retain = opts.retainGraph ?? opts.createGraph ?? false
  const hs: (number | null)[] = N.autogradGrad(outs.map((t) => t._handle), grads.map((g) => g._handle), ins.map((t) => t._handle), retain, !!opts.createGraph, dispatcher)
  return hs.map((h, i) => {
    if (h === null || h === undefined) {
      if (!opts.allowUnused) throw new Error(`One of the differentiated Tensors (input ${i}) appears to not have been used in the graph. Set allowUnused=true if this is the desired behavior.`)
      return null
    }
    return wrap(h)
  })
}

function withMode<T>(on: boolean, fn: () => T): T {
  const prev = N.setGradEnabled(on)
  try {
    const r = fn()
    if (r && typeof (r as any).then === 'function') {
      throw new TypeError('noGrad/enableGrad take a synchronous function (grad mode is per thread and would leak across awaits)')
    }
    return r
  } finally {
    N.setGradEnabled(prev)
  }
}

/** `torch.no_grad()`: runs `fn` without recording. */
export function noGrad<T>(fn: () => T): T {
  return withMode(false, fn)
}

/** `torch.enable_grad()`. */
export function enableGrad<T>(fn: () => T): T {
  return withMode(true, fn)
}

/** `torch.inference_mode()`: like noGrad here (no version-counter opt-out). */
export function inferenceMode<T>(fn: () => T): T {
  return withMode(false, fn)
}

export function setGradEnabled(on: boolean): void {
  N.setGradEnabled(on)
}

export function isGradEnabled(): boolean {
  return N.isGradEnabled()
}

/** `torch.autograd.detect_anomaly()`: backward names the op whose gradient was NaN/Inf. */
export function detectAnomaly<T>(fn: () => T): T {
  const prev = N.setAnomalyEnabled(true)
  try {
    return fn()
  } finally {
    N.setAnomalyEnabled(prev)
  }
}

/** The `ctx` of a custom Function. */
export class FunctionCtx {
  savedTensors: Tensor[] = []
  needsInputGrad: boolean[] = [];
  [key: string]: any
  saveForBackward(...tensors: Tensor[]): void {
    this.savedTensors = tensors
  }
}

/**
 * `torch.autograd.Function`: subclass with `static forward(ctx, ...args)` and
 * `static backward(ctx, gradOutput)` returning one gradient per input (null for
 * non-tensors), then call `MyFn.apply(...args)`. One tensor output per Function.
 */
export class Function {
  static forward(_ctx: FunctionCtx, ..._args: any[]): Tensor {
    throw new Error('autograd.Function subclasses must implement static forward(ctx, ...args)')
  }

  static backward(_ctx: FunctionCtx, ..._grads: Tensor[]): (Tensor | null)[] | Tensor | null {
    throw new Error('autograd.Function subclasses must implement static backward(ctx, ...grads)')
  }

  static apply(...args: any[]): Tensor {
    const ctx = new FunctionCtx()
    ctx.needsInputGrad = args.map((a) => a instanceof Tensor && a.requiresGrad)
    const out = noGrad(() => (this as any).forward(ctx, ...args))
    if (!(out instanceof Tensor)) throw new TypeError(`${this.name}.forward must return one Tensor`)
    const tensorArgs = args.map((a) => (a instanceof Tensor ? a : null))
    if (!isGradEnabled() || !ctx.needsInputGrad.some(Boolean)) return out
    const id = nextId++
    customs.set(id, { cls: this as any, ctx })
    // Non-tensor arguments get a stand-in that never requires grad.
    const handles = tensorArgs.map((t) => (t ?? scalarStandIn)._handle)
    return wrap(N.recordCustom(out._handle, handles, id, `${this.name}Backward`))
  }
}

let standIn: Tensor | undefined
const scalarStandIn = new Proxy({} as Tensor, {
  get(_t, p) {
    standIn ??= wrap(N.full([], 0, 7, 'cpu'))
    return (standIn as any)[p]
  },
})

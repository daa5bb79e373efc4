// nn.Module: parameters, buffers and children are found by walking the module's own
// fields, in the order they were assigned (PyTorch's registration order).
import { N } from '../native'
import { Tensor, toTarget, wrap } from '../tensor'
import { noGrad } from '../autograd'
import { DType } from '../dtype'

/** A Tensor that a Module owns as a learnable parameter (`requiresGrad` by default). */
export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad = true) {
    super(N.detach(data._handle))
    if (requiresGrad) this.requiresGrad_(true)
  }
}

type Hook = (module: Module, input: any[], output?: any) => any

export class Module {
  training = true
  /** Names of fields that hold buffers (tensors saved in stateDict but not learned). */
  _bufferNames = new Map<string, boolean>()
  _preHooks = new Map<number, Hook>()
  _hooks = new Map<number, Hook>()
  _hookId = 0

  /** Subclasses implement the computation. */
  forward(..._args: any[]): any {
    throw new Error(`Module [${this.constructor.name}] is missing the required "forward" function`)
  }

  /** `module(x)`: runs forward pre-hooks, `forward`, then forward hooks. */
  call(...args: any[]): any {
    for (const h of this._preHooks.values()) {
      const r = h(this, args)
      if (r !== undefined) args = Array.isArray(r) ? r : [r]
    }
    let out = this.forward(...args)
    for (const h of this._hooks.values()) {
      const r = h(this, args, out)
      if (r !== undefined) out = r
    }
    return out
  }

  registerForwardPreHook(fn: Hook): { remove(): void } {
    const id = this._hookId++
    this._preHooks.set(id, fn)
    return { remove: () => void this._preHooks.delete(id) }
  }

  registerForwardHook(fn: Hook): { remove(): void } {
    const id = this._hookId++
    this._hooks.set(id, fn)
    return { remove: () => void this._hooks.delete(id) }
  }

  registerBuffer(name: string, tensor: Tensor | null, persistent = true): void {
    ;(this as any)[name] = tensor
    this._bufferNames.set(name, persistent)
  }

  registerParameter(name: string, param: Parameter | null): void {
    ;(this as any)[name] = param
  }

  registerModule(name: string, module: Module | null): void {
    ;(this as any)[name] = module
  }

  addModule(name: string, module: Module | null): void {
    this.registerModule(name, module)
  }

  ownEntries(): [string, any][] {
    return Object.entries(this).filter(([k]) => !k.startsWith('_'))
  }

  *namedChildren(): Generator<[string, Module]> {
    for (const [k, v] of this.ownEntries()) if (v instanceof Module) yield [k, v]
  }

  children(): Module[] {
    return [...this.namedChildren()].map(([, m]) => m)
  }

  *namedModules(prefix = '', memo = new Set<Module>()): Generator<[string, Module]> {
    if (memo.has(this)) return
    memo.add(this)
    yield [prefix, this]
    for (const [k, m] of this.namedChildren()) yield* m.namedModules(prefix ? `${prefix}.${k}` : k, memo)
  }

  modules(): Module[] {
    return [...this.namedModules()].map(([, m]) => m)
  }

  /** `[name, parameter]` pairs, PyTorch's names (`0.weight`, `layer1.bn.bias`). */
  namedParameters(prefix = '', recurse = true): [string, Parameter][] {
    const out: [string, Parameter][] = []
    const seen = new Set<Tensor>()
    const mods: [string, Module][] = recurse ? [...this.namedModules(prefix)] : [[prefix, this]]
    for (const [p, m] of mods) {
      for (const [k, v] of m.ownEntries()) {
        if (v instanceof Parameter && !seen.has(v)) {
          seen.add(v)
          out.push([p ? `${p}.${k}` : k, v])
        }
      }
    }
    return out
  }

  parameters(recurse = true): Parameter[] {
    return this.namedParameters('', recurse).map(([, p]) => p)
  }

  namedBuffers(prefix = '', recurse = true, persistentOnly = false): [string, Tensor][] {
    const out: [string, Tensor][] = []
    const mods: [string, Module][] = recurse ? [...this.namedModules(prefix)] : [[prefix, this]]
    for (const [p, m] of mods) {
      for (const [k, persistent] of m._bufferNames) {
        const v = (m as any)[k]
        if (v instanceof Tensor && (!persistentOnly || persistent)) out.push([p ? `${p}.${k}` : k, v])
      }
    }
    return out
  }

  buffers(recurse = true): Tensor[] {
    return this.namedBuffers('', recurse).map(([, b]) => b)
  }

  train(mode = true): this {
    for (const m of this.modules()) m.training = mode
    return this
  }

  eval(): this {
    return this.train(false)
  }

  /** Clears gradients (to null, PyTorch's default `set_to_none=True`). */
  zeroGrad(setToNone = true): void {
    for (const p of this.parameters()) {
      if (setToNone) p.grad = null
      else if (p.grad) p.grad = p.grad.mul(0)
    }
  }

  /** Applies `fn` to every submodule, then to this module. */
  apply(fn: (m: Module) => void): this {
    for (const c of this.children()) c.apply(fn)
    fn(this)
    return this
  }

  /**
   * Converts parameters (with their gradients) and buffers: `to('float64')`, `to('cuda')`,
   * `to(device, dtype)`, `to({dtype, device})` or `to(tensor)`. As in PyTorch, a dtype
   * applies to floating-point tensors only (integer buffers such as `num_batches_tracked`
   * keep theirs but still move), a tensor shared by several fields stays shared, and a
   * tensor already on the target device and dtype is left as it is (same object).
   */
  to(...args: any[]): this {
    const { device, dtype } = toTarget(args)
    const target = device === 'cuda' ? 'cuda:0' : device
    const conversion = (t: Tensor): { device?: string; dtype?: DType } | null => {
      const o: { device?: string; dtype?: DType } = {}
      if (device !== undefined && t.device !== target) o.device = device
      if (dtype !== undefined && t.dtype !== dtype && t.isFloatingPoint()) o.dtype = dtype
      return o.device !== undefined || o.dtype !== undefined ? o : null
    }
    const done = new Map<Tensor, Tensor>()
    noGrad(() => {
      for (const m of this.modules()) {
        for (const [k, v] of Object.entries(m)) {
          if (!(v instanceof Tensor) || (!(v instanceof Parameter) && !m._bufferNames.has(k))) continue
          let r = done.get(v)
          if (r === undefined) {
            const o = conversion(v)
            if (o === null) r = v
            else if (v instanceof Parameter) {
              const p = new Parameter(v.to(o), v.requiresGrad)
              const g = v.grad
              if (g) p.grad = g.to(o)
              r = p
            } else r = v.to(o)
            done.set(v, r)
          }
          if (r !== v) (m as any)[k] = r
        }
      }
    })
    return this
  }

  double(): this { return this.to('float64') }
  float(): this { return this.to('float32') }
  half(): this { return this.to('float16') }
  cuda(device: number | string = 0): this { return this.to(typeof device === 'number' ? `cuda:${device}` : device) }
  cpu(): this { return this.to('cpu') }

  /** Parameters and persistent buffers by PyTorch's key names, in registration order. */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {}
    for (const [p, m] of this.namedModules()) {
      for (const [k, v] of m.ownEntries()) {
        const name = p ? `${p}.${k}` : k
        if (v instanceof Parameter) out[name] = v.detach()
        else if (v instanceof Tensor && m._bufferNames.get(k)) out[name] = v.detach()
      }
    }
    return out
  }

  /** Copies values in; with `strict` (default) missing or unexpected keys are an error. */
  loadStateDict(dict: Record<string, Tensor>, opts: { strict?: boolean } = {}): { missingKeys: string[]; unexpectedKeys: string[] } {
    const strict = opts.strict ?? true
    const own = this.stateDict()
    const missingKeys = Object.keys(own).filter((k) => !(k in dict))
    const unexpectedKeys = Object.keys(dict).filter((k) => !(k in own))
    if (strict && (missingKeys.length || unexpectedKeys.length)) {
      const parts: string[] = []
      if (missingKeys.length) parts.push(`Missing key(s) in state_dict: ${missingKeys.map((k) => `"${k}"`).join(', ')}.`)
      if (unexpectedKeys.length) parts.push(`Unexpected key(s) in state_dict: ${unexpectedKeys.map((k) => `"${k}"`).join(', ')}.`)
      throw new Error(`Error(s) in loading state_dict for ${this.constructor.name}:\n\t${parts.join('\n\t')}`)
    }
    noGrad(() => {
      for (const [k, t] of Object.entries(own)) {
        const src = dict[k]
        if (!src) continue
        if (src.shape.join() !== t.shape.join()) {
          throw new Error(`Error(s) in loading state_dict for ${this.constructor.name}:\n\tsize mismatch for ${k}: copying a param with shape [${src.shape}] from checkpoint, the shape in current model is [${t.shape}].`)
        }
        t.copy_(src)
      }
    })
    return { missingKeys, unexpectedKeys }
  }

  /** Number of elements over all parameters. */
  numParameters(): number {
    return this.parameters().reduce((a, p) => a + p.numel(), 0)
  }

  toString(): string {
    const kids = [...this.namedChildren()]
    const extra = this.extraRepr()
    if (!kids.length) return `${this.constructor.name}(${extra})`
    const lines = kids.map(([k, m]) => `  (${k}): ${m.toString().split('\n').join('\n  ')}`)
    return `${this.constructor.name}(${extra ? extra + '\n' : '\n'}${lines.join('\n')}\n)`
  }

  extraRepr(): string {
    return ''
  }
}

export { wrap }

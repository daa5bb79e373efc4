// Optimizer base: parameter groups with their own hyperparameters, per-parameter state,
// zeroGrad, stateDict/loadStateDict in PyTorch's layout.
import { noGrad } from '../autograd'
import { Tensor } from '../tensor'

export interface ParamGroup {
  params: Tensor[]
  [hyper: string]: any
}

export abstract class Optimizer {
  paramGroups: ParamGroup[]
  state = new Map<Tensor, Record<string, any>>()
  defaults: Record<string, any>

  constructor(params: Tensor[] | ParamGroup[] | Iterable<Tensor>, defaults: Record<string, any>) {
    this.defaults = defaults
    const list = Array.from(params as Iterable<any>)
    if (list.length === 0) throw new Error('optimizer got an empty parameter list')
    const groups: ParamGroup[] = list[0] instanceof Tensor ? [{ params: list as Tensor[] }] : (list as ParamGroup[])
    this.paramGroups = []
    for (const g of groups) this.addParamGroup(g)
  }

  addParamGroup(group: ParamGroup): void {
    const g: ParamGroup = { ...this.defaults, ...group, params: Array.from(group.params) }
    for (const p of g.params) {
      if (!p.isLeaf) throw new Error("can't optimize a non-leaf Tensor")
    }
    this.paramGroups.push(g)
  }

  zeroGrad(setToNone = true): void {
    for (const g of this.paramGroups) for (const p of g.params) p.grad = setToNone ? null : p.grad ? p.grad.mul(0) : null
  }

  /** One update of every parameter that has a gradient. */
  step(closure?: () => Tensor): Tensor | undefined {
    let loss: Tensor | undefined
    if (closure) loss = closure()
    noGrad(() => {
      for (const g of this.paramGroups) {
        const ps = g.params.filter((p) => p.grad !== null)
        const states = ps.map((p) => {
          let st = this.state.get(p)
          if (!st) {
            st = {}
            this.state.set(p, st)
          }
          return st
        })
        const fusable = ps.every((p) => p.isContiguous() && p.device === 'cpu' && (p.dtype === 'float32' || p.dtype === 'float64') && p.grad!.dtype === p.dtype)
        if (fusable && this.fusedStep(ps, states, g)) continue
        ps.forEach((p, i) => this.update(p, p.grad!, states[i], g))
      }
    })
    return loss
  }

  /**
   * The update of a whole group in one native call (PyTorch's order of operations, so
   * the result equals `update`'s). Returns false where only `update` applies.
   */
  protected fusedStep(_params: Tensor[], _states: Record<string, any>[], _group: ParamGroup): boolean {
    return false
  }

  /** The update rule for one parameter. */
  protected abstract update(p: Tensor, grad: Tensor, state: Record<string, any>, group: ParamGroup): void

  stateDict(): { state: Record<number, Record<string, any>>; param_groups: Record<string, any>[] } {
    let idx = 0
    const state: Record<number, Record<string, any>> = {}
    const groups = this.paramGroups.map((g) => {
      const ids: number[] = []
      for (const p of g.params) {
        const st = this.state.get(p)
        if (st) state[idx] = Object.fromEntries(Object.entries(st).map(([k, v]) => [k, v instanceof Tensor ? v.clone() : v]))
        ids.push(idx++)
      }
      const { params, ...rest } = g
      return { ...rest, params: ids }
    })
    return { state, param_groups: groups }
  }

  loadStateDict(sd: { state: Record<number, Record<string, any>>; param_groups: Record<string, any>[] }): void {
    if (sd.param_groups.length !== this.paramGroups.length) throw new Error('loaded state dict has a different number of parameter groups')
    sd.param_groups.forEach((sg, gi) => {
      const g = this.paramGroups[gi]
      if (sg.params.length !== g.params.length) throw new Error("loaded state dict contains a parameter group that doesn't match the size of optimizer's group")
      for (const [k, v] of Object.entries(sg)) if (k !== 'params') g[k] = v
      sg.params.forEach((id: number, i: number) => {
        const st = sd.state[id]
        // State tensors go to their parameter's device, as PyTorch's load_state_dict does.
        const p = g.params[i]
        if (st) this.state.set(p, Object.fromEntries(Object.entries(st).map(([k, v]) => [k, v instanceof Tensor ? (v.device === p.device ? v.clone() : v.to(p.device)) : v])))
      })
    })
  }
}

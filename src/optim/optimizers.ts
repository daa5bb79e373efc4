// SGD, Adam, AdamW, RMSprop, Adagrad with PyTorch's update order (single-tensor path).
import { parse } from '../args'
import { zerosLike, fullLike } from '../creation'
import { maximum } from '../functional'
import { Tensor } from '../tensor'
import { Optimizer, ParamGroup } from './optimizer'
import { N } from '../native'

/**
 * The handles of `[param, grad, state...]` per parameter. The grads are fresh wrappers:
 * `keep` holds them, and the caller passes it to the native call, so that no GC between
 * here and that call finalizes a wrapper (and frees its handle) while its number is in use.
 */
function handles(ps: Tensor[], states: Tensor[][]): { hs: number[]; keep: Tensor[] } {
  const hs: number[] = []
  const keep: Tensor[] = []
  ps.forEach((p, i) => {
    const g = p.grad!.isContiguous() ? p.grad! : p.grad!.contiguous()
    keep.push(g)
    hs.push(p._handle, g._handle, ...states[i].map((t) => t._handle))
  })
  return { hs, keep }
}

/** `N.optimStep` with the grads kept alive through the call (see `handles`). */
function optimStep(kind: number, ps: Tensor[], states: Tensor[][], per: number, nums: number[], flags: boolean[], steps: number[]): void {
  const { hs, keep } = handles(ps, states)
  N.optimStep(kind, hs, per, nums, flags, steps, keep)
}

function opts(args: any[], names: string[], op: string): Record<string, any> {
  const a = parse(args, names, op)
  for (const k of Object.keys(a)) if (a[k] === undefined) delete a[k]
  return a
}

/** `optim.SGD(params, {lr, momentum, dampening, weightDecay, nesterov, maximize})`. */
export class SGD extends Optimizer {
  constructor(params: any, ...args: any[]) {
    const a = opts(args, ['lr', 'momentum', 'dampening', 'weightDecay', 'nesterov', 'maximize'], 'SGD')
    super(params, { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, ...a })
    if (this.defaults.nesterov && (this.defaults.momentum <= 0 || this.defaults.dampening !== 0)) throw new Error('Nesterov momentum requires a momentum and zero dampening')
  }
  protected update(p: Tensor, grad: Tensor, st: Record<string, any>, g: ParamGroup): void {
    let d = g.maximize ? grad.neg() : grad
    if (g.weightDecay) d = d.add(p, { alpha: g.weightDecay })
    if (g.momentum) {
      let buf: Tensor = st.momentum_buffer
      buf = buf === undefined ? d.clone() : buf.mul(g.momentum).add(d, { alpha: 1 - g.dampening })
      st.momentum_buffer = buf
      d = g.nesterov ? d.add(buf, { alpha: g.momentum }) : buf
    }
    p.sub_(d.mul(g.lr))
  }
  protected fusedStep(ps: Tensor[], sts: Record<string, any>[], g: ParamGroup): boolean {
    const first = sts.map((st) => (g.momentum && st.momentum_buffer === undefined ? 1 : 0))
    ps.forEach((p, i) => {
      if (g.momentum && sts[i].momentum_buffer === undefined) sts[i].momentum_buffer = zerosLike(p)
    })
    const states = sts.map((st) => (g.momentum ? [st.momentum_buffer] : []))
    optimStep(0, ps, states, g.momentum ? 3 : 2, [g.lr, g.momentum, g.dampening, g.weightDecay], [g.nesterov, g.maximize], first)
    return true
  }
}

/** `optim.Adam(params, {lr, betas, eps, weightDecay, amsgrad, maximize})`. */
export class Adam extends Optimizer {
  constructor(params: any, ...args: any[]) {
    const a = opts(args, ['lr', 'betas', 'eps', 'weightDecay', 'amsgrad', 'maximize'], 'Adam')
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, ...a })
  }
  /** AdamW decays the weights directly instead of through the gradient. */
  protected decoupled = false
  /** Creates the state on the first step and counts the step. */
  private advance(p: Tensor, st: Record<string, any>, g: ParamGroup): void {
    if (st.step === undefined) {
      st.step = 0
      st.exp_avg = zerosLike(p)
      st.exp_avg_sq = zerosLike(p)
      if (g.amsgrad) st.max_exp_avg_sq = zerosLike(p)
    }
    st.step += 1
  }
  protected update(p: Tensor, grad: Tensor, st: Record<string, any>, g: ParamGroup): void {
    const [b1, b2] = g.betas
    let d = g.maximize ? grad.neg() : grad
    if (g.weightDecay) {
      if (this.decoupled) p.mul_(1 - g.lr * g.weightDecay)
      else d = d.add(p, { alpha: g.weightDecay })
    }
    this.advance(p, st, g)
    // exp_avg.lerp_(grad, 1 - beta1); exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2)
    st.exp_avg = st.exp_avg.add(d.sub(st.exp_avg).mul(1 - b1))
    st.exp_avg_sq = st.exp_avg_sq.mul(b2).add(d.mul(d).mul(1 - b2))
    const bc1 = 1 - b1 ** st.step
    const bc2 = 1 - b2 ** st.step
    const stepSize = g.lr / bc1
    let v: Tensor = st.exp_avg_sq
    if (g.amsgrad) {
      st.max_exp_avg_sq = maximum(st.max_exp_avg_sq, st.exp_avg_sq)
      v = st.max_exp_avg_sq
    }
    const denom = v.sqrt().div(Math.sqrt(bc2)).add(g.eps)
    p.sub_(st.exp_avg.div(denom).mul(stepSize))
  }
  protected fusedStep(ps: Tensor[], sts: Record<string, any>[], g: ParamGroup): boolean {
    const [b1, b2] = g.betas
    ps.forEach((p, i) => {
      this.advance(p, sts[i], g)
    })
    const states = sts.map((st) => (g.amsgrad ? [st.exp_avg, st.exp_avg_sq, st.max_exp_avg_sq] : [st.exp_avg, st.exp_avg_sq]))
    optimStep(1, ps, states, g.amsgrad ? 5 : 4, [g.lr, b1, b2, g.eps, g.weightDecay], [g.amsgrad, g.maximize, this.decoupled], sts.map((st) => st.step))
    return true
  }
}

/** `optim.AdamW(params, {lr, betas, eps, weightDecay = 0.01, amsgrad, maximize})`. */
export class AdamW extends Adam {
  constructor(params: any, ...args: any[]) {
    const a = opts(args, ['lr', 'betas', 'eps', 'weightDecay', 'amsgrad', 'maximize'], 'AdamW')
    super(params, { weightDecay: 0.01, ...a })
    this.decoupled = true
  }
}

/** `optim.RMSprop(params, {lr, alpha, eps, weightDecay, momentum, centered, maximize})`. */
export class RMSprop extends Optimizer {
  constructor(params: any, ...args: any[]) {
    const a = opts(args, ['lr', 'alpha', 'eps', 'weightDecay', 'momentum', 'centered', 'maximize'], 'RMSprop')
    super(params, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false, ...a })
  }
  /** Creates the state on the first step and counts the step. */
  private advance(p: Tensor, st: Record<string, any>, g: ParamGroup): void {
    if (st.step === undefined) {
      st.step = 0
      st.square_avg = zerosLike(p)
      if (g.momentum > 0) st.momentum_buffer = zerosLike(p)
      if (g.centered) st.grad_avg = zerosLike(p)
    }
    st.step += 1
  }
  protected update(p: Tensor, grad: Tensor, st: Record<string, any>, g: ParamGroup): void {
    let d = g.maximize ? grad.neg() : grad
    if (g.weightDecay) d = d.add(p, { alpha: g.weightDecay })
    this.advance(p, st, g)
    st.square_avg = st.square_avg.mul(g.alpha).add(d.mul(d).mul(1 - g.alpha))
    let avg: Tensor
    if (g.centered) {
      st.grad_avg = st.grad_avg.add(d.sub(st.grad_avg).mul(1 - g.alpha))
      avg = st.square_avg.sub(st.grad_avg.mul(st.grad_avg)).sqrt().add(g.eps)
    } else avg = st.square_avg.sqrt().add(g.eps)
    if (g.momentum > 0) {
      st.momentum_buffer = st.momentum_buffer.mul(g.momentum).add(d.div(avg))
      p.sub_(st.momentum_buffer.mul(g.lr))
    } else p.sub_(d.div(avg).mul(g.lr))
  }
  protected fusedStep(ps: Tensor[], sts: Record<string, any>[], g: ParamGroup): boolean {
    ps.forEach((p, i) => {
      this.advance(p, sts[i], g)
    })
    const states = sts.map((st) => [st.square_avg, ...(g.centered ? [st.grad_avg] : []), ...(g.momentum > 0 ? [st.momentum_buffer] : [])])
    optimStep(2, ps, states, 2 + states[0].length, [g.lr, g.alpha, g.eps, g.weightDecay, g.momentum], [g.centered, g.maximize], [])
    return true
  }
}

/** `optim.Adagrad(params, {lr, lrDecay, weightDecay, initialAccumulatorValue, eps, maximize})`. */
export class Adagrad extends Optimizer {
  constructor(params: any, ...args: any[]) {
    const a = opts(args, ['lr', 'lrDecay', 'weightDecay', 'initialAccumulatorValue', 'eps', 'maximize'], 'Adagrad')
    super(params, { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false, ...a })
  }
  protected update(p: Tensor, grad: Tensor, st: Record<string, any>, g: ParamGroup): void {
    let d = g.maximize ? grad.neg() : grad
    if (st.step === undefined) {
      st.step = 0
      st.sum = fullLike(p, g.initialAccumulatorValue)
    }
    st.step += 1
    if (g.weightDecay) d = d.add(p, { alpha: g.weightDecay })
    const clr = g.lr / (1 + (st.step - 1) * g.lrDecay)
    st.sum = st.sum.add(d.mul(d))
    p.sub_(d.div(st.sum.sqrt().add(g.eps)).mul(clr))
  }
  protected fusedStep(ps: Tensor[], sts: Record<string, any>[], g: ParamGroup): boolean {
    ps.forEach((p, i) => {
      const st = sts[i]
      if (st.step === undefined) {
        st.step = 0
        st.sum = fullLike(p, g.initialAccumulatorValue)
      }
      st.step += 1
      const clr = g.lr / (1 + (st.step - 1) * g.lrDecay)
      optimStep(3, [p], [[st.sum]], 3, [clr, g.weightDecay, g.eps], [g.maximize], [])
    })
    return true
  }
}

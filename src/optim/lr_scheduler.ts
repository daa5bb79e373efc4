// optim.lrScheduler: each scheduler sets `lr` in every param group on `step()`, using
// PyTorch's closed forms (chainable forms where PyTorch has no closed one).
import type { Optimizer } from './optimizer'
import type { Tensor } from '../tensor'

export abstract class LRScheduler {
  baseLrs: number[]
  lastEpoch = 0
  constructor(public optimizer: Optimizer) {
    for (const g of optimizer.paramGroups) if (g.initialLr === undefined) g.initialLr = g.lr
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr)
  }
  /** The learning rates at `lastEpoch`. */
  protected abstract lrAt(epoch: number): number[]
  step(): void {
    this.lastEpoch++
    this.apply(this.lrAt(this.lastEpoch))
  }
  protected apply(lrs: number[]): void {
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = lrs[i]))
  }
  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr)
  }
  stateDict(): Record<string, any> {
    return { last_epoch: this.lastEpoch, base_lrs: this.baseLrs }
  }
  loadStateDict(s: Record<string, any>): void {
    this.lastEpoch = s.last_epoch
    this.baseLrs = s.base_lrs
  }
}

export class StepLR extends LRScheduler {
  constructor(opt: Optimizer, public stepSize: number, public gamma = 0.1) {
    super(opt)
  }
  protected lrAt(e: number): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(e / this.stepSize))
  }
}

export class MultiStepLR extends LRScheduler {
  constructor(opt: Optimizer, public milestones: number[], public gamma = 0.1) {
    super(opt)
  }
  protected lrAt(e: number): number[] {
    const n = this.milestones.filter((m) => m <= e).length
    return this.baseLrs.map((b) => b * this.gamma ** n)
  }
}

export class ExponentialLR extends LRScheduler {
  constructor(opt: Optimizer, public gamma: number) {
    super(opt)
  }
  protected lrAt(e: number): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** e)
  }
}

export class CosineAnnealingLR extends LRScheduler {
  constructor(opt: Optimizer, public tMax: number, public etaMin = 0) {
    super(opt)
  }
  protected lrAt(e: number): number[] {
    return this.baseLrs.map((b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * e) / this.tMax))) / 2)
  }
}

export class LinearLR extends LRScheduler {
  constructor(opt: Optimizer, public startFactor = 1 / 3, public endFactor = 1, public totalIters = 5) {
    super(opt)
    this.apply(this.lrAt(0))
  }
  protected lrAt(e: number): number[] {
    const t = Math.min(e, this.totalIters)
    const f = this.startFactor + ((this.endFactor - this.startFactor) * t) / this.totalIters
    return this.baseLrs.map((b) => b * f)
  }
}

export class LambdaLR extends LRScheduler {
  constructor(opt: Optimizer, public lrLambda: ((epoch: number) => number) | ((epoch: number) => number)[]) {
    super(opt)
    this.apply(this.lrAt(0))
  }
  protected lrAt(e: number): number[] {
    return this.baseLrs.map((b, i) => b * (Array.isArray(this.lrLambda) ? this.lrLambda[i] : this.lrLambda)(e))
  }
}

/** `OneCycleLR(opt, {maxLr, totalSteps | epochs & stepsPerEpoch, pctStart, annealStrategy, divFactor, finalDivFactor, threePhase})`. */
export class OneCycleLR extends LRScheduler {
  phases: { end: number; start: string; stop: string }[]
  total: number
  cos: boolean
  constructor(opt: Optimizer, o: { maxLr: number | number[]; totalSteps?: number; epochs?: number; stepsPerEpoch?: number; pctStart?: number; annealStrategy?: 'cos' | 'linear'; divFactor?: number; finalDivFactor?: number; threePhase?: boolean }) {
    super(opt)
    this.total = o.totalSteps ?? (o.epochs ?? 0) * (o.stepsPerEpoch ?? 0)
    if (!this.total) throw new Error('OneCycleLR: you must define either totalSteps OR (epochs AND stepsPerEpoch)')
    const pct = o.pctStart ?? 0.3
    const div = o.divFactor ?? 25
    const fdiv = o.finalDivFactor ?? 1e4
    this.cos = (o.annealStrategy ?? 'cos') === 'cos'
    opt.paramGroups.forEach((g, i) => {
      const max = Array.isArray(o.maxLr) ? o.maxLr[i] : o.maxLr
      g.initialLr = max / div
      g.maxLr = max
      g.minLr = g.initialLr / fdiv
    })
    this.phases = o.threePhase
      ? [
          { end: pct * this.total - 1, start: 'initialLr', stop: 'maxLr' },
          { end: 2 * pct * this.total - 2, start: 'maxLr', stop: 'initialLr' },
          { end: this.total - 1, start: 'initialLr', stop: 'minLr' },
        ]
      : [
          { end: pct * this.total - 1, start: 'initialLr', stop: 'maxLr' },
          { end: this.total - 1, start: 'maxLr', stop: 'minLr' },
        ]
    this.apply(this.lrAt(0))
  }
  protected lrAt(step: number): number[] {
    if (step > this.total) throw new Error(`OneCycleLR: tried to step ${step} times; the total number of steps is ${this.total}`)
    return this.optimizer.paramGroups.map((g) => {
      let startStep = 0
      for (let i = 0; i < this.phases.length; i++) {
        const ph = this.phases[i]
        if (step <= ph.end || i === this.phases.length - 1) {
          const pct = (step - startStep) / (ph.end - startStep)
          const a = g[ph.start]
          const b = g[ph.stop]
          return this.cos ? b + ((a - b) / 2) * (Math.cos(Math.PI * pct) + 1) : (b - a) * pct + a
        }
        startStep = ph.end
      }
      return g.lr
    })
  }
}

/** Runs schedulers one after another, switching at the milestones. */
export class SequentialLR extends LRScheduler {
  constructor(opt: Optimizer, public schedulers: LRScheduler[], public milestones: number[]) {
    super(opt)
    opt.paramGroups.forEach((g, i) => (g.lr = this.baseLrs[i]))
    schedulers[0]['apply']((schedulers[0] as any).lrAt(0))
  }
  protected lrAt(_e: number): number[] {
    return this.getLastLr()
  }
  step(): void {
    this.lastEpoch++
    const idx = this.milestones.filter((m) => m <= this.lastEpoch).length
    const s = this.schedulers[idx]
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) {
      s.lastEpoch = 0
      ;(s as any).apply((s as any).lrAt(0))
    } else s.step()
  }
}

/** Lowers the learning rate when a metric stops improving. */
export class ReduceLROnPlateau {
  best: number
  numBadEpochs = 0
  cooldownCounter = 0
  constructor(public optimizer: Optimizer, public o: { mode?: 'min' | 'max'; factor?: number; patience?: number; threshold?: number; thresholdMode?: 'rel' | 'abs'; cooldown?: number; minLr?: number; eps?: number } = {}) {
    this.best = (o.mode ?? 'min') === 'min' ? Infinity : -Infinity
  }
  private better(a: number): boolean {
    const { mode = 'min', threshold = 1e-4, thresholdMode = 'rel' } = this.o
    if (mode === 'min') return thresholdMode === 'rel' ? a < this.best * (1 - threshold) : a < this.best - threshold
    return thresholdMode === 'rel' ? a > this.best * (threshold + 1) : a > this.best + threshold
  }
  step(metric: number | Tensor): void {
    const m = typeof metric === 'number' ? metric : Number(metric.item())
    if (this.better(m)) {
      this.best = m
      this.numBadEpochs = 0
    } else this.numBadEpochs++
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--
      this.numBadEpochs = 0
    }
    if (this.numBadEpochs > (this.o.patience ?? 10)) {
      for (const g of this.optimizer.paramGroups) {
        const nl = Math.max(g.lr * (this.o.factor ?? 0.1), this.o.minLr ?? 0)
        if (g.lr - nl > (this.o.eps ?? 1e-8)) g.lr = nl
      }
      this.cooldownCounter = this.o.cooldown ?? 0
      this.numBadEpochs = 0
    }
  }
  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr)
  }
}

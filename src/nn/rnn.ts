// RNN, LSTM and GRU (multi-layer, batchFirst, bidirectional), with PyTorch's parameter
// names (weight_ih_l0, bias_hh_l1_reverse, ...) and gate order (LSTM i,f,g,o; GRU r,z,n).
import { Module, Parameter } from './module'
import * as init from './init'
import { dropout } from './norms'
import { parse } from '../args'
import { cat, stack } from '../functional'
import { empty, zeros } from '../creation'
import { Tensor } from '../tensor'

type Mode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU'
const GATES: Record<Mode, number> = { RNN_TANH: 1, RNN_RELU: 1, LSTM: 4, GRU: 3 }

abstract class RNNBase extends Module {
  inputSize: number
  hiddenSize: number
  numLayers: number
  bias: boolean
  batchFirst: boolean
  dropoutP: number
  bidirectional: boolean
  protected mode: Mode

  constructor(mode: Mode, a: Record<string, any>) {
    super()
    this.mode = mode
    this.inputSize = a.inputSize
    this.hiddenSize = a.hiddenSize
    this.numLayers = a.numLayers ?? 1
    this.bias = a.bias ?? true
    this.batchFirst = a.batchFirst ?? false
    this.dropoutP = a.dropout ?? 0
    this.bidirectional = a.bidirectional ?? false
    const dirs = this.bidirectional ? 2 : 1
    const G = GATES[mode] * this.hiddenSize
    const k = 1 / Math.sqrt(this.hiddenSize)
    const dtype = a.dtype ?? 'float32'
    for (let l = 0; l < this.numLayers; l++) {
      for (let d = 0; d < dirs; d++) {
        const sfx = `_l${l}${d ? '_reverse' : ''}`
        const inp = l === 0 ? this.inputSize : this.hiddenSize * dirs
        const ps: [string, number[]][] = [[`weight_ih${sfx}`, [G, inp]], [`weight_hh${sfx}`, [G, this.hiddenSize]]]
        if (this.bias) ps.push([`bias_ih${sfx}`, [G]], [`bias_hh${sfx}`, [G]])
        for (const [name, shape] of ps) {
          const p = new Parameter(empty(shape, { dtype, device: a.device }))
          init.uniform_(p, -k, k)
          this.registerParameter(name, p)
        }
      }
    }
  }

  private w(name: string): Tensor | null {
    return (this as any)[name] ?? null
  }

  /** One direction of one layer over the whole sequence `[T, B, in]`. */
  private runDirection(x: Tensor, h0: Tensor, c0: Tensor | null, sfx: string, reverse: boolean): [Tensor, Tensor, Tensor | null] {
    const wih = this.w(`weight_ih${sfx}`)!
    const whh = this.w(`weight_hh${sfx}`)!
    const bih = this.w(`bias_ih${sfx}`)
    const bhh = this.w(`bias_hh${sfx}`)
    const T = x.shape[0]
    // Input projections of all time steps in one product.
    let xp = x.matmul(wih.t())
    if (bih) xp = xp.add(bih)
    let h = h0
    let c = c0
    const outs: Tensor[] = new Array(T)
    const H = this.hiddenSize
    for (let s = 0; s < T; s++) {
      const t = reverse ? T - 1 - s : s
      let hp = h.matmul(whh.t())
      if (bhh) hp = hp.add(bhh)
      const xt = xp.select(0, t)
      if (this.mode === 'LSTM') {
        const gates = xt.add(hp)
        const i = gates.narrow(1, 0, H).sigmoid()
        const f = gates.narrow(1, H, H).sigmoid()
        const g = gates.narrow(1, 2 * H, H).tanh()
        const o = gates.narrow(1, 3 * H, H).sigmoid()
        c = f.mul(c!).add(i.mul(g))
        h = o.mul(c.tanh())
      } else if (this.mode === 'GRU') {
        const r = xt.narrow(1, 0, H).add(hp.narrow(1, 0, H)).sigmoid()
        const z = xt.narrow(1, H, H).add(hp.narrow(1, H, H)).sigmoid()
        const n = xt.narrow(1, 2 * H, H).add(r.mul(hp.narrow(1, 2 * H, H))).tanh()
        h = z.rsub(1).mul(n).add(z.mul(h))
      } else {
        const pre = xt.add(hp)
        h = this.mode === 'RNN_TANH' ? pre.tanh() : pre.relu()
      }
      outs[t] = h
    }
    return [stack(outs, 0), h, c]
  }

  forward(input: Tensor, hx?: Tensor | [Tensor, Tensor] | null): any {
    const unbatched = input.ndim === 2
    let x = unbatched ? input.unsqueeze(this.batchFirst ? 0 : 1) : input
    if (x.ndim !== 3) throw new Error(`${this.constructor.name}: Expected input to be 2D or 3D, got ${input.ndim}D instead`)
    if (this.batchFirst) x = x.transpose(0, 1)
    if (x.shape[2] !== this.inputSize) throw new Error(`${this.constructor.name}: input.size(-1) must be equal to input_size. Expected ${this.inputSize}, got ${x.shape[2]}`)
    const B = x.shape[1]
    const dirs = this.bidirectional ? 2 : 1
    const L = this.numLayers * dirs
    const zerosH = () => zeros([L, B, this.hiddenSize], { dtype: x.dtype, device: x.device })
    let h0: Tensor
    let c0: Tensor | null = null
    if (this.mode === 'LSTM') {
      const pair = hx as [Tensor, Tensor] | undefined | null
      h0 = pair ? (unbatched ? pair[0].unsqueeze(1) : pair[0]) : zerosH()
      c0 = pair ? (unbatched ? pair[1].unsqueeze(1) : pair[1]) : zerosH()
    } else {
      const h = hx as Tensor | undefined | null
      h0 = h ? (unbatched ? h.unsqueeze(1) : h) : zerosH()
    }
    const hs: Tensor[] = []
    const cs: Tensor[] = []
    let layerIn = x
    for (let l = 0; l < this.numLayers; l++) {
      const outs: Tensor[] = []
      for (let d = 0; d < dirs; d++) {
        const idx = l * dirs + d
        const [out, hN, cN] = this.runDirection(layerIn, h0.select(0, idx), c0 ? c0.select(0, idx) : null, `_l${l}${d ? '_reverse' : ''}`, d === 1)
        outs.push(out)
        hs.push(hN)
        if (cN) cs.push(cN)
      }
      layerIn = dirs === 2 ? cat(outs, 2) : outs[0]
      if (this.dropoutP && this.training && l < this.numLayers - 1) layerIn = dropout(layerIn, this.dropoutP, true)
    }
    let output = this.batchFirst ? layerIn.transpose(0, 1) : layerIn
    let hN = stack(hs, 0)
    let cN = cs.length ? stack(cs, 0) : null
    if (unbatched) {
      output = output.squeeze(this.batchFirst ? 0 : 1)
      hN = hN.squeeze(1)
      cN = cN ? cN.squeeze(1) : null
    }
    return this.mode === 'LSTM' ? [output, [hN, cN]] : [output, hN]
  }

  extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.numLayers > 1 ? `, num_layers=${this.numLayers}` : ''}${this.batchFirst ? ', batch_first=True' : ''}${this.bidirectional ? ', bidirectional=True' : ''}`
  }
}

const NAMES = ['inputSize', 'hiddenSize', 'numLayers', 'bias', 'batchFirst', 'dropout', 'bidirectional', 'device', 'dtype']

/** `nn.RNN(inputSize, hiddenSize, {numLayers, nonlinearity, bias, batchFirst, dropout, bidirectional})`. */
export class RNN extends RNNBase {
  constructor(...args: any[]) {
    const a = parse(args, ['inputSize', 'hiddenSize', 'numLayers', 'nonlinearity', 'bias', 'batchFirst', 'dropout', 'bidirectional', 'device', 'dtype'], 'RNN')
    super((a.nonlinearity ?? 'tanh') === 'relu' ? 'RNN_RELU' : 'RNN_TANH', a)
  }
}

/** `nn.LSTM(...)`: `forward(x, [h0, c0]?)` returns `[output, [hN, cN]]`. */
export class LSTM extends RNNBase {
  constructor(...args: any[]) {
    super('LSTM', parse(args, NAMES, 'LSTM'))
  }
}

/** `nn.GRU(...)`: `forward(x, h0?)` returns `[output, hN]`. */
export class GRU extends RNNBase {
  constructor(...args: any[]) {
    super('GRU', parse(args, NAMES, 'GRU'))
  }
}

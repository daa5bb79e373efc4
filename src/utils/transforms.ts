// Vision transforms on `[C, H, W]` float tensors (torchvision's names).
import { Tensor } from '../tensor'
import { tensor } from '../creation'
import { pad } from '../nn/basic'
import { Generator } from './generator'

export type Transform = (x: Tensor) => Tensor

export function compose(ts: Transform[]): Transform {
  return (x) => ts.reduce((y, t) => t(y), x)
}

/** `(x - mean) / std` per channel. */
export function normalize(mean: number[], std: number[]): Transform {
  let m = tensor(mean, { dtype: 'float32' }).reshape(-1, 1, 1)
  let s = tensor(std, { dtype: 'float32' }).reshape(-1, 1, 1)
  return (x) => {
    // Built on the CPU; follows the images to their device (and stays there).
    if (m.device !== x.device) {
      m = m.to(x.device)
      s = s.to(x.device)
    }
    return x.sub(m).div(s)
  }
}

/** Random crop of `size` after zero padding of `padding` pixels. */
export function randomCrop(size: number | [number, number], opts: { padding?: number; generator?: Generator } = {}): Transform {
  const [h, w] = typeof size === 'number' ? [size, size] : size
  const g = opts.generator ?? new Generator()
  return (x) => {
    const p = opts.padding ?? 0
    const y = p ? pad(x, [p, p, p, p]) : x
    const H = y.shape[y.ndim - 2]
    const W = y.shape[y.ndim - 1]
    const i = Math.floor(g.random() * (H - h + 1))
    const j = Math.floor(g.random() * (W - w + 1))
    return y.narrow(-2, i, h).narrow(-1, j, w)
  }
}

/** Flips the image left-right with probability `p`. */
export function randomHorizontalFlip(p = 0.5, generator?: Generator): Transform {
  const g = generator ?? new Generator()
  return (x) => (g.random() < p ? x.flip(-1) : x)
}

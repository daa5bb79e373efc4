// A seedable random generator for data shuffling (`torch.Generator().manualSeed(n)`).
// xoshiro128** over 32-bit state; deterministic across platforms.
export class Generator {
  private s = new Uint32Array(4)
  constructor(seed = Date.now()) {
    this.manualSeed(seed)
  }
  manualSeed(seed: number): this {
    // splitmix32 to spread the seed over the state
    let x = seed >>> 0
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0
      let z = x
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
      this.s[i] = (z ^ (z >>> 16)) >>> 0
    }
    return this
  }
  /** A uniform 32-bit integer. */
  nextU32(): number {
    const s = this.s
    const r = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0
    const t = (s[1] << 9) >>> 0
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = rotl(s[3], 11)
    return r
  }
  /** Uniform on [0, 1). */
  random(): number {
    return this.nextU32() / 4294967296
  }
  /** A random permutation of 0..n-1 (Fisher-Yates). */
  randperm(n: number): number[] {
    const a = Array.from({ length: n }, (_, i) => i)
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1))
      ;[a[i], a[j]] = [a[j], a[i]]
    }
    return a
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0
}

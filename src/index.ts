// ferrotorch: PyTorch for Node.js and TypeScript. `import * as ft from 'ferrotorch'`.
import { N } from './native'
import * as functional from './nn/functional'
import { readNpy, writeNpy, toSafetensors, fromSafetensors } from './io'
import * as AG from './autograd'
import { gradcheck } from './gradcheck'

export { Tensor } from './tensor'
export type { TensorOrScalar, Scalar, ValuesIndices } from './tensor'
export * from './dtype'
export * from './creation'
export * from './functional'
export type { IndexSpec, IndexItem } from './indexing'

export { noGrad, enableGrad, inferenceMode, setGradEnabled, isGradEnabled } from './autograd'

/** `torch.autograd`. */
export const autograd = {
  grad: AG.grad,
  backward: AG.backward,
  Function: AG.Function,
  FunctionCtx: AG.FunctionCtx,
  gradcheck,
  detectAnomaly: AG.detectAnomaly,
}

/** `torch.nn`: modules, functional, init, utils. */
export * as nn from './nn/index'
/** `torch.nn.functional`. */
export const F = functional

export { save, load, saveAsync, loadAsync } from './io'
/** `ft.io`: .npy files and raw safetensors bytes. */
export const io = { readNpy, writeNpy, toSafetensors, fromSafetensors }

/** `torch.utils` (`utils.data`: datasets, DataLoader, readers, transforms). */
export * as utils from './utils/index'
export { Generator } from './utils/generator'

/** `torch.optim`: optimizers and `lrScheduler`. */
export * as optim from './optim/index'

/** A device index from `0`, `'cuda:1'` or nothing (device 0). */
function cudaIndex(device?: number | string): number {
  if (device === undefined) return 0
  if (typeof device === 'number') return device
  if (device === 'cuda') return 0
  const m = /^cuda:(\d+)$/.exec(device)
  if (!m) throw new TypeError(`Expected a cuda device, but got: ${device}`)
  return Number(m[1])
}

/** `torch.cuda`: devices, synchronization, the caching allocator's counters, seeding. */
export const cuda = {
  isAvailable: (): boolean => N.cudaIsAvailable(),
  deviceCount: (): number => N.cudaDeviceCount(),
  /** Whether this build has the CUDA backend compiled in (prebuilt binaries do). */
  isCompiled: (): boolean => N.cudaCompiled(),
  /** Waits for all queued work on the device. */
  synchronize: (device?: number | string): void => N.cudaSynchronize(cudaIndex(device)),
  /** Bytes held by live tensors on the device (in the allocator's size classes). */
  memoryAllocated: (device?: number | string): number => N.cudaMemoryStats(cudaIndex(device))[0],
  /** The peak of `memoryAllocated` since start or `resetPeakMemoryStats`. */
  maxMemoryAllocated: (device?: number | string): number => N.cudaMemoryStats(cudaIndex(device))[1],
  /** Bytes the caching allocator holds: allocated plus cached. */
  memoryReserved: (device?: number | string): number => {
    const [a, , c] = N.cudaMemoryStats(cudaIndex(device))
    return a + c
  },
  resetPeakMemoryStats: (device?: number | string): void => N.cudaResetPeakMemoryStats(cudaIndex(device)),
  /** Returns cached (unused) blocks to the driver. */
  emptyCache: (): void => N.cudaEmptyCache(),
  /** Seeds the CUDA generators (`ft.manualSeed` seeds them too). */
  manualSeed: (seed: number): void => N.cudaManualSeed(seed),
  manualSeedAll: (seed: number): void => N.cudaManualSeed(seed),
}

/** Internal counters for leak tests and diagnostics. */
export const _internal = {
  liveHandles: (): number => N.liveHandles(),
  flushMemory: (): void => N.flushMemory(),
}

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

/** `torch.cuda`: device queries. */
export const cuda = {
  isAvailable: (): boolean => N.cudaIsAvailable(),
  deviceCount: (): number => N.cudaDeviceCount(),
  /** Whether this build has the CUDA backend compiled in. */
  isCompiled: (): boolean => N.cudaCompiled(),
}

/** Internal counters for leak tests and diagnostics. */
export const _internal = {
  liveHandles: (): number => N.liveHandles(),
  flushMemory: (): void => N.flushMemory(),
}

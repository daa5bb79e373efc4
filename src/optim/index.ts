// torch.optim
export { Optimizer } from './optimizer'
export type { ParamGroup } from './optimizer'
export * from './optimizers'
export * as lrScheduler from './lr_scheduler'

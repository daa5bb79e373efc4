// torch.utils.data plus the readers and transforms that feed it.
export * from './data'
export * from './readers'
export * as transforms from './transforms'
export { Generator } from './generator'

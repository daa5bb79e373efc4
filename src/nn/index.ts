// torch.nn
export { Module, Parameter } from './module'
export * from './layers'
export * from './containers'
export * from './loss_modules'
export * as functional from './functional'
export * as init from './init'
export * as utils from './utils'

// torch.utils
export * as data from './data_all'

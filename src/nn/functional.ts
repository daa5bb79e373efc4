// torch.nn.functional: re-exports the families in their own files.
export * from './basic'
export * from './losses'
export * from './norms'
export * from './conv'
export * from './interpolate'

// dtype names and the numeric codes the native layer uses (index in Rust's DType::ALL).
export type DType = 'bool' | 'uint8' | 'int32' | 'int64' | 'float16' | 'bfloat16' | 'float32' | 'float64'

export const DTYPES: readonly DType[] = ['bool', 'uint8', 'int32', 'int64', 'float16', 'bfloat16', 'float32', 'float64']

const ALIASES: Record<string, DType> = {
  float: 'float32', double: 'float64', half: 'float16', long: 'int64', int: 'int32',
}

export const float32: DType = 'float32'
export const float64: DType = 'float64'
export const float16: DType = 'float16'
export const bfloat16: DType = 'bfloat16'
export const int32: DType = 'int32'
export const int64: DType = 'int64'
export const uint8: DType = 'uint8'
export const bool: DType = 'bool'
export const float: DType = 'float32'
export const double: DType = 'float64'
export const half: DType = 'float16'
export const long: DType = 'int64'
export const int: DType = 'int32'

/** The code of a dtype name (also accepts `torch.`-prefixed names and aliases). */
export function dtypeCode(d: string): number {
  const name = d.startsWith('torch.') ? d.slice(6) : d
  const i = DTYPES.indexOf((ALIASES[name] ?? name) as DType)
  if (i < 0) throw new TypeError(`invalid dtype '${d}': expected one of ${DTYPES.join(', ')}`)
  return i
}

export function isFloating(d: DType): boolean {
  return d === 'float16' || d === 'bfloat16' || d === 'float32' || d === 'float64'
}

/** `torch.get_default_dtype()`: float32 (changing it is not supported yet). */
export function getDefaultDtype(): DType {
  return 'float32'
}

// Op codes of the native unary/binary/reduce families (mirrors bindings/node/src/ops.rs).
export const U = {
  neg: 0, abs: 1, sign: 2, square: 3, relu: 4, floor: 5, ceil: 6, round: 7, trunc: 8, clamp: 9,
  logicalNot: 10, exp: 11, exp2: 12, log: 13, log2: 14, log10: 15, log1p: 16, expm1: 17, sqrt: 18,
  rsqrt: 19, sin: 20, cos: 21, tan: 22, asin: 23, acos: 24, atan: 25, sinh: 26, cosh: 27, tanh: 28,
  sigmoid: 29, erf: 30, erfc: 31, reciprocal: 32, gelu: 33, silu: 34, mish: 35, softplus: 36,
  leakyRelu: 37, elu: 38, hardtanh: 39, hardsigmoid: 40, hardswish: 41, powScalar: 42, rpowScalar: 43,
} as const

export const B = {
  add: 0, sub: 1, mul: 2, div: 3, pow: 4, maximum: 5, minimum: 6, atan2: 7, remainder: 8, fmod: 9,
  floorDivide: 10, bitwiseAnd: 11, bitwiseOr: 12, bitwiseXor: 13, logicalAnd: 14, logicalOr: 15,
  logicalXor: 16, eq: 17, ne: 18, lt: 19, le: 20, gt: 21, ge: 22,
} as const

export const R = { sum: 0, prod: 1, amax: 2, amin: 3, all: 4, any: 5 } as const

/** Plain unary ops exposed as methods, functions and in-place `op_` forms. */
export const SIMPLE_UNARY = [
  'neg', 'abs', 'sign', 'square', 'relu', 'floor', 'ceil', 'round', 'trunc', 'exp', 'exp2', 'log', 'log2',
  'log10', 'log1p', 'expm1', 'sqrt', 'rsqrt', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh',
  'tanh', 'sigmoid', 'erf', 'erfc', 'reciprocal', 'logicalNot',
] as const

/** Binary ops that take a Tensor or a number. */
export const SIMPLE_BINARY = [
  'mul', 'maximum', 'minimum', 'atan2', 'remainder', 'fmod', 'floorDivide', 'bitwiseAnd', 'bitwiseOr',
  'bitwiseXor', 'logicalAnd', 'logicalOr', 'logicalXor', 'eq', 'ne', 'lt', 'le', 'gt', 'ge',
] as const

// `torch.X(tensor, ...)` functions: each forwards to the Tensor method of the same name,
// so the two forms can never disagree.
import { N } from './native'
import { parse, scalarKind } from './args'
import { SIMPLE_BINARY, SIMPLE_UNARY } from './opcodes'
import { Tensor, TensorOrScalar, wrap } from './tensor'
export { where } from './tensor'

function method(name: string) {
  return (input: Tensor, ...args: any[]): any => {
    if (!(input instanceof Tensor)) throw new TypeError(`${name}(): argument 'input' must be Tensor, not ${input === null ? 'null' : typeof input}`)
    return (input as any)[name](...args)
  }
}

type M<K extends keyof Tensor> = Tensor[K] extends (...a: infer A) => infer R ? (input: Tensor, ...a: A) => R : never

export const neg = method('neg') as M<'neg'>
export const negative = neg
export const abs = method('abs') as M<'abs'>
export const sign = method('sign') as M<'sign'>
export const square = method('square') as M<'square'>
export const relu = method('relu') as M<'relu'>
export const floor = method('floor') as M<'floor'>
export const ceil = method('ceil') as M<'ceil'>
export const round = method('round') as M<'round'>
export const trunc = method('trunc') as M<'trunc'>
export const exp = method('exp') as M<'exp'>
export const exp2 = method('exp2') as M<'exp2'>
export const log = method('log') as M<'log'>
export const log2 = method('log2') as M<'log2'>
export const log10 = method('log10') as M<'log10'>
export const log1p = method('log1p') as M<'log1p'>
export const expm1 = method('expm1') as M<'expm1'>
export const sqrt = method('sqrt') as M<'sqrt'>
export const rsqrt = method('rsqrt') as M<'rsqrt'>
export const sin = method('sin') as M<'sin'>
export const cos = method('cos') as M<'cos'>
export const tan = method('tan') as M<'tan'>
export const asin = method('asin') as M<'asin'>
export const acos = method('acos') as M<'acos'>
export const atan = method('atan') as M<'atan'>
export const sinh = method('sinh') as M<'sinh'>
export const cosh = method('cosh') as M<'cosh'>
export const tanh = method('tanh') as M<'tanh'>
export const sigmoid = method('sigmoid') as M<'sigmoid'>
export const erf = method('erf') as M<'erf'>
export const erfc = method('erfc') as M<'erfc'>
export const reciprocal = method('reciprocal') as M<'reciprocal'>
export const logicalNot = method('logicalNot') as M<'logicalNot'>
export const clamp = method('clamp') as M<'clamp'>
export const clip = clamp
export const isnan = method('isnan') as M<'isnan'>

export const add = method('add') as M<'add'>
export const sub = method('sub') as M<'sub'>
export const subtract = sub
export const mul = method('mul') as M<'mul'>
export const multiply = mul
export const div = method('div') as M<'div'>
export const divide = div
export const trueDivide = div
export const maximum = method('maximum') as M<'maximum'>
export const minimum = method('minimum') as M<'minimum'>
export const atan2 = method('atan2') as M<'atan2'>
export const remainder = method('remainder') as M<'remainder'>
export const fmod = method('fmod') as M<'fmod'>
export const floorDivide = method('floorDivide') as M<'floorDivide'>
export const bitwiseAnd = method('bitwiseAnd') as M<'bitwiseAnd'>
export const bitwiseOr = method('bitwiseOr') as M<'bitwiseOr'>
export const bitwiseXor = method('bitwiseXor') as M<'bitwiseXor'>
export const logicalAnd = method('logicalAnd') as M<'logicalAnd'>
export const logicalOr = method('logicalOr') as M<'logicalOr'>
export const logicalXor = method('logicalXor') as M<'logicalXor'>
export const eq = method('eq') as M<'eq'>
export const ne = method('ne') as M<'ne'>
export const lt = method('lt') as M<'lt'>
export const le = method('le') as M<'le'>
export const gt = method('gt') as M<'gt'>
export const ge = method('ge') as M<'ge'>
export const greater = gt
export const less = lt

/** `torch.pow(input, exponent)`; `input` may be a number when `exponent` is a Tensor. */
export function pow(input: TensorOrScalar, exponent: TensorOrScalar): Tensor {
  if (input instanceof Tensor) return input.pow(exponent)
  if (!(exponent instanceof Tensor)) throw new TypeError('pow(): at least one argument must be a Tensor')
  if (exponent.isFloatingPoint() || !Number.isInteger(input)) return wrap(N.unary(exponent._handle, 43, Number(input), 0, 0))
  return wrap(N.binaryScalar(exponent._handle, Number(input), scalarKind(input), 4, 1))
}

export const sum = method('sum') as M<'sum'>
export const prod = method('prod') as M<'prod'>
export const mean = method('mean') as M<'mean'>
export const amax = method('amax') as M<'amax'>
export const amin = method('amin') as M<'amin'>
export const max = method('max') as M<'max'>
export const min = method('min') as M<'min'>
export const argmax = method('argmax') as M<'argmax'>
export const argmin = method('argmin') as M<'argmin'>
export const std = method('std') as M<'std'>
export const logsumexp = method('logsumexp') as M<'logsumexp'>
export const norm = method('norm') as M<'norm'>
export const all = method('all') as M<'all'>
export const any = method('any') as M<'any'>
export const cumsum = method('cumsum') as M<'cumsum'>
export const cumprod = method('cumprod') as M<'cumprod'>
/** `torch.var` (named `var_` too, since `var` is a JS keyword in some positions). */
export const var_ = method('var') as M<'var'>

export const reshape = method('reshape') as M<'reshape'>
export const permute = method('permute') as M<'permute'>
export const transpose = method('transpose') as M<'transpose'>
export const swapaxes = transpose
export const t = method('t') as M<'t'>
export const squeeze = method('squeeze') as M<'squeeze'>
export const unsqueeze = method('unsqueeze') as M<'unsqueeze'>
export const flatten = method('flatten') as M<'flatten'>
export const unflatten = method('unflatten') as M<'unflatten'>
export const narrow = method('narrow') as M<'narrow'>
export const select = method('select') as M<'select'>
export const split = method('split') as M<'split'>
export const chunk = method('chunk') as M<'chunk'>
export const unbind = method('unbind') as M<'unbind'>
export const flip = method('flip') as M<'flip'>
export const roll = method('roll') as M<'roll'>
export const tril = method('tril') as M<'tril'>
export const triu = method('triu') as M<'triu'>
export const clone = method('clone') as M<'clone'>

export const matmul = method('matmul') as M<'matmul'>
export const mm = method('mm') as M<'mm'>
export const bmm = method('bmm') as M<'bmm'>
export const outer = method('outer') as M<'outer'>
export const dot = method('dot') as M<'dot'>

export const gather = method('gather') as M<'gather'>
export const scatter = method('scatter') as M<'scatter'>
export const scatterAdd = method('scatterAdd') as M<'scatterAdd'>
export const indexSelect = method('indexSelect') as M<'indexSelect'>
export const takeAlongDim = method('takeAlongDim') as M<'takeAlongDim'>
export const maskedFill = method('maskedFill') as M<'maskedFill'>
export const nonzero = method('nonzero') as M<'nonzero'>
export const sort = method('sort') as M<'sort'>
export const argsort = method('argsort') as M<'argsort'>
export const topk = method('topk') as M<'topk'>
export const softmax = method('softmax') as M<'softmax'>
export const logSoftmax = method('logSoftmax') as M<'logSoftmax'>

function tensorList(ts: unknown, op: string): number[] {
  if (!Array.isArray(ts)) throw new TypeError(`${op}(): argument 'tensors' must be a list of Tensors`)
  return ts.map((x, i) => {
    if (!(x instanceof Tensor)) throw new TypeError(`${op}(): expected Tensor as element ${i} in argument 0, but got ${typeof x}`)
    return x._handle
  })
}

/** `torch.cat(tensors, dim = 0)`. */
export function cat(tensors: Tensor[], ...args: any[]): Tensor {
  const a = parse(args, ['dim'], 'cat')
  return wrap(N.cat(tensorList(tensors, 'cat'), a.dim ?? 0))
}
export const concat = cat
export const concatenate = cat

/** `torch.stack(tensors, dim = 0)`. */
export function stack(tensors: Tensor[], ...args: any[]): Tensor {
  const a = parse(args, ['dim'], 'stack')
  return wrap(N.stack(tensorList(tensors, 'stack'), a.dim ?? 0))
}

/** `torch.einsum(equation, ...operands)` for one or two operands. */
export function einsum(equation: string, ...operands: (Tensor | Tensor[])[]): Tensor {
  const ops = operands.length === 1 && Array.isArray(operands[0]) ? operands[0] : (operands as Tensor[])
  return wrap(N.einsum(equation, tensorList(ops, 'einsum')))
}

export const SIMPLE = { SIMPLE_UNARY, SIMPLE_BINARY }

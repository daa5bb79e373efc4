// The README's first command runs this: a small tensor program on ferrotorch's CPU core.
// It fits a linear model y = X w + b to noisy synthetic data by gradient descent, with
// the gradients written out by hand (autograd arrives with the next issue), then prints
// the learned parameters next to the true ones.
import * as ft from '../src/index'

ft.manualSeed(0)
const n = 1024
const features = 8
const trueW = ft.linspace(-1, 1, features).reshape(features, 1)
const trueB = 0.5

const X = ft.randn(n, features)
const y = X.matmul(trueW).add(trueB).add(ft.randn(n, 1).mul(0.1))

let w = ft.zeros(features, 1)
let b = ft.zeros(1)
const lr = 0.1
const t0 = performance.now()
for (let step = 0; step <= 200; step++) {
  const pred = X.matmul(w).add(b)
  const err = pred.sub(y)
  const loss = err.square().mean()
  // d(loss)/dw = 2/n X^T err ; d(loss)/db = 2 mean(err)
  const gw = X.t().matmul(err).mul(2 / n)
  const gb = err.mean().mul(2).reshape(1)
  w = w.sub(gw.mul(lr))
  b = b.sub(gb.mul(lr))
  if (step % 50 === 0) console.log(`step ${String(step).padStart(3)}  mse ${(loss.item() as number).toFixed(5)}`)
}
const ms = performance.now() - t0

console.log('\nlearned w:', w.flatten().toString())
console.log('true    w:', trueW.flatten().toString())
console.log(`learned b: ${(b.item() as number).toFixed(4)}  (true ${trueB})`)
const maxErr = w.sub(trueW).abs().max().item() as number
console.log(`max |w - w_true| = ${maxErr.toFixed(4)}; 201 steps in ${ms.toFixed(1)} ms`)
console.log('\nsoftmax over the features of the first three rows of X:', X.index([[0, 3]]).softmax(1).toString())
if (maxErr > 0.05) {
  console.error('demo: the fit did not converge')
  process.exit(1)
}

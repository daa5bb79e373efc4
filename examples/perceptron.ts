// A single-layer perceptron for binary classification (the seed's example), on the two
// Iris species setosa vs versicolor (sepal length, sepal width), bundled below.
import * as ft from '../src/index'
const rows = [[5.1,3.5,0],[4.9,3.0,0],[4.7,3.2,0],[4.6,3.1,0],[5.0,3.6,0],[5.4,3.9,0],[4.6,3.4,0],[5.0,3.4,0],[4.4,2.9,0],[4.9,3.1,0],[5.4,3.7,0],[4.8,3.4,0],[4.8,3.0,0],[4.3,3.0,0],[5.8,4.0,0],[5.7,4.4,0],[7.0,3.2,1],[6.4,3.2,1],[6.9,3.1,1],[5.5,2.3,1],[6.5,2.8,1],[5.7,2.8,1],[6.3,3.3,1],[4.9,2.4,1],[6.6,2.9,1],[5.2,2.7,1],[5.0,2.0,1],[5.9,3.0,1],[6.0,2.2,1],[6.1,2.9,1],[5.6,2.9,1],[6.7,3.1,1]]
const data = ft.tensor(rows, { dtype: 'float32' })
const x = data.index(':, :2'), y = data.index(':, 2:')
const xn = x.sub(x.mean(0)).div(x.std(0))
const model = new ft.nn.Linear(2, 1)
const opt = new ft.optim.SGD(model.parameters(), { lr: 0.5 })
for (let epoch = 0; epoch < 100; epoch++) {
  opt.zeroGrad()
  const loss = ft.nn.functional.binaryCrossEntropyWithLogits(model.call(xn), y)
  loss.backward()
  opt.step()
  if (epoch % 25 === 0) console.log(`epoch ${epoch} loss ${(loss.item() as number).toFixed(4)}`)
}
const acc = model.call(xn).gt(0).to('float32').eq(y).to('float32').mean().item() as number
console.log(`training accuracy: ${(100 * acc).toFixed(1)}%`)

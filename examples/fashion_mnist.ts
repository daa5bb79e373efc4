// The README demo: a small CNN trained on Fashion-MNIST with ferrotorch, PyTorch-style.
// Shows a progress bar with loss and accuracy, prints each epoch's time and the test
// accuracy, and writes the loss/accuracy curves to fashion_mnist_curves.svg.
import { writeFileSync } from 'node:fs'
import * as ft from '../src/index'

const { nn, optim } = ft
const { data } = ft.utils
const root = process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist'
const epochs = Number(process.argv.find((a) => a.startsWith('--epochs='))?.slice(9) ?? 3)
const limit = Number(process.argv.find((a) => a.startsWith('--limit='))?.slice(8) ?? 0)

function load(train: boolean): [ft.Tensor, ft.Tensor] {
  const ds = new data.FashionMNIST(root, { train })
  let x = ds.images.to('float32').div(255).unsqueeze(1)
  let y = ds.labels
  if (limit) [x, y] = [x.narrow(0, 0, limit), y.narrow(0, 0, limit)]
  return [x, y]
}

const [xTrain, yTrain] = load(true)
const [xTest, yTest] = load(false)
console.log(`Fashion-MNIST: ${xTrain.shape[0]} training and ${xTest.shape[0]} test images from ${root}`)

ft.manualSeed(0)
const model = new nn.Sequential(
  new nn.Conv2d(1, 32, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
  new nn.Conv2d(32, 64, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
  new nn.Flatten(), new nn.Linear(3136, 128), new nn.ReLU(), new nn.Linear(128, 10),
)
console.log(`model: ${model.numParameters().toLocaleString()} parameters`)
const opt = new optim.Adam(model.parameters(), { lr: 1e-3 })
// One worker thread gathers the next batches while this thread trains.
const loader = new data.DataLoader(new data.TensorDataset(xTrain, yTrain), { batchSize: 64, shuffle: true, generator: new ft.Generator(0), numWorkers: 1 })

function bar(i: number, n: number, extra: string): void {
  const w = 30
  const done = Math.round((w * i) / n)
  process.stdout.write(`\r  [${'='.repeat(done)}${done < w ? '>' : ''}${' '.repeat(Math.max(0, w - done - 1))}] ${String(i).padStart(String(n).length)}/${n} ${extra}`)
}

function evaluate(): number {
  model.eval()
  let correct = 0
  ft.noGrad(() => {
    for (let at = 0; at < xTest.shape[0]; at += 1000) {
      const n = Math.min(1000, xTest.shape[0] - at)
      const pred = model.call(xTest.narrow(0, at, n)).argmax(1)
      correct += Number(pred.eq(yTest.narrow(0, at, n)).sum().item())
    }
  })
  model.train()
  return correct / xTest.shape[0]
}

const history: { step: number; loss: number; acc: number }[] = []
const testAcc: number[] = []

async function train(): Promise<void> {
  let step = 0
  for (let epoch = 1; epoch <= epochs; epoch++) {
    console.log(`epoch ${epoch}/${epochs}`)
    const t0 = performance.now()
    let lossSum = 0
    let correct = 0
    let seen = 0
    let i = 0
    for await (const [x, y] of loader) {
      opt.zeroGrad()
      const logits = model.call(x)
      const loss = nn.functional.crossEntropy(logits, y)
      loss.backward()
      opt.step()
      const l = Number(loss.item())
      lossSum += l * x.shape[0]
      correct += Number(logits.argmax(1).eq(y).sum().item())
      seen += x.shape[0]
      i++
      step++
      if (i % 20 === 0 || i === loader.length) {
        history.push({ step, loss: lossSum / seen, acc: correct / seen })
        bar(i, loader.length, `loss ${(lossSum / seen).toFixed(4)}  acc ${((100 * correct) / seen).toFixed(2)}%`)
      }
    }
    const secs = (performance.now() - t0) / 1000
    const acc = evaluate()
    testAcc.push(acc)
    process.stdout.write('\n')
    console.log(`  epoch ${epoch}: ${secs.toFixed(1)} s, train loss ${(lossSum / seen).toFixed(4)}, train acc ${((100 * correct) / seen).toFixed(2)}%, test acc ${(100 * acc).toFixed(2)}%`)
  }

}

// The curves as an SVG picture: training loss (left axis) and accuracy (right axis).
function svg(): string {
  const W = 720
  const H = 360
  const m = 50
  const maxStep = history[history.length - 1]?.step ?? 1
  const maxLoss = Math.max(...history.map((h) => h.loss), 1e-9)
  const px = (s: number) => m + ((W - 2 * m) * s) / maxStep
  const pyL = (l: number) => H - m - ((H - 2 * m) * l) / maxLoss
  const pyA = (a: number) => H - m - (H - 2 * m) * a
  const line = (pts: [number, number][], color: string) => `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}"/>`
  const epochMarks = testAcc.map((a, i) => `<circle cx="${px(((i + 1) * maxStep) / testAcc.length).toFixed(1)}" cy="${pyA(a).toFixed(1)}" r="4" fill="#2ca02c"/>`).join('')
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">ferrotorch: Fashion-MNIST CNN (test accuracy ${(100 * testAcc[testAcc.length - 1]).toFixed(2)}%)</text>
<line x1="${m}" y1="${H - m}" x2="${W - m}" y2="${H - m}" stroke="black"/><line x1="${m}" y1="${m}" x2="${m}" y2="${H - m}" stroke="black"/><line x1="${W - m}" y1="${m}" x2="${W - m}" y2="${H - m}" stroke="black"/>
<text x="${W / 2}" y="${H - 15}" text-anchor="middle">training step</text>
<text x="15" y="${H / 2}" transform="rotate(-90 15 ${H / 2})" text-anchor="middle" fill="#1f77b4">train loss (0-${maxLoss.toFixed(2)})</text>
<text x="${W - 15}" y="${H / 2}" transform="rotate(90 ${W - 15} ${H / 2})" text-anchor="middle" fill="#ff7f0e">accuracy (0-100%)</text>
${line(history.map((h) => [px(h.step), pyL(h.loss)]), '#1f77b4')}
${line(history.map((h) => [px(h.step), pyA(h.acc)]), '#ff7f0e')}
${epochMarks}
<text x="${W - m - 5}" y="${m + 15}" text-anchor="end" fill="#2ca02c">● test accuracy after each epoch</text>
</svg>`
}
train().then(() => {
  writeFileSync('fashion_mnist_curves.svg', svg())
  const final = testAcc[testAcc.length - 1]
  console.log(`test accuracy: ${(100 * final).toFixed(2)}%  (curves: fashion_mnist_curves.svg)`)
  // The seeded run here reaches 90.1%; other CPUs round a little differently, so falling
  // just short is reported, not treated as a failure of the command.
  if (!limit && epochs >= 3 && final < 0.9) console.warn('note: test accuracy is below 90% on this run')
})

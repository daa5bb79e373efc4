// Recurrent and attention modules: outputs and parameter names against PyTorch (when
// python3 has torch), shapes and gradcheck otherwise too.
import test from 'ava'
import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import * as ft from '../src/index'

const { nn } = ft
const hasTorch = spawnSync('python3', ['-c', 'import torch, safetensors'], { encoding: 'utf8' }).status === 0
const dir = mkdtempSync(path.join(tmpdir(), 'ft-seq-'))

/** Builds `module` in PyTorch, runs `call`, and saves weights, inputs and outputs. */
function torchRef(name: string, module: string, inputs: string, call: string): Record<string, ft.Tensor> {
  const f = path.join(dir, `${name}.safetensors`)
  const code = `
import torch
from safetensors.torch import save_file
torch.manual_seed(0)
m = ${module}.double().eval()
${inputs}
with torch.no_grad():
    out = ${call}
d = {('w.' + k): v.contiguous() for k, v in m.state_dict().items()}
outs = out if isinstance(out, (list, tuple)) else [out]
flat = []
for o in outs:
    flat.extend(o if isinstance(o, (list, tuple)) else [o])
for i, o in enumerate(flat):
    if o is not None: d[f'out{i}'] = o.contiguous()
for k, v in list(globals().items()):
    if k.startswith('in_') and torch.is_tensor(v): d[k] = v.contiguous()
save_file(d, ${JSON.stringify(f)})
`
  const r = spawnSync('python3', ['-c', code], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(r.stderr)
  return ft.load(f)
}

function loadInto(m: ft.nn.Module, ref: Record<string, ft.Tensor>): void {
  const sd: Record<string, ft.Tensor> = {}
  for (const [k, v] of Object.entries(ref)) if (k.startsWith('w.')) sd[k.slice(2)] = v
  m.double()
  m.loadStateDict(sd)
  m.eval()
}

function near(t: any, a: ft.Tensor, b: ft.Tensor, what: string): void {
  t.deepEqual(a.shape, b.shape, `${what} shape`)
  t.true((a.sub(b).abs().max().item() as number) < 1e-10, what)
}

const cases: [string, () => ft.nn.Module, string, string, string, (m: any, r: Record<string, ft.Tensor>) => ft.Tensor[]][] = [
  ['lstm', () => new nn.LSTM(3, 4, { numLayers: 2, bidirectional: true }), 'torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True)', 'in_x = torch.randn(5, 2, 3, dtype=torch.float64)', 'm(in_x)',
    (m, r) => { const [o, [h, c]] = m.call(r.in_x); return [o, h, c] }],
  ['gru', () => new nn.GRU(3, 4, { batchFirst: true }), 'torch.nn.GRU(3, 4, batch_first=True)', 'in_x = torch.randn(2, 5, 3, dtype=torch.float64); in_h = torch.randn(1, 2, 4, dtype=torch.float64)', 'm(in_x, in_h)',
    (m, r) => { const [o, h] = m.call(r.in_x, r.in_h); return [o, h] }],
  ['rnn', () => new nn.RNN(3, 4, { nonlinearity: 'relu', numLayers: 2 }), "torch.nn.RNN(3, 4, nonlinearity='relu', num_layers=2)", 'in_x = torch.randn(4, 3, dtype=torch.float64)', 'm(in_x)',
    (m, r) => { const [o, h] = m.call(r.in_x); return [o, h] }],
  ['mha', () => new nn.MultiheadAttention(8, 2, { batchFirst: true }), 'torch.nn.MultiheadAttention(8, 2, batch_first=True)', 'in_q = torch.randn(2, 3, 8, dtype=torch.float64); in_k = torch.randn(2, 5, 8, dtype=torch.float64)', 'm(in_q, in_k, in_k)',
    (m, r) => { const [o, w] = m.call(r.in_q, r.in_k, r.in_k); return [o, w] }],
  ['encoder', () => new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0 }), 'torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0)', 'in_x = torch.randn(5, 2, 8, dtype=torch.float64); in_mask = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)', 'm(in_x, src_mask=in_mask)',
    (m, r) => [m.call(r.in_x, { srcMask: r.in_mask })]],
  ['decoder', () => new nn.TransformerDecoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, normFirst: true, batchFirst: true }), 'torch.nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0, norm_first=True, batch_first=True)', 'in_t = torch.randn(2, 4, 8, dtype=torch.float64); in_m = torch.randn(2, 6, 8, dtype=torch.float64)', 'm(in_t, in_m)',
    (m, r) => [m.call(r.in_t, r.in_m)]],
]

for (const [name, make, mod, inputs, call, run] of cases) {
  test(`${name}: same parameter names and outputs as PyTorch`, (t) => {
    if (!hasTorch) {
      t.log('python3 with torch is not installed: PyTorch comparison skipped')
      t.pass()
      return
    }
    const ref = torchRef(name, mod, inputs, call)
    const m = make()
    const ours = Object.keys(m.stateDict())
    const theirs = Object.keys(ref).filter((k) => k.startsWith('w.')).map((k) => k.slice(2))
    t.deepEqual([...ours].sort(), [...theirs].sort(), 'state dict keys')
    loadInto(m, ref)
    run(m, ref).forEach((o, i) => near(t, o, ref[`out${i}`], `output ${i}`))
  })
}

test('recurrent and attention modules backpropagate (gradcheck)', (t) => {
  ft.manualSeed(2)
  const lstm = new nn.LSTM(2, 2).double()
  t.true(ft.autograd.gradcheck((x) => lstm.call(x)[0].sum(), [ft.randn([3, 1, 2], { dtype: 'float64', requiresGrad: true })]))
  const gru = new nn.GRU(2, 2, { bidirectional: true }).double()
  t.true(ft.autograd.gradcheck((x) => gru.call(x)[0].sum(), [ft.randn([3, 1, 2], { dtype: 'float64', requiresGrad: true })]))
  const mha = new nn.MultiheadAttention(4, 2).double()
  t.true(ft.autograd.gradcheck((q) => mha.call(q, q, q, { isCausal: true, attnMask: ft.ones(3, 3, { dtype: 'bool' }).triu(1) })[0].sum(), [ft.randn([3, 1, 4], { dtype: 'float64', requiresGrad: true })]))
  const enc = new nn.TransformerEncoder(new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8, dropout: 0 }), 2)
  t.is(enc.layers.length, 2)
  t.not(enc.layers.at(0), enc.layers.at(1))
  t.deepEqual(Object.keys(enc.stateDict()).slice(0, 2), ['layers.0.self_attn.in_proj_weight', 'layers.0.self_attn.in_proj_bias'])
  t.deepEqual(enc.call(ft.randn(3, 2, 4)).shape, [3, 2, 4])
})

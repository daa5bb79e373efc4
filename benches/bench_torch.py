"""PyTorch side of the ferrotorch benchmarks: same workloads, same timing protocol.

Prints one JSON object {workload_id: median_seconds_per_call}. Run by bench.ts when
`import torch` works; usable alone: python3 benches/bench_torch.py W1_1024 W3 ...
"""
import json
import sys
import time

import torch

torch.set_num_threads(2)


def bench(fn):
    fn()
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-9)
    k = max(1, int(-(-0.25 // one)))
    if k > 1:
        for _ in range(min(k, 1000)):
            fn()
    blocks = 3 if one > 1 else 5
    times = []
    for _ in range(blocks):
        t0 = time.perf_counter()
        for _ in range(k):
            fn()
        times.append((time.perf_counter() - t0) / k)
    times.sort()
    return times[len(times) // 2]


def workloads():
    g = torch.Generator().manual_seed(0)
    w = {}
    for n in (256, 1024, 2048):
        a, b = torch.randn(n, n, generator=g), torch.randn(n, n, generator=g)
        w[f"W1_{n}"] = (lambda a=a, b=b: a @ b)
    a, b = torch.randn(1_000_000, generator=g), torch.randn(1_000_000, generator=g)
    w["W2a"] = lambda: a + b
    w["W2b"] = lambda: torch.exp(a)
    w["W2c"] = lambda: torch.relu(a)
    s1, s2 = torch.randn(4, generator=g), torch.randn(4, generator=g)
    w["W3"] = lambda: s1 + s2
    x = torch.randn(4, generator=g, requires_grad=True)

    def w4():
        (x * 2).sum().backward()
        x.grad = None

    w["W4"] = w4
    ma = torch.randn(1024, 1024, generator=g, requires_grad=True)
    mb = torch.randn(1024, 1024, generator=g, requires_grad=True)

    def mm_fb():
        (ma @ mb).sum().backward()
        ma.grad = None
        mb.grad = None

    w["MM_FB"] = mm_fb
    nn = torch.nn
    mlp = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    mopt = torch.optim.Adam(mlp.parameters(), lr=1e-3)
    mx, my = torch.randn(128, 784, generator=g), torch.randint(0, 10, (128,), generator=g)

    def w5():
        mopt.zero_grad()
        nn.functional.cross_entropy(mlp(mx), my).backward()
        mopt.step()

    w["W5"] = w5
    cnn = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10),
    )
    copt = torch.optim.Adam(cnn.parameters(), lr=1e-3)
    cx, cy = torch.randn(64, 1, 28, 28, generator=g), torch.randint(0, 10, (64,), generator=g)

    def w6():
        copt.zero_grad()
        nn.functional.cross_entropy(cnn(cx), cy).backward()
        copt.step()

    w["W6"] = w6
    F = nn.functional

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(128), nn.LayerNorm(128)
            self.q, self.k, self.v, self.o = (nn.Linear(128, 128) for _ in range(4))
            self.fc1, self.fc2 = nn.Linear(128, 512), nn.Linear(512, 128)

        def forward(self, x):
            B, T, _ = x.shape
            h = self.ln1(x)
            heads = lambda t: t.reshape(B, T, 4, 32).transpose(1, 2)
            a = F.scaled_dot_product_attention(heads(self.q(h)), heads(self.k(h)), heads(self.v(h)), is_causal=True)
            x = x + self.o(a.transpose(1, 2).reshape(B, T, 128))
            return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok, self.pos = nn.Embedding(65, 128), nn.Embedding(64, 128)
            self.blocks = nn.Sequential(Block(), Block())
            self.ln, self.head = nn.LayerNorm(128), nn.Linear(128, 65)

        def forward(self, idx):
            return self.head(self.ln(self.blocks(self.tok(idx) + self.pos(torch.arange(64)))))

    tm = Model()
    topt = torch.optim.Adam(tm.parameters(), lr=1e-3)
    tidx, ttgt = torch.randint(0, 65, (16, 64), generator=g), torch.randint(0, 65, (16, 64), generator=g)

    def w8():
        topt.zero_grad()
        F.cross_entropy(tm(tidx).reshape(-1, 65), ttgt.reshape(-1)).backward()
        topt.step()

    w["W8"] = w8
    return w


if __name__ == "__main__":
    ws = workloads()
    names = sys.argv[1:] or list(ws)
    print(json.dumps({n: bench(ws[n]) for n in names}))

"""PyTorch side of the ferrotorch benchmarks: same workloads, same timing protocol.

Prints one JSON object {"times": {workload_id: median_seconds_per_call}, "peak_rss_kib": N,
"version": torch.__version__}, peak_rss_kib being this process's peak RSS (peak_rss_kib()).
Run by bench.ts when `import torch` works: once for the small workloads and once per
training workload, so that each peak RSS is that workload's (no argument: only import
torch, the idle footprint). Usable alone: python3 benches/bench_torch.py W1_1024 W3 ...
"""
import json
import resource
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


def peak_rss_kib():
    """VmHWM on Linux; not ru_maxrss, which Linux carries over fork and execve (a child
    reports at least its parent's RSS at the spawn)."""
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return rss // 1024 if sys.platform == "darwin" else rss


def gen():
    return torch.Generator().manual_seed(0)


def w1(n):
    def make():
        g = gen()
        a, b = torch.randn(n, n, generator=g), torch.randn(n, n, generator=g)
        return lambda: a @ b

    return make


def w2(op):
    def make():
        g = gen()
        a, b = torch.randn(1_000_000, generator=g), torch.randn(1_000_000, generator=g)
        return {"add": lambda: a + b, "exp": lambda: torch.exp(a), "relu": lambda: torch.relu(a)}[op]

    return make


def w3():
    g = gen()
    s1, s2 = torch.randn(4, generator=g), torch.randn(4, generator=g)
    return lambda: s1 + s2


def w4():
    x = torch.randn(4, generator=gen(), requires_grad=True)

    def step():
        (x * 2).sum().backward()
        x.grad = None

    return step


def mm_fb():
    g = gen()
    ma = torch.randn(1024, 1024, generator=g, requires_grad=True)
    mb = torch.randn(1024, 1024, generator=g, requires_grad=True)

    def step():
        (ma @ mb).sum().backward()
        ma.grad = None
        mb.grad = None

    return step


def train_step(model, x, y, classes):
    """zero grads + forward + mean cross-entropy + backward + Adam(1e-3)."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x).reshape(-1, classes), y.reshape(-1)).backward()
        opt.step()

    return step


def w5():
    torch.manual_seed(0)
    nn, g = torch.nn, gen()
    mlp = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    return train_step(mlp, torch.randn(128, 784, generator=g), torch.randint(0, 10, (128,), generator=g), 10)


def w6():
    torch.manual_seed(0)
    nn, g = torch.nn, gen()
    cnn = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10),
    )
    return train_step(cnn, torch.randn(64, 1, 28, 28, generator=g), torch.randint(0, 10, (64,), generator=g), 10)


def w8():
    torch.manual_seed(0)
    nn, F, g = torch.nn, torch.nn.functional, gen()

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

    tidx, ttgt = torch.randint(0, 65, (16, 64), generator=g), torch.randint(0, 65, (16, 64), generator=g)
    return train_step(Model(), tidx, ttgt, 65)


WORKLOADS = {
    "W1_256": w1(256), "W1_1024": w1(1024), "W1_2048": w1(2048),
    "W2a": w2("add"), "W2b": w2("exp"), "W2c": w2("relu"),
    "W3": w3, "W4": w4, "W5": w5, "W6": w6, "W8": w8, "MM_FB": mm_fb,
}

if __name__ == "__main__":
    # Each workload's tensors are made just before it runs, so a process running one
    # workload holds only that workload's memory.
    times = {n: bench(WORKLOADS[n]()) for n in sys.argv[1:]}
    print(json.dumps({"times": times, "peak_rss_kib": peak_rss_kib(), "version": torch.__version__}))

"""PyTorch side of `npm run bench:cuda`: the same CUDA workloads and timing protocol
(bench_torch.py's `bench`, each call closed by torch.cuda.synchronize()). Prints
{"times": {id: median seconds}}. Usable alone: python3 benches/bench_cuda_torch.py C1_float32 C3
"""
import json
import sys

import torch

from bench_torch import bench, train_step

assert torch.cuda.is_available(), "PyTorch sees no CUDA device"
dev = "cuda"
N, E = 4096, 64 * 1024 * 1024


def synced(f):
    def run():
        f()
        torch.cuda.synchronize()
    return run


def gemm(dtype):
    a = torch.randn(N, N, device=dev, dtype=dtype)
    b = torch.randn(N, N, device=dev, dtype=dtype)
    return synced(lambda: a @ b)


def c3():
    torch.manual_seed(0)
    nn = torch.nn
    cnn = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10),
    ).to(dev)
    return synced(train_step(cnn, torch.randn(64, 1, 28, 28, device=dev), torch.randint(0, 10, (64,), device=dev), 10))


def elementwise(op):
    a = torch.randn(E, device=dev)
    b = torch.randn(E, device=dev)
    return synced(lambda: op(a, b))


WORKLOADS = {
    "C1_float32": lambda: gemm(torch.float32),
    "C1_bfloat16": lambda: gemm(torch.bfloat16),
    "C2a": lambda: elementwise(lambda a, b: a + b),
    "C2b": lambda: elementwise(lambda a, b: a.exp()),
    "C2c": lambda: elementwise(lambda a, b: a.relu()),
    "C3": c3,
}

if __name__ == "__main__":
    print(json.dumps({"times": {n: bench(WORKLOADS[n]()) for n in sys.argv[1:]}}))

"""PyTorch side of W7: the demo's CNN on Fashion-MNIST with the same settings
(batch 64, Adam 1e-3, shuffled, pixels / 255), printing epoch wall time and test accuracy.
Usage: python3 benches/fashion_mnist_torch.py [epochs] [data_dir]"""
import gzip
import sys
import time

import numpy as np
import torch

torch.set_num_threads(2)
torch.manual_seed(0)
epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
root = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/datasets/fashion-mnist"


def idx(name):
    with gzip.open(f"{root}/{name}.gz") as f:
        data = f.read()
    nd = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * nd).reshape(shape)


xtr = torch.tensor(idx("train-images-idx3-ubyte"), dtype=torch.float32).div(255).unsqueeze(1)
ytr = torch.tensor(idx("train-labels-idx1-ubyte"), dtype=torch.int64)
xte = torch.tensor(idx("t10k-images-idx3-ubyte"), dtype=torch.float32).div(255).unsqueeze(1)
yte = torch.tensor(idx("t10k-labels-idx1-ubyte"), dtype=torch.int64)
nn = torch.nn
model = nn.Sequential(
    nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10),
)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(xtr, ytr), batch_size=64, shuffle=True)
for epoch in range(1, epochs + 1):
    t0 = time.perf_counter()
    for x, y in loader:
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    secs = time.perf_counter() - t0
    with torch.no_grad():
        acc = (model(xte).argmax(1) == yte).float().mean().item()
    print(f"epoch {epoch}: {secs:.1f} s, test acc {100 * acc:.2f}%", flush=True)

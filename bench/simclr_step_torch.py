"""PyTorch side of the simclr_step bench (bench/simclr_step.ts): what a PyTorch user runs for the same
SimCLR step — a Dataset of 1-channel PIL images whose __getitem__ returns two torchvision views, a
DataLoader with WORKERS processes, and the same model (ResNet with one BasicBlock per stage, widths
16-32-64-128, CIFAR stem; projection head Linear-BN-ReLU-Linear-BN 128→512→128), NT-Xent τ 0.5 and SGD
momentum 0.9, on the same-sized random images.

  python3 simclr_step_torch.py SIZE BATCH STEPS WORKERS THREADS

Skips WARM batches (worker start-up, prefetch queue, first-step allocations), times STEPS steps and prints
{"per_s", "cpu_s_per_item"}: images per second and CPU seconds per image (this process and its workers;
an image = one pair of views; bench/sides.ts pythonRates reads them).
"""
import json
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
from cpu_time import cpu_seconds
from PIL import Image

size, batch, steps, workers, threads = (int(a) for a in sys.argv[1:6])
torch.set_num_threads(threads)
torch.manual_seed(0)
WARM = 3

transform = T.Compose(
    [
        T.RandomResizedCrop(size, scale=(0.08, 1.0)),
        T.RandomHorizontalFlip(),
        T.RandomApply([T.ColorJitter(0.4, 0.4)], p=0.8),  # grey images: brightness/contrast only
        T.ToTensor(),
    ]
)


class Pairs(torch.utils.data.Dataset):
    def __init__(self, n):
        raw = np.random.default_rng(0).integers(0, 256, size=(n, size, size), dtype=np.uint8)
        self.images = [Image.fromarray(a, mode="L") for a in raw]

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return transform(self.images[i]), transform(self.images[i])


def encoder():
    m = torchvision.models.resnet.ResNet(torchvision.models.resnet.BasicBlock, [1, 1, 1, 1], num_classes=10)
    # width 16: rebuild with a quarter of torchvision's channels (torchvision has no width knob)
    m.inplanes = 16
    m.conv1 = nn.Conv2d(1, 16, 3, 1, 1, bias=False)
    m.bn1 = nn.BatchNorm2d(16)
    m.maxpool = nn.Identity()
    m.layer1 = m._make_layer(torchvision.models.resnet.BasicBlock, 16, 1)
    m.layer2 = m._make_layer(torchvision.models.resnet.BasicBlock, 32, 1, stride=2)
    m.layer3 = m._make_layer(torchvision.models.resnet.BasicBlock, 64, 1, stride=2)
    m.layer4 = m._make_layer(torchvision.models.resnet.BasicBlock, 128, 1, stride=2)
    m.fc = nn.Identity()
    return m


model = nn.Sequential(
    encoder(),
    nn.Linear(128, 512, bias=False),
    nn.BatchNorm1d(512),
    nn.ReLU(),
    nn.Linear(512, 128, bias=False),
    nn.BatchNorm1d(128),
)
opt = torch.optim.SGD(model.parameters(), lr=0.3, momentum=0.9, weight_decay=1e-4)


def nt_xent(z1, z2, tau=0.5):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    n = z1.shape[0]
    sim = z @ z.t() / tau
    sim.fill_diagonal_(float("-inf"))
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(sim, targets)


loader = torch.utils.data.DataLoader(
    Pairs(batch * (steps + WARM)), batch_size=batch, shuffle=True, num_workers=workers, drop_last=True
)
it = iter(loader)
pids = [w.pid for w in getattr(it, "_workers", [])]
model.train()
n = 0
for i, (v1, v2) in enumerate(it):
    if i == WARM:
        c0, t0 = cpu_seconds(pids), time.perf_counter()
    z = model(torch.cat([v1, v2]))
    loss = nt_xent(z[:batch], z[batch:])
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    if i >= WARM:
        n += batch
    if i == WARM + steps - 1:  # measured before the loader ends and its workers exit
        loss.item()
        cpu, wall = cpu_seconds(pids) - c0, time.perf_counter() - t0
print(json.dumps({"per_s": n / wall, "cpu_s_per_item": cpu / n, "images": n, "workers": workers}))

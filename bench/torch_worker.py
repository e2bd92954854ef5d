"""One benchmark case on PyTorch (Debian python3-torch 1.13 + torchvision), mirroring
bench/facelab_worker.ts: build, warm up, time `iters` iterations, print a WorkerResult JSON line.

  python3 torch_worker.py CASE WARMUP ITERS THREADS
"""
import json
import resource
import sys
import time

import torch
import torch.nn.functional as F
import torchvision

CASES = {
    "resnet18_cifar_train": ("resnet18", True, 10, 64, 32, True),
    "resnet50_train": ("resnet50", False, 1000, 32, 64, True),
    "resnet18_cifar_infer": ("resnet18", True, 10, 64, 32, False),
    "resnet50_infer": ("resnet50", False, 1000, 32, 64, False),
}

name, warmup, iters, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
arch, cifar, classes, batch, size, train = CASES[name]
torch.set_num_threads(threads)
torch.manual_seed(0)
model = getattr(torchvision.models, arch)(num_classes=classes)
if cifar:
    model.conv1 = torch.nn.Conv2d(3, 64, 3, 1, 1, bias=False)
    model.maxpool = torch.nn.Identity()
x = torch.randn(batch, 3, size, size)
y = torch.randint(0, classes, (batch,))
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4) if train else None
model.train(train)


def step():
    if train:
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    else:
        with torch.no_grad():
            model(x)


for _ in range(warmup):
    step()
times, cpu_times = [], []
faults0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(iters):
    c0 = time.process_time()
    t0 = time.perf_counter()
    step()
    times.append(time.perf_counter() - t0)
    cpu_times.append(time.process_time() - c0)
print(json.dumps({
    "side": "pytorch", "case": name, "threads": torch.get_num_threads(), "times": times, "cpuTimes": cpu_times,
    "minorFaultsPerIter": (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults0) / iters,
    "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))

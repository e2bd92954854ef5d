"""One benchmark case on PyTorch (Debian python3-torch 1.13 + torchvision), mirroring
bench/facelab_worker.ts: build, warm up, time `iters` iterations, print a WorkerResult JSON line.

  python3 torch_worker.py CASE WARMUP ITERS THREADS
"""
import json
import resource
import sys
import time

import os

import torch
import torch.nn.functional as F

try:
    import torchvision.models as models
except Exception:  # no (or a mismatched) torchvision, as in the torch 2.x venv: the same nets
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import torch_resnet as models

CASES = {
    "resnet18_cifar_train": ("resnet18", True, 10, 64, 32, True),
    "resnet50_train": ("resnet50", False, 1000, 32, 64, True),
    "resnet18_cifar_infer": ("resnet18", True, 10, 64, 32, False),
    "resnet50_infer": ("resnet50", False, 1000, 32, 64, False),
}

name, warmup, iters, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
arch, cifar, classes, batch, size, train = CASES[name]
# Variants set by bench/run.ts and scripts/gpu-check.mjs (bench/facelab_worker.ts reads the same).
channels_last = os.environ.get("FACELAB_BENCH_MEMORY_FORMAT") == "channels_last"
device = os.environ.get("FACELAB_BENCH_DEVICE", "cpu")
precision = os.environ.get("FACELAB_BENCH_PRECISION", "fp32")
size = int(os.environ.get("FACELAB_BENCH_SIZE", size))
batch = int(os.environ.get("FACELAB_BENCH_BATCH", batch))
torch.set_num_threads(threads)
torch.manual_seed(0)
model = getattr(models, arch)(num_classes=classes)
if cifar:
    model.conv1 = torch.nn.Conv2d(3, 64, 3, 1, 1, bias=False)
    model.maxpool = torch.nn.Identity()
fmt = torch.channels_last if channels_last else torch.contiguous_format
model = model.to(device=device, memory_format=fmt)
x = torch.randn(batch, 3, size, size, device=device).contiguous(memory_format=fmt)
y = torch.randint(0, classes, (batch,), device=device)
amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
scaler = None
if precision == "fp16":
    scaler = torch.amp.GradScaler("cuda") if hasattr(torch.amp, "GradScaler") else torch.cuda.amp.GradScaler()
sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4) if train else None
model.train(train)


def step():
    if train:
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device.split(":")[0], dtype=amp_dtype, enabled=amp_dtype is not None):
            logits = model(x)
        loss = F.cross_entropy(logits.float(), y)
        if scaler is None:
            loss.backward()
            opt.step()
        else:
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
    else:
        with torch.no_grad(), torch.autocast(device.split(":")[0], dtype=amp_dtype, enabled=amp_dtype is not None):
            model(x)
    sync()


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
    "side": "pytorch", "case": name, "torch": torch.__version__, "batch": batch, "threads": torch.get_num_threads(), "times": times, "cpuTimes": cpu_times,
    "minorFaultsPerIter": (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults0) / iters,
    "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))

"""torchvision side of the augmentation bench (bench/augment.ts): the SimCLR transforms as a PyTorch user
writes them — a Dataset of PIL images whose __getitem__ returns two augmented views (per-image
torchvision transforms + ToTensor), batched by a real DataLoader with 0 or 2 worker processes.

  python3 augment_torch.py SIZE BATCH BATCHES WORKERS THREADS

BATCH images per batch (2·BATCH views). One warm-up pass over the loader (workers started, persistent),
then BATCHES batches timed. Prints {"per_s", "cpu_s_per_item"}: views per second and CPU seconds per view
(this process and its workers; bench/sides.ts pythonRates reads them).
"""
import json
import sys
import time

import numpy as np
import torch
import torchvision.transforms as T
from cpu_time import cpu_seconds
from PIL import Image

size, batch, batches, workers, threads = (int(a) for a in sys.argv[1:6])
torch.set_num_threads(threads)

# Same presets as facelab's simclrCifar (≤ 48 px) and simclrLarge (blur 10% of the side, p 0.5).
s = 0.5 if size <= 48 else 1.0
ops = [
    T.RandomResizedCrop(size, scale=(0.08, 1.0)),
    T.RandomHorizontalFlip(),
    T.RandomApply([T.ColorJitter(0.8 * s, 0.8 * s, 0.8 * s, 0.2 * s)], p=0.8),
    T.RandomGrayscale(p=0.2),
]
if size > 48:
    k = 2 * ((size // 10) // 2) + 1
    ops.append(T.RandomApply([T.GaussianBlur(k, sigma=(0.1, 2.0))], p=0.5))
transform = T.Compose(ops + [T.ToTensor()])


class Views(torch.utils.data.Dataset):
    def __init__(self, n):
        raw = np.random.default_rng(0).integers(0, 256, size=(n, size, size, 3), dtype=np.uint8)
        self.images = [Image.fromarray(a) for a in raw]

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        im = self.images[i]
        return transform(im), transform(im)


SKIP = 5  # batches before timing starts: worker start-up and the prefetch queue (2 batches per worker)
ds = Views(batch * (batches + SKIP))
loader = torch.utils.data.DataLoader(ds, batch_size=batch, shuffle=True, num_workers=workers, drop_last=True)


it = iter(loader)
pids = [w.pid for w in getattr(it, "_workers", [])]
n = 0
for i, (v1, v2) in enumerate(it):
    if i == SKIP - 1:
        c0, t0 = cpu_seconds(pids), time.perf_counter()
    elif i >= SKIP:
        n += v1.shape[0] + v2.shape[0]
        if i == SKIP + batches - 1:
            cpu, wall = cpu_seconds(pids) - c0, time.perf_counter() - t0
print(json.dumps({"per_s": n / wall, "cpu_s_per_item": cpu / n, "views": n, "workers": workers}))

"""Loads backbones written by `facelab export --backbone` the way the export tells a PyTorch user to:
runs the Python recipe stored in each file's metadata (torchvision module, load_state_dict strict),
then compares the module's output on a fixed input with facelab's encoder output (the oracle).
safetensors.torch.load_file is stood in for by the independent reader in test/torch/safetensors_io.py.

  python3 backbone_load_check.py BACKBONE.safetensors IO.safetensors [...pairs]
  -> one JSON line per pair: {"file", "maxAbsDiff", "maxAbs", "shape"}
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "torch"))
from safetensors_io import read_file  # noqa: E402

torch.set_num_threads(1)
args = sys.argv[1:]
for backbone, io_path in zip(args[0::2], args[1::2]):
    _, meta = read_file(backbone)
    recipe = meta["python"].replace("from safetensors.torch import load_file\n", "")
    scope = {"load_file": lambda p: read_file(p)[0]}
    exec(recipe, scope)  # noqa: S102 - the recipe facelab printed for this file
    m = scope["m"]
    io, _ = read_file(io_path)
    with torch.no_grad():
        y = m(io["x"])
    print(json.dumps({
        "file": backbone,
        "maxAbsDiff": (y - io["y"]).abs().max().item(),
        "maxAbs": io["y"].abs().max().item(),
        "shape": list(y.shape),
    }))

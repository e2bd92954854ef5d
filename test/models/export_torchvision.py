"""Writes a torchvision ResNet's state dict, a fixed input and PyTorch's outputs to a safetensors
file (through the independent writer in test/torch/safetensors_io.py), for test/models/resnet.test.ts.

  python3 export_torchvision.py OUT.safetensors resnet18|resnet50 [cifar]
"""
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "torch"))
from safetensors_io import write_file  # noqa: E402

torch.set_num_threads(1)
out_path, arch = sys.argv[1], sys.argv[2]
cifar = len(sys.argv) > 3 and sys.argv[3] == "cifar"
torch.manual_seed(0)
m = getattr(torchvision.models, arch)(num_classes=10)
if cifar:
    m.conv1 = torch.nn.Conv2d(3, 64, 3, 1, 1, bias=False)
    m.maxpool = torch.nn.Identity()
# Non-trivial BN affine parameters and running statistics, so eval mode really tests them.
with torch.no_grad():
    for mod in m.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.weight.uniform_(0.5, 1.5)
            mod.bias.uniform_(-0.2, 0.2)
            mod.running_mean.uniform_(-0.1, 0.1)
            mod.running_var.uniform_(0.5, 2.0)
tensors = {"model." + k: v.clone() for k, v in m.state_dict().items()}
size = 32 if cifar else 64
x = torch.randn(2, 3, size, size)
m.eval()
with torch.no_grad():
    tensors["eval_logits"] = m(x)
m.train()
with torch.no_grad():
    tensors["train_logits"] = m(x)
tensors["bn1_running_mean_after_train"] = m.bn1.running_mean.clone()
tensors["x"] = x
write_file(tensors, out_path, {"arch": arch, "cifar": str(cifar)})

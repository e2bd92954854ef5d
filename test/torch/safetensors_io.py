"""A minimal, independent safetensors reader/writer for tests (the `safetensors` package is not
installed with Debian's python3-torch). Parses the format with struct/json and torch.frombuffer.

  python3 safetensors_io.py read FILE   -> JSON {"metadata": {...}, "tensors": {name: {dtype, shape, values}}}
  python3 safetensors_io.py sample FILE -> writes a file with one tensor of every dtype (values below)
"""
import json
import struct
import sys

import torch

DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
    "U8": torch.uint8, "BOOL": torch.bool,
}
NAMES = {v: k for k, v in DTYPES.items()}


def read_file(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n].decode("utf-8"))
    base = 8 + n
    meta = header.pop("__metadata__", {})
    out = {}
    for name, info in header.items():
        b, e = info["data_offsets"]
        dtype = DTYPES[info["dtype"]]
        raw = bytearray(data[base + b : base + e])
        t = torch.frombuffer(raw, dtype=dtype) if len(raw) else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(info["shape"]).clone()
    return out, meta


def write_file(tensors, path, metadata=None):
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    blobs = []
    offset = 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        raw = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for raw in blobs:
            f.write(raw)


def sample():
    return {
        "f64": torch.tensor([[1.5, -2.25], [1e-300, 3.0]], dtype=torch.float64),
        "f32": torch.arange(6, dtype=torch.float32).reshape(2, 3) / 4,
        "f16": torch.tensor([0.5, -1.0, 65504.0], dtype=torch.float16),
        "bf16": torch.tensor([1.0, -3.0, 0.0078125], dtype=torch.bfloat16),
        "i64": torch.tensor([-(2**40), 7], dtype=torch.int64),
        "i32": torch.tensor([[-5], [6]], dtype=torch.int32),
        "u8": torch.tensor([0, 255, 17], dtype=torch.uint8),
        "bool": torch.tensor([True, False, True]),
        "scalar": torch.tensor(2.5, dtype=torch.float32),
        "empty": torch.zeros(0, 3, dtype=torch.float32),
    }


if __name__ == "__main__":
    cmd, path = sys.argv[1], sys.argv[2]
    if cmd == "read":
        tensors, meta = read_file(path)
        print(json.dumps({"metadata": meta, "tensors": {
            k: {"dtype": NAMES[v.dtype], "shape": list(v.shape), "values": v.flatten().double().tolist()}
            for k, v in tensors.items()}}))
    elif cmd == "sample":
        write_file(sample(), path, {"format": "pt", "written_by": "python"})

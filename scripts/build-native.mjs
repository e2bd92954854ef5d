#!/usr/bin/env node
// Builds native/ with cmake-js against the first LibTorch found, in this order:
//   1. LIBTORCH=/path/to/libtorch       (an official libtorch zip, CPU or CUDA)
//   2. LIBTORCH_USE_PYTORCH=1           (the torch package of `python3`, or of FACELAB_PYTHON)
//   3. Debian's libtorch-dev            (/usr/lib/<triplet>/cmake/Torch)
// Prints which one it used. Incremental: cmake-js only recompiles what changed.
// A CUDA LibTorch built with NCCL also gets the c10d "nccl" backend when nccl.h is found
// (native/CMakeLists.txt); for pip's torch the nvidia-nccl package is passed on as NCCL_ROOT.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

function fail(message) {
  console.error(`facelab native build: ${message}`);
  process.exit(1);
}

function findTorch() {
  if (process.env.LIBTORCH) {
    const dir = join(process.env.LIBTORCH, "share", "cmake", "Torch");
    if (!existsSync(dir))
      fail(`LIBTORCH=${process.env.LIBTORCH} has no share/cmake/Torch; is it an unpacked libtorch zip?`);
    return { source: `LIBTORCH (${process.env.LIBTORCH})`, prefix: process.env.LIBTORCH };
  }
  if (process.env.LIBTORCH_USE_PYTORCH === "1") {
    const python = process.env.FACELAB_PYTHON ?? "python3";
    try {
      const prefix = execFileSync(python, ["-c", "import torch.utils; print(torch.utils.cmake_prefix_path)"], {
        encoding: "utf8",
      }).trim();
      return { source: `pip torch via ${python}`, prefix, ncclRoot: pipNcclRoot(python) };
    } catch {
      fail(
        `LIBTORCH_USE_PYTORCH=1 but \`${python} -c "import torch"\` failed; install torch for that interpreter or set FACELAB_PYTHON`,
      );
    }
  }
  const libDir = "/usr/lib";
  const triplets = existsSync(libDir) ? readdirSync(libDir).filter((d) => d.endsWith("-linux-gnu")) : [];
  for (const t of triplets) {
    const dir = join(libDir, t, "cmake", "Torch");
    if (existsSync(join(dir, "TorchConfig.cmake")))
      return { source: "Debian libtorch-dev", prefix: join(libDir, t, "cmake") };
  }
  fail(
    "no LibTorch found. Install one of:\n" +
      "  apt-get install -y libtorch-dev libgloo-dev libopenblas0-pthread   (Debian 12)\n" +
      "  LIBTORCH=/path/to/libtorch                                          (pytorch.org zip)\n" +
      "  LIBTORCH_USE_PYTORCH=1 with torch installed for python3",
  );
}

/** The nvidia-nccl pip package next to torch (CUDA wheels depend on it), or undefined. */
function pipNcclRoot(python) {
  try {
    const dir = execFileSync(python, ["-c", "import nvidia.nccl as n; print(list(n.__path__)[0])"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    return existsSync(join(dir, "include", "nccl.h")) ? dir : undefined;
  } catch {
    return undefined;
  }
}

const torch = findTorch();
console.log(`facelab native build: LibTorch from ${torch.source}`);
const cmakeJs = join(root, "node_modules", "cmake-js", "bin", "cmake-js");
if (!existsSync(cmakeJs)) fail("cmake-js is missing; run `npm ci` first");
const args = [
  cmakeJs,
  "compile",
  "-d",
  join(root, "native"),
  "-O",
  process.env.FACELAB_BUILD_DIR ?? join(root, "native", "build"),
  `--CDCMAKE_PREFIX_PATH=${torch.prefix}`,
  "--CDCMAKE_BUILD_TYPE=Release",
];
const res = spawnSync(process.execPath, args, {
  stdio: "inherit",
  env: {
    ...process.env,
    FACELAB_TORCH_SOURCE: torch.source,
    ...(torch.ncclRoot && !process.env.NCCL_ROOT ? { NCCL_ROOT: torch.ncclRoot } : {}),
    npm_config_nodedir: process.env.npm_config_nodedir ?? "/usr",
  },
});
if (res.status !== 0) fail(`cmake-js exited with ${res.status}`);

#!/usr/bin/env node
// Builds native/ with cmake-js against the first LibTorch found, in this order:
//   1. LIBTORCH=/path/to/libtorch       (an official libtorch zip, a wheel's torch/ folder, CPU or CUDA)
//      LIBTORCH=/path/to/torch-*.whl    (a PyTorch wheel: unpacked once by scripts/torch-wheel.mjs)
//   2. LIBTORCH_USE_PYTORCH=1           (the torch package of `python3`, or of FACELAB_PYTHON)
//   3. Debian's libtorch-dev            (/usr/lib/<triplet>/cmake/Torch)
// Prints which one it used. Incremental: cmake-js only recompiles what changed.
// A CUDA LibTorch built with NCCL also gets the c10d "nccl" backend when nccl.h is found
// (native/CMakeLists.txt); for pip's torch the nvidia-nccl package is passed on as NCCL_ROOT.
// A CUDA LibTorch also needs the CUDA toolkit (nvcc and headers): CUDA_HOME, CUDA_PATH, else
// /usr/local/cuda; nvrtc comes from the toolkit or from the nvidia-cuda-nvrtc wheel beside torch.
// FACELAB_BUILD_DIR puts the build elsewhere than native/build (one folder per LibTorch).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { glooHeaders } from "./gloo-headers.mjs";
import { libtorchFromWheel } from "./torch-wheel.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

function fail(message) {
  console.error(`facelab native build: ${message}`);
  process.exit(1);
}

function findTorch() {
  if (process.env.LIBTORCH?.endsWith(".whl")) {
    const { libtorch } = libtorchFromWheel(process.env.LIBTORCH);
    return {
      source: `LIBTORCH wheel (${process.env.LIBTORCH})`,
      prefix: libtorch,
      include: join(libtorch, "include"),
      ...cudaHints(libtorch),
    };
  }
  if (process.env.LIBTORCH) {
    const dir = join(process.env.LIBTORCH, "share", "cmake", "Torch");
    if (!existsSync(dir))
      fail(`LIBTORCH=${process.env.LIBTORCH} has no share/cmake/Torch; is it an unpacked libtorch zip?`);
    return {
      source: `LIBTORCH (${process.env.LIBTORCH})`,
      prefix: process.env.LIBTORCH,
      include: join(process.env.LIBTORCH, "include"),
      ...cudaHints(process.env.LIBTORCH),
    };
  }
  if (process.env.LIBTORCH_USE_PYTORCH === "1") {
    const python = process.env.FACELAB_PYTHON ?? "python3";
    try {
      const prefix = execFileSync(python, ["-c", "import torch.utils; print(torch.utils.cmake_prefix_path)"], {
        encoding: "utf8",
      }).trim();
      return {
        source: `pip torch via ${python}`,
        prefix,
        include: join(prefix, "..", "..", "include"),
        ncclRoot: pipNcclRoot(python),
        ...cudaHints(join(prefix, "..", "..")),
      };
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
      return { source: "Debian libtorch-dev", prefix: join(libDir, t, "cmake"), include: "/usr/include" };
  }
  fail(
    "no LibTorch found. Install one of:\n" +
      "  apt-get install -y libtorch-dev libgloo-dev libopenblas0-pthread   (Debian 12)\n" +
      "  LIBTORCH=/path/to/libtorch                                          (pytorch.org zip)\n" +
      "  LIBTORCH_USE_PYTORCH=1 with torch installed for python3",
  );
}

/**
 * CMake definitions a CUDA LibTorch needs (none for a CPU one): the toolkit root, and nvrtc / NCCL
 * from the nvidia wheels beside a wheel's torch/ folder (site-packages layout) when the toolkit lacks them.
 */
function cudaHints(libtorch) {
  if (!existsSync(join(libtorch, "lib", "libtorch_cuda.so"))) return {};
  const defs = [];
  const toolkit = [process.env.CUDA_HOME, process.env.CUDA_PATH, "/usr/local/cuda"].find(
    (d) => d && existsSync(join(d, "bin", "nvcc")),
  );
  if (!toolkit)
    fail(`${libtorch} is a CUDA LibTorch but no CUDA toolkit was found (set CUDA_HOME to one with bin/nvcc)`);
  defs.push(
    `--CDCUDAToolkit_ROOT=${toolkit}`,
    `--CDCUDA_TOOLKIT_ROOT_DIR=${toolkit}`, // FindCUDA (Caffe2 cuda.cmake); from PATH it may pick a wrapper script
    `--CDCMAKE_CUDA_COMPILER=${join(toolkit, "bin", "nvcc")}`,
  );
  const nvidia = join(libtorch, "..", "nvidia");
  const nvrtc = ["cu13", "cuda_nvrtc", "cu12"]
    .map((d) => join(nvidia, d, "lib"))
    .flatMap((d) =>
      existsSync(d)
        ? readdirSync(d)
            .filter((f) => /^libnvrtc\.so(\.\d+)?$/.test(f))
            .map((f) => join(d, f))
        : [],
    )[0];
  if (nvrtc && !existsSync(join(toolkit, "lib64", "libnvrtc.so"))) defs.push(`--CDCUDA_nvrtc_LIBRARY=${nvrtc}`);
  const nccl = join(nvidia, "nccl");
  return { cudaDefs: defs, ncclRoot: existsSync(join(nccl, "include", "nccl.h")) ? nccl : undefined };
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
const gloo = glooHeaders(torch.include, torch.source);
if (gloo.error) fail(gloo.error);
console.log(`facelab native build: ${gloo.dir ? `Gloo headers from ${gloo.dir}` : `no c10d Gloo: ${gloo.why}`}`);
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
  // Every core: the LibTorch translation units compile one per core (2.x CPU/CUDA builds take
  // 13-18 minutes on one core of the 2-core CI machine). FACELAB_BUILD_JOBS overrides.
  "--parallel",
  process.env.FACELAB_BUILD_JOBS ?? String(availableParallelism()),
  ...(torch.cudaDefs ?? []),
  ...(gloo.dir ? [`--CDGLOO_INCLUDE_DIR=${gloo.dir}`, "--CDFACELAB_NO_GLOO=OFF"] : ["--CDFACELAB_NO_GLOO=ON"]),
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

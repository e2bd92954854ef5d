#!/usr/bin/env node
// A PyTorch wheel is a zip whose torch/ folder (lib/, include/, share/cmake/Torch) is a LibTorch.
// This unpacks one into a cache folder laid out like site-packages (torch/ beside nvidia/), so a
// CUDA wheel's libtorch_cuda.so finds the NVIDIA runtime, cuDNN and NCCL wheels through its own
// RPATH ($ORIGIN/../../nvidia/...), and prints the LibTorch path to use as LIBTORCH.
//
//   node scripts/torch-wheel.mjs /path/torch-2.13.0+cpu-cp311-*.whl      -> <cache>/torch-2.13.0+cpu/torch
//
// Idempotent: a finished extraction carries a `.complete` marker and is reused; an interrupted one
// is redone from scratch (it is unpacked under a temporary name and renamed when done).
// Cache: FACELAB_WHEEL_CACHE, else node_modules/.cache/facelab. For a CUDA wheel the nvidia_*.whl files
// beside it, and in the folders of FACELAB_WHEELHOUSE (':'-separated), are unpacked with it.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

export const cacheDir = () => process.env.FACELAB_WHEEL_CACHE ?? join(root, "node_modules", ".cache", "facelab");

/** "torch-2.14.1-cp311-cp311-manylinux_2_28_x86_64.whl" -> "torch-2.14.1". */
export function wheelStem(wheel) {
  const [name, version] = basename(wheel).split("-");
  return `${name}-${version}`;
}

function unzip(wheel, dest, patterns) {
  // unzip is on Debian images; Python's zipfile is the fallback (a wheel always came with a Python).
  try {
    execFileSync("unzip", ["-q", "-o", wheel, ...patterns, "-d", dest], { stdio: ["ignore", "ignore", "pipe"] });
  } catch (e) {
    if (e.code !== "ENOENT") throw new Error(`unzip ${wheel}: ${e.stderr ?? e.message}`);
    const py = `import sys,zipfile,fnmatch
z=zipfile.ZipFile(sys.argv[1]); pats=sys.argv[3:]
z.extractall(sys.argv[2],[n for n in z.namelist() if not pats or any(fnmatch.fnmatch(n,p) for p in pats)])`;
    execFileSync("python3", ["-c", py, wheel, dest, ...patterns], { stdio: "inherit" });
  }
}

/** The NVIDIA runtime wheels a CUDA torch wheel loads (compiler-only packages left out). */
function nvidiaWheels(wheel) {
  const dirs = [dirname(wheel), ...(process.env.FACELAB_WHEELHOUSE ?? "").split(":").filter(Boolean)];
  const skip = /^nvidia_(cuda_nvcc|cuda_crt|nvvm|cuda_cccl)-/;
  const found = new Map();
  for (const d of dirs) {
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d).sort()) {
      if (!/^nvidia_.*\.whl$/.test(f) || skip.test(f)) continue;
      const name = f.split("-")[0];
      if (!found.has(name)) found.set(name, join(d, f));
    }
  }
  return [...found.values()];
}

// What `import torch` needs besides the wheel (its Requires-Dist without extras), for { python: true }.
const PYTHON_DEPS = ["filelock", "typing_extensions", "sympy", "mpmath", "networkx", "jinja2", "markupsafe", "fsspec"];

function wheelhouseFiles(wheel) {
  const dirs = [dirname(wheel), ...(process.env.FACELAB_WHEELHOUSE ?? "").split(":").filter(Boolean)];
  return dirs
    .filter((d) => existsSync(d))
    .flatMap((d) =>
      readdirSync(d)
        .sort()
        .map((f) => join(d, f)),
    );
}

/**
 * Unpacks `wheel` (once) and returns { libtorch, cuda, dir }. With { python: true } the rest of the
 * wheel and the pure-Python packages torch imports are unpacked too, so `PYTHONPATH=<dir> python3`
 * runs PyTorch from the same wheel (gpu-check's PyTorch side) without a pip install.
 */
export function libtorchFromWheel(wheel, log = (m) => console.error(m), opts = {}) {
  if (!existsSync(wheel)) throw new Error(`torch wheel ${wheel} does not exist`);
  const dir = join(cacheDir(), wheelStem(wheel));
  const libtorch = join(dir, "torch");
  if (!existsSync(join(dir, ".complete"))) {
    const tmp = `${dir}.partial-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    log(`facelab: unpacking ${basename(wheel)} into ${dir}`);
    unzip(wheel, tmp, ["torch/lib/*", "torch/include/*", "torch/share/*"]);
    if (existsSync(join(tmp, "torch", "lib", "libtorch_cuda.so")))
      for (const w of nvidiaWheels(wheel)) {
        log(`facelab:   with ${basename(w)}`);
        unzip(w, tmp, []);
      }
    writeFileSync(join(tmp, ".complete"), `${basename(wheel)}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  }
  if (opts.python && !existsSync(join(dir, ".python-complete"))) {
    log(`facelab: unpacking the Python side of ${basename(wheel)}`);
    execFileSync("unzip", ["-q", "-o", wheel, "-x", "torch/lib/*", "torch/include/*", "torch/share/*", "-d", dir]);
    const files = wheelhouseFiles(wheel);
    for (const dep of PYTHON_DEPS) {
      const w = files.filter((f) => basename(f).toLowerCase().startsWith(`${dep}-`) && f.endsWith(".whl")).at(-1);
      if (w) unzip(w, dir, []);
      else log(`facelab:   ${dep} wheel not found beside torch (import torch may fail)`);
    }
    writeFileSync(join(dir, ".python-complete"), "");
  }
  return { libtorch, dir, cuda: existsSync(join(libtorch, "lib", "libtorch_cuda.so")) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const wheel = process.argv[2];
  if (!wheel) {
    console.error("usage: node scripts/torch-wheel.mjs <torch-*.whl>   (prints the LibTorch folder for LIBTORCH=)");
    process.exit(2);
  }
  try {
    console.log(libtorchFromWheel(wheel).libtorch);
  } catch (e) {
    console.error(`facelab: ${e.message}`);
    process.exit(1);
  }
}

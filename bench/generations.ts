// The PyTorch generations `npm run bench` compares against, each with facelab built on the
// matching LibTorch: Debian's 1.13 (native/build + /usr/bin/python3's python3-torch) and torch 2.x
// (a LibTorch 2.x build in node_modules/.cache/facelab/build-torch2-cpu + a virtual environment
// with the same wheel). `--prepare-torch2` makes the 2.x pair from a torch-2*+cpu wheel (LIBTORCH
// pointing at a wheel, FACELAB_TORCH2_WHEEL, or one found under /opt /usr/local /root /home /srv);
// both steps are skipped when already done.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const cache = process.env.FACELAB_WHEEL_CACHE ?? join(root, "node_modules", ".cache", "facelab");
export const TORCH2_BUILD = join(cache, "build-torch2-cpu");
/** Where the machine image keeps wheels (FACELAB_WHEELHOUSE overrides; colon-separated). */
const WHEELHOUSES = "/opt/pypi/files:/opt/pypi-more/files";

export interface Generation {
  /** e.g. "1.13" or "2.13" */
  label: string;
  /** FACELAB_NATIVE for the facelab side (undefined: native/build) */
  native?: string;
  /** interpreter whose torch is the PyTorch side */
  python: string;
}

const torchVersionOf = (python: string): string | undefined => {
  const r = spawnSync(python, ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
};
const minor = (v: string) => v.split(".").slice(0, 2).join(".");

/** Generations that are ready to run, and a line for each one that is not (why). */
export function findGenerations(): { ready: Generation[]; skipped: string[] } {
  const ready: Generation[] = [];
  const skipped: string[] = [];
  const debian = torchVersionOf("/usr/bin/python3");
  if (debian) ready.push({ label: minor(debian), python: "/usr/bin/python3" });
  else skipped.push("PyTorch 1.13: /usr/bin/python3 has no torch (apt-get install python3-torch)");
  const native = join(TORCH2_BUILD, "Release", "facelab_native.node");
  const venv = existsSync(cache) ? readdirSync(cache).filter((d) => /^venv-torch-2/.test(d)) : [];
  const python = venv.map((d) => join(cache, d, "bin", "python")).find((p) => existsSync(p));
  if (!existsSync(native) || !python) {
    skipped.push("torch 2.x: no 2.x build and venv yet (npm run bench -- --prepare-torch2)");
  } else {
    const v = torchVersionOf(python);
    const built = execFileSync(
      process.execPath,
      ["-e", `console.log(require(${JSON.stringify(native)}).config().torchVersion)`],
      { encoding: "utf8" },
    ).trim();
    if (!v || minor(v) !== minor(built))
      skipped.push(`torch 2.x: the venv's torch ${v} does not match the build's LibTorch ${built}`);
    else ready.push({ label: minor(v), native, python });
  }
  return { ready, skipped };
}

function findWheel(): string | undefined {
  const given =
    process.env.FACELAB_TORCH2_WHEEL ?? (process.env.LIBTORCH?.endsWith(".whl") ? process.env.LIBTORCH : "");
  if (given) return given;
  const r = spawnSync(
    "find",
    [
      ...(process.env.FACELAB_WHEEL_DIRS ?? "/opt /usr/local /root /home /srv").split(" "),
      "-xdev",
      "-maxdepth",
      "4",
      "-name",
      "torch-2*+cpu*.whl",
    ],
    { encoding: "utf8" },
  );
  return r.stdout.trim().split("\n").filter(Boolean).sort().at(-1);
}

/** Builds facelab on the wheel's LibTorch and makes the matching venv (each once). */
export function prepareTorch2(log = (m: string) => process.stderr.write(`${m}\n`)): void {
  const wheel = findWheel();
  if (!wheel) throw new Error("no torch-2*+cpu*.whl found; set FACELAB_TORCH2_WHEEL");
  const stem = basename(wheel).split("-").slice(0, 2).join("-").replace(/\+.*/, "");
  log(`bench: torch 2.x from ${wheel}`);
  const built = spawnSync(process.execPath, [join(root, "scripts", "build-native.mjs")], {
    stdio: "inherit",
    env: { ...process.env, LIBTORCH: wheel, FACELAB_BUILD_DIR: TORCH2_BUILD },
  });
  if (built.status !== 0) throw new Error("building facelab against the 2.x LibTorch failed");
  const venv = join(cache, `venv-${stem}`);
  const links = [dirname(wheel), ...(process.env.FACELAB_WHEELHOUSE ?? WHEELHOUSES).split(":")].flatMap((d) =>
    existsSync(d) ? ["--find-links", d] : [],
  );
  if (!existsSync(join(venv, ".complete"))) {
    log(`bench: making ${venv}`);
    execFileSync("/usr/bin/python3", ["-m", "venv", venv], { stdio: "inherit" });
    execFileSync(join(venv, "bin", "pip"), ["install", "-q", "--no-index", ...links, wheel, "numpy"], {
      stdio: "inherit",
    });
    writeFileSync(join(venv, ".complete"), `${basename(wheel)}\n`);
  }
  // The augmentation and SimCLR-step extras' PyTorch side is torchvision's per-image transforms: the
  // torchvision that pins this torch (naming the wheel again keeps pip from swapping torch for
  // another version it finds), from the wheelhouses. Without one, those two cases report skipped.
  const python = join(venv, "bin", "python");
  if (torchvisionProblem(python)) {
    log(`bench: installing torchvision and Pillow into ${venv}`);
    const r = spawnSync(
      join(venv, "bin", "pip"),
      ["install", "-q", "--no-index", ...links, wheel, "torchvision", "pillow"],
      { stdio: "inherit" },
    );
    const problem = r.status === 0 ? torchvisionProblem(python) : `no torchvision for ${stem} in the wheelhouses`;
    if (problem) log(`bench: ${problem}: the augment and simclr_step extras will be skipped at torch 2.x`);
  }
}

/**
 * Why `python` cannot run the PyTorch side of the augment and simclr_step extras (torchvision and
 * PIL must import), or undefined when it can. E.g. a CUDA torchvision wheel beside a CPU torch
 * fails at import with "operator torchvision::nms does not exist".
 */
export function torchvisionProblem(python: string): string | undefined {
  const r = spawnSync(python, ["-c", "import torchvision, PIL"], { encoding: "utf8" });
  if (r.status === 0) return undefined;
  const last = (r.stderr ?? String(r.error)).trim().split("\n").at(-1);
  return `${python} cannot import torchvision and PIL (${last})`;
}

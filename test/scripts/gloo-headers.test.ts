// scripts/gloo-headers.mjs: which Gloo headers the native build uses, and the error (with every
// remedy) when a LibTorch has c10d Gloo but its headers are nowhere — a PyTorch wheel without
// Debian's libgloo-dev. Fake include trees in a temp folder stand in for the LibTorch and the system.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { glooHeaders } from "../../scripts/gloo-headers.mjs";

const root = mkdtempSync(join(tmpdir(), "facelab-gloo-"));
after(() => rmSync(root, { recursive: true, force: true }));

function tree(name: string, files: string[]): string {
  const dir = join(root, name);
  for (const f of files) {
    mkdirSync(join(dir, f, ".."), { recursive: true });
    writeFileSync(join(dir, f), "");
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

const withGloo = tree("wheel/include", ["torch/csrc/distributed/c10d/ProcessGroupGloo.hpp"]);
const withoutGloo = tree("nogloo/include", ["torch/torch.h"]);
const system = tree("usr/include", ["gloo/config.h"]);
const emptySystem = tree("empty/include", []);

test("a LibTorch with c10d Gloo takes the first folder holding gloo/config.h", () => {
  assert.deepEqual(glooHeaders(withGloo, "a wheel", {}, [emptySystem, system]), { dir: system });
  const own = tree("own/include", ["gloo/config.h"]);
  assert.deepEqual(glooHeaders(withGloo, "a wheel", { GLOO_INCLUDE_DIR: own }, [system]), { dir: own });
});

test("missing Gloo headers are an error naming the LibTorch, where it looked and every remedy", () => {
  const r = glooHeaders(withGloo, "LIBTORCH wheel (torch-2.13.0.whl)", {}, [emptySystem]);
  assert.equal(r.dir, undefined);
  assert.match(r.error ?? "", /the LibTorch from LIBTORCH wheel \(torch-2\.13\.0\.whl\) has c10d Gloo/);
  assert.ok(r.error?.includes(`no gloo/config.h in ${withGloo}, ${emptySystem}`), r.error);
  assert.match(r.error ?? "", /apt-get install -y libgloo-dev/);
  assert.match(r.error ?? "", /GLOO_INCLUDE_DIR=/);
  assert.match(r.error ?? "", /FACELAB_NO_GLOO=1/);
});

test("no Gloo in the LibTorch, or FACELAB_NO_GLOO=1: built without it, and the reason is given", () => {
  assert.match(glooHeaders(withoutGloo, "Debian", {}, [system]).why ?? "", /has no c10d Gloo/);
  assert.match(
    glooHeaders(withGloo, "a wheel", { FACELAB_NO_GLOO: "1" }, [emptySystem]).why ?? "",
    /FACELAB_NO_GLOO=1/,
  );
});

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { z } from "zod";
import { ConfigError, loadConfig, parseSet } from "../../src/runs/config.js";

const dir = mkdtempSync(join(tmpdir(), "facelab-cfg-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const schema = z.object({
  name: z.string().default("simclr"),
  epochs: z.number().int().positive(),
  optim: z.object({ lr: z.number().positive(), nesterov: z.boolean().default(false) }),
  widths: z.array(z.number()).default([64]),
});

function yamlFile(text: string): string {
  const p = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(p, text);
  return p;
}

test("YAML file plus --set overrides with typed values", () => {
  const file = yamlFile("epochs: 10\noptim:\n  lr: 0.1\n");
  const cfg = loadConfig(schema, {
    file,
    sets: ["optim.lr=0.025", "optim.nesterov=true", "widths=[32, 64]", "name=run 7", "epochs=3"],
  });
  assert.deepEqual(cfg, { name: "run 7", epochs: 3, optim: { lr: 0.025, nesterov: true }, widths: [32, 64] });
});

test("defaults fill in and the file alone validates", () => {
  assert.deepEqual(loadConfig(schema, { file: yamlFile("epochs: 2\noptim: {lr: 1}\n") }), {
    name: "simclr",
    epochs: 2,
    optim: { lr: 1, nesterov: false },
    widths: [64],
  });
});

test("unknown keys in the file or in --set are errors naming the key", () => {
  const file = yamlFile("epochs: 1\noptim: {lr: 0.1, lrr: 0.2}\nbatchsize: 3\n");
  assert.throws(
    () => loadConfig(schema, { file }),
    (e: Error) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /unknown config key "optim\.lrr"/);
      assert.match(e.message, /unknown config key "batchsize"/);
      return true;
    },
  );
  const ok = yamlFile("epochs: 1\noptim: {lr: 0.1}\n");
  assert.throws(
    () => loadConfig(schema, { file: ok, sets: ["optim.momentum=0.9"] }),
    /unknown config key "optim\.momentum"/,
  );
});

test("strict schemas report unknown keys the same way", () => {
  const strict = z.strictObject({ a: z.number() });
  assert.throws(() => loadConfig(strict, { sets: ["a=1", "b=2"] }), /unknown config key "b"/);
});

test("type errors name the key", () => {
  assert.throws(() => loadConfig(schema, { sets: ["epochs=ten", "optim.lr=0.1"] }), /config key "epochs"/);
  assert.throws(() => loadConfig(schema, { sets: ["epochs=1", "optim.lr=-1"] }), /config key "optim\.lr"/);
});

test("malformed --set arguments and non-mapping files are rejected clearly", () => {
  assert.throws(() => parseSet("novalue"), /key=value/);
  assert.throws(() => parseSet("a..b=1"), /empty part/);
  assert.throws(() => loadConfig(schema, { sets: ["epochs=1", "epochs.x=2"] }), /"epochs" is not a section/);
  assert.throws(() => loadConfig(schema, { file: yamlFile("- 1\n- 2\n") }), /mapping/);
  assert.throws(() => loadConfig(schema, { file: join(dir, "missing.yaml") }), /cannot read config/);
  assert.deepEqual(parseSet("a.b=x=y"), { path: ["a", "b"], value: "x=y" });
});

test("prototype keys are refused in the file, nested, in lists and in --set; Object.prototype stays clean", () => {
  const cases = [
    "__proto__:\n  epochs: 1\n",
    "epochs: 1\noptim:\n  constructor: {lr: 1}\n",
    "epochs: 1\noptim: {lr: 1}\nwidths: [{prototype: 1}]\n",
  ];
  for (const text of cases) {
    const file = yamlFile(text);
    assert.throws(
      () => loadConfig(schema, { file }),
      (e: Error) => e instanceof ConfigError && e.message.includes(file) && /is not allowed/.test(e.message),
      text,
    );
  }
  for (const set of ["__proto__.polluted=1", "optim.constructor.prototype.polluted=1", "optim={__proto__: {a: 1}}"])
    assert.throws(() => loadConfig(schema, { sets: [set] }), /is not allowed/, set);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test("an empty or comment-only file says so; invalid UTF-8 and a folder are named", () => {
  for (const text of ["", "\n\n", "# only a comment\n"]) {
    const file = yamlFile(text);
    assert.throws(() => loadConfig(schema, { file }), new RegExp(`^ConfigError: empty config file ${file}$`));
  }
  const bad = yamlFile("");
  writeFileSync(bad, Buffer.from([0x65, 0x3a, 0x20, 0xff, 0xfe, 0x0a]));
  assert.throws(() => loadConfig(schema, { file: bad }), new RegExp(`config ${bad} is not valid UTF-8`));
  assert.throws(() => loadConfig(schema, { file: dir }), new RegExp(`cannot read config ${dir}: is a folder`));
});

test("value errors name the file and the --set keys they came from", () => {
  const file = yamlFile("epochs: -1\noptim: {lr: 1}\n");
  assert.throws(() => loadConfig(schema, { file }), new RegExp(`config ${file}: config key "epochs"`));
  assert.throws(
    () => loadConfig(schema, { file: yamlFile("epochs: 1\noptim: {lr: 1}\n"), sets: ["optim.lr=-2"] }),
    /with --set optim\.lr: config key "optim\.lr"/,
  );
});

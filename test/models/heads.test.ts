// EncoderWithHead, the module SimCLR's model and BYOL's target are: keys encoder.* and <headName>.*,
// and forward = head(encoder.features(x)) computed by hand from the two parts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { EncoderWithHead, MlpHead } from "../../src/models/heads.js";
import { BasicBlock, resnet } from "../../src/models/resnet.js";
import { liveTensors, manualSeed, noGrad, randn, tidy } from "../../src/torch/index.js";

test("EncoderWithHead: state-dict keys under the head's name, forward = head(features(x))", () => {
  const start = liveTensors();
  manualSeed(3);
  const enc = resnet(BasicBlock, [1, 1, 1, 1], { widthMultiplier: 1 / 16, cifarStem: true, numClasses: 0 });
  const m = new EncoderWithHead(enc, new MlpHead(enc.featureDim, 8, 5), "projector");
  const sd = m.stateDict();
  const keys = [...sd.keys()];
  for (const t of sd.values()) t.dispose();
  assert.ok(keys.some((k) => k.startsWith("encoder.")));
  assert.ok(keys.includes("projector.net.0.weight") && keys.includes("projector.net.3.bias"));
  assert.ok(keys.every((k) => k.startsWith("encoder.") || k.startsWith("projector.")));
  m.eval();
  const gap = tidy(() =>
    noGrad(() => {
      const x = randn([2, 3, 8, 8]);
      return m
        .call(x)
        .sub(m.head.call(enc.features(x)))
        .abs()
        .max()
        .item();
    }),
  );
  assert.equal(gap, 0);
  m.dispose();
  assert.equal(liveTensors(), start);
});

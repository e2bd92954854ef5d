import assert from "node:assert/strict";
import { test } from "node:test";
import {
  accuracy,
  balancedAccuracy,
  confusionMatrix,
  perClassPrecision,
  perClassRecall,
  predictionCollapse,
  predictWithConfidence,
} from "../../src/eval/index.js";
import { liveTensors, tensor, tidy } from "../../src/torch/index.js";

test("accuracy, confusion matrix, recall and precision by hand", () => {
  const t = [0, 0, 1, 1, 2, 2];
  const p = [0, 1, 1, 1, 0, 2];
  assert.equal(accuracy(t, p), 4 / 6);
  const cm = confusionMatrix(t, p);
  assert.deepEqual(cm, [
    [1, 1, 0],
    [0, 2, 0],
    [1, 0, 1],
  ]);
  assert.deepEqual(perClassRecall(cm), [0.5, 1, 0.5]);
  assert.deepEqual(perClassPrecision(cm), [0.5, 2 / 3, 1]);
  assert.ok(Number.isNaN(perClassRecall(confusionMatrix([0], [1], 3))[2] as number));
  assert.throws(() => confusionMatrix([0, 3], [0, 1], 3), /outside \[0, 3\)/);
  assert.throws(() => accuracy([0, 1], [0]), /2 entries/);
});

test("balanced accuracy (sklearn's documented example gives 0.625)", () => {
  assert.equal(balancedAccuracy([0, 1, 0, 0, 1, 0], [0, 1, 0, 0, 0, 1]), 0.625);
  // Always predicting the majority class: accuracy 0.9 but balanced accuracy 0.5.
  const t = [...new Array(9).fill(0), 1];
  const p = new Array(10).fill(0);
  assert.equal(accuracy(t, p), 0.9);
  assert.equal(balancedAccuracy(t, p), 0.5);
});

test("prediction collapse fires on one-class predictions, not on balanced ones", () => {
  const collapsed = predictionCollapse([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0], { numClasses: 2 });
  assert.equal(collapsed.collapsed, true);
  assert.equal(collapsed.dominantClass, 1);
  assert.equal(collapsed.fraction, 11 / 12);
  assert.match(collapsed.message, /collapsed: class 1/);
  assert.equal(predictionCollapse([0, 1, 0, 1, 1]).collapsed, false);
  assert.equal(predictionCollapse([1, 1, 1, 0], { threshold: 0.7 }).collapsed, true);
  // Not an alarm when the true distribution is that skewed too.
  assert.equal(predictionCollapse([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0], { expected: [0.05, 0.95] }).collapsed, false);
});

test("predictions and max-softmax confidence from logits tensors", () => {
  const start = liveTensors();
  tidy(() => {
    const { predictions, confidences } = predictWithConfidence(
      tensor([
        [0, Math.log(3)],
        [2, 0],
      ]),
    );
    assert.deepEqual(Array.from(predictions), [1, 0]);
    assert.ok(Math.abs((confidences[0] as number) - 0.75) < 1e-7);
    assert.equal(accuracy(tensor([1, 0], { dtype: "int64" }), predictions), 1);
  });
  assert.equal(liveTensors(), start);
});

// Evaluation on the model's device (#11): feature extraction (kNN monitor, probes), the supervised
// fit/evaluation behind the probes, fine-tuning and from-scratch runs, and the recognition embedding
// pass read the device from the model, move every batch there and bring results back to the host.
// Without CUDA, "meta" (shapes, no data) stands in for the second device: an op on meta weights and
// a CPU batch fails with a device mismatch (the control below), so a run that gets past
// the forward and fails only where data must be read back proves the batch followed the model.
// With CUDA, the same calls on cuda:0 are compared with the CPU run (skipped without, with the reason).
import assert from "node:assert/strict";
import { test } from "node:test";
import { extractFeatures } from "../../src/methods/features.js";
import { createRecognizer } from "../../src/methods/recognition/recognizer.js";
import { embedAll } from "../../src/methods/recognition/train.js";
import { linearProbe, trainNetwork } from "../../src/methods/supervised.js";
import type { FaceRecNet } from "../../src/models/facerec.js";
import { type Encoder, EncoderClassifier } from "../../src/models/heads.js";
import { moduleDevice } from "../../src/torch/device.js";
import { cudaUnavailableReason, manualSeed, randn, type Tensor, tidy } from "../../src/torch/index.js";
import { Module } from "../../src/torch/nn/index.js";
import { leakCheckEachTest } from "../torch/helpers.js";
import { stripes, TinyEncoder } from "./helpers.js";

leakCheckEachTest();
const noCuda = cudaUnavailableReason();
type StripeSet = ReturnType<typeof stripes>;

/** A one-layer encoder/classifier whose weights live on the meta device from the start. */
class MetaNet extends Module implements Encoder {
  readonly featureDim = 4;
  readonly weight: Tensor;
  constructor(channels = 1) {
    super();
    this.weight = this.registerParameter(
      "weight",
      tidy(() => randn([1, 4, channels, 1, 1]).to("meta")),
    );
  }
  /** (N,C,H,W) → (N,4): weighted channel means (elementwise: LibTorch 1.13 has no meta convolution kernel) */
  features(x: Tensor): Tensor {
    return tidy(() => x.unsqueeze(1).mul(this.weight).mean([2, 3, 4]));
  }
  forward(x: Tensor): Tensor {
    return this.features(x);
  }
  /** the recognition interface: embeddings are their own logits here */
  logits(e: Tensor): Tensor {
    return e.alias();
  }
}

// LibTorch's words for a device mismatch (TensorIterator's check, convolution's type check) and for
// reading a meta tensor's data (the host copy; item(): 1.13 has no meta kernel, 2.x refuses).
const deviceMismatch = /same device|should be the same/i;
const metaReadBack = /copy out of meta|_local_scalar_dense.*Meta|meta tensors/i;

/**
 * Runs fn on a meta-weighted net and n stripe images and asserts it fails where meta data would be
 * read back, not with a device mismatch.
 */
async function failsOnlyAtReadBack(what: string, n: number, fn: (net: MetaNet, data: StripeSet) => unknown) {
  const data = stripes(n, 8, n);
  try {
    using net = new MetaNet();
    await assert.rejects(
      async () => fn(net, data),
      (e: Error) => {
        assert.doesNotMatch(e.message, deviceMismatch, `${what}: a batch did not follow the model to its device`);
        assert.match(e.message, metaReadBack, `${what}: unexpected error`);
        return true;
      },
    );
    assert.ok(net.training, `${what}: the training flag is restored after a failure`);
  } finally {
    data.images.dispose();
  }
}

test("control: a CPU batch into the meta-weighted layer is a device mismatch", () => {
  using net = new MetaNet();
  assert.equal(moduleDevice(net), "meta");
  assert.throws(() => tidy(() => net.features(randn([2, 1, 6, 6]))), deviceMismatch);
});

// The forward runs on meta; the failure is the host copy of the data-less features.
test("extractFeatures moves each batch to the encoder's device and copies the features back to the host", () =>
  failsOnlyAtReadBack("extractFeatures", 10, (net, data) => extractFeatures(net, data.images, 4)));

// The forward, the weighted loss and the backward run on meta; reading the loss value is where it stops.
// Labels and class weights move too (meta's loss kernels do not check their devices: the CUDA test covers them).
test("supervised fit (fine-tune / scratch) moves each training batch to the model's device", () =>
  failsOnlyAtReadBack("trainNetwork", 12, (net, data) =>
    trainNetwork(net, new Map(net.namedParameters()), data, data, 4, {
      epochs: 1,
      batchSize: 6,
      lr: 0.1,
      weightDecay: 0,
      seed: 0,
      classWeights: "balanced",
      guards: false,
    }),
  ));

test("embedAll moves batches to the recognizer's device and brings embeddings and logits back to the host", () =>
  failsOnlyAtReadBack("embedAll", 6, (net, data) => embedAll(net as unknown as FaceRecNet, data.images, 4)));

const close = (a: Tensor, b: Tensor, tol: number) =>
  tidy(() => a.sub(b).abs().max().item() <= tol * (1 + b.abs().max().item()));

test("on CUDA, features, embeddings and a probe's predictions equal the CPU run's", {
  skip: noCuda ?? false,
}, async () => {
  const data = stripes(40, 12, 4);
  try {
    manualSeed(5);
    using cpuEnc = new TinyEncoder(1, 8);
    using gpuEnc = new TinyEncoder(1, 8);
    tidy(() => gpuEnc.loadStateDict(cpuEnc.stateDict()));
    gpuEnc.to("cuda:0");
    await tidy(async () => {
      const fc = extractFeatures(cpuEnc, data.images, 16);
      const fg = extractFeatures(gpuEnc, data.images, 16);
      assert.equal(fg.device, "cpu", "features come back to the host");
      assert.ok(close(fg, fc, 1e-4), "CUDA features equal CPU features (float32, 1e-4 relative)");
      // A linear probe on the same features: the same optimisation on the host.
      const opts = { epochs: 2, batchSize: 8, lr: 0.1, weightDecay: 0, seed: 0, guards: false };
      const pc = await linearProbe(fc, data.labels, fc, data.labels, 4, opts);
      const pg = await linearProbe(fg, data.labels, fg, data.labels, 4, opts);
      assert.ok(Math.abs(pc.final.accuracy - pg.final.accuracy) <= 2 / 40, "probe accuracies agree up to 2 near-ties");
    });
    // Fine-tuning on CUDA (encoder + fresh head moved there, as the evaluation suite does): the model
    // trains and is evaluated there, metrics come back as numbers.
    manualSeed(7);
    using model = new EncoderClassifier(new TinyEncoder(1, 8), 4).to("cuda:0");
    const r = await trainNetwork(model, new Map(model.fc.namedParameters()), data, data, 4, {
      epochs: 1,
      batchSize: 8,
      lr: 1e-3,
      weightDecay: 0,
      seed: 0,
      classWeights: "balanced",
      guards: false,
    });
    assert.equal(
      r.final.confusion.flat().reduce((a, b) => a + b, 0),
      40,
    );
    manualSeed(6);
    const recognizer = () =>
      createRecognizer({
        backbone: "convnet",
        width: 8,
        inChannels: 1,
        embeddingDim: 8,
        numClasses: 4,
        loss: "arcface",
      });
    using rc = recognizer();
    using rg = recognizer();
    tidy(() => rg.loadStateDict(rc.stateDict()));
    rg.to("cuda:0");
    tidy(() => {
      const ec = embedAll(rc, data.images, 16);
      const eg = embedAll(rg, data.images, 16);
      assert.equal(eg.embeddings.device, "cpu");
      assert.equal(eg.logits.device, "cpu");
      assert.ok(close(eg.embeddings, ec.embeddings, 1e-4) && close(eg.logits, ec.logits, 1e-4));
    });
  } finally {
    data.images.dispose();
  }
});

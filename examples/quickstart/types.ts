// Type-checks against facelab's published declarations (tsc --noEmit here, after npm install):
// every entry point resolves with its types, and internal modules are not importable.
import * as facelab from "facelab";
import { renderSynthFaces } from "facelab/data";
import { bootstrapCI } from "facelab/eval";
import { ntXent } from "facelab/losses";
import * as methods from "facelab/methods";
import { type ResNet, resnet18 } from "facelab/models";
import { F, type Tensor, tensor } from "facelab/torch";
// @ts-expect-error internal: only the entry points are exported
import { native } from "facelab/src/torch/native.js";

const t: Tensor = tensor([1, 2, 3]);
const pair: { values: Tensor; indices: Tensor } = t.max(0);
const parts: Tensor[] = t.chunk(3);
const probs: Tensor = F.softmax(t.float(), 0);
const net: ResNet = resnet18({ numClasses: 2, cifarStem: true });
// @ts-expect-error typed arguments: a dimension is a number
t.unsqueeze("0");
export const used = [facelab.torch.tensor, renderSynthFaces, bootstrapCI, ntXent, methods, pair, parts, probs, net, native];

// A face recognizer: src/models' FaceRecNet with the margin head of a loss config (src/losses' registry).
import {
  type ClassifierHead,
  createHead,
  type LossConfig,
  type LossConfigInput,
  parseLossConfig,
} from "../../losses/index.js";
import { FaceRecNet, type FaceRecOptions } from "../../models/facerec.js";

export type Recognizer = FaceRecNet<ClassifierHead>;

export interface RecognizerOptions extends FaceRecOptions {
  numClasses: number;
  /** The loss by config ({ name: "arcface", margin: 0.5 }) or bare name for its defaults. */
  loss: LossConfigInput | LossConfig;
}

export function createRecognizer(o: RecognizerOptions): Recognizer {
  const loss = parseLossConfig(o.loss); // before any parameter exists
  return new FaceRecNet(o, (dim) => createHead(loss, dim, o.numClasses));
}

// A face recognizer: src/models' FaceRecNet with a margin head chosen by loss name.
import { FaceRecNet, type FaceRecOptions } from "../../models/facerec.js";
import { checkLossName, type HeadOptions, MarginHead } from "./head.js";

export type Recognizer = FaceRecNet<MarginHead>;

export interface RecognizerOptions extends FaceRecOptions {
  numClasses: number;
  loss: string;
  lossParams?: HeadOptions;
}

export function createRecognizer(o: RecognizerOptions): Recognizer {
  checkLossName(o.loss);
  return new FaceRecNet(o, (dim) => new MarginHead(o.loss, dim, o.numClasses, o.lossParams));
}

// Conversions at the boundary of the evaluation code: tensors or JS arrays in, plain arrays out.
import { type Tensor, TorchError, tidy } from "../torch/index.js";

export type NumberArray = Tensor | ArrayLike<number>;
export type Matrix = Tensor | ArrayLike<ArrayLike<number>>;

const isTensor = (x: unknown): x is Tensor =>
  typeof x === "object" && x !== null && "toNumbers" in x && typeof (x as Tensor).toNumbers === "function";

/** A 1-D float64 copy of a vector (a tensor of any shape is flattened). */
export function toFloat64(x: NumberArray): Float64Array {
  if (isTensor(x)) return Float64Array.from(x.toNumbers());
  return Float64Array.from(x);
}

/** Integer labels/predictions as an Int32Array, checking they are integers. */
export function toLabels(x: NumberArray, name = "labels"): Int32Array {
  const v = isTensor(x) ? x.toNumbers() : Array.from(x);
  const out = new Int32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const n = v[i] as number;
    if (!Number.isInteger(n))
      throw new TorchError(`${name}[${i}] must be an integer class index, got ${n}`, "ValueError");
    out[i] = n;
  }
  return out;
}

/** Rows of a 2-D tensor or nested array as float64 rows. */
export function toRows(x: Matrix, name = "matrix"): Float64Array[] {
  if (isTensor(x)) {
    if (x.ndim !== 2) throw new TorchError(`${name} must be 2-D, got shape [${x.shape.join(",")}]`, "ValueError");
    const [n, c] = x.shape as [number, number];
    const flat = tidy(() => x.detach().cpu().double().toTypedArray() as Float64Array);
    return Array.from({ length: n }, (_, i) => flat.slice(i * c, (i + 1) * c));
  }
  const rows = Array.from(x, (r) => Float64Array.from(r));
  const c = rows[0]?.length ?? 0;
  rows.forEach((r, i) => {
    if (r.length !== c) throw new TorchError(`${name} row ${i} has ${r.length} entries, row 0 has ${c}`, "ValueError");
  });
  return rows;
}

export function checkSameLength(
  fn: string,
  a: { length: number },
  b: { length: number },
  na: string,
  nb: string,
): void {
  if (a.length !== b.length)
    throw new TorchError(`${fn}: ${na} has ${a.length} entries but ${nb} has ${b.length}`, "ValueError");
}

/** Row-wise softmax in float64 (max-subtracted, stable). */
export function softmaxRows(logits: Matrix): Float64Array[] {
  return toRows(logits, "logits").map((row) => softmax(row));
}

export function softmax(row: ArrayLike<number>, temperature = 1): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < row.length; j++) max = Math.max(max, (row[j] as number) / temperature);
  const out = new Float64Array(row.length);
  let sum = 0;
  for (let j = 0; j < row.length; j++) {
    out[j] = Math.exp((row[j] as number) / temperature - max);
    sum += out[j] as number;
  }
  for (let j = 0; j < row.length; j++) out[j] = (out[j] as number) / sum;
  return out;
}

/** Index of the largest entry (first on ties). */
export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let j = 1; j < row.length; j++) if ((row[j] as number) > (row[best] as number)) best = j;
  return best;
}

/** Predicted class and max-softmax confidence of each row of logits. */
export function predictWithConfidence(
  logits: Matrix,
  temperature = 1,
): { predictions: Int32Array; confidences: Float64Array } {
  const rows = toRows(logits, "logits");
  const predictions = new Int32Array(rows.length);
  const confidences = new Float64Array(rows.length);
  rows.forEach((r, i) => {
    const p = softmax(r, temperature);
    const k = argmax(p);
    predictions[i] = k;
    confidences[i] = p[k] as number;
  });
  return { predictions, confidences };
}

// Findings pages from the summaries our studies write, chosen by the summary's kind. A run directory's
// own findings.json (any tool may write one) takes precedence; see ../page.ts.
import { type Page, parsePage } from "../page.js";
import { type BiasSummary, biasPage } from "./bias.js";
import { type SimclrSummary, simclrPage } from "./simclr.js";
import { type TrainSummary, trainPage } from "./train.js";

/** The page for a known summary (SimCLR run, `facelab train` run, bias study), else undefined. */
export function pageFromSummary(summary: Record<string, unknown> | undefined): Page | undefined {
  if (!summary) return undefined;
  if (summary.study === "simclr" && summary.headline && Array.isArray(summary.results))
    return parsePage(simclrPage(summary as unknown as SimclrSummary), "summary.json (SimCLR)");
  if (summary.kind === "train" && typeof summary.testAccuracy === "number")
    return parsePage(trainPage(summary as unknown as TrainSummary), "summary.json (train)");
  if (summary.kind === "bias-study" && Array.isArray(summary.claims))
    return parsePage(biasPage(summary as unknown as BiasSummary), "summary.json (bias study)");
  return undefined;
}

export { SIMCLR_CHART_IDS } from "./simclr.js";
export { TRAIN_CHART_IDS } from "./train.js";

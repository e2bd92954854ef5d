// Shared look of every chart: a title, axes with titles that carry units, readable font sizes.
export type VlSpec = Record<string, unknown>;

export interface ChartOptions {
  title: string;
  subtitle?: string;
  xTitle?: string;
  yTitle?: string;
  width?: number;
  height?: number;
}

const FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif";

/** The top level all builders share; `body` carries data, mark/layers and encodings. */
export function chart(opts: ChartOptions, body: VlSpec): VlSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: opts.title, ...(opts.subtitle && { subtitle: opts.subtitle }), anchor: "start" },
    width: opts.width ?? 520,
    height: opts.height ?? 300,
    background: "white",
    padding: 12,
    config: {
      font: FONT,
      title: { fontSize: 16, subtitleFontSize: 12, subtitleColor: "#555" },
      axis: { labelFontSize: 12, titleFontSize: 13, titlePadding: 8, gridColor: "#e6e6e6" },
      legend: { labelFontSize: 12, titleFontSize: 12, labelLimit: 260, titleLimit: 260 },
      view: { stroke: "#ccc" },
    },
    ...body,
  };
}

/** Quantitative field with a titled axis. */
export const q = (field: string, title: string, extra: VlSpec = {}): VlSpec => ({
  field,
  type: "quantitative",
  title,
  ...extra,
});

export const nominal = (field: string, title: string, extra: VlSpec = {}): VlSpec => ({
  field,
  type: "nominal",
  title,
  ...extra,
});

/** Axis settings for a [0,1] quantity shown as percent. */
export const percentAxis: VlSpec = { axis: { format: ".1~%" }, scale: { domain: [0, 1] } };

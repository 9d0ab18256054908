/**
 * Vega-Lite → Vega → static SVG, headless (the report; notebooks render the spec in the browser).
 * Without a canvas Vega estimates every character as 0.8 em wide: Chinese labels are then laid out
 * 20 % too narrow (legend entries run into each other, titles overflow) and Latin ones too wide.
 * The estimate is replaced by the one the chart layouts use (ideographs 1 em, others 0.6 em).
 */
import { VegaLiteSpec, textWidth } from './common';

interface TextItem {
  fontSize?: number;
  text?: unknown;
}

let installed = false;

function installTextMetrics(vega: { textMetrics: { width: (item: TextItem, text?: unknown) => number } }): void {
  if (installed) return;
  installed = true;
  vega.textMetrics.width = (item: TextItem, text?: unknown): number => {
    const t = text ?? item.text;
    const s = t === null || t === undefined ? '' : Array.isArray(t) ? t.map(String).reduce((a, b) => (a.length > b.length ? a : b), '') : String(t);
    return textWidth(s, item.fontSize ?? 11);
  };
}

export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  // Loaded here, not at the top: importing the library for analysis alone should not pay for it.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const vl = require('vega-lite');
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const vega = require('vega');
  installTextMetrics(vega);
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg: string = await view.toSVG();
  view.finalize();
  return svg;
}

/**
 * What every figure shares: the Vega-Lite v5 envelope (`usermeta.figure = { id, caption }` so the
 * report can number and cross-reference it), the CJK look, and a text-width estimate for the
 * layouts the chart builders compute themselves.
 */
import { TH_ACK, TH_FIN, TH_PUSH, TH_RST, TH_SYN } from '../decode/tcp';

export type VegaLiteSpec = Record<string, unknown>;

export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';
export const CJK_FONT = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif';

/** Palette (Tableau 10): the same meaning keeps the same colour across figures. */
export const COLORS = {
  data: '#1f77b4',
  ack: '#2ca02c',
  window: '#ff7f0e',
  retransmission: '#d62728',
  muted: '#7f7f7f',
  series: ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f', '#d62728'],
};

/** Shared look: CJK fonts, legends below the plot (a legend at the right edge overflows with CJK text). */
const CONFIG = {
  font: CJK_FONT,
  axis: { labelFont: CJK_FONT, titleFont: CJK_FONT, labelLimit: 400, titlePadding: 8, labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' },
  legend: { labelFont: CJK_FONT, titleFont: CJK_FONT, labelLimit: 400, orient: 'bottom' as const, direction: 'horizontal' as const, titleFontWeight: 'normal', labelFontSize: 11, titleFontSize: 11, columns: 3, columnPadding: 16, symbolLimit: 0 },
  title: { font: CJK_FONT, fontSize: 14, fontWeight: 'normal', anchor: 'start' as const, offset: 10 },
  text: { font: CJK_FONT },
  view: { stroke: '#ddd' },
};

/** The envelope: schema, figure metadata, Chinese title, shared config. */
export function chartSpec(id: string, title: string, caption: string, body: VegaLiteSpec): VegaLiteSpec {
  const { config, ...rest } = body as { config?: Record<string, object> };
  const merged: Record<string, unknown> = { ...CONFIG };
  for (const [k, v] of Object.entries(config ?? {})) merged[k] = { ...((merged[k] as object) ?? {}), ...v };
  return { $schema: VEGA_LITE_SCHEMA, description: caption, usermeta: { figure: { id, caption } }, title, config: merged, padding: 12, ...rest };
}

export function flagsText(flags: number): string {
  const names: string[] = [];
  if (flags & TH_SYN) names.push('SYN');
  if (flags & TH_FIN) names.push('FIN');
  if (flags & TH_RST) names.push('RST');
  if (flags & TH_PUSH) names.push('PSH');
  if (flags & TH_ACK) names.push('ACK');
  return names.join(',');
}

/**
 * Width of a label in pixels as a browser draws it in a CJK sans font: ideographs and full-width
 * punctuation are one em, other characters about 0.6 em (a little generous, so layouts leave room).
 * Vega's own estimate (0.8 em for every character) is too small for Chinese and too large for Latin.
 */
export function textWidth(s: string, fontSize: number): number {
  let em = 0;
  for (const ch of s) em += /[\u1100-\u11ff\u2e80-\ua4cf\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 1 : 0.6;
  return em * fontSize;
}

/** Cut a label to at most `px` pixels (by textWidth), ending in "…". */
export function clip(s: string, px: number, fontSize: number): string {
  if (textWidth(s, fontSize) <= px) return s;
  let out = '';
  for (const ch of s) {
    if (textWidth(out + ch + '…', fontSize) > px) break;
    out += ch;
  }
  return out + '…';
}

/** Byte counts with thousands separators (65,483): exact, as the tables print them, but readable. */
export function bytesText(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

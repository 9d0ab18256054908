/**
 * A time axis that leaves out idle stretches. A lab capture spends most of its seconds waiting
 * (keep-alive idle time before the server closes, a retransmission timeout) while everything worth
 * seeing happens in a few milliseconds; on a plain linear axis the activity becomes one pixel.
 * Gaps that would take a large share of the axis are cut to a narrow marked band, and the rest is
 * drawn to scale: a piecewise-linear Vega scale whose domain and range this module computes, so a
 * chart builder also knows where each time lands in pixels (for its own label layout).
 */
import { textWidth } from './common';

export interface TimeCut {
  /** Last active time before the cut and first after it (seconds). */
  from: number;
  to: number;
  /** Domain values where the band starts and ends (the active stretches are padded a little). */
  a: number;
  b: number;
  /** Pixel span of the band that stands for the cut. */
  x0: number;
  x1: number;
}

export interface TimeAxis {
  /** Piecewise scale: equal-length domain (seconds) and range (pixels). */
  domain: number[];
  range: number[];
  cuts: TimeCut[];
  width: number;
  /** Time → pixel, as the scale maps it, and back. */
  px(t: number): number;
  time(x: number): number;
  /** Tick values (seconds) whose labels do not collide. */
  ticks: number[];
  /** Vega expression for a tick label (datum.value in seconds). */
  labelExpr: string;
  /** Axis title with the unit. */
  title: string;
  /** Time in the axis's unit, formatted as on the axis (for tooltips and captions). */
  format(t: number): string;
}

export interface TimeAxisOptions {
  width: number;
  /** A gap is cut when it would take more than this share of the axis (default 0.5). */
  maxGapShare?: number;
  /** Pixels of the band that stands for a cut gap (default 18). */
  cutWidth?: number;
  /** At most this many cuts (default 4). */
  maxCuts?: number;
  /** Label font size, to keep tick labels apart (default 11). */
  fontSize?: number;
  /** Axis title prefix (default "时间"); the unit is appended. */
  name?: string;
  /**
   * Room a chart needs in the active stretch around a time (a label beside a bar): the stretch
   * containing `t` is drawn at least `px` wide (at most half the plot), the others share the rest.
   */
  room?: Array<{ t: number; px: number }>;
}

/**
 * Build the axis from every time the figure draws (unsorted, duplicates allowed). Gaps inside a
 * `busy` interval (a download in progress) are never cut: only time when nothing happens is idle.
 */
export function timeAxis(times: number[], o: TimeAxisOptions, busy: Array<[number, number]> = []): TimeAxis {
  const ts = [...new Set(times.filter((t) => Number.isFinite(t)))].sort((a, b) => a - b);
  if (!ts.length) ts.push(0);
  const lo = ts[0];
  const hi = ts[ts.length - 1];
  const share = o.maxGapShare ?? 0.5;
  const cutW = o.cutWidth ?? 18;
  const gaps = ts
    .slice(1)
    .map((t, i) => ({ from: ts[i], to: t, len: t - ts[i] }))
    .filter((g) => !busy.some(([a, b]) => a < g.to && b > g.from))
    .sort((a, b) => b.len - a.len);
  const cut: Array<{ from: number; to: number; len: number }> = [];
  let shown = hi - lo;
  for (const g of gaps) {
    if (cut.length >= (o.maxCuts ?? 4) || g.len <= 0) break;
    const rest = shown - g.len;
    // Cut when the gap would take more than `share` of the axis with it left in.
    if (g.len <= (share / (1 - share)) * rest) break;
    cut.push(g);
    shown = rest;
  }
  cut.sort((a, b) => a.from - b.from);
  // Active segments between the cuts, each padded a little so a single instant still has width.
  const bounds: Array<[number, number]> = [];
  let start = lo;
  for (const c of cut) {
    bounds.push([start, c.from]);
    start = c.to;
  }
  bounds.push([start, hi]);
  const activeTotal = bounds.reduce((s, [a, b]) => s + (b - a), 0);
  const pad = Math.max(activeTotal * 0.02, 1e-6 * Math.max(1, Math.abs(hi)), activeTotal === 0 ? 1e-3 : 0);
  const padded = bounds.map(([a, b], i) => [i === 0 ? a - pad : a - Math.min(pad, (a - cut[i - 1].from) / 3), i === bounds.length - 1 ? b + pad : b + Math.min(pad, (cut[i].to - b) / 3)] as [number, number]);
  const plotW = o.width - cut.length * cutW;
  const dur = padded.reduce((s, [a, b]) => s + (b - a), 0);
  // Each segment gets its share of the width, but at least 36 px so its labels and marks are
  // visible (more where the chart asked for room), the others giving up width in proportion.
  const base = Math.min(36, plotW / padded.length);
  let minW = padded.map(([a, b]) => {
    const asked = (o.room ?? []).filter((r) => r.t >= a && r.t <= b).reduce((m, r) => Math.max(m, r.px), 0);
    return Math.max(base, Math.min(asked, plotW / 2));
  });
  const askedTotal = minW.reduce((s, w) => s + w, 0);
  if (askedTotal > plotW) minW = minW.map((w) => base + ((w - base) * (plotW - padded.length * base)) / (askedTotal - padded.length * base));
  let widths = padded.map(([a, b]) => ((b - a) / dur) * plotW);
  for (let pass = 0; pass < padded.length; pass++) {
    const small = widths.map((w, i) => w < minW[i] - 1e-9);
    if (!small.some(Boolean)) break;
    const need = small.reduce((s, isSmall, i) => s + (isSmall ? minW[i] - widths[i] : 0), 0);
    const big = widths.reduce((s, w, i) => s + (small[i] ? 0 : w - minW[i]), 0);
    widths = widths.map((w, i) => (small[i] ? minW[i] : w - (need * (w - minW[i])) / Math.max(big, 1e-9)));
  }
  const domain: number[] = [];
  const range: number[] = [];
  const cuts: TimeCut[] = [];
  let x = 0;
  padded.forEach(([a, b], i) => {
    domain.push(a, b);
    range.push(x, x + widths[i]);
    x += widths[i];
    if (i < cut.length) {
      cuts.push({ from: cut[i].from, to: cut[i].to, a: b, b: padded[i + 1][0], x0: x, x1: x + cutW });
      x += cutW;
    }
  });
  const px = (t: number): number => {
    if (t <= domain[0]) return range[0] + ((t - domain[0]) / (domain[1] - domain[0] || 1)) * (range[1] - range[0]);
    for (let k = 0; k < domain.length - 1; k++) {
      if (t <= domain[k + 1]) return range[k] + ((t - domain[k]) / (domain[k + 1] - domain[k] || 1)) * (range[k + 1] - range[k]);
    }
    const n = domain.length - 1;
    return range[n] + ((t - domain[n]) / (domain[n] - domain[n - 1] || 1)) * (range[n] - range[n - 1]);
  };
  const time = (xp: number): number => {
    for (let k = 0; k < range.length - 1; k++) {
      if (xp <= range[k + 1] || k === range.length - 2) return domain[k] + ((xp - range[k]) / (range[k + 1] - range[k] || 1)) * (domain[k + 1] - domain[k]);
    }
    return domain[domain.length - 1];
  };

  // Unit: milliseconds when what is shown spans under two seconds, else seconds.
  const ms = dur < 2;
  const k = ms ? 1000 : 1;
  const fontSize = o.fontSize ?? 11;
  const candidates: Array<{ t: number; step: number }> = [];
  padded.forEach(([a, b], i) => {
    const n = Math.max(1, Math.floor(widths[i] / 70));
    const step = niceStep((b - a) / n);
    const before = candidates.length;
    for (let t = Math.ceil(a / step) * step; t <= b + step * 1e-9; t += step) candidates.push({ t: round(t, step), step });
    // A short stretch between two cuts still gets one label, so every piece of the axis is dated.
    if (candidates.length === before) {
      const fine = niceStep((b - a) / 2);
      candidates.push({ t: round(Math.round((a + b) / 2 / fine) * fine, fine), step: fine });
    }
  });
  const digits = (step: number) => Math.max(0, -Math.floor(Math.log10(step * k) + 1e-9));
  const label = (t: number, step: number) => (t * k).toFixed(digits(step));
  const minStep = Math.min(...candidates.map((c) => c.step), Infinity);
  const ticks: number[] = [];
  let lastRight = -Infinity;
  for (const c of candidates.sort((p, q) => p.t - q.t)) {
    const w = textWidth(label(c.t, minStep), fontSize);
    const cx = px(c.t);
    if (cx - w / 2 < lastRight + 8 || cx < -0.5 || cx > o.width + 0.5) continue;
    ticks.push(c.t);
    lastRight = cx + w / 2;
  }
  const d = isFinite(minStep) ? digits(minStep) : 0;
  return {
    domain,
    range,
    cuts,
    width: o.width,
    px,
    time,
    ticks,
    labelExpr: `format(datum.value * ${k}, '.${d}f')`,
    title: `${o.name ?? '时间'} (${ms ? 'ms' : 's'})`,
    format: (t: number) => `${(t * k).toFixed(Math.max(d, ms ? 3 : 6))} ${ms ? 'ms' : 's'}`,
  };
}

/** 1, 2 or 5 times a power of ten, at least `raw`. */
export function niceStep(raw: number): number {
  if (!(raw > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw * (1 - 1e-9)) return m * p;
  return 10 * p;
}

function round(t: number, step: number): number {
  const d = Math.max(0, -Math.floor(Math.log10(step)) + 2);
  return Number(t.toFixed(d));
}

/** "5.02 s" / "830 ms": how long a cut gap lasted, for its label. */
export function durationText(sec: number): string {
  if (sec >= 1) return `${sec.toFixed(sec >= 10 ? 1 : 2)} s`;
  if (sec >= 1e-3) return `${(sec * 1e3).toFixed(sec >= 0.1 ? 0 : 1)} ms`;
  return `${(sec * 1e6).toFixed(0)} µs`;
}

/**
 * Layers that mark each cut: a grey band from `yLow` to `yHigh` (in the chart's y units) and a
 * rotated label saying how long the idle stretch was. They use the fields x, x2, y, y2 like every
 * layer of a chart whose shared encoding (scales, axes) sits at the top of the layered spec.
 */
export function cutLayers(axis: TimeAxis, yLow: number, yHigh: number): object[] {
  if (!axis.cuts.length) return [];
  const band = axis.cuts.map((c) => ({ x: c.a, x2: c.b, y: yLow, y2: yHigh, text: `省略 ${durationText(c.to - c.from)}` }));
  const label = axis.cuts.map((c) => ({ x: (c.a + c.b) / 2, y: (yLow + yHigh) / 2, text: `省略 ${durationText(c.to - c.from)}` }));
  return [
    {
      data: { values: band },
      mark: { type: 'rect', fill: '#f0f0f0', stroke: '#bbb', strokeDash: [3, 2], strokeWidth: 1 },
      encoding: { x2: { field: 'x2' }, y2: { field: 'y2' }, tooltip: [{ field: 'text', title: '时间轴' }] },
    },
    {
      data: { values: label },
      mark: { type: 'text', angle: 270, fontSize: 9, color: '#666', baseline: 'middle', align: 'center' },
      encoding: { text: { field: 'text' } },
    },
  ];
}

/** The Vega-Lite scale object for this axis. */
export function xScale(axis: TimeAxis): object {
  return { domain: axis.domain, range: axis.range, zero: false, nice: false, clamp: false };
}

/** The Vega-Lite axis object for this axis. */
export function xAxis(axis: TimeAxis, extra: object = {}): object {
  return { title: axis.title, values: axis.ticks, labelExpr: axis.labelExpr, labelOverlap: false, grid: true, gridColor: '#eee', ...extra };
}

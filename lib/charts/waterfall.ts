/**
 * Waterfall: one row per TCP connection, its lifetime as a light band and each HTTP request on it
 * as a labelled bar (URI → status), so connection reuse (several bars in one row) and parallel
 * connections (bars at the same time in different rows) read at a glance. Keep-alive idle time is
 * cut from the time axis and marked; preconnected connections that never carried a request and the
 * way each connection ended (FIN from either side, RST, still open) are marked too.
 */
import { COLORS, VegaLiteSpec, chartSpec, clip, textWidth } from './common';
import { TimeAxis, cutLayers, durationText, timeAxis, xAxis, xScale } from './time-axis';

export interface WaterfallRequest {
  /** The request URI (hostile text: only ever shown as a data value). */
  label: string;
  method?: string;
  status?: number | string;
  /** Request sent / last byte of the response received (seconds since the capture's first frame). */
  start: number;
  end: number;
  /** Frames that carried the request and completed the response, for the tooltip. */
  requestFrame?: number;
  responseFrame?: number;
}

export interface WaterfallRow {
  stream: number;
  /** Short row label, e.g. ":49734". */
  label: string;
  opened: number;
  /** When the connection ended (last FIN/ACK or RST); absent if still open when the capture ended. */
  closed?: number;
  role: 'page' | 'parallel' | 'sequential' | 'preconnect' | 'other';
  requests: WaterfallRequest[];
  closedBy?: 'client' | 'server' | 'rst' | 'not-captured';
  /** Frame range for the tooltip, e.g. "1–30". */
  frames?: string;
}

export interface WaterfallInput {
  rows: WaterfallRow[];
  /** Time of the capture's last frame: where a connection still open is drawn to. */
  captureEnd: number;
  id?: string;
  caption?: string;
}

/** Role colours, and the ink of a label drawn inside a bar of that colour (the better contrast). */
const ROLE: Record<WaterfallRow['role'], { name: string; color: string; ink: 'light' | 'dark' }> = {
  page: { name: '页面所在的连接', color: '#1f77b4', ink: 'light' },
  parallel: { name: '并行连接', color: '#ff7f0e', ink: 'dark' },
  sequential: { name: '后续连接', color: '#2ca02c', ink: 'dark' },
  preconnect: { name: '预连接（未发请求）', color: '#9467bd', ink: 'light' },
  other: { name: '其他连接', color: '#7f7f7f', ink: 'light' },
};

const CLOSE: Record<NonNullable<WaterfallRow['closedBy']>, { name: string; shape: string }> = {
  client: { name: '客户端先发 FIN', shape: 'triangle-left' },
  server: { name: '服务器先发 FIN', shape: 'triangle-right' },
  rst: { name: 'RST 中止', shape: 'cross' },
  'not-captured': { name: '抓包结束时未关闭', shape: 'circle' },
};

const PLOT_W = 540;
const LEVEL_H = 17;
const BAR_H = 9;
const FONT = 10;

export function waterfallChart(input: WaterfallInput): VegaLiteSpec {
  const rows = input.rows;
  const times = rows.flatMap((r) => [r.opened, r.closed ?? input.captureEnd, ...r.requests.flatMap((q) => [q.start, q.end])]);
  // A request in progress is never idle time, whatever its length.
  const busy = rows.flatMap((r) => r.requests.map((q): [number, number] => [q.start, q.end]));
  let axis = timeAxis(times, { width: PLOT_W }, busy);
  // A label that fits beside its bar on neither side asks for a wider stretch of the axis there
  // (a short burst between two cut idle times), and the axis is laid out again.
  const room: Array<{ t: number; px: number }> = [];
  for (let pass = 0; pass < 3; pass++) {
    const more = rows.flatMap((r) => layoutRow(r, axis).flatMap((p) => (p.need ? [{ t: p.req.start, px: p.need }] : [])));
    if (!more.length) break;
    room.push(...more);
    axis = timeAxis(times, { width: PLOT_W, room }, busy);
  }

  const bars: object[] = [];
  const labelsLeft: object[] = [];
  const labelsRight: object[] = [];
  const insideLight: object[] = [];
  const insideDark: object[] = [];
  const lifetimes: object[] = [];
  const closes: object[] = [];
  const rowCenters: number[] = [];
  const rowLabels: string[] = [];
  let y = 0;
  for (const r of rows) {
    const placed = layoutRow(r, axis);
    const levels = Math.max(1, ...placed.map((p) => p.level + 1));
    const h = levels * LEVEL_H + 8;
    const top = y;
    const end = r.closed ?? input.captureEnd;
    const role = ROLE[r.role];
    lifetimes.push({
      x: r.opened,
      x2: Math.max(end, axis.time(axis.px(r.opened) + 2)),
      y: top + 2,
      y2: top + h - 2,
      what: `连接 ${r.stream}（${r.label}）：${role.name}`,
      frames: r.frames ?? '',
      span: `${axis.format(r.opened)} – ${r.closed === undefined ? '抓包结束' : axis.format(r.closed)}`,
    });
    for (const p of placed) {
      const cy = top + 4 + p.level * LEVEL_H + LEVEL_H / 2 + 2;
      const q = p.req;
      const frames = [q.requestFrame !== undefined ? `请求第 ${q.requestFrame} 帧` : '', q.responseFrame !== undefined ? `响应第 ${q.responseFrame} 帧` : '无响应'].filter(Boolean).join(' → ');
      // A bar that carries its label inside is as tall as the text.
      const bh = p.align === 'inside' ? LEVEL_H - 3 : BAR_H;
      bars.push({ x: q.start, x2: Math.max(q.end, axis.time(axis.px(q.start) + 3)), y: cy - bh / 2, y2: cy + bh / 2, role: role.name, what: p.fullText, frames, took: durationText(Math.max(0, q.end - q.start)) });
      (p.align === 'left' ? labelsLeft : p.align === 'right' ? labelsRight : role.ink === 'light' ? insideLight : insideDark).push({ x: axis.time(p.textX), y: cy, text: p.text });
    }
    if (r.role === 'preconnect' && !r.requests.length) labelsLeft.push({ x: axis.time(Math.min(axis.px(r.opened) + 6, PLOT_W - 130)), y: top + h / 2, text: '握手后没有发送请求' });
    const by = r.closedBy ?? (r.closed === undefined ? 'not-captured' : undefined);
    if (by) closes.push({ x: by === 'not-captured' ? input.captureEnd : end, y: top + h / 2, how: CLOSE[by].name, when: r.closed === undefined ? '抓包结束' : axis.format(end) });
    rowCenters.push(top + h / 2);
    rowLabels.push(`连接 ${r.stream}  ${r.label}`);
    y += h;
  }
  const height = Math.max(y, 40);
  const yScale = { domain: [0, height], range: [0, height], zero: false, nice: false };
  // Colours of request bars: only roles of rows that have requests (a preconnect row is labelled instead).
  const rolesUsed = [...new Set(rows.filter((r) => r.requests.length).map((r) => r.role))].map((k) => ROLE[k]);
  const closesUsed = Object.values(CLOSE).filter((c) => closes.some((d) => (d as { how: string }).how === c.name));

  const layers: object[] = [
    {
      data: { values: lifetimes },
      mark: { type: 'rect', fill: '#e8eef4', stroke: '#c5d3e0' },
      encoding: { x2: { field: 'x2' }, y2: { field: 'y2' }, tooltip: [{ field: 'what', title: '连接' }, { field: 'span', title: '存续' }, { field: 'frames', title: '帧' }] },
    },
    // Over the lifetimes: a connection idling through a cut shows the cut.
    ...cutLayers(axis, 0, height),
    {
      data: { values: bars },
      mark: { type: 'rect' },
      encoding: {
        x2: { field: 'x2' },
        y2: { field: 'y2' },
        color: { field: 'role', type: 'nominal', title: '请求所在连接', scale: { domain: rolesUsed.map((r) => r.name), range: rolesUsed.map((r) => r.color) } },
        tooltip: [{ field: 'what', title: '请求' }, { field: 'frames', title: '帧' }, { field: 'took', title: '耗时' }],
      },
    },
    textLayer(labelsLeft, 'left'),
    textLayer(labelsRight, 'right'),
    textLayer(insideLight, 'left', '#fff'),
    textLayer(insideDark, 'left', '#111'),
  ];
  if (closes.length)
    layers.push({
      data: { values: closes },
      mark: { type: 'point', filled: true, size: 70, color: '#333', opacity: 1 },
      encoding: {
        shape: { field: 'how', type: 'nominal', title: '连接结束', scale: { domain: closesUsed.map((c) => c.name), range: closesUsed.map((c) => c.shape) } },
        tooltip: [{ field: 'how', title: '连接结束' }, { field: 'when', title: '时间' }],
      },
    });
  const parallel = rows.filter((r) => r.requests.length).length;
  return chartSpec(
    input.id ?? 'waterfall',
    '瀑布图：各条 TCP 连接上的 HTTP 请求',
    input.caption ??
      `瀑布图：每行一条 TCP 连接（浅色为连接的存续时间），每个 HTTP 请求一根标注了 URI 和状态码的条（从发出请求到收到响应的最后一个字节）；${parallel} 条连接承载了请求${axis.cuts.length ? `；时间轴上灰色竖带是省略的空闲时间（${axis.cuts.map((c) => durationText(c.to - c.from)).join('、')}）` : ''}`,
    {
      width: PLOT_W,
      height,
      encoding: {
        x: { field: 'x', type: 'quantitative', scale: xScale(axis), axis: xAxis(axis) },
        y: {
          field: 'y',
          type: 'quantitative',
          scale: yScale,
          axis: { title: 'TCP 连接', values: rowCenters, labelExpr: `${JSON.stringify(rowLabels)}[indexof(${JSON.stringify(rowCenters)}, datum.value)]`, grid: false, ticks: false, domain: false, labelPadding: 6 },
        },
      },
      layer: layers,
    },
  );
}

function textLayer(values: object[], align: 'left' | 'right', color = '#222'): object {
  return { data: { values }, mark: { type: 'text', align, baseline: 'middle', fontSize: FONT, color, limit: 0 }, encoding: { text: { field: 'text' } } };
}

interface Placed {
  req: WaterfallRequest;
  level: number;
  text: string;
  fullText: string;
  textX: number;
  /** Beside the bar (its left or right end), or inside it (a long bar in a short stretch). */
  align: 'left' | 'right' | 'inside';
  /** Width the label's stretch of the axis would need for the whole label beside the bar (when shortened). */
  need?: number;
}

/** "GET /logo.jpg → 200" with the URI shortened to fit `px`: method and status always kept. */
function requestText(q: WaterfallRequest, px: number): string {
  const head = q.method ? `${q.method} ` : '';
  const tail = ` → ${q.status ?? '无响应'}`;
  return head + clip(q.label, Math.max(px - textWidth(head + tail, FONT), textWidth('/…', FONT)), FONT) + tail;
}

/** Give each request of a row a level so that no two bars or labels overlap. */
function layoutRow(r: WaterfallRow, axis: TimeAxis): Placed[] {
  const levels: number[] = []; // rightmost occupied pixel per level
  const out: Placed[] = [];
  for (const q of [...r.requests].sort((a, b) => a.start - b.start)) {
    const fullText = requestText(q, Infinity);
    const x0 = axis.px(q.start);
    const x1 = Math.max(axis.px(q.end), x0 + 3);
    // A label goes right of its bar, else left of it, and never over the edge or across a cut band
    // (the band's own label is there); where neither side has room the URI is shortened, and the
    // room the whole label needs is reported so the axis can give it.
    const cutAt = (l: number, r: number) => axis.cuts.find((c) => l < c.x1 + 2 && r > c.x0 - 2);
    const text0 = requestText(q, 230);
    const w0 = textWidth(text0, FONT);
    const fitsRight = x1 + 4 + w0 <= PLOT_W && !cutAt(x1 + 4, x1 + 4 + w0);
    const fitsLeft = x0 - 4 - w0 >= 0 && !cutAt(x0 - 4 - w0, x0 - 4);
    const fitsInside = x1 - x0 >= w0 + 8;
    let text = text0;
    let align: Placed['align'] = 'left';
    let textX = x1 + 4;
    let left = x0;
    let right = textX + w0;
    let need: number | undefined;
    if (!fitsRight && fitsLeft) {
      align = 'right';
      textX = x0 - 4;
      left = textX - w0;
      right = x1;
    } else if (!fitsRight && fitsInside) {
      align = 'inside';
      textX = x0 + 4;
      right = x1;
    } else if (!fitsRight) {
      const c = axis.cuts.find((k) => k.x0 - 2 > textX);
      const room = Math.min(PLOT_W, c ? c.x0 - 4 : PLOT_W) - textX;
      text = requestText(q, room);
      right = textX + textWidth(text, FONT);
      // The stretch [s0, s1] holding the bar, scaled until one side holds the label.
      const k = axis.range.findIndex((_, i) => i % 2 === 0 && x0 >= axis.range[i] - 1e-6 && x0 <= axis.range[i + 1] + 1e-6);
      if (k >= 0) {
        const s0 = axis.range[k];
        const s1 = axis.range[k + 1];
        const grow = Math.min((w0 + 8) / Math.max(s1 - x1, 1), (w0 + 8) / Math.max(x0 - s0, 1), (w0 + 8) / Math.max(x1 - x0, 1));
        need = Math.ceil((s1 - s0) * grow);
      }
    }
    let level = levels.findIndex((occupied) => occupied + 8 <= left);
    if (level < 0) level = levels.length;
    levels[level] = right;
    out.push({ req: q, level, text, fullText, textX, align, need });
  }
  return out;
}

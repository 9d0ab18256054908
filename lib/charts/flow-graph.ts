/**
 * Flow graph (Wireshark's "Flow Graph", a sequence diagram): a column of frame numbers and times,
 * one vertical lane per endpoint the caller chose, one arrow per packet labelled with its flags, and
 * a comment column with Seq/Ack/Len, the HTTP line and the TCP analysis note. The layout is computed
 * here in pixels so that it stays readable when printed at A4 width (text ≥ 8 px): lane spacing
 * shrinks with more lanes, long addresses wrap, and a long capture is split into pages. When the
 * packets do not fit, runs of unremarkable packets are folded into one summary row; packets the
 * caller marks important (SYN, FIN, RST, retransmissions, HTTP requests and responses) never are.
 */
import { COLORS, VegaLiteSpec, chartSpec, clip, textWidth } from './common';

export interface FlowLane {
  id: string;
  /** Who it is, e.g. "客户端" / "服务器". */
  role: string;
  /** Address and port, e.g. "127.0.0.1:38960" or "[::1]:8080". */
  address: string;
}

export interface FlowPacket {
  frame: number;
  time: number;
  /** Lane ids. */
  from: string;
  to: string;
  stream: number;
  /** Short flag list drawn on the arrow, e.g. "SYN,ACK". */
  flags: string;
  /** e.g. "Seq=1 Ack=1 Len=644". */
  detail: string;
  /** TCP payload length (a folded run counts data segments and pure ACKs). */
  len: number;
  /** HTTP request or status line completed in this frame, e.g. "GET /logo.jpg". */
  http?: string;
  /** TCP analysis note, e.g. "重传". */
  note?: string;
  /** Never folded into a summary row. */
  important?: boolean;
}

export interface FlowGraphInput {
  lanes: FlowLane[];
  packets: FlowPacket[];
  /** What the caller left out (other connections), said in the caption. */
  omitted?: string;
  id?: string;
  /**
   * Rows per page at most (default 22: with its caption under half an A4 page, so a page the
   * figure does not fit on is already at least half full when the figure moves on).
   */
  rowsPerPage?: number;
}

const FONT = 11;
const ROW = 14;
const COL_FRAME = 34; // right edge of the frame numbers
const COL_TIME = 42; // left edge of the times
const LANES_X = 132; // first lane
const DETAIL_W = 250; // at least; more when the lanes leave room
/** Widest drawing that still prints its smallest text (10 px) at ≥ 8 px on A4 (178 mm = 673 CSS px). */
const MAX_W = Math.floor((673 * 10) / 8) - 2 * 12 - 8;

type Row = { kind: 'packet'; p: FlowPacket } | { kind: 'fold'; first: number; last: number; n: number; data: number; acks: number };

/** Fold runs of unimportant packets until the rows fit in `target` (runs of 3 or more, longest first). */
export function foldRows(packets: FlowPacket[], target: number): Row[] {
  const rows: Row[] = packets.map((p) => ({ kind: 'packet', p }));
  if (rows.length <= target) return rows;
  const runs: Array<{ start: number; end: number }> = [];
  let s = -1;
  packets.forEach((p, i) => {
    if (!p.important && s < 0) s = i;
    if ((p.important || i === packets.length - 1) && s >= 0) {
      const end = p.important ? i : i + 1;
      if (end - s >= 3) runs.push({ start: s, end });
      s = -1;
    }
  });
  let count = rows.length;
  const fold = new Set<number>();
  for (const r of [...runs].sort((a, b) => b.end - b.start - (a.end - a.start))) {
    if (count <= target) break;
    fold.add(r.start);
    count -= r.end - r.start - 1;
  }
  const out: Row[] = [];
  for (let i = 0; i < packets.length; i++) {
    const r = runs.find((x) => x.start === i);
    if (r && fold.has(i)) {
      const ps = packets.slice(r.start, r.end);
      out.push({ kind: 'fold', first: ps[0].frame, last: ps[ps.length - 1].frame, n: ps.length, data: ps.filter((p) => p.len > 0).length, acks: ps.filter((p) => p.len === 0).length });
      i = r.end - 1;
    } else out.push({ kind: 'packet', p: packets[i] });
  }
  return out;
}

/** Split an address so no line is wider than `px` (at ':' or '.' where possible). */
function wrapAddress(s: string, px: number, size: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const part of s.split(/(?<=[:.])/)) {
    if (line && textWidth(line + part, size) > px) {
      lines.push(line);
      line = '';
    }
    line += part;
    while (textWidth(line, size) > px && line.length > 1) {
      let k = line.length - 1;
      while (k > 1 && textWidth(line.slice(0, k), size) > px) k--;
      lines.push(line.slice(0, k));
      line = line.slice(k);
    }
  }
  if (line) lines.push(line);
  return lines;
}

export function flowGraphCharts(input: FlowGraphInput): VegaLiteSpec[] {
  const lanes = input.lanes;
  const n = Math.max(1, lanes.length);
  // Lane spacing: room for the flags on an arrow, no more than fits the A4 width.
  const fit = Math.floor((MAX_W - LANES_X - 60 - DETAIL_W) / Math.max(1, n - 1));
  const gap = Math.max(72, Math.min(110, fit));
  const laneX = new Map(lanes.map((l, i) => [l.id, LANES_X + i * gap]));
  const headerLines = lanes.map((l) => [l.role, ...wrapAddress(l.address, gap - 8, 10)]);
  // The comment column starts clear of the last lane's header and gets what width is left.
  const lastHalf = Math.max(0, ...(headerLines[n - 1] ?? []).map((t) => textWidth(t, 10) / 2));
  const detailX = LANES_X + (n - 1) * gap + Math.max(24, lastHalf + 12);
  const detailW = Math.max(DETAIL_W, Math.min(300, MAX_W - detailX));
  const width = detailX + detailW;
  const headerH = Math.max(...headerLines.map((h) => h.length), 1) * 12 + 16;
  const maxPerPage = input.rowsPerPage ?? 22;
  // Up to two pages every packet is drawn; beyond that ordinary runs are folded until the rows fit
  // the pages the important packets need.
  const important = input.packets.filter((p) => p.important).length;
  const rows = foldRows(input.packets, Math.max(2 * maxPerPage, maxPerPage * Math.ceil(important / maxPerPage)));
  // Pages of equal length rather than a full one and a stub.
  const perPage = Math.ceil(rows.length / Math.max(1, Math.ceil(rows.length / maxPerPage)));
  const pages: Row[][] = [];
  for (let i = 0; i < rows.length; i += perPage) pages.push(rows.slice(i, i + perPage));
  if (!pages.length) pages.push([]);
  const streams = [...new Set(input.packets.map((p) => p.stream))].sort((a, b) => a - b);
  const streamName = (s: number) => `连接 ${s}`;
  const colorScale = { domain: streams.map(streamName), range: streams.map((_, i) => COLORS.series[i % COLORS.series.length]) };
  // One colour per connection; with one connection there is nothing to tell apart.
  const legend = streams.length > 1 ? { orient: 'bottom', direction: 'horizontal' } : null;
  const id = input.id ?? 'flow';

  return pages.map((page, k) => {
    const height = headerH + page.length * ROW + 6;
    const y = (i: number) => headerH + i * ROW + ROW / 2 + 2;
    const header = lanes.flatMap((l, i) => headerLines[i].map((text, j) => ({ x: LANES_X + i * gap, y: 4 + j * 12, text, bold: j === 0 })));
    const laneLines = lanes.map((l) => ({ x: laneX.get(l.id)!, y: headerH - 2, y2: height }));
    const arrows: object[] = [];
    const heads: object[] = [];
    const flagTexts: object[] = [];
    const left: object[] = [];
    const details: object[] = [];
    const notes: object[] = [];
    const bands: object[] = [];
    const folds: object[] = [];
    page.forEach((r, i) => {
      const cy = y(i);
      if (r.kind === 'fold') {
        // In the comment column: over the lanes it would run into the flags of the next arrow.
        folds.push({ x: detailX, y: cy, text: clip(`… 第 ${r.first}–${r.last} 帧：${r.data} 个数据段、${r.acks} 个纯 ACK，合为一行`, detailW, FONT) });
        left.push({ x: COL_FRAME, y: cy, text: '…', align: 'right' });
        bands.push({ x: 0, x2: width, y: cy - ROW / 2, y2: cy + ROW / 2, kind: 'fold' });
        return;
      }
      const p = r.p;
      const a = laneX.get(p.from) ?? LANES_X;
      const b = laneX.get(p.to) ?? LANES_X + (n - 1) * gap;
      const tip = { frame: p.frame, time: p.time.toFixed(6), flags: p.flags, detail: p.detail, http: p.http ?? '', note: p.note ?? '', stream: streamName(p.stream) };
      arrows.push({ x: a, x2: b + (b > a ? -5 : 5), y: cy, ...tip });
      heads.push({ x: b + (b > a ? -4 : 4), y: cy, dir: b > a ? 'right' : 'left', ...tip });
      flagTexts.push({ x: (a + b) / 2, y: cy - 2, text: clip(p.flags, Math.abs(b - a) - 6, 10) });
      left.push({ x: COL_FRAME, y: cy, text: String(p.frame), align: 'right' }, { x: COL_TIME, y: cy, text: p.time.toFixed(6), align: 'left' });
      const comment = [p.detail, p.http].filter(Boolean).join('  ');
      const noteW = p.note ? textWidth(p.note, FONT) + 8 : 0;
      const shown = clip(comment, detailW - noteW, FONT);
      details.push({ x: detailX, y: cy, text: shown });
      if (p.note) {
        notes.push({ x: detailX + textWidth(shown, FONT) + 6, y: cy, text: p.note });
        bands.push({ x: 0, x2: width, y: cy - ROW / 2, y2: cy + ROW / 2, kind: 'note' });
      }
    });
    const text = (values: object[], mark: object) => ({ data: { values }, mark: { type: 'text', fontSize: FONT, baseline: 'middle', limit: 0, ...mark }, encoding: { text: { field: 'text' } } });
    const layers: object[] = [
      // Row backgrounds: light red behind packets with an analysis note, grey behind folded runs.
      { data: { values: bands.filter((b) => (b as { kind: string }).kind === 'note') }, mark: { type: 'rect', fill: '#fde8e8' }, encoding: { x2: { field: 'x2' }, y2: { field: 'y2' } } },
      { data: { values: bands.filter((b) => (b as { kind: string }).kind === 'fold') }, mark: { type: 'rect', fill: '#f3f3f3' }, encoding: { x2: { field: 'x2' }, y2: { field: 'y2' } } },
      { data: { values: laneLines }, mark: { type: 'rule', color: '#bbb', strokeWidth: 1 }, encoding: { y2: { field: 'y2' } } },
      text(header.filter((h) => h.bold), { fontSize: 10, align: 'center', baseline: 'top', fontWeight: 'normal', color: '#000' }),
      text(header.filter((h) => !h.bold), { fontSize: 10, align: 'center', baseline: 'top', color: '#444' }),
      text([{ x: COL_FRAME, y: 4, text: '帧' }], { fontSize: 10, align: 'right', baseline: 'top', color: '#444' }),
      text([{ x: COL_TIME, y: 4, text: '时间 (s)' }], { fontSize: 10, align: 'left', baseline: 'top', color: '#444' }),
      text([{ x: detailX, y: 4, text: '说明' }], { fontSize: 10, align: 'left', baseline: 'top', color: '#444' }),
      {
        data: { values: arrows },
        mark: { type: 'rule', strokeWidth: 1.5 },
        encoding: {
          x2: { field: 'x2' },
          color: { field: 'stream', type: 'nominal', title: null, scale: colorScale, legend },
          tooltip: tooltip,
        },
      },
      {
        data: { values: heads },
        mark: { type: 'point', filled: true, size: 45, opacity: 1 },
        encoding: {
          shape: { field: 'dir', type: 'nominal', scale: { domain: ['right', 'left'], range: ['triangle-right', 'triangle-left'] }, legend: null },
          color: { field: 'stream', type: 'nominal', title: null, scale: colorScale, legend },
          tooltip,
        },
      },
      text(flagTexts, { fontSize: 10, align: 'center', baseline: 'bottom', color: '#333' }),
      text(left.filter((l) => (l as { align: string }).align === 'right'), { align: 'right', color: '#444' }),
      text(left.filter((l) => (l as { align: string }).align === 'left'), { align: 'left', color: '#444' }),
      text(details, { align: 'left', color: '#111' }),
      text(notes, { align: 'left', color: '#c00' }),
      text(folds, { align: 'left', color: '#666' }),
    ];
    const frameOf = (r: Row | undefined, end: boolean) => (r === undefined ? undefined : r.kind === 'packet' ? r.p.frame : end ? r.last : r.first);
    const first = frameOf(page[0], false);
    const lastFrame = frameOf(page[page.length - 1], true);
    const folded = page.filter((r) => r.kind === 'fold').reduce((s, r) => s + (r as { n: number }).n, 0);
    const pageText = pages.length > 1 ? `（第 ${k + 1}/${pages.length} 页${first !== undefined ? `，第 ${first}–${lastFrame} 帧` : ''}）` : '';
    const caption =
      `流图${pageText}：${lanes.length} 个端点之间的 ${page.filter((r) => r.kind === 'packet').length + folded} 个报文，每个箭头一个报文，颜色区分 TCP 连接；右栏是序列号、确认号、数据长度和 HTTP 内容` +
      (folded ? `；灰色行里连续的普通数据段和 ACK 合并成一行（共 ${folded} 个），SYN、FIN、RST、重传和 HTTP 报文总是单独画出` : '') +
      (input.omitted ? `；${input.omitted}` : '');
    return chartSpec(k === 0 ? id : `${id}-${k + 1}`, pages.length > 1 ? `流图（${k + 1}/${pages.length}）` : '流图', caption, {
      width,
      height,
      encoding: {
        x: { field: 'x', type: 'quantitative', scale: { domain: [0, width], range: [0, width], zero: false, nice: false }, axis: null },
        y: { field: 'y', type: 'quantitative', scale: { domain: [0, height], range: [0, height], zero: false, nice: false }, axis: null },
      },
      layer: layers,
      config: { view: { stroke: null } },
    });
  });
}

const tooltip = [
  { field: 'frame', title: '帧' },
  { field: 'time', title: '时间 (s)' },
  { field: 'stream', title: '连接' },
  { field: 'flags', title: '标志' },
  { field: 'detail', title: 'TCP' },
  { field: 'http', title: 'HTTP' },
  { field: 'note', title: '分析' },
];

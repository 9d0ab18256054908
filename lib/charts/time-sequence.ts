/**
 * Time-sequence graph (Stevens / tcptrace) of one direction of one connection: each data segment
 * is a vertical bar from Seq to Seq+Len at the time it was sent, the receiver's cumulative ACK is a
 * step line below the data, and ACK + advertised window is the edge the sender may not pass.
 * Retransmitted segments are red. The y-axis is fitted to the data (relative sequence numbers): a
 * window edge far above it is clipped and marked at the top instead of squashing the data into the
 * bottom of the plot; idle stretches are cut from the time axis.
 *
 * On a LAN a whole response leaves in a burst of a millisecond or two, which on the connection's
 * time scale is one vertical line. When the busiest burst is that narrow, a second panel shows it
 * magnified (its own time and sequence range), where the individual segments, the ACKs answering
 * them and any retransmission can be told apart.
 */
import { COLORS, VegaLiteSpec, bytesText, chartSpec } from './common';
import { TimeAxis, cutLayers, timeAxis, xAxis, xScale } from './time-axis';
import type { TcpFrame } from '../analysis';

export type TimeSequenceSegment = Pick<TcpFrame, 'frame' | 'time' | 'seq' | 'len'> & { retransmission?: boolean };
export type TimeSequenceAck = Pick<TcpFrame, 'frame' | 'time' | 'ack' | 'windowScaled'>;

export interface TimeSequenceInput {
  stream: number;
  /** Who sends the data, e.g. "服务器 → 客户端". */
  direction: string;
  /** The sender's data segments (len > 0). */
  segments: TimeSequenceSegment[];
  /** The receiver's ACKs (window already scaled). */
  acks: TimeSequenceAck[];
  id?: string;
  caption?: string;
}

const S = {
  data: '数据段 [Seq, Seq+Len)',
  retrans: '重传的数据段',
  ack: '确认号 Ack',
  win: '接收窗口上沿 Ack+窗口',
  winAbove: '窗口上沿在图上方',
};
const PALETTE: Record<string, string> = { [S.data]: COLORS.data, [S.retrans]: COLORS.retransmission, [S.ack]: COLORS.ack, [S.win]: COLORS.window, [S.winAbove]: COLORS.window };

const WIDTH = 560;

interface Panel {
  axis: TimeAxis;
  segs: TimeSequenceSegment[];
  acks: TimeSequenceAck[];
  height: number;
  title?: string;
  /** A region of this panel to outline (the magnified burst). */
  outline?: { x: number; x2: number; y: number; y2: number };
}

export function timeSequenceChart(input: TimeSequenceInput): VegaLiteSpec {
  const segs = input.segments.filter((s) => s.len > 0);
  const acks = input.acks;
  const axis = timeAxis([...segs.map((s) => s.time), ...acks.map((a) => a.time)], { width: WIDTH, maxGapShare: 0.25, maxCuts: 4 });
  const burst = busiestBurst(segs, axis);
  const panels: Panel[] = [{ axis, segs, acks, height: burst ? 110 : 220 }];
  if (burst) {
    const zs = segs.filter((s) => s.time >= burst.from && s.time <= burst.to);
    const pad = Math.max((burst.to - burst.from) * 0.08, 1e-6);
    const z0 = burst.from - pad;
    const z1 = burst.to + pad;
    // ACKs inside the burst, and the one in force when it began.
    const before = acks.filter((a) => a.time < z0).pop();
    const inside = acks.filter((a) => a.time >= z0 && a.time <= z1);
    const za = [...(before ? [{ ...before, time: z0 }] : []), ...inside];
    // The last ACK holds to the panel's right edge (the step line would stop at it otherwise).
    if (za.length) za.push({ ...za[za.length - 1], time: z1 });
    const zAxis = timeAxis([z0, z1, ...zs.map((s) => s.time), ...za.map((a) => a.time)], { width: WIDTH, maxCuts: 0 });
    const lo = Math.min(...zs.map((s) => s.seq));
    const hi = Math.max(...zs.map((s) => s.seq + s.len));
    panels[0].outline = { x: z0, x2: z1, y: lo, y2: hi };
    panels.push({ axis: zAxis, segs: zs, acks: za, height: 120, title: `放大：第 ${zs[0].frame}–${zs[zs.length - 1].frame} 帧（${zs.length} 个数据段）` });
  }
  const series = [S.data, ...(segs.some((s) => s.retransmission) ? [S.retrans] : []), S.ack, S.win];
  const specs = panels.map((p, i) => panel(p, i === 0 && panels.length > 1 ? '全程' : undefined));
  const above = specs.some((p) => p.above);
  const domain = [...series, ...(above ? [S.winAbove] : [])];
  const color = { domain, range: domain.map((s) => PALETTE[s]) };
  for (const p of specs) p.setColor(color);
  const retrans = segs.filter((s) => s.retransmission).length;
  const winTop = Math.max(...acks.map((a) => a.ack + a.windowScaled), -Infinity);
  return chartSpec(
    input.id ?? `tsg-${input.stream}`,
    `时间-序列号图：连接 ${input.stream}，${input.direction}`,
    input.caption ??
      `时间-序列号图（连接 ${input.stream}，${input.direction}，${segs.length} 个数据段${retrans ? `，其中 ${retrans} 个重传（红色）` : ''}）：竖条是数据段覆盖的序列号范围，绿色阶梯线是对方的确认号，橙色虚线是确认号加接收窗口——发送方的数据不能越过它` +
        (above ? `；窗口上沿高于图顶的时刻用三角标出（最高 ${bytesText(winTop)}）` : '') +
        (burst ? `；下图放大了上图方框中的一阵突发` : ''),
    specs.length === 1 ? specs[0].spec : { vconcat: specs.map((p) => p.spec), spacing: 10, resolve: { scale: { color: 'shared', x: 'independent', y: 'independent' } } },
  );
}

/**
 * The burst of segments worth magnifying: segments closer in time than 1 % of the shown span,
 * taking the group with the most segments — if it holds at least 3 and is drawn narrower than
 * 40 px (on the overview its segments would overlap).
 */
function busiestBurst(segs: TimeSequenceSegment[], axis: TimeAxis): { from: number; to: number } | undefined {
  if (segs.length < 3) return undefined;
  const sorted = [...segs].sort((a, b) => a.time - b.time);
  const near = 0.01 * WIDTH;
  let best: { from: number; to: number; n: number } | undefined;
  let start = 0;
  for (let i = 1; i <= sorted.length; i++) {
    if (i === sorted.length || axis.px(sorted[i].time) - axis.px(sorted[i - 1].time) > near) {
      const n = i - start;
      if (!best || n > best.n) best = { from: sorted[start].time, to: sorted[i - 1].time, n };
      start = i;
    }
  }
  if (!best || best.n < 3 || axis.px(best.to) - axis.px(best.from) >= 40) return undefined;
  return best;
}

/** One panel: its layers, and whether it needed the "window edge above" markers. */
function panel(p: Panel, title?: string): { spec: VegaLiteSpec; above: boolean; setColor(c: object): void } {
  const { axis, segs, acks } = p;
  const lo = Math.min(...segs.map((s) => s.seq), ...acks.map((a) => a.ack), Infinity);
  const hiData = Math.max(...segs.map((s) => s.seq + s.len), ...acks.map((a) => a.ack), -Infinity);
  const bottom = Number.isFinite(lo) ? lo : 0;
  const span = Math.max(1, (Number.isFinite(hiData) ? hiData : 1) - bottom);
  // Fitted to the data; a window edge up to 30 % above it is worth the room, one further is not.
  const winTop = Math.max(...acks.map((a) => a.ack + a.windowScaled), -Infinity);
  const top = winTop <= hiData + 0.3 * span ? Math.max(hiData, winTop) + 0.04 * span : hiData + 0.08 * span;
  const yLow = bottom - 0.04 * span;

  const segRows = segs.map((s) => ({ x: s.time, y: s.seq, y2: s.seq + s.len, frame: s.frame, series: s.retransmission ? S.retrans : S.data, range: `${s.seq}–${s.seq + s.len}`, len: s.len }));
  const ackRows = acks.map((a) => ({ x: a.time, y: a.ack, frame: a.frame }));
  const winRows = acks.map((a) => ({ x: a.time, y: a.ack + a.windowScaled, frame: a.frame, win: a.windowScaled }));
  const above = winRows
    .filter((w, i) => w.y > top && (i === 0 || winRows[i - 1].y <= top || axis.px(w.x) - axis.px(winRows[i - 1].x) > 12))
    .map((w) => ({ ...w, y: top, edge: w.y, series: S.winAbove }));
  const colorEncodings: Array<Record<string, unknown>> = [];
  const color = (c: Record<string, unknown>) => {
    const e = { title: null, ...c };
    colorEncodings.push(e);
    return e;
  };
  const layers: object[] = [
    ...cutLayers(axis, yLow, top),
    {
      data: { values: winRows },
      mark: { type: 'line', interpolate: 'step-after', strokeDash: [5, 3], strokeWidth: 1.5, clip: true },
      encoding: { color: color({ datum: S.win }), tooltip: [{ field: 'frame', title: '帧' }, { field: 'y', title: 'Ack+窗口' }, { field: 'win', title: '窗口 (字节)' }] },
    },
    {
      data: { values: ackRows },
      mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5, clip: true, point: { size: 10, filled: true } },
      encoding: { color: color({ datum: S.ack }), tooltip: [{ field: 'frame', title: '帧' }, { field: 'y', title: 'Ack' }] },
    },
    {
      data: { values: segRows },
      mark: { type: 'rule', strokeWidth: 3, strokeCap: 'butt', clip: true },
      encoding: { y2: { field: 'y2' }, color: color({ field: 'series', type: 'nominal' }), tooltip: [{ field: 'frame', title: '帧' }, { field: 'range', title: 'Seq–Seq+Len' }, { field: 'len', title: 'Len (字节)' }, { field: 'series', title: '类型' }] },
    },
    {
      data: { values: segRows },
      mark: { type: 'tick', orient: 'horizontal', thickness: 1.5, size: 8, clip: true },
      encoding: { y: { field: 'y2', type: 'quantitative', title: '相对序列号 (字节)' }, color: color({ field: 'series', type: 'nominal' }), tooltip: [{ field: 'frame', title: '帧' }, { field: 'range', title: 'Seq–Seq+Len' }] },
    },
  ];
  if (above.length)
    layers.push({
      data: { values: above },
      mark: { type: 'point', shape: 'triangle-up', filled: true, size: 40, yOffset: 4 },
      encoding: { color: color({ field: 'series', type: 'nominal' }), tooltip: [{ field: 'frame', title: '帧' }, { field: 'edge', title: 'Ack+窗口' }] },
    });
  if (p.outline)
    layers.push({
      data: { values: [p.outline] },
      mark: { type: 'rect', fill: null, fillOpacity: 0, stroke: '#555', strokeDash: [2, 2], strokeWidth: 1 },
      encoding: { x2: { field: 'x2' }, y2: { field: 'y2' } },
    });
  return {
    above: above.length > 0,
    setColor: (scale: object) => colorEncodings.forEach((e) => (e.scale = scale)),
    spec: {
      ...(p.title || title ? { title: { text: p.title ?? title!, fontSize: 12, anchor: 'start' } } : {}),
      width: WIDTH,
      height: p.height,
      encoding: {
        x: { field: 'x', type: 'quantitative', scale: xScale(axis), axis: xAxis(axis) },
        y: { field: 'y', type: 'quantitative', title: '相对序列号 (字节)', scale: { domain: [yLow, top], zero: false, nice: false }, axis: { format: ',d', grid: true, gridColor: '#eee', tickCount: 5 } },
      },
      layer: layers,
    },
  };
}

/**
 * Time-sequence graph (Stevens / tcptrace) of one direction of one connection: each data segment
 * is a vertical bar from Seq to Seq+Len at the time it was sent, the receiver's cumulative ACK is a
 * step line below the data, and ACK + advertised window is the edge the sender may not pass.
 * Retransmitted segments are drawn in red. The y-axis is fitted to the data (relative sequence
 * numbers), so a window edge far above it is clipped and marked at the top instead of squashing the
 * data into the bottom of the plot; idle stretches are cut from the time axis.
 */
import { COLORS, VegaLiteSpec, bytesText, chartSpec } from './common';
import { cutLayers, timeAxis, xAxis, xScale } from './time-axis';
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

const WIDTH = 560;
const HEIGHT = 300;

export function timeSequenceChart(input: TimeSequenceInput): VegaLiteSpec {
  const segs = input.segments.filter((s) => s.len > 0);
  const acks = input.acks;
  const axis = timeAxis([...segs.map((s) => s.time), ...acks.map((a) => a.time)], { width: WIDTH });
  const lo = Math.min(...segs.map((s) => s.seq), ...acks.map((a) => a.ack), Infinity);
  const hiData = Math.max(...segs.map((s) => s.seq + s.len), ...acks.map((a) => a.ack), -Infinity);
  const bottom = Number.isFinite(lo) ? lo : 0;
  const span = Math.max(1, (Number.isFinite(hiData) ? hiData : 1) - bottom);
  // Fitted to the data; a window edge up to 30 % above it is worth the room, one further is not.
  const winTop = Math.max(...acks.map((a) => a.ack + a.windowScaled), -Infinity);
  const top = winTop <= hiData + 0.3 * span ? Math.max(hiData, winTop) + 0.04 * span : hiData + 0.08 * span;
  const yLow = bottom - 0.02 * span;

  const segRows = segs.map((s) => ({ x: s.time, y: s.seq, y2: s.seq + s.len, frame: s.frame, series: s.retransmission ? S.retrans : S.data, range: `${s.seq}–${s.seq + s.len}`, len: s.len }));
  const ackRows = acks.map((a) => ({ x: a.time, y: a.ack, frame: a.frame, win: a.windowScaled }));
  const winRows = acks.map((a) => ({ x: a.time, y: a.ack + a.windowScaled, frame: a.frame, win: a.windowScaled }));
  const above = winRows.filter((w, i) => w.y > top && (i === 0 || winRows[i - 1].y <= top || axis.px(w.x) - axis.px(winRows[i - 1].x) > 10)).map((w) => ({ ...w, y: top, edge: w.y, series: S.winAbove }));
  const series = [S.data, ...(segRows.some((r) => r.series === S.retrans) ? [S.retrans] : []), S.ack, S.win, ...(above.length ? [S.winAbove] : [])];
  const palette: Record<string, string> = { [S.data]: COLORS.data, [S.retrans]: COLORS.retransmission, [S.ack]: COLORS.ack, [S.win]: COLORS.window, [S.winAbove]: COLORS.window };
  const color = (extra: object = {}) => ({ scale: { domain: series, range: series.map((s) => palette[s]) }, title: null, ...extra });

  const layers: object[] = [
    ...cutLayers(axis, yLow, top),
    {
      data: { values: winRows },
      mark: { type: 'line', interpolate: 'step-after', strokeDash: [5, 3], strokeWidth: 1.5, clip: true },
      encoding: { color: color({ datum: S.win }), tooltip: [{ field: 'frame', title: '帧' }, { field: 'y', title: 'Ack+窗口' }, { field: 'win', title: '窗口 (字节)' }] },
    },
    {
      data: { values: ackRows },
      mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5, clip: true },
      encoding: { color: color({ datum: S.ack }), tooltip: [{ field: 'frame', title: '帧' }, { field: 'y', title: 'Ack' }] },
    },
    {
      data: { values: segRows },
      mark: { type: 'rule', strokeWidth: 3, strokeCap: 'butt' },
      encoding: { y2: { field: 'y2' }, color: color({ field: 'series', type: 'nominal' }), tooltip: [{ field: 'frame', title: '帧' }, { field: 'range', title: 'Seq–Seq+Len' }, { field: 'len', title: 'Len (字节)' }, { field: 'series', title: '类型' }] },
    },
    {
      data: { values: segRows },
      mark: { type: 'tick', orient: 'horizontal', thickness: 1.5, size: 8 },
      encoding: { y: { field: 'y2', type: 'quantitative', title: '相对序列号 (字节)' }, color: color({ field: 'series', type: 'nominal' }) },
    },
  ];
  if (above.length)
    layers.push({
      data: { values: above },
      mark: { type: 'point', shape: 'triangle-up', filled: true, size: 40, yOffset: 4 },
      encoding: { color: color({ field: 'series', type: 'nominal' }), tooltip: [{ field: 'frame', title: '帧' }, { field: 'edge', title: 'Ack+窗口' }] },
    });

  const retrans = segRows.filter((r) => r.series === S.retrans).length;
  return chartSpec(
    input.id ?? `tsg-${input.stream}`,
    `时间-序列号图：连接 ${input.stream}，${input.direction}`,
    input.caption ??
      `时间-序列号图（连接 ${input.stream}，${input.direction}，${segRows.length} 个数据段${retrans ? `，其中 ${retrans} 个重传（红色）` : ''}）：竖条是数据段覆盖的序列号范围，绿色阶梯线是对方的确认号，橙色虚线是确认号加接收窗口——发送方的数据不能越过它${above.length ? `；窗口上沿高于图顶的时刻用三角标出（最高 ${bytesText(winTop)}）` : ''}`,
    {
      width: WIDTH,
      height: HEIGHT,
      encoding: {
        x: { field: 'x', type: 'quantitative', scale: xScale(axis), axis: xAxis(axis) },
        y: { field: 'y', type: 'quantitative', title: '相对序列号 (字节)', scale: { domain: [yLow, top], zero: false, nice: false }, axis: { format: ',d', grid: true, gridColor: '#eee', tickCount: 6 } },
      },
      layer: layers,
    },
  );
}

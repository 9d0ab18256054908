/**
 * Bytes in flight: data sent but not yet acknowledged, per connection, on a linear axis, over the
 * active period only (idle stretches cut and marked), with the receiver's advertised window in a
 * panel beside it on the same time axis — the window is often many times larger than what is in
 * flight, and on one shared axis it would flatten the curve the figure is about.
 */
import { COLORS, VegaLiteSpec, chartSpec } from './common';
import { TimeAxis, cutLayers, durationText, timeAxis, xAxis, xScale } from './time-axis';

export interface BytesInFlightSeries {
  stream: number;
  /** Legend label, e.g. "连接 1（服务器 → 客户端）". */
  label: string;
  /** Unacknowledged bytes after each frame of the connection: data the sender sent, or an ACK it received. */
  points: Array<{ frame: number; time: number; bytes: number; kind: 'data' | 'ack' }>;
  /** The receiver's advertised (scaled) window, at each of its ACKs. */
  window: Array<{ frame: number; time: number; bytes: number }>;
}

export interface BytesInFlightInput {
  series: BytesInFlightSeries[];
  id?: string;
  caption?: string;
}

const WIDTH = 560;

export function bytesInFlightChart(input: BytesInFlightInput): VegaLiteSpec {
  const series = input.series.filter((s) => s.points.length);
  // The active period: from the first data sent to the ACK that leaves nothing in flight.
  const busy: Array<[number, number]> = [];
  for (const s of series) {
    let since: number | undefined;
    for (const p of s.points) {
      if (p.bytes > 0 && since === undefined) since = p.time;
      else if (p.bytes === 0 && since !== undefined) {
        busy.push([since, p.time]);
        since = undefined;
      }
    }
    if (since !== undefined) busy.push([since, s.points[s.points.length - 1].time]);
  }
  // Events are what happens while data is in flight: time with nothing in flight is idle however
  // many pure ACKs or requests it holds, and a long wait with data in flight (a delayed ACK, a
  // retransmission timeout) is a flat stretch that may be cut like idle time, marked the same way.
  const inBusy = (t: number) => busy.some(([a, b]) => t >= a && t <= b);
  const events = series.flatMap((s) => s.points.filter((p) => inBusy(p.time)).map((p) => p.time));
  const axis = timeAxis(events.length ? events : series.flatMap((s) => s.points.map((p) => p.time)), { width: WIDTH, maxGapShare: 0.25, maxCuts: 4 });
  // Drawn: the active period only (the curve is flat at zero before and after it).
  const t0 = axis.domain[0];
  const t1 = axis.domain[axis.domain.length - 1];
  const names = series.map((s) => s.label);
  const color = { field: 'series', type: 'nominal', title: null, scale: { domain: names, range: names.map((_, i) => COLORS.series[i % COLORS.series.length]) } };
  const flight = series.flatMap((s) => s.points.filter((p) => p.time >= t0 && p.time <= t1).map((p) => ({ x: p.time, y: p.bytes, frame: p.frame, series: s.label, what: p.kind === 'data' ? '发送数据后' : '收到 ACK 后' })));
  // The window as it stood over the active period: the last advertisement before it, then each one in it.
  const win = series.flatMap((s) => {
    const before = s.window.filter((p) => p.time < t0).pop();
    const inside = s.window.filter((p) => p.time >= t0 && p.time <= t1);
    return [...(before ? [{ ...before, time: t0 }] : []), ...inside].map((p) => ({ x: p.time, y: p.bytes, frame: p.frame, series: s.label }));
  });
  const maxFlight = Math.max(1, ...flight.map((p) => p.y));
  const maxWin = Math.max(1, ...win.map((p) => p.y));
  // Did the window ever limit the sender? Compare each point with the window last advertised before it.
  const limited = series.reduce((n, s) => {
    let w = Infinity;
    const events = [...s.points.map((p) => ({ t: p.time, f: p.frame, flight: p.bytes })), ...s.window.map((p) => ({ t: p.time, f: p.frame, win: p.bytes }))].sort((a, b) => a.t - b.t || a.f - b.f);
    for (const e of events) {
      if ('win' in e) w = e.win!;
      else if (e.flight! > 0 && e.flight! >= 0.9 * w) n++;
    }
    return n;
  }, 0);
  const panel = (values: object[], title: string, max: number, height: number) => ({
    width: WIDTH,
    height,
    encoding: {
      x: { field: 'x', type: 'quantitative', scale: xScale(axis), axis: xAxis(axis) },
      y: { field: 'y', type: 'quantitative', title, scale: { domain: [0, max * 1.08], nice: false, zero: true }, axis: { format: ',d', grid: true, gridColor: '#eee', tickCount: Math.max(2, Math.floor(height / 40)) } },
    },
    layer: [
      ...cutLayers(axis, 0, max * 1.08),
      {
        data: { values },
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.8, point: { size: 14, filled: true }, clip: true },
        encoding: { color, tooltip: [{ field: 'frame', title: '帧' }, { field: 'what', title: '时刻' }, { field: 'y', title: '字节', format: ',d' }, { field: 'series', title: '连接' }] },
      },
    ],
  });
  return chartSpec(
    input.id ?? 'bif',
    '在途字节与接收窗口',
    input.caption ??
      `在途字节（已发送、尚未被确认的数据，上）与接收方通告的窗口（下），${series.length} 条连接，线性坐标${captionCuts(axis)}；${
        limited ? `有 ${limited} 个时刻在途字节达到窗口的 90 % 以上：发送受到了接收窗口的限制` : '在途字节始终低于窗口的 90 %：发送没有受接收窗口限制'
      }`,
    {
      vconcat: [panel(flight, '在途字节 (字节)', maxFlight, 160), panel(win, '接收窗口 (字节)', maxWin, 90)],
      spacing: 8,
      resolve: { scale: { x: 'shared', color: 'shared' }, axis: { x: 'independent' } },
    },
  );
}

function captionCuts(axis: TimeAxis): string {
  return axis.cuts.length ? `，时间轴只画有报文的时段（灰色竖带省略了 ${axis.cuts.map((c) => durationText(c.to - c.from)).join('、')}）` : '';
}

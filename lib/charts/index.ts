/**
 * Vega-Lite v5 chart builders: pure functions from the lab model to a spec. They render natively
 * (with tooltips) in JupyterLab and to static SVG in the report. Every spec carries
 * `usermeta.figure = { id, caption }` so the report can number and cross-reference it.
 */
import { LabConnection, LabModel, frameSide } from '../stats/lab';
import { TcpFrame } from '../analysis';
import { TH_ACK, TH_FIN, TH_PUSH, TH_RST, TH_SYN } from '../decode/tcp';

export type VegaLiteSpec = Record<string, unknown>;

export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';
export const CJK_FONT = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif';

/** Shared look: CJK fonts, room for Chinese labels (Vega estimates text width). */
const CONFIG = {
  font: CJK_FONT,
  axis: { labelFont: CJK_FONT, titleFont: CJK_FONT, labelLimit: 400, titlePadding: 10, labelFontSize: 11, titleFontSize: 12 },
  // Below the plot: Vega underestimates the width of CJK text, and a legend at the right edge overflows.
  legend: { labelFont: CJK_FONT, titleFont: CJK_FONT, labelLimit: 400, orient: 'bottom' as const, direction: 'vertical' as const },
  title: { font: CJK_FONT, fontSize: 14, anchor: 'start' as const },
  text: { font: CJK_FONT },
  view: { stroke: '#ddd' },
};

function spec(id: string, caption: string, body: VegaLiteSpec): VegaLiteSpec {
  return { $schema: VEGA_LITE_SCHEMA, description: caption, usermeta: { figure: { id, caption } }, config: CONFIG, padding: 12, ...body };
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

/** Short HTTP summary of a frame ("GET /logo.jpg", "200 image/jpeg"), if one completes there. */
function httpSummary(lab: LabModel): Map<number, string> {
  const m = new Map<number, string>();
  for (const x of lab.analysis.http) {
    const s = x.isRequest ? `${x.method} ${x.uri}` : `${x.code} ${x.phrase ?? ''}`.trim();
    m.set(x.frame, m.has(x.frame) ? `${m.get(x.frame)}; ${s}` : s);
  }
  return m;
}

/**
 * Flow graph (sequence diagram): one lane per endpoint, one arrow per packet, labelled with flags,
 * seq/ack/len and the HTTP summary; colour = connection. Long captures show the first `limit`.
 */
export function flowGraph(lab: LabModel, limit = 120): VegaLiteSpec {
  const frames = lab.analysis.frames.slice(0, limit);
  const clients = [...new Set(lab.connections.map((c) => `${c.conn.client.addr}:${c.conn.client.port}`))];
  const servers = [...new Set(lab.connections.map((c) => `${c.conn.server.addr}:${c.conn.server.port}`))];
  const lanes = [...clients, ...servers];
  const lane = (addr: string, port: number) => lanes.indexOf(`${addr}:${port}`);
  const http = httpSummary(lab);
  const rows = frames.map((f, i) => {
    const a = lane(f.src, f.srcPort);
    const b = lane(f.dst, f.dstPort);
    const h = http.get(f.frame);
    return {
      i,
      frame: f.frame,
      time: f.time.toFixed(6),
      from: a,
      to: b,
      mid: (a + b) / 2,
      dir: b > a ? 'right' : 'left',
      stream: `连接 ${f.stream}`,
      label: `${f.frame}: [${flagsText(f.flags)}] Seq=${f.seq} Ack=${f.ack} Len=${f.len}${h ? ` ${h}` : ''}`,
    };
  });
  const height = Math.max(200, rows.length * 18);
  const width = Math.max(480, lanes.length * 190);
  return spec('flow', `流图：${frames.length} 个数据包在 ${lanes.length} 个端点之间的往来（同色为同一条 TCP 连接）${lab.analysis.frames.length > limit ? `，仅显示前 ${limit} 个` : ''}`, {
    width,
    height,
    data: { values: rows },
    encoding: {
      y: { field: 'i', type: 'quantitative', axis: null, scale: { domain: [-1, rows.length], reverse: true } },
    },
    layer: [
      {
        mark: { type: 'rule', strokeWidth: 1.5 },
        encoding: {
          x: { field: 'from', type: 'quantitative', scale: { domain: [-0.5, lanes.length - 0.5] }, axis: { orient: 'top', title: null, values: lanes.map((_, k) => k), labelExpr: `${JSON.stringify(lanes)}[datum.value]`, grid: true, labelAngle: 0 } },
          x2: { field: 'to' },
          color: { field: 'stream', type: 'nominal', title: '连接' },
          tooltip: [{ field: 'label', title: '数据包' }, { field: 'time', title: '时间 (s)' }],
        },
      },
      {
        mark: { type: 'point', filled: true, size: 50 },
        encoding: {
          x: { field: 'to', type: 'quantitative' },
          shape: { field: 'dir', type: 'nominal', scale: { domain: ['right', 'left'], range: ['triangle-right', 'triangle-left'] }, legend: null },
          color: { field: 'stream', type: 'nominal' },
        },
      },
      {
        mark: { type: 'text', dy: -6, fontSize: 10, font: CJK_FONT },
        encoding: { x: { field: 'mid', type: 'quantitative' }, text: { field: 'label' } },
      },
    ],
  });
}

/** Time-sequence graph (Stevens / tcptrace): server data segments, the client's ACK line and window edge. */
export function timeSequence(lc: LabConnection): VegaLiteSpec {
  const c = lc.conn;
  const data = lc.serverData.map((f) => ({ t: f.time, seq: f.seq, end: f.seq + f.len, frame: f.frame, kind: '数据段' }));
  // Show the transfer, not the idle keep-alive time after it: up to the ACK of the last data byte.
  const last = lc.serverData[lc.serverData.length - 1];
  const finalAck = last ? lc.frames.find((f) => f.frame > last.frame && frameSide(c, f) === 'client' && f.flags & TH_ACK && ((f.ack - last.nextSeq) | 0) >= 0) : undefined;
  const tEnd = finalAck ? finalAck.time : last ? last.time : Infinity;
  const acks = lc.frames
    .filter((f) => frameSide(c, f) === 'client' && f.flags & TH_ACK && f.time <= tEnd)
    .map((f) => ({ t: f.time, ack: f.ack, win: f.ack + f.windowScaled, frame: f.frame }));
  return spec(`tsg-${c.stream}`, `时间-序列号图（连接 ${c.stream}，服务器 → 客户端）：竖线为数据段 [Seq, Seq+Len)，阶梯线为客户端的 ACK，虚线为 ACK + 接收窗口`, {
    width: 640,
    height: 320,
    layer: [
      {
        data: { values: data },
        mark: { type: 'rule', strokeWidth: 2, color: '#1f77b4' },
        encoding: {
          x: { field: 't', type: 'quantitative', title: '时间 (s)' },
          y: { field: 'seq', type: 'quantitative', title: '相对序列号' },
          y2: { field: 'end' },
          tooltip: [{ field: 'frame', title: '帧' }, { field: 'seq', title: 'Seq' }, { field: 'end', title: 'Seq+Len' }],
        },
      },
      {
        data: { values: acks },
        mark: { type: 'line', interpolate: 'step-after', color: '#2ca02c' },
        encoding: { x: { field: 't', type: 'quantitative' }, y: { field: 'ack', type: 'quantitative' }, tooltip: [{ field: 'frame', title: '帧' }, { field: 'ack', title: 'Ack' }] },
      },
      {
        data: { values: acks },
        mark: { type: 'line', interpolate: 'step-after', strokeDash: [4, 3], color: '#ff7f0e' },
        encoding: { x: { field: 't', type: 'quantitative' }, y: { field: 'win', type: 'quantitative' }, tooltip: [{ field: 'frame', title: '帧' }, { field: 'win', title: 'Ack+窗口' }] },
      },
    ],
  });
}

/** Waterfall: each connection's lifetime and each HTTP exchange on it (parallel connections vs keep-alive). */
export function waterfall(lab: LabModel): VegaLiteSpec {
  const rows: Array<Record<string, unknown>> = [];
  for (const lc of lab.connections) {
    if (!lc.frames.length) continue;
    const label = `连接 ${lc.conn.stream}（:${lc.conn.client.port}）`;
    rows.push({ row: label, start: lc.frames[0].time, end: lc.frames[lc.frames.length - 1].time, kind: 'TCP 连接', what: `连接 ${lc.conn.stream}`, frames: `${lc.frames[0].frame}–${lc.frames[lc.frames.length - 1].frame}` });
    for (const e of lc.exchanges) {
      if (!e.request) continue;
      const startT = frameTime(lab, e.request.frame);
      const endT = e.response ? frameTime(lab, e.response.frame) : startT;
      rows.push({ row: label, start: startT, end: Math.max(endT, startT + 1e-6), kind: 'HTTP 请求→响应', what: `${e.request.method} ${e.request.uri} → ${e.response?.code ?? '无响应'}`, frames: `${e.request.frame}→${e.response?.frame ?? ''}` });
    }
  }
  return spec('waterfall', '瀑布图：每条 TCP 连接的存续时间（浅色）与其上的 HTTP 请求-响应（深色）', {
    width: 640,
    height: Math.max(120, lab.connections.length * 36),
    data: { values: rows },
    mark: { type: 'bar', height: { band: 0.6 } },
    encoding: {
      y: { field: 'row', type: 'nominal', title: null, sort: null },
      x: { field: 'start', type: 'quantitative', title: '时间 (s)' },
      x2: { field: 'end' },
      color: { field: 'kind', type: 'nominal', title: null, scale: { domain: ['TCP 连接', 'HTTP 请求→响应'], range: ['#c6dbef', '#08519c'] } },
      tooltip: [{ field: 'what', title: '内容' }, { field: 'frames', title: '帧' }],
    },
  });
}

function frameTime(lab: LabModel, frame: number): number {
  return lab.analysis.frames.find((f) => f.frame === frame)?.time ?? 0;
}

/** Distribution of TCP payload sizes (segments carrying data). */
export function segmentSizes(lab: LabModel): VegaLiteSpec {
  const values = lab.analysis.frames.filter((f) => f.len > 0).map((f) => ({ len: f.len, frame: f.frame, dir: `${f.srcPort}→${f.dstPort}` }));
  return spec('segsize', 'TCP 数据段长度分布（只计携带数据的报文段）', {
    width: 560,
    height: 240,
    data: { values },
    mark: 'bar',
    encoding: {
      x: { field: 'len', type: 'quantitative', bin: { maxbins: 30 }, title: 'TCP 段长度 (字节)' },
      y: { aggregate: 'count', type: 'quantitative', title: '段数' },
      tooltip: [{ aggregate: 'count', title: '段数' }],
    },
  });
}

/** ACK cadence: how many data segments each ACK acknowledged, over all connections. */
export function ackCadence(lab: LabModel): VegaLiteSpec {
  const counts = new Map<number, number>();
  for (const lc of lab.connections) for (const [k, v] of lc.ackCadence.histogram) counts.set(k, (counts.get(k) ?? 0) + v);
  const values = [...counts].sort((a, b) => a[0] - b[0]).map(([k, v]) => ({ k: `${k} 个段`, n: v }));
  return spec('ackcadence', 'ACK 节奏：每个 ACK 确认了几个服务器数据段（实测）', {
    width: 420,
    height: 220,
    data: { values },
    mark: 'bar',
    encoding: {
      x: { field: 'k', type: 'nominal', title: '一个 ACK 确认的数据段数', sort: null, axis: { labelAngle: 0 } },
      y: { field: 'n', type: 'quantitative', title: 'ACK 个数' },
      tooltip: [{ field: 'k' }, { field: 'n', title: 'ACK 个数' }],
    },
  });
}

/** Bytes in flight (server → client) and the client's advertised window over time. */
export function bytesInFlight(lab: LabModel): VegaLiteSpec {
  const values: Array<Record<string, unknown>> = [];
  for (const lc of lab.connections) {
    for (const f of lc.frames) {
      if (frameSide(lc.conn, f) === 'server' && f.bytesInFlight) values.push({ t: f.time, v: f.bytesInFlight, series: `在途字节（连接 ${lc.conn.stream}）`, frame: f.frame });
      if (frameSide(lc.conn, f) === 'client' && f.flags & TH_ACK && !(f.flags & TH_SYN) && lc.serverData.length)
        values.push({ t: f.time, v: f.windowScaled, series: `客户端接收窗口（连接 ${lc.conn.stream}）`, frame: f.frame });
    }
  }
  return spec('bif', '在途字节（bytes in flight）与客户端通告的接收窗口随时间的变化', {
    width: 640,
    height: 260,
    data: { values },
    mark: { type: 'line', point: true, interpolate: 'step-after' },
    encoding: {
      x: { field: 't', type: 'quantitative', title: '时间 (s)' },
      y: { field: 'v', type: 'quantitative', title: '字节', scale: { type: 'symlog' } },
      color: { field: 'series', type: 'nominal', title: null },
      tooltip: [{ field: 'frame', title: '帧' }, { field: 'v', title: '字节' }],
    },
  });
}

export type { TcpFrame };

/**
 * Vega-Lite v5 chart builders: pure functions from the lab model to a spec. They render natively
 * (with tooltips) in JupyterLab and to static SVG in the report. Every spec carries
 * `usermeta.figure = { id, caption }` so the report can number and cross-reference it.
 */
import { LabConnection, LabModel, frameSide } from '../stats/lab';
import { TcpFrame } from '../analysis';
import { TH_ACK, TH_SYN } from '../decode/tcp';
import { CJK_FONT, VEGA_LITE_SCHEMA, VegaLiteSpec, flagsText } from './common';

export * from './common';
export * from './time-axis';
export * from './waterfall';
export * from './time-sequence';
export * from './bytes-in-flight';
export * from './from-lab';

function spec(id: string, caption: string, body: VegaLiteSpec): VegaLiteSpec {
  return { $schema: VEGA_LITE_SCHEMA, description: caption, usermeta: { figure: { id, caption } }, padding: 12, ...body };
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

export type { TcpFrame };

/**
 * Adapters from today's lab model (lib/stats) to the charts' plain inputs, kept in this one file so
 * the chart modules themselves know nothing of the model: they take plain data and return specs.
 * These decide what a figure shows for the report's chapters (which connection, which frames are
 * important); a different model only needs its own adapters.
 */
import { LabConnection, LabModel, frameSide, mainConnection } from '../stats/lab';
import { Connection, TcpFrame } from '../analysis';
import { HttpMessage } from '../http/analyzer';
import { TH_ACK, TH_FIN, TH_RST, TH_SYN } from '../decode/tcp';
import { TA } from '../tcp/analysis';
import { VegaLiteSpec, flagsText } from './common';
import { WaterfallInput, WaterfallRow, waterfallChart } from './waterfall';
import { TimeSequenceInput, timeSequenceChart } from './time-sequence';
import { BytesInFlightInput, BytesInFlightSeries, bytesInFlightChart } from './bytes-in-flight';
import { SegmentSizesInput, segmentSizesChart } from './segment-sizes';
import { ackCadenceChart } from './ack-cadence';
import { FlowGraphInput, FlowLane, flowGraphCharts } from './flow-graph';

function frameTimes(lab: LabModel): Map<number, number> {
  return new Map(lab.analysis.frames.map((f) => [f.frame, f.time]));
}

const RETRANSMITTED = TA.RETRANSMISSION | TA.FAST_RETRANSMISSION | TA.SPURIOUS_RETRANSMISSION;

// ---- waterfall ----------------------------------------------------------------------------------

export function waterfallInput(lab: LabModel): WaterfallInput {
  const time = frameTimes(lab);
  const t = (m: HttpMessage) => time.get(m.frames[0] ?? m.frame) ?? time.get(m.frame) ?? 0;
  const main = mainConnection(lab);
  const spans = lab.connections.map((lc) =>
    lc.exchanges
      .filter((e) => e.request)
      .map((e) => ({ start: t(e.request!), end: e.response ? (time.get(e.response.frame) ?? t(e.request!)) : t(e.request!) })),
  );
  const rows: WaterfallRow[] = lab.connections
    .filter((lc) => lc.frames.length)
    .map((lc, i): WaterfallRow => {
      const td = lc.teardown;
      const last = lc.frames[lc.frames.length - 1];
      const rstFirst = td.rst && (!td.fins.length || td.rst.frame < td.fins[0].frame.frame);
      const closed = td.fins.length || td.rst ? (rstFirst ? td.rst!.time : last.time) : undefined;
      const overlaps = spans[i].some((s) => spans.some((o, j) => j !== i && o.some((x) => x.start < s.end && s.start < x.end)));
      const role: WaterfallRow['role'] = lc === main ? 'page' : !lc.exchanges.some((e) => e.request) ? (lc.handshake.complete ? 'preconnect' : 'other') : overlaps ? 'parallel' : 'sequential';
      return {
        stream: lc.conn.stream,
        label: `:${lc.conn.client.port}`,
        opened: lc.frames[0].time,
        closed,
        closedBy: rstFirst ? 'rst' : td.firstCloser ?? (closed === undefined ? 'not-captured' : undefined),
        role,
        frames: `${lc.frames[0].frame}–${last.frame}`,
        requests: lc.exchanges
          .filter((e) => e.request)
          .map((e) => ({
            label: e.request!.uri ?? '?',
            method: e.request!.method,
            status: e.response?.code,
            start: t(e.request!),
            end: e.response ? (time.get(e.response.frame) ?? t(e.request!)) : t(e.request!),
            requestFrame: e.request!.frame,
            responseFrame: e.response?.frame,
          })),
      };
    });
  const frames = lab.analysis.frames;
  return { rows, captureEnd: frames.length ? frames[frames.length - 1].time : 0 };
}

export function waterfall(lab: LabModel): VegaLiteSpec {
  return waterfallChart(waterfallInput(lab));
}

// ---- time-sequence ------------------------------------------------------------------------------

/** The direction that carried more data (normally server → client), with the other side's ACKs. */
export function timeSequenceInput(lc: LabConnection): TimeSequenceInput {
  const c = lc.conn;
  const sender = dataSender(lc);
  return {
    stream: c.stream,
    direction: sender === 'server' ? '服务器 → 客户端' : '客户端 → 服务器',
    segments: lc.frames.filter((f) => frameSide(c, f) === sender && f.len > 0).map((f) => ({ frame: f.frame, time: f.time, seq: f.seq, len: f.len, retransmission: !!(f.analysis & RETRANSMITTED) })),
    acks: lc.frames.filter((f) => frameSide(c, f) !== sender && f.flags & TH_ACK && !(f.flags & TH_SYN)).map((f) => ({ frame: f.frame, time: f.time, ack: f.ack, windowScaled: f.windowScaled })),
  };
}

export function timeSequence(lc: LabConnection): VegaLiteSpec {
  return timeSequenceChart(timeSequenceInput(lc));
}

// ---- bytes in flight ----------------------------------------------------------------------------

function dataSender(lc: LabConnection): 'client' | 'server' {
  let client = 0;
  let server = 0;
  for (const f of lc.frames) frameSide(lc.conn, f) === 'client' ? (client += f.len) : (server += f.len);
  return server >= client ? 'server' : 'client';
}

/**
 * Per connection that carried data: on the sender's data frames tshark's bytes in flight
 * (tcp.analysis.bytes_in_flight); on the receiver's ACKs what is still unacknowledged after them,
 * so the curve falls back to zero when everything is acknowledged.
 */
export function bytesInFlightInput(lab: LabModel): BytesInFlightInput {
  const series: BytesInFlightSeries[] = [];
  for (const lc of lab.connections) {
    const sender = dataSender(lc);
    if (!lc.frames.some((f) => frameSide(lc.conn, f) === sender && f.len > 0)) continue;
    const points: BytesInFlightSeries['points'] = [];
    const window: BytesInFlightSeries['window'] = [];
    let highest: number | undefined;
    for (const f of lc.frames) {
      if (frameSide(lc.conn, f) === sender) {
        if (f.len > 0 || f.flags & TH_FIN) highest = highest === undefined ? f.nextSeq : Math.max(highest, f.nextSeq);
        if (f.len > 0) points.push({ frame: f.frame, time: f.time, bytes: f.bytesInFlight ?? 0 });
      } else if (f.flags & TH_ACK && !(f.flags & TH_SYN)) {
        window.push({ frame: f.frame, time: f.time, bytes: f.windowScaled });
        if (highest !== undefined) points.push({ frame: f.frame, time: f.time, bytes: Math.max(0, highest - f.ack) });
      }
    }
    series.push({ stream: lc.conn.stream, label: `连接 ${lc.conn.stream}（${sender === 'server' ? '服务器 → 客户端' : '客户端 → 服务器'}）`, points, window });
  }
  return { series };
}

export function bytesInFlight(lab: LabModel): VegaLiteSpec {
  return bytesInFlightChart(bytesInFlightInput(lab));
}

// ---- segment sizes, ACK cadence -----------------------------------------------------------------

/** Data segments per direction; each sender is limited by the MSS its peer put in its SYN. */
export function segmentSizesInput(lab: LabModel): SegmentSizesInput {
  const dir = (side: 'client' | 'server') => {
    const frames = lab.connections.flatMap((lc) => lc.frames.filter((f) => f.len > 0 && frameSide(lc.conn, f) === side));
    const peerMss = lab.connections.map((lc) => (side === 'client' ? lc.handshake.synAck?.mss : lc.handshake.syn?.mss)).filter((m): m is number => m !== undefined);
    return { label: side === 'client' ? '客户端 → 服务器' : '服务器 → 客户端', segments: frames.map((f) => ({ frame: f.frame, len: f.len })), mss: peerMss.length ? Math.min(...peerMss) : undefined };
  };
  return { directions: [dir('client'), dir('server')] };
}

export function segmentSizes(lab: LabModel): VegaLiteSpec {
  return segmentSizesChart(segmentSizesInput(lab));
}

export function ackCadence(lab: LabModel): VegaLiteSpec {
  return ackCadenceChart({ segmentsPerAck: lab.connections.flatMap((c) => c.ackCadence.segmentsPerAck) });
}

// ---- flow graph ---------------------------------------------------------------------------------

/** What the TCP analysis says about a frame, in a few words (the flow graph's red note). */
function analysisNote(flags: number): string | undefined {
  const n: string[] = [];
  if (flags & TA.SPURIOUS_RETRANSMISSION) n.push('伪重传');
  else if (flags & TA.FAST_RETRANSMISSION) n.push('快速重传');
  else if (flags & TA.RETRANSMISSION) n.push('重传');
  if (flags & TA.OUT_OF_ORDER) n.push('乱序');
  if (flags & TA.LOST_PACKET) n.push('前一段未捕获');
  if (flags & TA.DUPLICATE_ACK) n.push('重复 ACK');
  if (flags & TA.ZERO_WINDOW) n.push('零窗口');
  return n.length ? n.join('、') : undefined;
}

const endpointText = (addr: string, port: number) => (addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`);

/**
 * The lab's connections (those to a server that spoke HTTP, or all when none did): one lane per
 * endpoint while that gives at most 6 lanes, else one lane per host. Other connections are left
 * out and counted in the caption.
 */
export function flowGraphInput(lab: LabModel): FlowGraphInput {
  const httpServers = new Set(lab.connections.filter((lc) => lc.conn.protocol === 'http').map((lc) => endpointText(lc.conn.server.addr, lc.conn.server.port)));
  const shown = httpServers.size ? lab.connections.filter((lc) => httpServers.has(endpointText(lc.conn.server.addr, lc.conn.server.port))) : lab.connections;
  const clients = [...new Set(shown.map((lc) => endpointText(lc.conn.client.addr, lc.conn.client.port)))];
  const servers = [...new Set(shown.map((lc) => endpointText(lc.conn.server.addr, lc.conn.server.port)))];
  const perEndpoint = clients.length + servers.length <= 6;
  const laneOf = (addr: string, port: number) => (perEndpoint ? endpointText(addr, port) : addr);
  const lanes: FlowLane[] = [];
  const add = (role: string, addr: string, port: number) => {
    const id = laneOf(addr, port);
    if (!lanes.some((l) => l.id === id)) lanes.push({ id, role, address: perEndpoint ? id : addr });
  };
  for (const lc of shown) add('客户端', lc.conn.client.addr, lc.conn.client.port);
  for (const lc of shown) add('服务器', lc.conn.server.addr, lc.conn.server.port);
  const http = new Map<number, string>();
  for (const m of lab.analysis.http) {
    const s = m.isRequest ? `${m.method} ${m.uri}` : `${m.code} ${m.phrase ?? ''}`.trim();
    http.set(m.frame, http.has(m.frame) ? `${http.get(m.frame)}; ${s}` : s);
  }
  const streams = new Set(shown.map((lc) => lc.conn.stream));
  const frames = lab.analysis.frames.filter((f) => streams.has(f.stream));
  const others = lab.analysis.frames.length - frames.length;
  return {
    lanes,
    packets: frames.map((f) => {
      const note = analysisNote(f.analysis);
      const h = http.get(f.frame);
      return {
        frame: f.frame,
        time: f.time,
        from: laneOf(f.src, f.srcPort),
        to: laneOf(f.dst, f.dstPort),
        stream: f.stream,
        flags: flagsText(f.flags),
        detail: `Seq=${f.seq} Ack=${f.ack} Len=${f.len}`,
        len: f.len,
        http: h,
        note,
        important: !!(f.flags & (TH_SYN | TH_FIN | TH_RST)) || h !== undefined || !!(f.analysis & (RETRANSMITTED | TA.LOST_PACKET | TA.OUT_OF_ORDER)),
      };
    }),
    omitted: others ? `另有 ${others} 个 TCP 报文属于 ${lab.connections.length - shown.length} 条与本实验服务器无关的连接，没有画出` : undefined,
  };
}

/** The flow graph as one or more figures (pages); the first has the id "flow". */
export function flowGraphFigures(lab: LabModel): VegaLiteSpec[] {
  return flowGraphCharts(flowGraphInput(lab));
}

/** The first page of the flow graph (for callers that show one figure). */
export function flowGraph(lab: LabModel): VegaLiteSpec {
  return flowGraphFigures(lab)[0];
}

/**
 * The figures, from the lab model: which connection and which frames each chart shows is decided
 * here (the chart modules take plain data and return Vega-Lite specs). Only the lab's traffic is
 * drawn; other traffic is counted in the caption, never silently dropped.
 */
import { TH_ACK, TH_FIN, TH_RST, TH_SYN } from '../decode/tcp';
import { TA } from '../tcp/analysis';
import { LabConnection, LabModel } from '../lab/model';
import { sideOf } from '../lab/tcp';
import { displayTarget } from '../lab/page';
import { flagsText, VegaLiteSpec } from '../charts/common';
import { WaterfallInput, WaterfallRow, waterfallChart } from '../charts/waterfall';
import { TimeSequenceInput, timeSequenceChart } from '../charts/time-sequence';
import { BytesInFlightInput, BytesInFlightSeries, bytesInFlightChart } from '../charts/bytes-in-flight';
import { SegmentSizesInput, segmentSizesChart } from '../charts/segment-sizes';
import { ackCadenceChart } from '../charts/ack-cadence';
import { FlowGraphInput, FlowLane, flowGraphCharts } from '../charts/flow-graph';
import { Block, figure } from './blocks';
import { Writer } from './text';

const RETRANSMITTED = TA.RETRANSMISSION | TA.FAST_RETRANSMISSION | TA.SPURIOUS_RETRANSMISSION;

/** The side that sent more payload on a connection (normally the server). */
function dataSender(lc: LabConnection): 'client' | 'server' {
  return lc.bytes.server >= lc.bytes.client ? 'server' : 'client';
}

/** Connections a figure draws at most: a capture with hundreds is summarised in tables, not drawn. */
export const DRAWN_CONNECTIONS = 8;

/**
 * The connections a figure shows: all when few; else the page's connection and the earliest others
 * (the ones the chapters' text describes first), up to DRAWN_CONNECTIONS.
 */
export function drawnConnections(lab: LabModel, max = DRAWN_CONNECTIONS): LabConnection[] {
  if (lab.connections.length <= max) return lab.connections;
  const page = lab.connections.find((c) => c.role === 'page');
  const rest = lab.connections.filter((c) => c !== page).sort((a, b) => a.opened - b.opened);
  return [...(page ? [page] : []), ...rest].slice(0, max).sort((a, b) => a.stream - b.stream);
}

// ---- waterfall ----------------------------------------------------------------------------------

/**
 * Where a request's bar ends: its response's last byte; for a response seen only by its start line,
 * the last server data before the connection's next request (or its end).
 */
function barEnd(lc: LabConnection, e: LabConnection['exchanges'][number]): number {
  const r = e.response;
  if (!r) return e.request!.time;
  if (!r.partial) return r.time;
  const next = lc.exchanges.find((x) => x.request && x.request.start > e.request!.start)?.request?.start ?? Infinity;
  let end = r.time;
  for (const f of lc.frames) if (f.time >= r.time && f.time < next && f.len > 0 && sideOf(lc.orientation, f) === 'server') end = f.time;
  return end;
}

export function waterfallInput(lab: LabModel): WaterfallInput {
  const drawn = drawnConnections(lab);
  const rows: WaterfallRow[] = drawn
    .filter((lc) => lc.frames.length)
    .map((lc): WaterfallRow => {
      const last = lc.frames[lc.frames.length - 1];
      const cl = lc.close;
      const role: WaterfallRow['role'] =
        lc.role === 'page' ? 'page' : lc.role === 'preconnect-unused' || lc.role === 'unused' ? 'preconnect' : lc.parallelWith.length ? 'parallel' : lc.exchanges.some((e) => e.request) ? 'sequential' : 'other';
      return {
        stream: lc.stream,
        label: `:${lc.orientation.client.port}`,
        opened: lc.opened,
        closed: cl.frame ? cl.frame.time : undefined,
        closedBy: cl.how === 'none' ? 'not-captured' : cl.how === 'rst' ? 'rst' : cl.by,
        role,
        frames: `${lc.frames[0].frame}–${last.frame}`,
        requests: lc.exchanges
          .filter((e) => e.request)
          .map((e) => ({
            label: displayTarget(e.request!.uri ?? '?'),
            method: e.request!.method,
            status: e.response?.code,
            start: e.request!.start,
            end: barEnd(lc, e),
            requestFrame: e.request!.frame,
            responseFrame: e.response?.frame,
          })),
      };
    });
  const left = lab.connections.length - drawn.length;
  return { rows, captureEnd: lab.capture.duration, omitted: left > 0 ? `本实验共 ${lab.connections.length} 条连接，只画了其中 ${drawn.length} 条（取页面的连接和最早建立的几条），其余见第 6 章的表` : undefined };
}

/** One row per lab connection, each request a bar. */
export function waterfallFigure(lab: LabModel): Block[] {
  if (!lab.connections.length) return [];
  return [figure(waterfallChart(waterfallInput(lab)))];
}

// ---- time-sequence and bytes in flight ----------------------------------------------------------

/** The connection a data figure shows: the given one, else the one that carried the most bytes. */
export function busiestConnection(lab: LabModel, stream?: number): LabConnection | undefined {
  if (stream !== undefined) return lab.connection(stream);
  let best: LabConnection | undefined;
  for (const c of lab.connections) if (!best || c.bytes.server + c.bytes.client > best.bytes.server + best.bytes.client) best = c;
  return best && best.bytes.server + best.bytes.client > 0 ? best : undefined;
}

export function timeSequenceInput(lc: LabConnection, clientWord = '客户端'): TimeSequenceInput {
  const sender = dataSender(lc);
  const o = lc.orientation;
  return {
    stream: lc.stream,
    direction: sender === 'server' ? `服务器 → ${clientWord}` : `${clientWord} → 服务器`,
    segments: lc.frames.filter((f) => sideOf(o, f) === sender && f.len > 0).map((f) => ({ frame: f.frame, time: f.time, seq: f.seq, len: f.len, retransmission: !!(f.analysis & RETRANSMITTED) })),
    acks: lc.frames.filter((f) => sideOf(o, f) !== sender && f.flags & TH_ACK && !(f.flags & TH_SYN)).map((f) => ({ frame: f.frame, time: f.time, ack: f.ack, windowScaled: f.windowScaled })),
  };
}

/** The time-sequence graph of one connection (the busiest by default), with a sentence saying which and why. */
export function timeSequenceFigure(lab: LabModel, stream?: number): Block[] {
  const lc = busiestConnection(lab, stream);
  if (!lc) return new Writer().p(stream !== undefined ? `连接 ${stream} 不属于本实验的流量，或没有传输数据。` : '本实验的连接都没有传输数据，画不出时间-序列号图。').blocks();
  return [figure(timeSequenceChart(timeSequenceInput(lc)))];
}

/**
 * Per connection that carried data: tshark's bytes in flight on the sender's frames, and on the
 * receiver's ACKs what is still unacknowledged after them (the curve falls back to zero).
 */
export function bytesInFlightInput(lab: LabModel): BytesInFlightInput {
  const series: BytesInFlightSeries[] = [];
  for (const lc of lab.connections) {
    const sender = dataSender(lc);
    const o = lc.orientation;
    if (!lc.frames.some((f) => sideOf(o, f) === sender && f.len > 0)) continue;
    const points: BytesInFlightSeries['points'] = [];
    const window: BytesInFlightSeries['window'] = [];
    let highest: number | undefined;
    for (const f of lc.frames) {
      if (sideOf(o, f) === sender) {
        if (f.len > 0 || f.flags & TH_FIN) highest = highest === undefined ? f.nextSeq : Math.max(highest, f.nextSeq);
        if (f.len > 0) points.push({ frame: f.frame, time: f.time, bytes: f.bytesInFlight ?? 0, kind: 'data' });
      } else if (f.flags & TH_ACK && !(f.flags & TH_SYN)) {
        window.push({ frame: f.frame, time: f.time, bytes: f.windowScaled });
        if (highest !== undefined) points.push({ frame: f.frame, time: f.time, bytes: Math.max(0, highest - f.ack), kind: 'ack' });
      }
    }
    series.push({ stream: lc.stream, label: `连接 ${lc.stream}（${sender === 'server' ? '服务器 → 客户端' : '客户端 → 服务器'}）`, points, window });
  }
  return { series };
}

export function bytesInFlightFigure(lab: LabModel): Block[] {
  const input = bytesInFlightInput(lab);
  return input.series.length ? [figure(bytesInFlightChart(input))] : [];
}

// ---- segment sizes, ACK cadence -----------------------------------------------------------------

/** Data segments per direction; each sender is limited by the MSS its peer put in its SYN. */
export function segmentSizesInput(lab: LabModel): SegmentSizesInput {
  const dir = (side: 'client' | 'server') => {
    const frames = lab.connections.flatMap((lc) => lc.frames.filter((f) => f.len > 0 && sideOf(lc.orientation, f) === side));
    const peerMss = lab.connections.map((lc) => (side === 'client' ? lc.handshake.synAck?.mss : lc.handshake.syn?.mss)).filter((m): m is number => m !== undefined);
    return { label: side === 'client' ? '客户端 → 服务器' : '服务器 → 客户端', segments: frames.map((f) => ({ frame: f.frame, len: f.len })), mss: peerMss.length ? Math.min(...peerMss) : undefined };
  };
  return { directions: [dir('client'), dir('server')] };
}

export function segmentSizesFigure(lab: LabModel): Block[] {
  if (!lab.connections.some((c) => c.bytes.client + c.bytes.server > 0)) return [];
  return [figure(segmentSizesChart(segmentSizesInput(lab)))];
}

/** Each client ACK that covered server data, with how many segments (the model's measurement), frame for the tooltip. */
export function ackCadenceFigure(lab: LabModel): Block[] {
  const acks = lab.connections.flatMap((c) => c.acks.events.filter((e) => e.segments.length).map((e) => ({ frame: e.frame.frame, segments: e.segments.length })));
  return acks.length ? [figure(ackCadenceChart({ acks }))] : [];
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
 * The lab's connections only: one lane per endpoint while that gives at most 6 lanes, else one
 * lane per host. Every other frame is counted in the caption.
 */
export function flowGraphInput(lab: LabModel): FlowGraphInput {
  const shown = drawnConnections(lab);
  const clients = [...new Set(shown.map((lc) => endpointText(lc.orientation.client.addr, lc.orientation.client.port)))];
  const servers = [...new Set(shown.map((lc) => endpointText(lc.orientation.server.addr, lc.orientation.server.port)))];
  const perEndpoint = clients.length + servers.length <= 6;
  const laneOf = (addr: string, port: number) => (perEndpoint ? endpointText(addr, port) : addr);
  const lanes: FlowLane[] = [];
  const add = (role: string, addr: string, port: number) => {
    const id = laneOf(addr, port);
    if (!lanes.some((l) => l.id === id)) lanes.push({ id, role, address: perEndpoint ? id : addr });
  };
  for (const lc of shown) add('客户端', lc.orientation.client.addr, lc.orientation.client.port);
  for (const lc of shown) add('服务器', lc.orientation.server.addr, lc.orientation.server.port);
  const http = new Map<number, string>();
  for (const e of lab.exchanges)
    for (const m of [e.request, e.response]) {
      if (!m) continue;
      const s = m.isRequest ? `${m.method} ${displayTarget(m.uri ?? '')}` : `${m.code} ${m.phrase ?? ''}`.trim();
      http.set(m.frame, http.has(m.frame) ? `${http.get(m.frame)}; ${s}` : s);
    }
  const frames = shown.flatMap((c) => c.frames).sort((a, b) => a.frame - b.frame);
  const others = lab.analysis.totalFrames - lab.counts.frames;
  const notDrawn = lab.connections.length - shown.length;
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
    omitted: [notDrawn > 0 ? `本实验的 ${lab.connections.length} 条连接只画了 ${shown.length} 条（取页面的连接和最早建立的几条）` : '', others > 0 ? `另有 ${others} 帧不属于本实验（见"其他流量"），没有画出` : ''].filter(Boolean).join('；') || undefined,
  };
}

/** The flow graph of the lab's traffic, as one or more figures (pages). */
export function flowGraphFigures(lab: LabModel): Block[] {
  if (!lab.connections.length) return [];
  return flowGraphCharts(flowGraphInput(lab)).map((s: VegaLiteSpec) => figure(s));
}

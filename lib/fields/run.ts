/**
 * `wirenote fields`: tshark-compatible field output, as `tshark -2` computes it.
 *
 * Most fields are known when their frame is read: those take one pass. A few look ahead (the
 * conversation's final state, the frame completing a PDU, a request's response): for those a
 * first pass keeps just that — per-conversation state, 4 bytes per frame for tcp.reassembled_in,
 * the request/response records for the pairing fields — and the printing pass reads the file again.
 */
import { CaptureRecord } from '../capture/reader';
import { ReadResult } from '../capture/file';
import { decodeRecord, Packet, PacketDecoder, SUPPORTED_LINKTYPES } from '../decode';
import { CaptureError } from '../capture/errors';
import { TcpAnalyzer, TcpConversation } from '../tcp/analysis';
import { HttpAnalyzer, HttpAnalyzerOptions, HttpExchange, HttpMessage } from '../http/analyzer';
import { FieldCell, FIELDS, FIELD_NAMES, FIELD_NEEDS, FieldContext } from './registry';
import { TlsPresence } from './tls-presence';
import { TSHARK_TLS_PORTS } from '../tls/record';
import { ChunkSink, DEFAULT_FORMAT, FieldsFormat, JsonWriter, RowWriter, TsvWriter } from './output';

export class UnknownFieldError extends Error {
  constructor(readonly field: string) {
    super(`unknown field "${field}". Supported fields:\n  ${FIELD_NAMES.join('\n  ')}`);
  }
}

export interface FieldsOptions {
  http?: HttpAnalyzerOptions;
  /** -T fields with its -E options (default: TAB-separated with a header) or -T json. */
  format?: FieldsFormat;
  /** -Y: print only the frames it accepts (frame numbers stay the capture's). */
  filter?: FrameFilter;
  /** -c: read only this many packets (in both passes, as tshark -2 does). */
  maxPackets?: number;
  /** -l: hand the output over after every row. */
  flushEachRow?: boolean;
}

/** A display filter over the fields (see filter.ts). */
export interface FrameFilter {
  /** Fields it reads (their first-pass needs are added to the output's). */
  readonly fields: readonly string[];
  /** It tests for the `tls` protocol (FieldContext.tls is then filled). */
  readonly usesTls?: boolean;
  test(c: FieldContext): boolean;
}

/** A source that can be read twice: calls onRecord for every record and reports how it ended. */
export type RecordSource = (onRecord: (r: CaptureRecord) => void) => Promise<ReadResult> | ReadResult;

export interface FieldsResult {
  read: ReadResult;
  /** Interfaces whose link type wirenote does not decode (their frames are listed, not analysed). */
  undecoded: CaptureError[];
  rows: number;
  /** Connections whose HTTP was found by content on a port tshark does not decode as HTTP. */
  httpPortsByContent: number[];
}

export function checkFields(fields: string[]): void {
  for (const f of fields) if (!(f in FIELDS)) throw new UnknownFieldError(f);
}

/**
 * Print `fields` for every frame, as `tshark -2 -T fields` does. One pass when no requested field
 * depends on later frames; otherwise a first pass collects just what those fields need.
 */
export async function runFields(
  source: RecordSource,
  fields: string[],
  write: ChunkSink,
  opts: FieldsOptions = {},
): Promise<FieldsResult> {
  checkFields(fields);
  const filter = opts.filter;
  const needs = new Set([...fields, ...(filter?.fields ?? [])].flatMap((f) => FIELD_NEEDS[f] ?? []));
  const ports = opts.http?.ports ?? DEFAULT_PORTS;
  if (opts.maxPackets !== undefined) source = limitRecords(source, opts.maxPackets);

  // ---- pass 1 (only for fields that look ahead)
  let read1: ReadResult | undefined;
  let finals: TcpConversation[] = [];
  const reassembledIn = new FrameRefs();
  let pairing: Map<number, HttpExchange> | undefined;
  if (needs.size) {
    const tcp1 = new TcpAnalyzer(true, false);
    if (needs.has('pairing')) pairing = new Map();
    const keepPairing = pairing;
    const http1 = needs.has('reassembly') || keepPairing
      ? new HttpAnalyzer(
          {
            // Pairing reads frames and times only: the headers need not stay.
            onMessage: keepPairing && ((m) => {
              if (!m.unpaired) keepPairing.set(m.frame, m.exchange);
              m.headers = NO_HEADERS;
            }),
            onReassembled: needs.has('reassembly') ? (frames, finalFrame) => { for (const f of frames) reassembledIn.add(f, finalFrame); } : undefined,
          },
          opts.http,
        )
      : undefined;
    read1 = await source((r) => {
      const p = decodeRecord(r);
      const t = tcp1.analyze(p);
      if (!http1) return;
      if (t) http1.frame(p, t);
      else if (p.udp) http1.datagram(p);
    });
    http1?.end(tcp1.conversations);
    finals = tcp1.conversations;
    // tshark prints nothing for a file it cannot open, but a header for a 0-byte file.
    if (!read1.opened && read1.error?.code !== 'empty') return { read: read1, undecoded: [], rows: 0, httpPortsByContent: [] };
  }

  // ---- the printing pass: TCP as tshark's second pass, HTTP messages of the frame itself
  const extract = fields.map((f) => FIELDS[f]);
  const tcp = new TcpAnalyzer(true, true, 0, needs.has('final') ? finals : undefined);
  const format = opts.format ?? DEFAULT_FORMAT;
  const out: RowWriter = format.kind === 'json' ? new JsonWriter(write, format.occurrence) : new TsvWriter(write, format);
  const frameMessages: HttpMessage[] = [];
  const frameHeaders: Array<{ headers: Array<[string, string]> }> = [];
  const segmentCount: number[] = [];
  const http = new HttpAnalyzer(
    {
      onMessage: (m) => {
        frameMessages.push(m);
        frameHeaders.push(m);
      },
      onHeaders: (_frame, headers) => frameHeaders.push({ headers }),
      onReassembled: (_frames, _final, count) => {
        if (count > 0) segmentCount.push(count);
      },
    },
    // Streaming: a connection's HTTP state goes 10,000 frames after it closed (TCP state stays, as
    // in tshark, so stream numbers are the same).
    { ...opts.http, keepHistory: false, forgetClosedAfter: 10000 },
  );
  const decoder = new PacketDecoder();
  const needFinal = needs.has('final');
  let first = true;
  let headerWritten = false;
  let rows = 0;
  const none: number[] = [];
  const ctx: FieldContext = {
    p: undefined as unknown as Packet, t: undefined, q: undefined, finals, final: undefined, completeness: 0, first: { sec: 0, nsec: 0 }, prev: { sec: 0, nsec: 0 },
    http: frameMessages, httpHeaders: frameHeaders, reassembledIn: none, segmentCount, pairing: undefined,
  };
  const cells: FieldCell[] = new Array<FieldCell>(extract.length).fill('');
  // The `tls` and `http` display-filter tests follow TLS records (and CONNECT tunnels) only when asked for.
  const tls = filter?.usesTls ? new TlsPresence() : undefined;
  const tunnels = new Map<TcpConversation, 'tls' | 'opaque'>();
  const read2 = await source((r) => {
    if (!headerWritten) {
      out.begin(fields);
      headerWritten = true;
    }
    if (first) {
      first = false;
      ctx.first.sec = ctx.prev.sec = r.tsSec;
      ctx.first.nsec = ctx.prev.nsec = r.tsNsec;
    }
    if (frameMessages.length) frameMessages.length = 0;
    if (frameHeaders.length) frameHeaders.length = 0;
    if (segmentCount.length) segmentCount.length = 0;
    const p = decoder.decode(r);
    const t = tcp.analyze(p);
    if (t) http.frame(p, t);
    else if (p.udp) http.datagram(p);
    const final = t && needFinal ? finals[t.conv.stream] : undefined;
    ctx.p = p;
    ctx.t = t;
    ctx.q = tcp.quoted;
    ctx.final = final;
    ctx.completeness = t && final ? final.completeness | t.completenessBefore : 0;
    ctx.reassembledIn = reassembledIn.get(r.frame) ?? none;
    ctx.pairing = pairing && frameMessages.length ? pairing.get(r.frame) : undefined;
    if (tls) {
      // TLS on a TLS port, or inside an HTTP CONNECT tunnel to one (tshark shows both http and tls there).
      const tunnel = t !== undefined && tunnels.get(t.conv);
      ctx.tls = t !== undefined && (tunnel === 'tls' || (http.protocolOf(t.conv) === 'tls' && (TSHARK_TLS_PORTS.has(p.tcp!.srcPort) || TSHARK_TLS_PORTS.has(p.tcp!.dstPort)))) && tls.frame(p, t);
      ctx.tunnel = tunnel === 'tls' && ctx.tls;
      for (const m of frameMessages) {
        const rq = m.exchange.request;
        if (!m.isRequest && m.conv && rq?.method === 'CONNECT' && (m.code ?? 0) >= 200 && (m.code ?? 0) < 300) {
          tunnels.set(m.conv, TSHARK_TLS_PORTS.has(Number(/:(\d+)$/.exec(rq.uri ?? '')?.[1] ?? 443)) ? 'tls' : 'opaque');
        }
      }
    }
    if (filter === undefined || filter.test(ctx)) {
      for (let i = 0; i < extract.length; i++) cells[i] = extract[i](ctx);
      out.row(cells, p);
      if (opts.flushEachRow) out.flush();
      rows++;
    }
    ctx.prev.sec = r.tsSec;
    ctx.prev.nsec = r.tsNsec;
    // Printed: later frames read only a message's frame and time (pairing), never its headers,
    // so let them go — otherwise every connection's last exchanges keep theirs to the end.
    for (const m of frameMessages) m.headers = NO_HEADERS;
  });
  const read = read1 ?? read2;
  if (!headerWritten && (read.opened || read.error?.code === 'empty')) {
    out.begin(fields);
    headerWritten = true;
  }
  if (headerWritten) out.end();
  const byContent = new Set<number>();
  for (const c of tcp.conversations) {
    if (http.protocolOf(c) !== 'http') continue;
    const ps = [c.flow1.port, c.flow2.port];
    if (!ps.some((x) => ports.has(x))) byContent.add(Math.min(...ps));
  }
  // The printing pass stops where the first stopped; report the first's outcome (the same damage).
  const undecoded = read.interfaces
    .filter((i) => !SUPPORTED_LINKTYPES.has(i.linkType))
    .map((i) => new CaptureError('unknown-link-type', i.fileOffset ?? 0, `link type ${i.linkType} is not decoded by wirenote: its frames are listed but not analysed`));
  return { read: read1?.error ? read1 : read2, undecoded, rows, httpPortsByContent: [...byContent].sort((a, b) => a - b) };
}

const NO_HEADERS: Array<[string, string]> = [];

/** Thrown from inside a read to stop it after -c packets. */
class StopReading extends Error {}

/** The first `max` records of a source; the read stops there (nothing after it is read or judged). */
function limitRecords(source: RecordSource, max: number): RecordSource {
  return async (onRecord) => {
    let n = 0;
    const stop = new StopReading(`stopped after ${max} packets`);
    const res = await source((r) => {
      if (n >= max) throw stop;
      n++;
      onRecord(r);
    });
    // The reader reports the stop as a read error; it is none.
    if (n >= max && res.error && res.error.message.includes(stop.message)) return { ...res, error: undefined, packets: n };
    return res;
  };
}

/**
 * Frame → frames it refers to (usually one): a frame-indexed Int32Array, with a map for the
 * rare frame that belongs to several PDUs. 4 bytes per frame, allocated only when asked for.
 */
class FrameRefs {
  private one = new Int32Array(0);
  private more = new Map<number, number[]>();

  add(frame: number, ref: number): void {
    if (frame >= this.one.length) {
      const grown = new Int32Array(Math.max(1024, frame * 2));
      grown.set(this.one);
      this.one = grown;
    }
    const cur = this.one[frame];
    if (cur === 0) this.one[frame] = ref;
    else {
      const l = this.more.get(frame);
      if (l) l.push(ref);
      else this.more.set(frame, [cur, ref]);
    }
  }

  get(frame: number): number[] | undefined {
    if (frame >= this.one.length || this.one[frame] === 0) return undefined;
    return this.more.get(frame) ?? [this.one[frame]];
  }
}

import { TSHARK_HTTP_PORTS as DEFAULT_PORTS } from '../http/analyzer';

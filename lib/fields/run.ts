/**
 * `wirenote fields`: tshark-compatible field output, as `tshark -2` computes it.
 *
 * Most fields are known when their frame is read: those take one pass. A few look ahead (the
 * conversation's final state, the frame completing a PDU, a request's response): for those a
 * first pass keeps just that — per-conversation state, 4 bytes per frame for tcp.reassembled_in,
 * the request/response records for the pairing fields — and the printing pass reads the file again.
 */
import { CaptureRecord } from '../capture/reader';
import { ReadResult, StopReading } from '../capture/file';
import { decodeRecord, Packet, PacketDecoder, SUPPORTED_LINKTYPES } from '../decode';
import { CaptureError } from '../capture/errors';
import { FirstPassConversation, TcpAnalyzer, TcpConversation } from '../tcp/analysis';
import { HttpAnalyzer, HttpAnalyzerOptions, HttpExchange, HttpMessage } from '../http/analyzer';
import { FieldCell, FIELDS, FIELD_NAMES, FIELD_NEEDS, FieldContext, FinalConversation, PairingRecord } from './registry';
import { TlsPresence } from './tls-presence';
import { TSHARK_TLS_PORTS } from '../tls/record';
import { NsTime } from '../util/time';
import { checkMemory } from './limits';
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

/**
 * A source that can be read twice: calls onRecord for every record and reports how it ended
 * (as capture/file.ts's readers do: an onRecord that throws StopReading ends the read cleanly).
 */
export type RecordSource = (onRecord: (r: CaptureRecord) => void) => Promise<ReadResult> | ReadResult;

export interface FieldsResult {
  read: ReadResult;
  /** Interfaces whose link type wirenote does not decode (their frames are listed, not analysed). */
  undecoded: CaptureError[];
  rows: number;
  /** Connections whose HTTP was found by content on a port tshark does not decode as HTTP. */
  httpPortsByContent: number[];
  /** Where an HTTP message passed a size limit (HttpEvents.onLimit; the first 100), in frame order. */
  httpLimits: Array<{ frame: number; what: 'head' | 'body' | 'kept' }>;
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
  let finals: FinalStates | undefined;
  const reassembledIn = new FrameRefs();
  let pairing: PairingRecords | undefined;
  if (needs.size) {
    const tcp1 = new TcpAnalyzer(true, false);
    if (needs.has('pairing')) pairing = new PairingRecords();
    const keepPairing = pairing;
    const http1 = needs.has('reassembly') || keepPairing
      ? new HttpAnalyzer(
          {
            // Pairing reads frames and times only: copied into typed arrays, the messages need not stay.
            onMessage: keepPairing && ((m) => {
              if (!m.unpaired) keepPairing.note(m);
              m.headers = NO_HEADERS;
            }),
            onReassembled: needs.has('reassembly') ? (frames, finalFrame) => { for (const f of frames) reassembledIn.add(f, finalFrame); } : undefined,
          },
          { ...opts.http, keepHistory: false },
        )
      : undefined;
    let n1 = 0;
    read1 = await source((r) => {
      if ((++n1 & 0x1fff) === 0) checkMemory(tcp1.streamCount, pairing?.size ?? 0);
      const p = decodeRecord(r);
      const t = tcp1.analyze(p);
      if (!http1) return;
      if (t) http1.frame(p, t);
      else if (p.udp) http1.datagram(p);
    });
    http1?.end(tcp1.conversations);
    // Only what the fields read of each conversation stays; the first pass's analyzer goes.
    if (needs.has('final')) finals = new FinalStates(tcp1.conversations);
    // tshark prints nothing for a file it cannot open, but a header for a 0-byte file.
    if (!read1.opened && read1.error?.code !== 'empty') return { read: read1, undecoded: [], rows: 0, httpPortsByContent: [], httpLimits: [] };
  }

  // ---- the printing pass: TCP as tshark's second pass, HTTP messages of the frame itself
  const extract = fields.map((f) => FIELDS[f]);
  const tcp = new TcpAnalyzer(true, true, 0, needs.has('final') ? finals : undefined);
  const format = opts.format ?? DEFAULT_FORMAT;
  const out: RowWriter = format.kind === 'json' ? new JsonWriter(write, format.occurrence) : new TsvWriter(write, format);
  const frameMessages: HttpMessage[] = [];
  const frameHeaders: Array<{ headers: Array<[string, string]> }> = [];
  const segmentCount: number[] = [];
  const httpLimits: FieldsResult['httpLimits'] = [];
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
      onLimit: (frame, what) => {
        if (httpLimits.length < 100) httpLimits.push({ frame, what });
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
  let n2 = 0;
  const read2 = await source((r) => {
    if ((++n2 & 0x1fff) === 0) checkMemory(tcp.streamCount, pairing?.size ?? 0);
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
    const final = t && needFinal ? finals!.at(t.conv.stream) : undefined;
    ctx.p = p;
    ctx.t = t;
    ctx.q = tcp.quoted;
    ctx.final = final;
    ctx.completeness = t && final ? final.completeness | t.completenessBefore : 0;
    ctx.reassembledIn = reassembledIn.get(r.frame) ?? none;
    ctx.pairing = pairing && frameMessages.length ? pairing.at(r.frame) : undefined;
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
  return { read: read1?.error ? read1 : read2, undecoded, rows, httpPortsByContent: [...byContent].sort((a, b) => a - b), httpLimits };
}

const NO_HEADERS: Array<[string, string]> = [];

/**
 * The first `max` records of a source; the read stops right after the last of them, as tshark's
 * does: nothing after it is read or judged (damage just past it is not reported).
 */
function limitRecords(source: RecordSource, max: number): RecordSource {
  return async (onRecord) => {
    let n = 0;
    return source((r) => {
      onRecord(r);
      if (++n >= max) throw new StopReading(`stopped after ${max} packets`);
    });
  };
}

/** A typed array of `n` elements holding `a`'s (grown by doubling, for appending). */
function grown<T extends Int32Array | Float64Array>(a: T, n: number, make: (n: number) => T): T {
  if (n <= a.length) return a;
  const b = make(Math.max(1024, n, a.length * 2));
  b.set(a);
  return b;
}

/**
 * What the fields that look ahead read of every conversation's final state (and what the
 * printing pass's TCP analysis takes from the first pass), in typed arrays: about 50 bytes per
 * connection instead of a whole conversation (≈ 1.5 KB), so the first pass's analyzer can go
 * before the printing pass builds its own.
 */
class FinalStates {
  private readonly completeness: Uint8Array;
  /** Bit 0: accurate ECN; 1, 2: flow 1, 2 has a base sequence number; 3: a SYN was seen; 4: iRTT known. */
  private readonly bits: Uint8Array;
  private readonly winScale: Int8Array;
  private readonly baseSeq: Int32Array;
  private readonly times: Float64Array;
  private readonly n: number;
  private readonly flow1 = { winScale: 0, baseSeq: 0, baseSeqSet: false };
  private readonly flow2 = { winScale: 0, baseSeq: 0, baseSeqSet: false };
  private readonly view: FinalConversation & FirstPassConversation = { completeness: 0, accEcn: false, irtt: undefined, synSeen: false, synSec: 0, synNsec: 0, flow1: this.flow1, flow2: this.flow2 };

  constructor(convs: readonly TcpConversation[]) {
    const n = (this.n = convs.length);
    this.completeness = new Uint8Array(n);
    this.bits = new Uint8Array(n);
    this.winScale = new Int8Array(2 * n);
    this.baseSeq = new Int32Array(2 * n);
    this.times = new Float64Array(4 * n);
    for (const c of convs) {
      const i = c.stream;
      this.completeness[i] = c.completeness;
      this.bits[i] = (c.accEcn ? 1 : 0) | (c.flow1.baseSeqSet ? 2 : 0) | (c.flow2.baseSeqSet ? 4 : 0) | (c.synSeen ? 8 : 0) | (c.irtt ? 16 : 0);
      this.winScale[2 * i] = c.flow1.winScale;
      this.winScale[2 * i + 1] = c.flow2.winScale;
      this.baseSeq[2 * i] = c.flow1.baseSeq;
      this.baseSeq[2 * i + 1] = c.flow2.baseSeq;
      this.times[4 * i] = c.synSec;
      this.times[4 * i + 1] = c.synNsec;
      this.times[4 * i + 2] = c.irtt?.sec ?? 0;
      this.times[4 * i + 3] = c.irtt?.nsec ?? 0;
    }
  }

  /** The conversation's state, in one object refilled by every call (its iRTT is a fresh object: TCP analysis keeps it). */
  at(i: number): (FinalConversation & FirstPassConversation) | undefined {
    if (i < 0 || i >= this.n) return undefined;
    const v = this.view;
    const bits = this.bits[i];
    v.completeness = this.completeness[i];
    v.accEcn = (bits & 1) !== 0;
    this.flow1.winScale = this.winScale[2 * i];
    this.flow2.winScale = this.winScale[2 * i + 1];
    this.flow1.baseSeq = this.baseSeq[2 * i];
    this.flow2.baseSeq = this.baseSeq[2 * i + 1];
    this.flow1.baseSeqSet = (bits & 2) !== 0;
    this.flow2.baseSeqSet = (bits & 4) !== 0;
    v.synSeen = (bits & 8) !== 0;
    v.synSec = this.times[4 * i];
    v.synNsec = this.times[4 * i + 1];
    v.irtt = bits & 16 ? ({ sec: this.times[4 * i + 2], nsec: this.times[4 * i + 3] } as NsTime) : undefined;
    return v;
  }
}

/**
 * The first pass's request/response records: per exchange the frame and time of its request and
 * of its response and its neighbours (≈ 50 bytes), and per frame the record its fields show
 * (the last paired message's: Wireshark keeps one per frame). The messages themselves go.
 */
class PairingRecords {
  private reqFrame = new Int32Array(0);
  private resFrame = new Int32Array(0);
  private prev = new Int32Array(0);
  private next = new Int32Array(0);
  /** Request sec, nsec, response sec, nsec. */
  private times = new Float64Array(0);
  /** Frame → record + 1 (0: none). */
  private byFrame = new Int32Array(0);
  private readonly ids = new WeakMap<HttpExchange, number>();
  size = 0;
  private readonly req = { frame: 0, tsSec: 0, tsNsec: 0 };
  private readonly res = { frame: 0, tsSec: 0, tsNsec: 0 };
  private readonly prevReq = { frame: 0 };
  private readonly prevRes = { frame: 0 };
  private readonly nextReq = { frame: 0 };
  private readonly nextRes = { frame: 0 };
  private readonly prevView: NonNullable<PairingRecord['prev']> = {};
  private readonly nextView: NonNullable<PairingRecord['next']> = {};
  private readonly view: PairingRecord = {};

  note(m: HttpMessage): void {
    const ex = m.exchange;
    let id = this.ids.get(ex);
    if (id === undefined) {
      id = this.size++;
      this.ids.set(ex, id);
      const n = this.size;
      this.reqFrame = grown(this.reqFrame, n, (k) => new Int32Array(k));
      this.resFrame = grown(this.resFrame, n, (k) => new Int32Array(k));
      this.prev = grown(this.prev, n, (k) => new Int32Array(k));
      this.next = grown(this.next, n, (k) => new Int32Array(k));
      this.times = grown(this.times, 4 * n, (k) => new Float64Array(k));
      this.reqFrame[id] = this.resFrame[id] = 0;
      this.prev[id] = this.next[id] = -1;
      const p = ex.prev && this.ids.get(ex.prev);
      if (p !== undefined) {
        this.prev[id] = p;
        this.next[p] = id;
      }
    }
    const t = m.isRequest ? 0 : 2;
    (m.isRequest ? this.reqFrame : this.resFrame)[id] = m.frame;
    this.times[4 * id + t] = m.tsSec;
    this.times[4 * id + t + 1] = m.tsNsec;
    this.byFrame = grown(this.byFrame, m.frame + 1, (k) => new Int32Array(k));
    this.byFrame[m.frame] = id + 1;
  }

  /** The record the frame's fields show, in objects refilled by every call. */
  at(frame: number): PairingRecord | undefined {
    const id = frame < this.byFrame.length ? this.byFrame[frame] - 1 : -1;
    if (id < 0) return undefined;
    const v = this.view;
    v.request = this.fill(this.req, this.reqFrame[id], 4 * id);
    v.response = this.fill(this.res, this.resFrame[id], 4 * id + 2);
    v.prev = this.neighbour(this.prevView, this.prevReq, this.prevRes, this.prev[id]);
    v.next = this.neighbour(this.nextView, this.nextReq, this.nextRes, this.next[id]);
    return v;
  }

  private fill(o: { frame: number; tsSec: number; tsNsec: number }, frame: number, t: number) {
    if (frame === 0) return undefined;
    o.frame = frame;
    o.tsSec = this.times[t];
    o.tsNsec = this.times[t + 1];
    return o;
  }

  private neighbour(v: NonNullable<PairingRecord['prev']>, rq: { frame: number }, rs: { frame: number }, id: number) {
    if (id < 0) return undefined;
    rq.frame = this.reqFrame[id];
    rs.frame = this.resFrame[id];
    v.request = rq.frame ? rq : undefined;
    v.response = rs.frame ? rs : undefined;
    return v;
  }
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

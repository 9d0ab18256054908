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
import { FIELDS, FIELD_NAMES, FIELD_NEEDS, FieldContext } from './registry';
import { ChunkSink, FieldWriter } from './output';

export class UnknownFieldError extends Error {
  constructor(readonly field: string) {
    super(`unknown field "${field}". Supported fields:\n  ${FIELD_NAMES.join('\n  ')}`);
  }
}

export interface FieldsOptions {
  http?: HttpAnalyzerOptions;
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
  const needs = new Set(fields.flatMap((f) => FIELD_NEEDS[f] ?? []));
  const ports = opts.http?.ports ?? DEFAULT_PORTS;

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
  const out = new FieldWriter(write);
  let first = true;
  let headerWritten = false;
  let rows = 0;
  const none: number[] = [];
  const ctx: FieldContext = {
    p: undefined as unknown as Packet, t: undefined, final: undefined, completeness: 0, first: { sec: 0, nsec: 0 }, prev: { sec: 0, nsec: 0 },
    http: frameMessages, httpHeaders: frameHeaders, reassembledIn: none, segmentCount, pairing: undefined,
  };
  const read2 = await source((r) => {
    if (!headerWritten) {
      out.line(fields.join('\t'));
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
    ctx.final = final;
    ctx.completeness = t && final ? final.completeness | t.completenessBefore : 0;
    ctx.reassembledIn = reassembledIn.get(r.frame) ?? none;
    ctx.pairing = pairing && frameMessages.length ? pairing.get(r.frame) : undefined;
    out.value(extract[0](ctx));
    for (let i = 1; i < extract.length; i++) {
      out.tab();
      out.value(extract[i](ctx));
    }
    out.newline();
    ctx.prev.sec = r.tsSec;
    ctx.prev.nsec = r.tsNsec;
    rows++;
    // Printed: later frames read only a message's frame and time (pairing), never its headers,
    // so let them go — otherwise every connection's last exchanges keep theirs to the end.
    for (const m of frameMessages) m.headers = NO_HEADERS;
  });
  const read = read1 ?? read2;
  if (!headerWritten && (read.opened || read.error?.code === 'empty')) out.line(fields.join('\t'));
  out.flush();
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

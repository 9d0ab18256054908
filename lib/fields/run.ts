/**
 * `wirenote fields`: tshark-compatible field output, computed in two passes like `tshark -2`.
 *
 * Pass 1 analyses the whole capture and keeps what a frame can only learn from later frames
 * (which frame completes a reassembled PDU, which response answers a request, the final state of
 * each conversation). Pass 2 re-reads the file, repeats the per-frame analysis and prints.
 * Memory: per-conversation state, plus the HTTP messages and the reassembly cross-references.
 */
import { CaptureRecord } from '../capture/reader';
import { ReadResult } from '../capture/file';
import { decodeRecord, SUPPORTED_LINKTYPES } from '../decode';
import { CaptureError } from '../capture/errors';
import { TcpAnalyzer, TcpConversation } from '../tcp/analysis';
import { HttpAnalyzer, HttpAnalyzerOptions, HttpMessage } from '../http/analyzer';
import { FIELDS, FIELD_NAMES, FieldContext } from './registry';
import { nstimeDelta } from '../util/time';

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

export async function runFields(
  source: RecordSource,
  fields: string[],
  write: (line: string) => void,
  opts: FieldsOptions = {},
): Promise<FieldsResult> {
  checkFields(fields);
  // ---- pass 1
  const tcp1 = new TcpAnalyzer(true, false);
  const reassembledIn = new Map<number, number[]>();
  const segmentCount = new Map<number, number[]>();
  const httpByFrame = new Map<number, HttpMessage[]>();
  const http1 = new HttpAnalyzer(
    {
      onMessage(m) {
        const l = httpByFrame.get(m.frame);
        if (l) l.push(m);
        else httpByFrame.set(m.frame, [m]);
      },
      onReassembled(frames, finalFrame, count) {
        for (const f of frames) {
          const l = reassembledIn.get(f);
          if (l) l.push(finalFrame);
          else reassembledIn.set(f, [finalFrame]);
        }
        if (count > 0) {
          const l = segmentCount.get(finalFrame);
          if (l) l.push(count);
          else segmentCount.set(finalFrame, [count]);
        }
      },
    },
    opts.http,
  );
  const read1 = await source((r) => {
    const p = decodeRecord(r);
    const t = tcp1.analyze(p);
    if (t) http1.frame(p, t);
    else if (p.udp) http1.datagram(p);
  });
  const finals: TcpConversation[] = tcp1.conversations;
  const byContent = new Set<number>();
  for (const c of finals) {
    if (http1.protocolOf(c) !== 'http') continue;
    const ports = [c.flow1.port, c.flow2.port];
    if (!ports.some((x) => (opts.http?.ports ?? DEFAULT_PORTS).has(x))) byContent.add(Math.min(...ports));
  }

  // ---- pass 2
  // tshark prints nothing for a file it cannot open, but a header for a 0-byte file.
  if (!read1.opened && read1.error?.code !== 'empty') return { read: read1, undecoded: [], rows: 0, httpPortsByContent: [] };
  write(fields.join('\t'));
  const extract = fields.map((f) => FIELDS[f]);
  const tcp2 = new TcpAnalyzer(false, true);
  let first: CaptureRecord | undefined;
  let prevSec = 0;
  let prevNsec = 0;
  let rows = 0;
  const noMessages: HttpMessage[] = [];
  const none: number[] = [];
  const read2 = await source((r) => {
    if (!first) {
      first = { ...r };
      prevSec = r.tsSec;
      prevNsec = r.tsNsec;
    }
    const p = decodeRecord(r);
    const t = tcp2.analyze(p);
    const final = t ? finals[t.conv.stream] : undefined;
    const ctx: FieldContext = {
      p,
      t,
      final,
      completeness: t && final ? final.completeness | t.completenessBefore : 0,
      rel: nstimeDelta(r.tsSec, r.tsNsec, first.tsSec, first.tsNsec),
      delta: nstimeDelta(r.tsSec, r.tsNsec, prevSec, prevNsec),
      http: httpByFrame.get(r.frame) ?? noMessages,
      reassembledIn: reassembledIn.get(r.frame) ?? none,
      segmentCount: segmentCount.get(r.frame) ?? none,
    };
    prevSec = r.tsSec;
    prevNsec = r.tsNsec;
    let line = '';
    for (let i = 0; i < extract.length; i++) line += (i ? '\t' : '') + extract[i](ctx);
    write(line);
    rows++;
  });
  // Pass 2 stops where pass 1 stopped; report pass 1's outcome (the same damage).
  const undecoded = read1.interfaces
    .filter((i) => !SUPPORTED_LINKTYPES.has(i.linkType))
    .map((i) => new CaptureError('unknown-link-type', i.fileOffset ?? 0, `link type ${i.linkType} is not decoded by wirenote: its frames are listed but not analysed`));
  return { read: read1.error ? read1 : read2, undecoded, rows, httpPortsByContent: [...byContent].sort((a, b) => a - b) };
}

import { TSHARK_HTTP_PORTS as DEFAULT_PORTS } from '../http/analyzer';

/**
 * The HTTP exchanges of a capture as HTTP defines them. Requests and responses are paired per
 * connection in order — the n-th final response answers the n-th request (RFC 9112 §9.3.2), 1xx
 * responses are interim (RFC 9110 §15.2) — which is right for pipelined requests where Wireshark
 * 4.0 pairs every response with the last request it saw; where the two differ it is recorded so
 * the text can say so. A message whose end was never captured, or whose segment the snapshot
 * length cut, still counts from its start line (as Wireshark shows it), marked partial.
 */
import { CaptureAnalysis, TcpFrame } from '../analysis';
import { HttpMessage, messageHeader } from '../http/analyzer';
import { contentLength, isChunked, parseHead, parseStartLine } from '../http/message';
import { TA } from '../tcp/analysis';
import { decodeContent, DecodedBody, decodeText, DecodedText, mediaType, sniff, Sniffed } from './content';
import { bodyless } from './headers';

/** One HTTP message as the lab sees it: a parsed message, or only its start line. */
export interface LabMessage {
  frame: number;
  stream: number;
  isRequest: boolean;
  method?: string;
  uri?: string;
  version?: string;
  code?: number;
  phrase?: string;
  headers: Array<[string, string]>;
  /** Body length after de-chunking; undefined when the message was not captured whole. */
  bodyLength?: number;
  body?: Buffer;
  /** Seconds since the first frame: where the message starts and where it is complete. */
  start: number;
  time: number;
  /** Frames of the message's PDU (the last is `frame`). */
  frames: number[];
  /** Only the start line was seen: 'truncated' — the snapshot length cut the segment; 'incomplete' — the rest never arrived in the capture. */
  partial?: 'truncated' | 'incomplete';
  /** The parsed message (undefined for a start line only). */
  message?: HttpMessage;
  /**
   * Read by this layer from the frame's bytes because the HTTP layer (which frames messages as
   * Wireshark 4.0 does) took it in as no message: Wireshark shows this frame as TCP data.
   */
  reparsed?: boolean;
  /** TCP reassembled the PDU this start line begins in that frame, yet no HTTP message came of it (Wireshark shows none either). */
  pduEnd?: number;
}

export interface LabExchange {
  stream: number;
  /** Position among the requests on its connection (0-based); -1 for a response whose request was not captured. */
  position: number;
  request?: LabMessage;
  response?: LabMessage;
  /** 1xx interim responses before the final one. */
  interim: LabMessage[];
  /** The request was sent before the previous response on the connection had arrived (pipelining, RFC 9112 §9.3.2). */
  pipelined: boolean;
  /** Wireshark 4.0 pairs this response with a different request: that request (null: with none). */
  wiresharkPairsWith?: { frame: number; method?: string; uri?: string } | null;
  contentType?: string;
  mediaType?: string;
  contentLength?: number;
}

/** A response's body as the browser uses it, decoded once on first use. */
export interface BodyView {
  decoded: DecodedBody;
  sniffed: Sniffed;
  text(): DecodedText;
}

const bodyCache = new WeakMap<LabMessage, BodyView | null>();

export function bodyOf(m: LabMessage | undefined): BodyView | undefined {
  if (!m || !m.body) return undefined;
  let v = bodyCache.get(m);
  if (v === undefined) {
    const decoded = decodeContent(m.body, header(m, 'content-encoding'));
    let text: DecodedText | undefined;
    v = { decoded, sniffed: sniff(decoded.bytes), text: () => (text ??= decodeText(decoded.bytes, header(m, 'content-type'))) };
    bodyCache.set(m, v);
  }
  return v ?? undefined;
}

/** First value of a header field (case-insensitive). */
export function header(m: LabMessage | undefined, name: string): string | undefined {
  if (!m) return undefined;
  if (m.message) return messageHeader(m.message, name);
  const n = name.toLowerCase();
  return m.headers.find(([k]) => k.toLowerCase() === n)?.[1];
}

/** The frames each reassembled PDU was made of, keyed by the frame that completed it. */
export function pduFrames(frames: TcpFrame[]): Map<number, number[]> {
  const m = new Map<number, number[]>();
  for (const f of frames) {
    if (f.reassembledIn === undefined || f.reassembledIn === f.frame) continue;
    const l = m.get(f.reassembledIn);
    if (l) l.push(f.frame);
    else m.set(f.reassembledIn, [f.frame]);
  }
  return m;
}

function fromMessage(m: HttpMessage, byFrame: Map<number, TcpFrame>, pdus: Map<number, number[]>): LabMessage {
  const frames = [...(pdus.get(m.frame) ?? []), m.frame];
  const t = byFrame.get(m.frame)?.time ?? 0;
  const truncated = m.truncated !== undefined;
  return {
    frame: m.frame,
    stream: m.stream,
    isRequest: m.isRequest,
    method: m.method,
    uri: m.uri,
    version: m.version,
    code: m.code,
    phrase: m.phrase,
    get headers() {
      return m.headers;
    },
    bodyLength: truncated ? undefined : m.bodyLength,
    body: m.body,
    start: byFrame.get(frames[0])?.time ?? t,
    time: t,
    frames,
    partial: truncated ? 'truncated' : undefined,
    message: m,
  };
}

function fromStartLine(f: TcpFrame, payload: Buffer | undefined): LabMessage | undefined {
  const s = parseStartLine(f.startLine!);
  if (s.kind === 'other') return undefined;
  const m: LabMessage = {
    frame: f.frame,
    stream: f.stream,
    isRequest: s.kind === 'request',
    method: s.method,
    uri: s.uri,
    version: s.version,
    code: s.code,
    phrase: s.phrase,
    headers: [],
    start: f.time,
    time: f.time,
    frames: [f.frame],
    partial: f.payloadCaptured < f.len ? 'truncated' : 'incomplete',
    reparsed: true,
    pduEnd: f.reassembledIn,
  };
  const head = payload && parseHead(payload, 0, payload.length);
  if (!head) return m;
  m.headers = head.headers;
  const cl = contentLength(head);
  const avail = payload!.length - head.bodyStart;
  if (isChunked(head)) return m;
  // A message whose framing is known and whose bytes are all in this segment is whole.
  const len = cl ?? (m.isRequest ? 0 : undefined);
  if (len !== undefined && avail >= len && f.payloadCaptured === f.len) {
    m.partial = undefined;
    m.bodyLength = len;
    m.body = payload!.subarray(head.bodyStart, head.bodyStart + len);
  } else if (avail > 0) {
    // The start of a body that never completed still says what it is (its magic number).
    m.body = payload!.subarray(head.bodyStart);
  }
  return m;
}

/**
 * Every HTTP message over TCP, in order per connection: the analyzer's messages, plus start lines
 * of segments no message covers (cut by the snapshot length, or never completed).
 */
export function labMessages(a: CaptureAnalysis, byFrame: Map<number, TcpFrame>, pdus: Map<number, number[]>): Map<number, LabMessage[]> {
  const byStream = new Map<number, LabMessage[]>();
  const covered = new Set<number>();
  const add = (m: LabMessage) => {
    const l = byStream.get(m.stream);
    if (l) l.push(m);
    else byStream.set(m.stream, [m]);
  };
  for (const m of a.http) {
    if (m.stream < 0) continue;
    const lm = fromMessage(m, byFrame, pdus);
    for (const f of lm.frames) covered.add(f);
    add(lm);
  }
  for (const f of a.frames) {
    if (!f.startLine || covered.has(f.frame)) continue;
    // A retransmission repeats a start line already counted.
    if (f.analysis & (TA.RETRANSMISSION | TA.SPURIOUS_RETRANSMISSION)) continue;
    const lm = fromStartLine(f, a.startPayloads.get(f.frame));
    if (lm) add(lm);
  }
  for (const l of byStream.values()) l.sort((x, y) => x.frames[0] - y.frames[0] || x.frame - y.frame);
  return byStream;
}

/** Pair one connection's messages in order (RFC 9112 §9.3.2). */
export function pairConnection(messages: LabMessage[]): LabExchange[] {
  const out: LabExchange[] = [];
  const waiting: LabExchange[] = [];
  let position = 0;
  for (const m of messages) {
    if (m.isRequest) {
      const ex: LabExchange = { stream: m.stream, position: position++, request: m, interim: [], pipelined: waiting.length > 0 };
      waiting.push(ex);
      out.push(ex);
      continue;
    }
    const code = m.code ?? 0;
    // 1xx (other than 101, which ends HTTP on the connection) is interim: the request still waits.
    if (code >= 100 && code < 200 && code !== 101) {
      if (waiting.length) waiting[0].interim.push(m);
      continue;
    }
    const ex = waiting.shift();
    // Responses to HEAD, and 204 / 304, end with their head (RFC 9110 §9.3.2, §15.3.5, §15.4.5).
    if (m.reparsed && bodyless(m, ex?.request) && m.headers.length) {
      m.partial = undefined;
      m.bodyLength = 0;
      m.body = undefined;
    }
    if (ex) ex.response = m;
    else out.push({ stream: m.stream, position: -1, response: m, interim: [], pipelined: false });
  }
  for (const ex of out) {
    const res = ex.response;
    ex.contentType = header(res, 'content-type');
    ex.mediaType = mediaType(ex.contentType);
    const cl = header(res, 'content-length');
    ex.contentLength = cl !== undefined && /^\s*\d+\s*$/.test(cl) ? Number(cl) : undefined;
    // Wireshark 4.0 pairs a response with the last request before it on the connection.
    const ws = res?.message?.exchange.request;
    if (res?.message && ex.request?.message && ws !== ex.request.message) ex.wiresharkPairsWith = ws ? { frame: ws.frame, method: ws.method, uri: ws.uri } : null;
  }
  return out;
}

/** The response body was captured whole (or has none by definition). */
export function responseComplete(ex: LabExchange): boolean {
  const r = ex.response;
  if (!r || r.partial) return false;
  if (bodyless(r, ex.request)) return true;
  return ex.contentLength === undefined || r.bodyLength === ex.contentLength;
}

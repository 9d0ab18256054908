/**
 * HTTP/1.x over TCP: reassembles requests and responses per connection (through
 * tcp/reassembly), pairs them the way Wireshark 4.0 does, and recognises TLS on any port so
 * later layers can say "this is HTTPS, not HTTP".
 */
import { Packet } from '../decode/packet';
import { Th } from '../decode/tcp';
import { Ta, TcpConversation, TcpFrameInfo } from '../tcp/analysis';
import { FlowReassembler, ReassemblyEvents } from '../tcp/reassembly';
import { dissectHttp, DESEGMENT_ONE_MORE_SEGMENT, DESEGMENT_UNTIL_FIN, DissectResume, HttpConvState, messageBody, ParsedMessage, rememberedMethod } from './dissect';
import { headerValues, MessageHead, startKind } from './message';
import { ONE_MORE_SEGMENT, SubdissectorResult, UNTIL_FIN } from '../tcp/reassembly';
import { splitTlsRecords, TSHARK_TLS_PORTS } from '../tls/record';
import { Queue } from '../util/queue';

/** TCP ports on which tshark 4.0 decodes HTTP by default. */
const SSDP_PORT = 1900;

export const TSHARK_HTTP_PORTS: ReadonlySet<number> = new Set([80, 631, 1900, 2710, 2869, 3128, 3132, 3689, 5985, 8080, 8088, 11371]);

export type AppProtocol = 'http' | 'tls' | 'unknown';

export interface HttpMessage {
  /** Frame in which the message was complete (where Wireshark shows it). */
  frame: number;
  /** tcp.stream, or -1 for HTTP over UDP (SSDP). */
  stream: number;
  conv?: TcpConversation;
  isRequest: boolean;
  method?: string;
  uri?: string;
  version?: string;
  code?: number;
  phrase?: string;
  /** Header fields in order, names as sent (made from the head when first read; assigning replaces them). */
  headers: Array<[string, string]>;
  /** Body length on the wire after de-chunking (before content decoding). */
  bodyLength: number;
  /** The body, when the analyzer keeps bodies. */
  body?: Buffer;
  tsSec: number;
  tsNsec: number;
  /** Frames whose bytes make up this message (the last is `frame`). */
  frames: number[];
  /**
   * Request/response pairing (Wireshark's req_res entry). A message Wireshark never pairs
   * (`unpaired`) has an exchange of its own (index -1) that no other message joins.
   */
  exchange: HttpExchange;
  /**
   * The capture cut this message (its segment was captured only up to the snapshot length, as
   * tshark's "Packet size limited during capture"): 'head' — the start line is there but header
   * lines may be missing; 'body' — the head is whole, the body is not, and `bodyLength` counts
   * only the captured bytes (the real length is unknown).
   */
  truncated?: 'head' | 'body';
  /**
   * Wireshark stopped reading this message's head inside a line that the capture (or the
   * connection) cut, and never paired it: it has no request/response partner, and later
   * messages pair as if it had not been there.
   */
  unpaired?: boolean;
  /** Paired, but its own frame shows no pairing in tshark (a head of ~a million fields overflows the frame's tree). */
  pairingNotShown?: boolean;
  /** Bodies are kept, but this one was longer than MAX_KEPT_BODY: counted (`bodyLength`), not kept. */
  bodyTooLarge?: boolean;
}

export interface HttpExchange {
  index: number;
  request?: HttpMessage;
  response?: HttpMessage;
  prev?: HttpExchange;
  next?: HttpExchange;
}

export interface HttpAnalyzerOptions {
  /** Ports decoded as HTTP whatever the content (default: tshark's list). */
  ports?: ReadonlySet<number>;
  /** Also decode a connection as HTTP when its first payload looks like HTTP (default true). */
  detectByContent?: boolean;
  /** Keep message bodies (default false: memory stays per-connection). */
  keepBodies?: boolean;
  /**
   * Keep every exchange reachable through `prev` (default true). Off, an exchange forgets the one
   * two before it, so a long connection holds O(1) exchanges (streaming analysis).
   */
  keepHistory?: boolean;
  /**
   * Forget a connection's HTTP state this many frames after both sides sent FIN (or a RST) —
   * 0, the default, never. Only its protocol is remembered. For long captures: later frames of
   * a closed connection are retransmissions and ACKs, which HTTP does not look at.
   */
  forgetClosedAfter?: number;
}

export interface HttpEvents {
  onMessage?(m: HttpMessage): void;
  /**
   * Header lines found in continuation data (no request or status line before them, e.g. after
   * a lost segment): Wireshark shows them as header fields of no message.
   */
  onHeaders?(frame: number, headers: Array<[string, string]>): void;
  /** Frames of a multi-segment PDU completed in `finalFrame` (tcp.reassembled_in / segment.count). */
  onReassembled?(frames: number[], finalFrame: number, segmentCount: number): void;
  /**
   * A message passed a size limit in `frame`: 'head' — it waited for its end past MAX_PENDING
   * and its bytes were read as data; 'body' — shown as it was at MAX_PENDING; 'kept' — its body
   * was larger than MAX_KEPT_BODY, so it was counted, not kept (`bodyTooLarge`).
   */
  onLimit?(frame: number, what: 'head' | 'body' | 'kept'): void;
}

/** Largest body the analyzer keeps (keepBodies); a longer one is counted only (HttpMessage.bodyTooLarge). */
export const MAX_KEPT_BODY = 64 << 20;

/**
 * A message whose Content-Length body is only being counted: its head, parsed when it arrived,
 * travels with the pending PDU (SubdissectorResult.pending) instead of its bytes. (It is what
 * dissectHttp reports as `incomplete`.)
 */
interface CountedMessage {
  head: MessageHead;
  /** Offset of the body from the start of the PDU. */
  bodyStart: number;
  /** Counted although bodies are kept: longer than MAX_KEPT_BODY. */
  tooLarge?: boolean;
}

interface ConvState extends HttpConvState {
  owner: HttpAnalyzer;
  protocol: AppProtocol;
  decided: boolean;
  /** What the connection's bytes are reassembled as (none: not looked at). */
  mode: 'none' | 'http' | 'tls';
  /** The two directions' reassembly, made at the first segment with data (a SYN-only connection has none). */
  flows: [FlowReassembler, FlowReassembler] | undefined;
  /** After a successful CONNECT the bytes are a tunnel (TLS when the target port is a TLS port). */
  tunnel: 'none' | 'tls' | 'opaque';
  tail?: HttpExchange;
  count: number;
  current?: Packet;
  /** The conversation's closing frame (TCP's closedAt) once queued to be forgotten, else 0. */
  closedAt: number;
  /** Closed long enough ago (forgetClosedAfter): only the protocol is kept; later frames are ignored. */
  forgotten: boolean;
}

/** Looks like the start of an HTTP/1.x message (a request or status line, as Wireshark recognises one). */
export function looksLikeHttp(b: Buffer, off: number, end: number): boolean {
  const stop = Math.min(end, off + 24);
  let e = off;
  while (e < stop && b[e] !== 0x0a && b[e] !== 0x0d) e++;
  return startKind(b, off, e) !== 'other';
}

/** A TLS record header: handshake/alert/CCS/application data, version 3.x. */
export function looksLikeTls(b: Buffer, off: number, end: number): boolean {
  return end - off >= 5 && b[off] >= 0x14 && b[off] <= 0x17 && b[off + 1] === 3 && b[off + 2] <= 4;
}

export class HttpAnalyzer {
  /** States of conversations whose `app` slot another analyzer holds (rare: two analyzers, one TCP analysis). */
  private readonly others = new WeakMap<TcpConversation, ConvState>();
  private readonly ports: ReadonlySet<number>;
  private readonly detect: boolean;
  private readonly keepBodies: boolean;
  private readonly keepHistory: boolean;

  constructor(
    private readonly events: HttpEvents = {},
    opts: HttpAnalyzerOptions = {},
  ) {
    this.ports = opts.ports ?? TSHARK_HTTP_PORTS;
    this.detect = opts.detectByContent ?? true;
    this.keepBodies = opts.keepBodies ?? false;
    this.keepHistory = opts.keepHistory ?? true;
    this.forgetAfter = opts.forgetClosedAfter ?? 0;
    const onReassembled = events.onReassembled?.bind(events);
    this.flowEvents = onReassembled && {
      onReassembled,
      onRetransmittedSegment: (frame: number, finalFrame: number) => onReassembled([frame], finalFrame, 0),
    };
  }

  /** The application protocol recognised on a connection. */
  protocolOf(conv: TcpConversation): AppProtocol {
    return this.stateOf(conv)?.protocol ?? 'unknown';
  }

  private stateOf(conv: TcpConversation): ConvState | undefined {
    const a = conv.app as ConvState | undefined;
    return a !== undefined && a.owner === this ? a : this.others.get(conv);
  }

  private newState(conv: TcpConversation): ConvState {
    const st: ConvState = { owner: this, protocol: 'unknown', decided: false, mode: 'none', flows: undefined, tunnel: 'none', count: 0, closedAt: 0, forgotten: false };
    if (conv.app === undefined) conv.app = st;
    else this.others.set(conv, st);
    return st;
  }

  private readonly forgetAfter: number;
  /** Closed connections in closing order, waiting to be forgotten. */
  private readonly closed = new Queue<ConvState>();

  /** Queue a connection TCP analysis has seen close; forget those closed long enough ago. */
  private noteClosing(st: ConvState, conv: TcpConversation, frame: number): void {
    if (st.closedAt === 0 && conv.closedAt !== 0) {
      st.closedAt = conv.closedAt;
      this.closed.push(st);
    }
    for (let c = this.closed.peek(); c !== undefined && c.closedAt + this.forgetAfter < frame; c = this.closed.peek()) {
      c.forgotten = true;
      c.flows?.[0].end();
      c.flows?.[1].end();
      c.flows = undefined;
      c.tail = undefined;
      this.closed.shift();
    }
  }

  /**
   * The capture ended: PDUs still waiting will never complete (reported through onReassembled
   * where Wireshark shows them). Call once, after the last frame, on the analyzer's own
   * conversations.
   */
  end(conversations: Iterable<TcpConversation>): void {
    for (const conv of conversations) {
      const st = this.stateOf(conv);
      if (!st?.flows) continue;
      st.flows[0].end();
      st.flows[1].end();
    }
  }

  /** HTTP over UDP (SSDP, port 1900): each datagram is one message, never paired. */
  datagram(p: Packet): void {
    const u = p.udp;
    if (!u || (u.srcPort !== SSDP_PORT && u.dstPort !== SSDP_PORT) || p.payloadCaptured === 0) return;
    const data = p.bytes.subarray(p.payloadOffset, p.payloadOffset + p.payloadCaptured);
    const r = dissectHttp(data, data.length, { endOfStream: true });
    for (const m of r.messages) {
      if (m.head.start.kind === 'other') this.events.onHeaders?.(p.frame, m.head.headers);
      else this.emit(m, data, p.frame, p, undefined, { index: 0 });
    }
  }

  /** Feed every TCP frame after TCP analysis, in capture order. */
  frame(p: Packet, t: TcpFrameInfo): void {
    const h = p.tcp!;
    if (t.bogus || h.hdrCaptured < h.hdrLen) return;
    const conv = t.conv;
    let st = this.stateOf(conv);
    if (st === undefined) {
      st = this.newState(conv);
      if (this.ports.has(h.srcPort) || this.ports.has(h.dstPort)) this.enableHttp(st);
      else if (TSHARK_TLS_PORTS.has(h.srcPort) || TSHARK_TLS_PORTS.has(h.dstPort)) this.enableTls(st);
    }
    if (this.forgetAfter) {
      this.noteClosing(st, conv, p.frame);
      if (st.forgotten) return;
    }
    const fin = (h.flags & Th.FIN) !== 0;
    const complete = p.payloadCaptured >= h.payloadLen;
    const retransmitted = (t.flags & (Ta.RETRANSMISSION | Ta.SPURIOUS_RETRANSMISSION)) !== 0;
    if (!st.decided && h.payloadLen > 0 && p.payloadCaptured > 0) {
      const end = p.payloadOffset + p.payloadCaptured;
      if (looksLikeHttp(p.bytes, p.payloadOffset, end)) {
        st.protocol = 'http';
        if (this.detect && st.mode === 'none') this.enableHttp(st);
      } else if (looksLikeTls(p.bytes, p.payloadOffset, end)) {
        st.protocol = 'tls';
      }
      st.decided = true;
    }
    if (st.mode === 'none') return;
    if (!complete && !retransmitted && p.payloadCaptured > 0 && st.protocol !== 'tls' && st.tunnel === 'none') {
      // Cut by the snapshot length: TCP cannot reassemble it (Wireshark lets subdissectors ask for
      // more only when the whole segment is there) and hands the captured bytes to HTTP as they are.
      st.current = p;
      this.dissectCut(st, conv, p);
      st.current = undefined;
    }
    // Like Wireshark ("do not call subdissectors for error packets"), a retransmitted segment's
    // bytes are not handed to HTTP (out-of-order ones are).
    const len = complete && !retransmitted ? h.payloadLen : 0;
    if (len === 0 && !fin) return;
    const flows = st.flows ?? (st.flows = this.makeFlows(st, conv));
    st.current = p;
    flows[t.dir1 ? 0 : 1].segment(p.frame, h.seq, p.bytes, p.payloadOffset, len, fin, (t.flags & Ta.OUT_OF_ORDER) !== 0, (t.flags & Ta.FAST_RETRANSMISSION) !== 0);
    st.current = undefined;
  }

  /** TLS on a TLS port: records are reassembled (tcp.reassembled_in) but not decoded further. */
  private enableTls(st: ConvState): void {
    st.protocol = 'tls';
    st.mode = 'tls';
  }

  private makeFlows(st: ConvState, conv: TcpConversation): [FlowReassembler, FlowReassembler] {
    if (st.mode === 'tls') {
      const mk = () => new FlowReassembler((data) => tlsDesegment(data), this.flowEvents);
      return [mk(), mk()];
    }
    const dissect = (data: Buffer, length: number, frame: number, endOfStream: boolean, pending?: object, resume?: object, resumeAt?: number) =>
      this.dissect(st, conv, data, length, frame, endOfStream, pending as CountedMessage | undefined, resume as DissectResume | undefined, resumeAt);
    return [new FlowReassembler(dissect, this.flowEvents), new FlowReassembler(dissect, this.flowEvents)];
  }

  /**
   * One set of reassembly callbacks for every flow; none when nobody listens for reassembled
   * frames (decided when the analyzer is made), and the flows then do not track them.
   */
  private readonly flowEvents: ReassemblyEvents | undefined;

  private enableHttp(st: ConvState): void {
    st.mode = 'http';
    if (st.protocol === 'unknown') st.protocol = 'http';
  }

  /** The captured part of a segment cut by the snapshot length: the messages that start there, as far as they go. */
  private dissectCut(st: ConvState, conv: TcpConversation, p: Packet): void {
    const data = p.bytes.subarray(p.payloadOffset, p.payloadOffset + p.payloadCaptured);
    const r = dissectHttp(data, data.length, { endOfStream: false, reportedEnd: p.tcp!.payloadLen, conv: st });
    this.deliver(st, conv, r.messages, data, p.frame, p);
  }

  /** Messages of one dissection, in order: header lines of no message, and requests and responses. */
  private deliver(st: ConvState, conv: TcpConversation, messages: ParsedMessage[], data: Buffer, frame: number, p: Packet): boolean {
    for (const m of messages) {
      if (m.head.start.kind === 'other') {
        this.events.onHeaders?.(frame, m.head.headers);
        continue;
      }
      st.protocol = 'http';
      this.record(st, conv, m, data, frame, p);
      if (this.startTunnel(st)) return true;
    }
    return false;
  }

  private dissect(st: ConvState, conv: TcpConversation, data: Buffer, length: number, frame: number, endOfStream: boolean, counted: CountedMessage | undefined, resume: DissectResume | undefined, resumeAt: number | undefined): SubdissectorResult {
    if (st.tunnel === 'tls') return tlsDesegment(data);
    if (st.tunnel === 'opaque') return DONE;
    const p = st.current!;
    if (counted) {
      // A count-only PDU is complete: its head was parsed when its first bytes arrived.
      st.protocol = 'http';
      const m: ParsedMessage = { head: counted.head, start: 0, bodyStart: counted.bodyStart, end: length, bodyLength: length - counted.bodyStart, bodyTooLarge: counted.tooLarge || undefined };
      this.record(st, conv, m, data, frame, p);
      this.startTunnel(st);
      return DONE;
    }
    const r = dissectHttp(data, length, { endOfStream, conv: st, resume, resumeAt });
    if (r.limit) this.events.onLimit?.(frame, r.limit);
    if (this.deliver(st, conv, r.messages, data, frame, p)) return DONE;
    const len = r.desegmentLen === DESEGMENT_ONE_MORE_SEGMENT ? ONE_MORE_SEGMENT : r.desegmentLen === DESEGMENT_UNTIL_FIN ? UNTIL_FIN : r.desegmentLen;
    // A body nobody keeps is only counted while it is reassembled; so is one too large to keep.
    const tooLarge = r.bodyOnly && this.keepBodies && r.incomplete!.length > MAX_KEPT_BODY;
    const pending: CountedMessage | undefined = r.bodyOnly && (!this.keepBodies || tooLarge) ? { ...r.incomplete!, tooLarge } : undefined;
    if (tooLarge) this.events.onLimit?.(frame, 'kept');
    return { desegmentOffset: r.desegmentOffset, desegmentLen: len, pending, resume: r.resume, threw: r.threw };
  }

  /** After a message: does the connection stop carrying HTTP (101, or a 2xx answer to CONNECT)? */
  private startTunnel(st: ConvState): boolean {
    const ex = st.tail;
    if (ex?.response?.code === 101) {
      // Switching Protocols (e.g. WebSocket): what follows is no longer HTTP.
      st.tunnel = 'opaque';
      return true;
    }
    if (ex?.request?.method === 'CONNECT' && ex.response && (ex.response.code ?? 0) >= 200 && (ex.response.code ?? 0) < 300) {
      // RFC 9110 §9.3.6: after a 2xx the connection is a tunnel to the target.
      const port = Number(/:(\d+)$/.exec(ex.request.uri ?? '')?.[1] ?? 443);
      st.tunnel = TSHARK_TLS_PORTS.has(port) ? 'tls' : 'opaque';
      return true;
    }
    return false;
  }

  /** `data` is the buffer the message was dissected from. */
  private record(st: ConvState, conv: TcpConversation, msg: ParsedMessage, data: Buffer, frame: number, p: Packet): void {
    const isRequest = msg.head.start.kind === 'request';
    // Wireshark remembers the last request line it read (HEAD: the next response has no body).
    if (isRequest) st.lastMethod = rememberedMethod(msg.head.start);
    let ex: HttpExchange;
    if (msg.unpaired) {
      ex = { index: -1 };
    } else if (isRequest || !st.tail || st.tail.response) {
      // A request opens a new exchange; so does a response with nothing to answer.
      ex = { index: st.count++, prev: st.tail };
      if (st.tail) st.tail.next = ex;
      if (!this.keepHistory && st.tail) st.tail.prev = undefined;
      st.tail = ex;
    } else {
      ex = st.tail;
    }
    this.emit(msg, data, frame, p, conv, ex);
  }

  private emit(msg: ParsedMessage, data: Buffer, frame: number, p: Packet, conv: TcpConversation | undefined, ex: HttpExchange): void {
    const m = new Message(msg, frame, conv, p, ex, this.keepBodies && !msg.bodyTooLarge ? Buffer.from(messageBody(data, msg)) : undefined);
    if (m.isRequest) ex.request = m;
    else ex.response = m;
    this.events.onMessage?.(m);
  }
}

/**
 * An HttpMessage as the analyzer makes it. Its header fields come from the head's text when first
 * read (see TextHead), so a message nobody looks into costs no strings per field. (`headers` is
 * an accessor: an object spread of a message leaves it out.)
 */
class Message implements HttpMessage {
  readonly frame: number;
  readonly stream: number;
  readonly conv: TcpConversation | undefined;
  readonly isRequest: boolean;
  readonly method: string | undefined;
  readonly uri: string | undefined;
  readonly version: string | undefined;
  readonly code: number | undefined;
  readonly phrase: string | undefined;
  readonly bodyLength: number;
  readonly body: Buffer | undefined;
  readonly tsSec: number;
  readonly tsNsec: number;
  readonly frames: number[];
  readonly exchange: HttpExchange;
  readonly truncated: 'head' | 'body' | undefined;
  readonly unpaired: boolean | undefined;
  readonly pairingNotShown: boolean | undefined;
  readonly bodyTooLarge: boolean | undefined;
  private readonly head: MessageHead;

  constructor(msg: ParsedMessage, frame: number, conv: TcpConversation | undefined, p: Packet, ex: HttpExchange, body: Buffer | undefined) {
    const head = msg.head;
    const start = head.start;
    this.frame = frame;
    this.stream = conv ? conv.stream : -1;
    this.conv = conv;
    this.isRequest = start.kind === 'request';
    this.method = start.method;
    this.uri = start.uri;
    this.version = start.version;
    this.code = start.code;
    this.phrase = start.phrase;
    this.bodyLength = msg.bodyLength;
    this.body = body;
    this.tsSec = p.tsSec;
    this.tsNsec = p.tsNsec;
    this.frames = [frame];
    this.exchange = ex;
    this.truncated = msg.truncated;
    this.unpaired = msg.unpaired;
    this.pairingNotShown = msg.pairingNotShown;
    this.bodyTooLarge = msg.bodyTooLarge;
    this.head = head;
  }

  get headers(): Array<[string, string]> {
    return this.head.headers;
  }

  /** Replace the fields (e.g. with an empty list, to let them go). */
  set headers(fields: Array<[string, string]>) {
    this.head.headers = fields;
  }
}

/** The first value of a header field (case-insensitive name). */
export function messageHeader(m: HttpMessage, name: string): string | undefined {
  return messageHeaders(m, name)[0];
}

/** Every value of a header field, in order. */
export function messageHeaders(m: HttpMessage, name: string): string[] {
  return headerValues(m, name);
}

const DONE: SubdissectorResult = Object.freeze({ desegmentOffset: 0, desegmentLen: 0 });

/** Reassembly contract for TLS: ask for one more segment until the record is whole. */
function tlsDesegment(data: Buffer): { desegmentOffset: number; desegmentLen: number } {
  const r = splitTlsRecords(data, data.length);
  return r.incompleteAt < 0 ? { desegmentOffset: 0, desegmentLen: 0 } : { desegmentOffset: r.incompleteAt, desegmentLen: ONE_MORE_SEGMENT };
}

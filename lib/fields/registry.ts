/**
 * tshark-compatible display fields. Each field turns one frame's analysis into the value(s)
 * `tshark -T fields -e NAME` prints for it: '' (or no element) when the field is absent, an
 * array when it occurs several times (the writer joins them with the -E aggregator), numbers
 * as numbers. Each field also has the type tshark gives it (FIELD_TYPES), which the display
 * filter compares by.
 */
import { Packet, QuotedDatagram, TcpHeader } from '../decode/packet';
import { QuotedTcp, TcpConversation, TcpFrameInfo, TA } from '../tcp/analysis';
import { asciiField } from './text';
import { HttpMessage } from '../http/analyzer';
import { headerValues } from '../http/message';
import { TH_SYN } from '../decode/tcp';
import { formatSeconds, NsTime, nstimeDelta } from '../util/time';

const nonZero = (t: NsTime) => t.sec !== 0 || t.nsec !== 0;

export interface FieldContext {
  p: Packet;
  /** Per-frame TCP analysis (second pass). */
  t?: TcpFrameInfo;
  /** The conversation of the TCP segment this frame's ICMP error quotes. */
  q?: QuotedTcp;
  /**
   * Every conversation's state at the end of the first pass, by stream (when a field needs it;
   * fields/run.ts's compact store, whose `at` refills one object: read it before the next call).
   */
  finals?: FinalStatesView;
  /** The same conversation's state at the end of the capture (first pass; what the fields read of it). */
  final?: FinalConversation;
  /** Completeness value tshark shows on this frame. */
  completeness: number;
  /** Time stamps of the capture's first frame and of the previous frame. */
  first: NsTime;
  prev: NsTime;
  /** HTTP messages dissected in this frame. */
  http: HttpMessage[];
  /** Where this frame's header fields come from, in order: its messages and any header lines of continuation data. */
  httpHeaders: Array<{ headers: Array<[string, string]> }>;
  /** Frames in which PDUs this frame contributes to were reassembled. */
  reassembledIn: number[];
  /** Segment counts of PDUs reassembled in this frame. */
  segmentCount: number[];
  /** The frame's request/response record as complete at the end of the capture (first pass). */
  pairing?: PairingRecord;
  /** The frame shows TLS (set when a display filter asks for `tls` or `http`). */
  tls?: boolean;
  /** The frame shows TLS inside an HTTP CONNECT tunnel (so HTTP too). */
  tunnel?: boolean;
}

/** The first pass's final conversation states, by stream. */
export interface FinalStatesView {
  at(stream: number): FinalConversation | undefined;
}

/** What the fields read of a conversation's final state (a TcpConversation, or fields/run.ts's compact copy). */
export interface FinalConversation {
  completeness: number;
  accEcn: boolean;
  flow1: { winScale: number; baseSeq: number };
  flow2: { winScale: number; baseSeq: number };
}

/** What the pairing fields read of a request/response record (an HttpExchange, or fields/run.ts's compact copy). */
export interface PairingRecord {
  request?: { frame: number; tsSec: number; tsNsec: number };
  response?: { frame: number; tsSec: number; tsNsec: number };
  prev?: { request?: { frame: number }; response?: { frame: number } };
  next?: { request?: { frame: number }; response?: { frame: number } };
}

/** One occurrence: numbers are printed as decimal integers. */
export type Value = string | number;
/** A cell: '' (or an empty array) when absent; an array when the field occurs several times. */
export type FieldCell = Value | readonly Value[];
type Extract = (c: FieldContext) => FieldCell;

/**
 * tshark's field types (FT_*), as far as they matter to comparisons: unsigned / signed integers,
 * frame numbers, booleans, labels without a value (FT_NONE: presence only), strings, addresses,
 * relative times in seconds.
 */
export type FieldType = 'uint' | 'int' | 'framenum' | 'bool' | 'none' | 'string' | 'ipv4' | 'ipv6' | 'time';

const NONE: readonly Value[] = [];

/** Values that are there (several occurrences): one → the value itself, none → ''. */
function some(a: Array<Value | undefined>): FieldCell {
  let n = 0;
  for (const v of a) if (v !== undefined && v !== '') n++;
  if (n === a.length) return n === 1 ? a[0]! : n === 0 ? '' : (a as Value[]);
  const out: Value[] = [];
  for (const v of a) if (v !== undefined && v !== '') out.push(v);
  return out.length === 1 ? out[0] : out.length === 0 ? '' : out;
}

const tcpOk = (c: FieldContext) => c.t !== undefined && !c.t.bogus;
/** The SEQ/ACK analysis subtree: printed after the options, so lost when they were cut off. */
const analysisOk = (c: FieldContext) => tcpOk(c) && c.p.tcp!.hdrCaptured >= c.p.tcp!.hdrLen;
const flag = (bit: number): Extract => (c) => (analysisOk(c) && c.t!.flags & bit ? '1' : '');
const ifAnalysed = (f: (c: FieldContext) => string | number): Extract => (c) => (tcpOk(c) ? f(c) : '');

function finalFlows(c: FieldContext) {
  const f = c.final!;
  return c.t!.dir1 ? { fwd: f.flow1, rev: f.flow2 } : { fwd: f.flow2, rev: f.flow1 };
}

function optionHex(c: FieldContext, kind: number): FieldCell {
  const h = c.p.tcp;
  if (!h) return '';
  let out: Value[] | undefined;
  for (const o of h.options) if (o.kind === kind) (out ??= []).push(c.p.bytes.toString('hex', o.offset, o.offset + o.length));
  return out === undefined ? '' : out.length === 1 ? out[0] : out;
}

/** One value per HTTP message of the frame (messages without one are skipped). */
function joinHttp(c: FieldContext, pick: (m: HttpMessage) => string | number | undefined): FieldCell {
  if (c.http.length === 0) return '';
  if (c.http.length === 1) {
    const v = pick(c.http[0]);
    return v === undefined ? '' : v;
  }
  const out: Value[] = [];
  for (const m of c.http) {
    const v = pick(m);
    if (v !== undefined && v !== '') out.push(v);
  }
  return out.length === 1 ? out[0] : out;
}

/** Text from the message (method, URI, version, phrase) as tshark holds it. */
const httpText = (pick: (m: HttpMessage) => string | undefined): Extract => (c) =>
  joinHttp(c, (m) => {
    const v = pick(m);
    return v === undefined ? undefined : asciiField(v);
  });

function joinPaired(c: FieldContext, pick: (m: HttpMessage, x: PairingRecord) => string | number | undefined): FieldCell {
  // The frame's record is its last paired message's; a message Wireshark never paired shows none.
  let last: HttpMessage | undefined;
  for (let i = c.http.length - 1; i >= 0 && !last; i--) if (!c.http[i].unpaired && !c.http[i].pairingNotShown) last = c.http[i];
  if (!last) return '';
  const x = c.pairing ?? last.exchange;
  return joinHttp(c, (m) => (m.unpaired || m.pairingNotShown ? undefined : pick(m, x)));
}

const header = (name: string): Extract => (c) => {
  if (c.httpHeaders.length === 0) return '';
  // A source (message or loose header lines) whose values are all empty adds nothing.
  const out: Value[] = [];
  for (const h of c.httpHeaders) {
    const vs = headerValues(h, name);
    if (vs.length === 0 || (vs.length === 1 && vs[0] === '')) continue;
    for (const v of vs) out.push(asciiField(v));
  }
  return out.length === 1 ? out[0] : out.length === 0 ? '' : out;
};

function relTime(aSec: number, aNsec: number, bSec: number, bNsec: number): string {
  return formatSeconds(nstimeDelta(aSec, aNsec, bSec, bNsec));
}

/** Window size as tshark prints it: scaled on non-SYN segments when the scale is known. */
function calculatedWindow(c: FieldContext): number {
  const h = c.p.tcp!;
  if (h.flags & TH_SYN) return h.window;
  const ws = finalFlows(c).fwd.winScale;
  return ws >= 0 ? h.window * 2 ** ws : h.window;
}

/**
 * A TCP segment quoted by an ICMP error, as tshark dissects it there: ports, and with a whole
 * header its conversation (stream, completeness) and header fields as sent — no relative
 * numbers, no length, no analysis.
 */
const quotedTcp = (c: FieldContext): TcpHeader | undefined => (c.t === undefined ? c.p.inner?.tcp : undefined);
const quotedWhole = (c: FieldContext): TcpHeader | undefined => {
  const h = quotedTcp(c);
  return h && h.hdrCaptured >= 20 && c.q ? h : undefined;
};
/** The segment's header: the frame's own, or the one quoted with a whole header. */
const anyTcp = (c: FieldContext): TcpHeader | undefined => (c.t !== undefined ? c.p.tcp : quotedWhole(c));
const anyConv = (c: FieldContext): { conv: TcpConversation; dir1: boolean; completenessBefore: number } | undefined => c.t ?? c.q;

function finalOf(c: FieldContext): FinalConversation | undefined {
  const a = anyConv(c);
  return a && (c.finals?.at(a.conv.stream) ?? c.final);
}

/** The outer header's value, then the quoted one's. */
function outerInner<T extends Value>(outer: T | undefined, inner: T | undefined): FieldCell {
  if (inner === undefined) return outer ?? '';
  return outer === undefined ? inner : [outer, inner];
}
const v4 = (p: Packet | QuotedDatagram | undefined, pick: 'ipSrc' | 'ipDst') => (p && p.ipVersion === 4 ? p[pick] : undefined);
const v6 = (p: Packet | QuotedDatagram | undefined, pick: 'ipSrc' | 'ipDst') => (p && p.ipVersion === 6 ? p[pick] : undefined);

const tcpFlag = (bit: number): Extract => (c) => {
  const h = anyTcp(c);
  return h ? (h.flags & bit ? 1 : 0) : '';
};

/** AE, CWR and ECE form the ACE counter (RFC 9768): a non-SYN segment of an Accurate ECN connection. */
function aceCounter(c: FieldContext): boolean {
  const h = anyTcp(c);
  return !!(h && !(h.flags & TH_SYN) && finalOf(c)?.accEcn);
}

function scaleFactor(c: FieldContext): FieldCell {
  const h = anyTcp(c);
  const f = finalOf(c);
  if (!h || !f || h.flags & TH_SYN) return '';
  const ws = (anyConv(c)!.dir1 ? f.flow1 : f.flow2).winScale;
  return ws >= 0 ? 2 ** ws : ws;
}

interface FieldDef {
  type: FieldType;
  get: Extract;
}
const F = (type: FieldType, get: Extract): FieldDef => ({ type, get });

const DEFS: Record<string, FieldDef> = {
  'frame.number': F('uint', (c) => c.p.frame),
  // Nanoseconds are a signed 32-bit number to tshark: a damaged value ≥ 2^31 prints as negative.
  'frame.time_epoch': F('time', (c) => (c.p.hasTs ? formatSeconds({ sec: c.p.tsSec, nsec: c.p.tsNsec | 0 }) : '')),
  'frame.time_relative': F('time', (c) => (c.p.hasTs ? relTime(c.p.tsSec, c.p.tsNsec, c.first.sec, c.first.nsec) : '')),
  'frame.time_delta': F('time', (c) => (c.p.hasTs ? relTime(c.p.tsSec, c.p.tsNsec, c.prev.sec, c.prev.nsec) : '')),
  'frame.len': F('uint', (c) => c.p.origLen),
  'frame.cap_len': F('uint', (c) => c.p.capLen),
  'ip.src': F('ipv4', (c) => outerInner(v4(c.p, 'ipSrc'), v4(c.p.inner, 'ipSrc'))),
  'ip.dst': F('ipv4', (c) => outerInner(v4(c.p, 'ipDst'), v4(c.p.inner, 'ipDst'))),
  'ip.addr': F('ipv4', (c) => some([v4(c.p, 'ipSrc'), v4(c.p, 'ipDst'), v4(c.p.inner, 'ipSrc'), v4(c.p.inner, 'ipDst')])),
  'ipv6.src': F('ipv6', (c) => outerInner(v6(c.p, 'ipSrc'), v6(c.p.inner, 'ipSrc'))),
  'ipv6.dst': F('ipv6', (c) => outerInner(v6(c.p, 'ipDst'), v6(c.p.inner, 'ipDst'))),
  'ipv6.addr': F('ipv6', (c) => some([v6(c.p, 'ipSrc'), v6(c.p, 'ipDst'), v6(c.p.inner, 'ipSrc'), v6(c.p.inner, 'ipDst')])),
  'icmp.type': F('uint', (c) => outerInner(c.p.ipVersion === 4 ? c.p.icmp?.type : undefined, c.p.inner?.ipProto === 1 ? c.p.inner.icmp?.type : undefined)),
  'icmp.code': F('uint', (c) => outerInner(c.p.ipVersion === 4 ? c.p.icmp?.code : undefined, c.p.inner?.ipProto === 1 ? c.p.inner.icmp?.code : undefined)),
  'icmpv6.type': F('uint', (c) => outerInner(c.p.ipVersion === 6 ? c.p.icmp?.type : undefined, c.p.inner?.ipProto === 58 ? c.p.inner.icmp?.type : undefined)),
  'icmpv6.code': F('uint', (c) => outerInner(c.p.ipVersion === 6 ? c.p.icmp?.code : undefined, c.p.inner?.ipProto === 58 ? c.p.inner.icmp?.code : undefined)),
  'udp.srcport': F('uint', (c) => (c.p.udp ?? c.p.inner?.udp)?.srcPort ?? ''),
  'udp.dstport': F('uint', (c) => (c.p.udp ?? c.p.inner?.udp)?.dstPort ?? ''),
  'udp.port': F('uint', (c) => {
    const u = c.p.udp ?? c.p.inner?.udp;
    return u ? [u.srcPort, u.dstPort] : '';
  }),
  'udp.length': F('uint', (c) => (c.p.udp ?? c.p.inner?.udp)?.length ?? ''),
  'tcp.srcport': F('uint', (c) => (c.p.tcp ?? c.p.inner?.tcp)?.srcPort ?? ''),
  'tcp.dstport': F('uint', (c) => (c.p.tcp ?? c.p.inner?.tcp)?.dstPort ?? ''),
  'tcp.port': F('uint', (c) => {
    const h = c.p.tcp ?? c.p.inner?.tcp;
    return h ? [h.srcPort, h.dstPort] : '';
  }),
  'tcp.stream': F('uint', (c) => anyConv(c)?.conv.stream ?? ''),
  'tcp.len': F('uint', ifAnalysed((c) => c.p.tcp!.payloadLen)),
  'tcp.seq': F('uint', (c) => {
    if (c.t) return c.t.bogus ? c.p.tcp!.seq : c.t.seqRel;
    // Inside an ICMP (v4) error tshark adds the raw number as soon as it is quoted; inside
    // ICMPv6 only with a whole header.
    const q = c.p.inner;
    if (!q || q.tcpSeq === undefined) return '';
    return q.ipVersion === 4 || quotedWhole(c) ? q.tcpSeq : '';
  }),
  'tcp.seq_raw': F('uint', (c) => (c.t ? c.p.tcp!.seq : c.p.inner?.ipVersion === 6 && quotedWhole(c) ? c.p.inner.tcpSeq! : '')),
  'tcp.nxtseq': F('uint', ifAnalysed((c) => c.t!.nextSeqRel)),
  'tcp.ack': F('uint', (c) => (c.t ? (c.t.bogus ? c.p.tcp!.ack : c.t.ackRel) : quotedWhole(c)?.ack ?? '')),
  'tcp.ack_raw': F('uint', (c) => anyTcp(c)?.ack ?? ''),
  'tcp.hdr_len': F('uint', (c) => anyTcp(c)?.hdrLen ?? ''),
  'tcp.flags': F('uint', (c) => {
    const h = anyTcp(c);
    return h ? '0x' + h.flags.toString(16).padStart(4, '0') : '';
  }),
  'tcp.flags.fin': F('bool', tcpFlag(0x001)),
  'tcp.flags.syn': F('bool', tcpFlag(0x002)),
  'tcp.flags.reset': F('bool', tcpFlag(0x004)),
  'tcp.flags.push': F('bool', tcpFlag(0x008)),
  'tcp.flags.ack': F('bool', tcpFlag(0x010)),
  'tcp.flags.urg': F('bool', tcpFlag(0x020)),
  // On a connection that negotiated Accurate ECN, tshark shows these three bits as the ACE counter instead.
  'tcp.flags.ece': F('bool', (c) => (aceCounter(c) ? '' : tcpFlag(0x040)(c))),
  'tcp.flags.cwr': F('bool', (c) => (aceCounter(c) ? '' : tcpFlag(0x080)(c))),
  'tcp.flags.ae': F('bool', (c) => (aceCounter(c) ? '' : tcpFlag(0x100)(c))),
  'tcp.flags.ace': F('uint', (c) => (aceCounter(c) ? (anyTcp(c)!.flags >> 6) & 7 : '')),
  'tcp.flags.str': F('string', (c) => {
    const h = anyTcp(c);
    return h ? flagsString(h.flags, !!(finalOf(c)?.accEcn && !(h.flags & TH_SYN))) : '';
  }),
  'tcp.window_size_value': F('uint', (c) => anyTcp(c)?.window ?? ''),
  'tcp.window_size': F('uint', (c) => (c.t ? (c.t.bogus ? c.p.tcp!.window : calculatedWindow(c)) : quotedWhole(c)?.window ?? '')),
  'tcp.window_size_scalefactor': F('int', scaleFactor),
  'tcp.options.mss_val': F('uint', (c) => (tcpOk(c) && c.p.tcp!.mss !== undefined ? c.p.tcp!.mss : '')),
  'tcp.options.wscale.shift': F('uint', (c) => (tcpOk(c) && c.p.tcp!.wscale !== undefined ? c.p.tcp!.wscale : '')),
  'tcp.options.sack_perm': F('none', (c) => (tcpOk(c) ? optionHex(c, 4) : '')),
  'tcp.options.timestamp.tsval': F('uint', (c) => (tcpOk(c) && c.p.tcp!.tsval !== undefined ? c.p.tcp!.tsval : '')),
  'tcp.options.sack_le': F('uint', (c) => sackEdges(c, 0)),
  'tcp.options.sack_re': F('uint', (c) => sackEdges(c, 1)),
  'tcp.completeness': F('uint', (c) => {
    const a = anyConv(c);
    const f = finalOf(c);
    return a && f ? f.completeness | a.completenessBefore : '';
  }),
  'tcp.analysis': F('none', (c) => (analysisOk(c) && c.t!.hasTa ? '1' : '')),
  'tcp.analysis.flags': F('none', (c) => (analysisOk(c) && c.t!.flags ? '1' : '')),
  'tcp.analysis.acks_frame': F('framenum', (c) => (analysisOk(c) && c.t!.acksFrame ? c.t!.acksFrame : '')),
  'tcp.analysis.ack_rtt': F('time', (c) => (analysisOk(c) && c.t!.acksFrame && nonZero(c.t!.ackRtt) ? formatSeconds(c.t!.ackRtt) : '')),
  'tcp.analysis.initial_rtt': F('time', (c) => {
    if (!analysisOk(c) || !c.t!.hasTa) return '';
    const irtt = c.t!.conv.shownIrtt;
    return irtt && nonZero(irtt) ? formatSeconds(irtt) : '';
  }),
  'tcp.analysis.bytes_in_flight': F('uint', (c) => (analysisOk(c) && c.t!.bytesInFlight ? c.t!.bytesInFlight : '')),
  'tcp.analysis.push_bytes_sent': F('uint', (c) => (analysisOk(c) && c.t!.pushBytesSent ? c.t!.pushBytesSent : '')),
  'tcp.analysis.retransmission': F('none', (c) =>
    // Fast and spurious retransmissions carry the plain retransmission item too.
    analysisOk(c) && c.t!.flags & (TA.RETRANSMISSION | TA.FAST_RETRANSMISSION | TA.SPURIOUS_RETRANSMISSION) ? '1' : ''),
  'tcp.analysis.fast_retransmission': F('none', flag(TA.FAST_RETRANSMISSION)),
  'tcp.analysis.spurious_retransmission': F('none', flag(TA.SPURIOUS_RETRANSMISSION)),
  'tcp.analysis.out_of_order': F('none', flag(TA.OUT_OF_ORDER)),
  'tcp.analysis.lost_segment': F('none', flag(TA.LOST_PACKET)),
  'tcp.analysis.ack_lost_segment': F('none', flag(TA.ACK_LOST_PACKET)),
  // Wireshark adds this item twice (once among the flags, once beside the duplicate-ACK count).
  'tcp.analysis.duplicate_ack': F('none', (c) => (analysisOk(c) && c.t!.dupAckNum && c.t!.flags & TA.DUPLICATE_ACK ? TWICE : '')),
  'tcp.analysis.duplicate_ack_num': F('uint', (c) => (analysisOk(c) && c.t!.dupAckNum ? c.t!.dupAckNum : '')),
  'tcp.analysis.duplicate_ack_frame': F('framenum', (c) => (analysisOk(c) && c.t!.dupAckNum ? c.t!.dupAckFrame : '')),
  'tcp.analysis.zero_window': F('none', flag(TA.ZERO_WINDOW)),
  'tcp.analysis.zero_window_probe': F('none', flag(TA.ZERO_WINDOW_PROBE)),
  'tcp.analysis.window_update': F('none', flag(TA.WINDOW_UPDATE)),
  'tcp.analysis.window_full': F('none', flag(TA.WINDOW_FULL)),
  'tcp.analysis.keep_alive': F('none', flag(TA.KEEP_ALIVE)),
  'tcp.analysis.keep_alive_ack': F('none', flag(TA.KEEP_ALIVE_ACK)),
  'tcp.reassembled_in': F('framenum', (c) => (c.reassembledIn.length === 1 ? c.reassembledIn[0] : c.reassembledIn)),
  'tcp.segment.count': F('uint', (c) => (c.segmentCount.length === 1 ? c.segmentCount[0] : c.segmentCount)),
  // Hidden booleans on each message over TCP (SSDP's messages over UDP have none), added once the
  // head is read: a message whose reading stopped inside a cut header line (unpaired) has none.
  'http.request': F('bool', (c) => (c.http.length ? some(c.http.map((m) => (m.isRequest && m.stream >= 0 && !m.unpaired ? 1 : undefined))) : '')),
  'http.response': F('bool', (c) => (c.http.length ? some(c.http.map((m) => (!m.isRequest && m.stream >= 0 && !m.unpaired ? 1 : undefined))) : '')),
  'http.request.method': F('string', httpText((m) => m.method)),
  'http.request.uri': F('string', httpText((m) => m.uri)),
  'http.request.version': F('string', httpText((m) => (m.isRequest ? m.version : undefined))),
  'http.host': F('string', header('host')),
  'http.user_agent': F('string', header('user-agent')),
  'http.response.code': F('uint', (c) => joinHttp(c, (m) => m.code)),
  'http.response.phrase': F('string', httpText((m) => m.phrase)),
  'http.content_length_header': F('string', header('content-length')),
  'http.content_type': F('string', header('content-type')),
  'http.server': F('string', header('server')),
  'http.connection': F('string', header('connection')),
  'http.last_modified': F('string', header('last-modified')),
  'http.cache_control': F('string', header('cache-control')),
  // Pairing fields: Wireshark keeps one request/response record per frame (the last message's),
  // so every message in a frame with several (pipelining) shows that record.
  'http.request_in': F('framenum', (c) => joinPaired(c, (m, x) => (m.isRequest ? undefined : x.request?.frame))),
  'http.response_in': F('framenum', (c) => joinPaired(c, (m, x) => (m.isRequest ? x.response?.frame : undefined))),
  'http.time': F('time', (c) =>
    joinPaired(c, (m, x) => {
      const rq = m.isRequest ? undefined : x.request;
      const rs = x.response;
      return rq && rs ? relTime(rs.tsSec, rs.tsNsec, rq.tsSec, rq.tsNsec) : undefined;
    })),
  'http.prev_request_in': F('framenum', (c) => joinPaired(c, (_, x) => x.prev?.request?.frame)),
  'http.next_request_in': F('framenum', (c) => joinPaired(c, (_, x) => x.next?.request?.frame)),
  'http.prev_response_in': F('framenum', (c) => joinPaired(c, (m, x) => (m.isRequest ? undefined : x.prev?.response?.frame))),
  'http.next_response_in': F('framenum', (c) => joinPaired(c, (m, x) => (m.isRequest ? undefined : x.next?.response?.frame))),
};
const TWICE: readonly Value[] = ['1', '1'];

export const FIELDS: Readonly<Record<string, Extract>> = Object.fromEntries(Object.entries(DEFS).map(([k, d]) => [k, d.get]));
export const FIELD_TYPES: Readonly<Record<string, FieldType>> = Object.fromEntries(Object.entries(DEFS).map(([k, d]) => [k, d.type]));

export const FIELD_NAMES: readonly string[] = Object.keys(FIELDS);

/**
 * What a field needs from a first pass over the whole capture (tshark -2): the conversation's
 * final state, the frame that completes a PDU, or the request/response pairing known later.
 * Every other field is known when its frame is read.
 */
export type FirstPassNeed = 'final' | 'reassembly' | 'pairing';
export const FIELD_NEEDS: Readonly<Record<string, FirstPassNeed[]>> = {
  'tcp.flags.str': ['final'],
  'tcp.flags.ece': ['final'],
  'tcp.flags.cwr': ['final'],
  'tcp.flags.ae': ['final'],
  'tcp.flags.ace': ['final'],
  'tcp.window_size': ['final'],
  'tcp.window_size_scalefactor': ['final'],
  'tcp.options.sack_le': ['final'],
  'tcp.options.sack_re': ['final'],
  'tcp.completeness': ['final'],
  'tcp.analysis.initial_rtt': ['final'],
  'tcp.reassembled_in': ['reassembly'],
  'http.response_in': ['pairing'],
  'http.next_request_in': ['pairing'],
  'http.next_response_in': ['pairing'],
};

/**
 * tcp.flags.str: one character per flag bit, high to low, '·' when clear. On a connection that
 * negotiated Accurate ECN the AE/CWR/ECE bits form the ACE counter and print as "-N-".
 */
export function flagsString(flags: number, ace = false): string {
  const letters = 'RRRACEUAPRSF';
  let s = '';
  for (let i = 0; i < 12; i++) {
    if (ace && i === 3) {
      s += `-${(flags >> 6) & 7}-`;
      i = 5;
      continue;
    }
    s += (flags >> (11 - i)) & 1 ? letters[i] : '\u00b7';
  }
  return s;
}

function sackEdges(c: FieldContext, which: 0 | 1): FieldCell {
  if (!tcpOk(c) || !c.p.tcp!.sack) return '';
  // The receiver's base as the printing pass has it (tshark -2's second pass), else its final one.
  const rev = c.t!.dir1 ? c.t!.conv.flow2 : c.t!.conv.flow1;
  const base = rev.shownBaseSet ? rev.shownBase : finalFlows(c).rev.baseSeq;
  const out: number[] = [];
  const s = c.p.tcp!.sack;
  for (let i = which; i < s.length; i += 2) out.push((s[i] - base) >>> 0);
  return out.length === 1 ? out[0] : out;
}

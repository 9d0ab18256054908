/**
 * tshark-compatible display fields. Each field turns one frame's analysis into the text
 * `tshark -T fields -e NAME` prints for it ('' when the field is absent; several occurrences
 * joined by ',').
 */
import { Packet } from '../decode/packet';
import { TcpConversation, TcpFrameInfo, TA } from '../tcp/analysis';
import { HttpExchange, HttpMessage } from '../http/analyzer';
import { headerValues } from '../http/message';
import { TH_SYN } from '../decode/tcp';
import { formatSeconds, NsTime, nstimeDelta } from '../util/time';

const nonZero = (t: NsTime) => t.sec !== 0 || t.nsec !== 0;

export interface FieldContext {
  p: Packet;
  /** Per-frame TCP analysis (second pass). */
  t?: TcpFrameInfo;
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

/** A cell: '' when absent; numbers are printed as decimal integers. */
type Extract = (c: FieldContext) => string | number;

const hasTcp = (c: FieldContext) => c.t !== undefined;
const tcpOk = (c: FieldContext) => c.t !== undefined && !c.t.bogus;
/** The SEQ/ACK analysis subtree: printed after the options, so lost when they were cut off. */
const analysisOk = (c: FieldContext) => tcpOk(c) && c.p.tcp!.hdrCaptured >= c.p.tcp!.hdrLen;
const flag = (bit: number): Extract => (c) => (analysisOk(c) && c.t!.flags & bit ? '1' : '');
const ifTcp = (f: (c: FieldContext) => string | number): Extract => (c) => (hasTcp(c) ? f(c) : '');
const ifAnalysed = (f: (c: FieldContext) => string | number): Extract => (c) => (tcpOk(c) ? f(c) : '');

function finalFlows(c: FieldContext) {
  const f = c.final!;
  return c.t!.dir1 ? { fwd: f.flow1, rev: f.flow2 } : { fwd: f.flow2, rev: f.flow1 };
}

function optionHex(c: FieldContext, kind: number): string {
  const h = c.p.tcp;
  if (!h) return '';
  return h.options
    .filter((o) => o.kind === kind)
    .map((o) => c.p.bytes.toString('hex', o.offset, o.offset + o.length))
    .join(',');
}

function joinHttp(c: FieldContext, pick: (m: HttpMessage) => string | number | undefined): string {
  if (c.http.length === 0) return '';
  if (c.http.length === 1) {
    const v = pick(c.http[0]);
    return v === undefined ? '' : String(v);
  }
  const out: string[] = [];
  for (const m of c.http) {
    const v = pick(m);
    if (v !== undefined && v !== '') out.push(String(v));
  }
  return out.join(',');
}

function joinPaired(c: FieldContext, pick: (m: HttpMessage, x: PairingRecord) => string | number | undefined): string {
  // The frame's record is its last paired message's; a message Wireshark never paired shows none.
  let last: HttpMessage | undefined;
  for (let i = c.http.length - 1; i >= 0 && !last; i--) if (!c.http[i].unpaired && !c.http[i].pairingNotShown) last = c.http[i];
  if (!last) return '';
  const x = c.pairing ?? last.exchange;
  return joinHttp(c, (m) => (m.unpaired || m.pairingNotShown ? undefined : pick(m, x)));
}

const header = (name: string): Extract => (c) => {
  if (c.httpHeaders.length === 0) return '';
  const out: string[] = [];
  for (const h of c.httpHeaders) {
    const v = headerValues(h, name).join(',');
    if (v !== '') out.push(v);
  }
  return out.join(',');
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

export const FIELDS: Record<string, Extract> = {
  'frame.number': (c) => c.p.frame,
  'frame.time_relative': (c) => (c.p.hasTs ? relTime(c.p.tsSec, c.p.tsNsec, c.first.sec, c.first.nsec) : ''),
  'frame.time_delta': (c) => (c.p.hasTs ? relTime(c.p.tsSec, c.p.tsNsec, c.prev.sec, c.prev.nsec) : ''),
  'frame.len': (c) => c.p.origLen,
  'frame.cap_len': (c) => c.p.capLen,
  'ip.src': (c) => (c.p.ipVersion === 4 ? c.p.ipSrc : ''),
  'ip.dst': (c) => (c.p.ipVersion === 4 ? c.p.ipDst : ''),
  'ipv6.src': (c) => (c.p.ipVersion === 6 ? c.p.ipSrc : ''),
  'ipv6.dst': (c) => (c.p.ipVersion === 6 ? c.p.ipDst : ''),
  'tcp.srcport': (c) => (c.p.tcp ? c.p.tcp.srcPort : ''),
  'tcp.dstport': (c) => (c.p.tcp ? c.p.tcp.dstPort : ''),
  'tcp.stream': ifTcp((c) => c.t!.conv.stream),
  'tcp.len': ifAnalysed((c) => c.p.tcp!.payloadLen),
  'tcp.seq': ifTcp((c) => (c.t!.bogus ? c.p.tcp!.seq : c.t!.seqRel)),
  'tcp.seq_raw': ifTcp((c) => c.p.tcp!.seq),
  'tcp.nxtseq': ifAnalysed((c) => c.t!.nextSeqRel),
  'tcp.ack': ifTcp((c) => (c.t!.bogus ? c.p.tcp!.ack : c.t!.ackRel)),
  'tcp.ack_raw': ifTcp((c) => c.p.tcp!.ack),
  'tcp.hdr_len': ifTcp((c) => c.p.tcp!.hdrLen),
  'tcp.flags': ifTcp((c) => '0x' + c.p.tcp!.flags.toString(16).padStart(4, '0')),
  'tcp.flags.str': ifTcp((c) => flagsString(c.p.tcp!.flags, !!(c.final?.accEcn && !(c.p.tcp!.flags & TH_SYN)))),
  'tcp.window_size_value': ifTcp((c) => c.p.tcp!.window),
  'tcp.window_size': ifTcp((c) => (c.t!.bogus ? c.p.tcp!.window : calculatedWindow(c))),
  'tcp.window_size_scalefactor': (c) => {
    if (!hasTcp(c) || c.p.tcp!.flags & TH_SYN) return '';
    const ws = finalFlows(c).fwd.winScale;
    return String(ws >= 0 ? 2 ** ws : ws);
  },
  'tcp.options.mss_val': (c) => (tcpOk(c) && c.p.tcp!.mss !== undefined ? c.p.tcp!.mss : ''),
  'tcp.options.wscale.shift': (c) => (tcpOk(c) && c.p.tcp!.wscale !== undefined ? c.p.tcp!.wscale : ''),
  'tcp.options.sack_perm': (c) => (tcpOk(c) ? optionHex(c, 4) : ''),
  'tcp.options.timestamp.tsval': (c) => (tcpOk(c) && c.p.tcp!.tsval !== undefined ? c.p.tcp!.tsval : ''),
  'tcp.options.sack_le': (c) => sackEdges(c, 0),
  'tcp.options.sack_re': (c) => sackEdges(c, 1),
  'tcp.completeness': ifTcp((c) => c.completeness),
  'tcp.analysis.acks_frame': (c) => (analysisOk(c) && c.t!.acksFrame ? c.t!.acksFrame : ''),
  'tcp.analysis.ack_rtt': (c) => (analysisOk(c) && c.t!.acksFrame && nonZero(c.t!.ackRtt) ? formatSeconds(c.t!.ackRtt) : ''),
  'tcp.analysis.initial_rtt': (c) => {
    if (!analysisOk(c) || !c.t!.hasTa) return '';
    const irtt = c.t!.conv.shownIrtt;
    return irtt && (irtt.sec !== 0 || irtt.nsec !== 0) ? formatSeconds(irtt) : '';
  },
  'tcp.analysis.bytes_in_flight': (c) => (analysisOk(c) && c.t!.bytesInFlight ? c.t!.bytesInFlight : ''),
  'tcp.analysis.push_bytes_sent': (c) => (analysisOk(c) && c.t!.pushBytesSent ? c.t!.pushBytesSent : ''),
  'tcp.analysis.retransmission': (c) =>
    // Fast and spurious retransmissions carry the plain retransmission item too.
    analysisOk(c) && c.t!.flags & (TA.RETRANSMISSION | TA.FAST_RETRANSMISSION | TA.SPURIOUS_RETRANSMISSION) ? '1' : '',
  'tcp.analysis.fast_retransmission': flag(TA.FAST_RETRANSMISSION),
  'tcp.analysis.spurious_retransmission': flag(TA.SPURIOUS_RETRANSMISSION),
  'tcp.analysis.out_of_order': flag(TA.OUT_OF_ORDER),
  'tcp.analysis.lost_segment': flag(TA.LOST_PACKET),
  'tcp.analysis.ack_lost_segment': flag(TA.ACK_LOST_PACKET),
  // Wireshark adds this item twice (once among the flags, once beside the duplicate-ACK count).
  'tcp.analysis.duplicate_ack': (c) => (analysisOk(c) && c.t!.dupAckNum && c.t!.flags & TA.DUPLICATE_ACK ? '1,1' : ''),
  'tcp.analysis.duplicate_ack_num': (c) => (analysisOk(c) && c.t!.dupAckNum ? c.t!.dupAckNum : ''),
  'tcp.analysis.duplicate_ack_frame': (c) => (analysisOk(c) && c.t!.dupAckNum ? c.t!.dupAckFrame : ''),
  'tcp.analysis.zero_window': flag(TA.ZERO_WINDOW),
  'tcp.analysis.zero_window_probe': flag(TA.ZERO_WINDOW_PROBE),
  'tcp.analysis.window_update': flag(TA.WINDOW_UPDATE),
  'tcp.analysis.window_full': flag(TA.WINDOW_FULL),
  'tcp.analysis.keep_alive': flag(TA.KEEP_ALIVE),
  'tcp.analysis.keep_alive_ack': flag(TA.KEEP_ALIVE_ACK),
  'tcp.reassembled_in': (c) => c.reassembledIn.join(','),
  'tcp.segment.count': (c) => c.segmentCount.join(','),
  'http.request.method': (c) => joinHttp(c, (m) => m.method),
  'http.request.uri': (c) => joinHttp(c, (m) => m.uri),
  'http.request.version': (c) => joinHttp(c, (m) => (m.isRequest ? m.version : undefined)),
  'http.host': header('host'),
  'http.user_agent': header('user-agent'),
  'http.response.code': (c) => joinHttp(c, (m) => m.code),
  'http.response.phrase': (c) => joinHttp(c, (m) => m.phrase),
  'http.content_length_header': header('content-length'),
  'http.content_type': header('content-type'),
  'http.server': header('server'),
  'http.connection': header('connection'),
  'http.last_modified': header('last-modified'),
  'http.cache_control': header('cache-control'),
  // Pairing fields: Wireshark keeps one request/response record per frame (the last message's),
  // so every message in a frame with several (pipelining) shows that record.
  'http.request_in': (c) => joinPaired(c, (m, x) => (m.isRequest ? undefined : x.request?.frame)),
  'http.response_in': (c) => joinPaired(c, (m, x) => (m.isRequest ? x.response?.frame : undefined)),
  'http.time': (c) =>
    joinPaired(c, (m, x) => {
      const rq = m.isRequest ? undefined : x.request;
      const rs = x.response;
      return rq && rs ? relTime(rs.tsSec, rs.tsNsec, rq.tsSec, rq.tsNsec) : undefined;
    }),
  'http.prev_request_in': (c) => joinPaired(c, (_, x) => x.prev?.request?.frame),
  'http.next_request_in': (c) => joinPaired(c, (_, x) => x.next?.request?.frame),
  'http.prev_response_in': (c) => joinPaired(c, (m, x) => (m.isRequest ? undefined : x.prev?.response?.frame)),
  'http.next_response_in': (c) => joinPaired(c, (m, x) => (m.isRequest ? undefined : x.next?.response?.frame)),
};

export const FIELD_NAMES: readonly string[] = Object.keys(FIELDS);

/**
 * What a field needs from a first pass over the whole capture (tshark -2): the conversation's
 * final state, the frame that completes a PDU, or the request/response pairing known later.
 * Every other field is known when its frame is read.
 */
export type FirstPassNeed = 'final' | 'reassembly' | 'pairing';
export const FIELD_NEEDS: Readonly<Record<string, FirstPassNeed[]>> = {
  'tcp.flags.str': ['final'],
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

function sackEdges(c: FieldContext, which: 0 | 1): string {
  if (!tcpOk(c) || !c.p.tcp!.sack) return '';
  // The receiver's base as the printing pass has it (tshark -2's second pass), else its final one.
  const rev = c.t!.dir1 ? c.t!.conv.flow2 : c.t!.conv.flow1;
  const base = rev.shownBaseSet ? rev.shownBase : finalFlows(c).rev.baseSeq;
  const out: number[] = [];
  const s = c.p.tcp!.sack;
  for (let i = which; i < s.length; i += 2) out.push((s[i] - base) >>> 0);
  return out.join(',');
}

/**
 * TCP conversation analysis, computed the way Wireshark 4.0 computes it with its default
 * preferences (relative sequence numbers, "analyze TCP sequence numbers", bytes in flight).
 *
 * Terms follow Wireshark's packet-tcp.c so the two can be read side by side:
 *  - a conversation has two flows; `fwd` is the flow of the current segment, `rev` the other;
 *  - `nextseq` is the highest sequence number seen + its length (RFC 9293 SND.NXT as observed);
 *  - `maxseqtobeacked` is the highest contiguous sequence number seen;
 *  - `lastack` is the last acknowledgement number sent on the flow.
 * Sequence comparisons are modulo 2^32 (RFC 9293 §3.4, "sequence number arithmetic"). Sequence
 * and acknowledgement numbers are kept as signed 32-bit integers (`x | 0`): the same values
 * modulo 2^32, but small integers to V8, so state updates never allocate a boxed number. Only
 * differences are printed, as unsigned values.
 */
import { Packet } from '../decode/packet';
import { Th } from '../decode/tcp';
import { Queue } from '../util/queue';
import { ConversationTable } from './table';
import { NsTime, nstimeDelta, nstimeDeltaInto } from '../util/time';

/**
 * Analysis flags (Wireshark's TCP_A_*), as a const enum for the per-packet code (numbers written
 * in place) and as the object TA for everyone else.
 */
export const enum Ta {
  RETRANSMISSION = 0x0001,
  LOST_PACKET = 0x0002,
  ACK_LOST_PACKET = 0x0004,
  KEEP_ALIVE = 0x0008,
  DUPLICATE_ACK = 0x0010,
  ZERO_WINDOW = 0x0020,
  ZERO_WINDOW_PROBE = 0x0040,
  ZERO_WINDOW_PROBE_ACK = 0x0080,
  KEEP_ALIVE_ACK = 0x0100,
  OUT_OF_ORDER = 0x0200,
  FAST_RETRANSMISSION = 0x0400,
  WINDOW_UPDATE = 0x0800,
  WINDOW_FULL = 0x1000,
  REUSED_PORTS = 0x2000,
  SPURIOUS_RETRANSMISSION = 0x4000,
}

export const TA = {
  RETRANSMISSION: Ta.RETRANSMISSION,
  LOST_PACKET: Ta.LOST_PACKET,
  ACK_LOST_PACKET: Ta.ACK_LOST_PACKET,
  KEEP_ALIVE: Ta.KEEP_ALIVE,
  DUPLICATE_ACK: Ta.DUPLICATE_ACK,
  ZERO_WINDOW: Ta.ZERO_WINDOW,
  ZERO_WINDOW_PROBE: Ta.ZERO_WINDOW_PROBE,
  ZERO_WINDOW_PROBE_ACK: Ta.ZERO_WINDOW_PROBE_ACK,
  KEEP_ALIVE_ACK: Ta.KEEP_ALIVE_ACK,
  OUT_OF_ORDER: Ta.OUT_OF_ORDER,
  FAST_RETRANSMISSION: Ta.FAST_RETRANSMISSION,
  WINDOW_UPDATE: Ta.WINDOW_UPDATE,
  WINDOW_FULL: Ta.WINDOW_FULL,
  REUSED_PORTS: Ta.REUSED_PORTS,
  SPURIOUS_RETRANSMISSION: Ta.SPURIOUS_RETRANSMISSION,
} as const;

/** Conversation completeness bits (tcp.completeness); the const enum is for per-packet code. */
export const enum Completeness {
  SYN = 1,
  SYN_ACK = 2,
  ACK = 4,
  DATA = 8,
  FIN = 16,
  RST = 32,
}
export const COMPLETENESS = { SYN: Completeness.SYN, SYN_ACK: Completeness.SYN_ACK, ACK: Completeness.ACK, DATA: Completeness.DATA, FIN: Completeness.FIN, RST: Completeness.RST } as const;

/** Wireshark stops remembering unacknowledged segments past this many per flow. */
const MAX_UNACKED_SEGMENTS = 10000;

export const seqLT = (a: number, b: number): boolean => ((a - b) | 0) < 0;
export const seqLE = (a: number, b: number): boolean => ((a - b) | 0) <= 0;
export const seqGT = (a: number, b: number): boolean => ((a - b) | 0) > 0;
const u32 = (x: number): number => x >>> 0;

/**
 * The unacknowledged segments of a flow (Wireshark's ual list), oldest first, five numbers per
 * segment in one flat array: an object per data segment would be an allocation per packet.
 */
export class UnackedSegments {
  /** [frame, seq, nextseq, tsSec, tsNsec] per segment; entries past `length` are spare room. */
  private d: number[] = [];
  length = 0;

  push(frame: number, seq: number, nextseq: number, tsSec: number, tsNsec: number): void {
    const d = this.d;
    const o = this.length++ * 5;
    if (o < d.length) {
      d[o] = frame;
      d[o + 1] = seq;
      d[o + 2] = nextseq;
      d[o + 3] = tsSec;
      d[o + 4] = tsNsec;
    } else {
      d.push(frame, seq, nextseq, tsSec, tsNsec);
    }
  }

  frame(i: number): number {
    return this.d[i * 5];
  }
  seq(i: number): number {
    return this.d[i * 5 + 1];
  }
  nextseq(i: number): number {
    return this.d[i * 5 + 2];
  }
  tsSec(i: number): number {
    return this.d[i * 5 + 3];
  }
  tsNsec(i: number): number {
    return this.d[i * 5 + 4];
  }
  setSeq(i: number, seq: number): void {
    this.d[i * 5 + 1] = seq;
  }

  /** Keep entry i at position j (j ≤ i) while compacting. */
  move(i: number, j: number): void {
    const d = this.d;
    for (let k = 0; k < 5; k++) d[j * 5 + k] = d[i * 5 + k];
  }

  /** Keep the first n entries; a mostly empty array gives back its memory (a closed connection keeps none). */
  truncate(n: number): void {
    this.length = n;
    if (this.d.length > 80 && n * 20 < this.d.length) this.d.length = n * 5;
  }
}

/** One direction of a conversation (Wireshark's tcp_flow_t). */
export class TcpFlow {
  baseSeq = 0;
  baseSeqSet = false;
  /** The base tshark -2 counts printed relative numbers from (second pass only; see TcpAnalyzer's firstPass). */
  shownBase = 0;
  shownBaseSet = false;
  /** Window scale shift; -1 unknown (handshake not seen), -2 no scaling in use. */
  winScale = -1;
  /** Last window advertised on this flow, already scaled. */
  window = 0xffffffff;
  nextseq = 0;
  nextseqFrame = 0;
  nextseqSec = 0;
  nextseqNsec = 0;
  maxseqtobeacked = 0;
  lastack = 0;
  lastackSec = 0;
  lastackNsec = 0;
  lastnondupack = 0;
  dupacknum = 0;
  lastSegmentFlags = 0;
  validBif = true;
  pushBytesSent = 0;
  pushSetLast = false;
  readonly segments = new UnackedSegments();
  finSeen = false;
  /** Bytes covered by the SACK blocks of this flow's latest segment (RFC 2018). */
  sackedBytes = 0;
  /** Address/port of the sender of this flow. */
  constructor(
    readonly addr: string,
    readonly port: number,
  ) {}
}

/** What a second pass reads of the first pass's conversation (TcpAnalyzer's `firstPass`). */
export interface FirstPassConversation {
  irtt: NsTime | undefined;
  synSeen: boolean;
  synSec: number;
  synNsec: number;
  flow1: { baseSeq: number; baseSeqSet: boolean };
  flow2: { baseSeq: number; baseSeqSet: boolean };
}

/** One TCP conversation (Wireshark's tcp_analysis). */
export class TcpConversation {
  readonly flow1: TcpFlow;
  readonly flow2: TcpFlow;
  completeness = 0;
  /** Initial RTT: latest SYN to the ACK that completes the handshake (undefined = unknown). */
  irtt: NsTime | undefined;
  /**
   * The iRTT tshark -2 shows on this conversation's frames: the first pass's, or, when that
   * found none, the one its second pass computes (see `TcpAnalyzer`'s `firstPass`).
   */
  shownIrtt: NsTime | undefined;
  shownSynSeen = false;
  shownSynSec = 0;
  shownSynNsec = 0;
  /** Accurate ECN negotiated in the handshake (the ACE counter replaces AE/CWR/ECE). */
  accEcn = false;
  accEcnSyn = false;
  synSec = 0;
  synNsec = 0;
  synSeen = false;
  /** First and last frame of the conversation. */
  firstFrame: number;
  lastFrame: number;
  /** Frame at which both sides had sent FIN, or a RST was seen (0 while open). */
  closedAt = 0;
  /** Hash of the addresses and ports, and the next conversation in the same table slot. */
  hash = 0;
  nextInTable: TcpConversation | undefined = undefined;
  /**
   * Per-conversation state of an application-layer analyzer (Wireshark's conversation proto
   * data). TCP analysis never reads it; it goes when the conversation is forgotten.
   */
  app: unknown = undefined;
  constructor(
    readonly stream: number,
    src: string,
    srcPort: number,
    dst: string,
    dstPort: number,
    frame: number,
  ) {
    this.flow1 = new TcpFlow(src, srcPort);
    this.flow2 = new TcpFlow(dst, dstPort);
    this.firstFrame = frame;
    this.lastFrame = frame;
  }
}

/** The conversation of a TCP segment quoted by an ICMP error, and tcp.completeness before the quote. */
export interface QuotedTcp {
  conv: TcpConversation;
  dir1: boolean;
  completenessBefore: number;
}

/** What the analysis says about one frame (Wireshark's tcp_acked, plus sequence numbers). */
export interface TcpFrameInfo {
  conv: TcpConversation;
  /** True when the frame travels flow1 (the direction of the conversation's first packet). */
  dir1: boolean;
  seqRel: number;
  ackRel: number;
  nextSeqRel: number;
  /** TA.* analysis flags. */
  flags: number;
  /** A tcp_acked record exists (Wireshark then prints the SEQ/ACK analysis subtree). */
  hasTa: boolean;
  acksFrame: number;
  /** Time from the acknowledged segment to this ACK (0 when acksFrame is 0); part of the reused record: copy it to keep it. */
  ackRtt: NsTime;
  bytesInFlight: number;
  pushBytesSent: number;
  dupAckNum: number;
  dupAckFrame: number;
  /** The header was too damaged to analyse (data offset < 5 words or beyond the segment). */
  bogus: boolean;
  /** tcp.completeness before this frame updated it. */
  completenessBefore: number;
}

/** Symmetric hash of a 4-tuple, kept to 30 bits (a small integer, which V8 stores without boxing). */
const tupleHash = (srcHash: number, dstHash: number, srcPort: number, dstPort: number): number =>
  (srcHash ^ dstHash ^ Math.imul(srcPort ^ dstPort, 0x9e3779b1) ^ (srcPort + dstPort)) & 0x3fffffff;

const isZeroTime = (t: NsTime | undefined): boolean => t === undefined || (t.sec === 0 && t.nsec === 0);

/** a < b with both read as unsigned 64-bit integers, as Wireshark holds these time differences. */
function ltUnsigned(a: number, b: number): boolean {
  if (a < 0) return b < 0 && a < b;
  return b < 0 || a < b;
}

function nsDelta(aSec: number, aNsec: number, bSec: number, bNsec: number): number {
  return (aSec - bSec) * 1e9 + (aNsec - bNsec);
}

/**
 * Assigns frames to conversations and analyses sequence numbers. Feed frames in capture order.
 * Memory: per-conversation state plus the unacknowledged segments of each flow.
 */
export class TcpAnalyzer {
  private readonly table = new ConversationTable();
  readonly conversations: TcpConversation[] = [];
  /**
   * @param keepList keep every conversation in `conversations` (else only the lookup table).
   * @param secondPass behave like Wireshark's second pass (tshark -2), where a conversation's
   *   first packet is no longer "new" when completeness is updated.
   */
  constructor(
    private readonly keepList = true,
    private readonly secondPass = false,
    /**
     * Forget a closed conversation this many frames after it closed (0 = never). Keeps memory
     * flat on long captures; a later packet on the same addresses then starts a new stream,
     * which tshark would not do — so `wirenote fields` never evicts.
     */
    private readonly evictClosedAfter = 0,
    /**
     * The first pass's conversations by stream, for a second pass: each conversation starts
     * with the first pass's iRTT and last SYN time, from which `shownIrtt` follows. (An array of
     * conversations, or a compact store with the same `at`: see fields/run.ts.)
     */
    private readonly firstPass?: { at(stream: number): FirstPassConversation | undefined },
  ) {}

  /** Closed conversations in closing order, waiting to be forgotten. */
  private readonly closed = new Queue<TcpConversation>();

  private evict(frame: number): void {
    for (let c = this.closed.peek(); c !== undefined && c.closedAt + this.evictClosedAfter < frame; c = this.closed.peek()) {
      this.table.remove(c);
      this.closed.shift();
    }
  }

  get streamCount(): number {
    return this.nextStream;
  }
  private nextStream = 0;

  private readonly info: TcpFrameInfo = {
    conv: undefined as unknown as TcpConversation, dir1: true, seqRel: 0, ackRel: 0, nextSeqRel: 0, flags: 0, hasTa: false, acksFrame: 0,
    ackRtt: { sec: 0, nsec: 0 }, bytesInFlight: 0, pushBytesSent: 0, dupAckNum: 0, dupAckFrame: 0, bogus: false, completenessBefore: 0,
  };

  /**
   * Analyse the next TCP frame (undefined for anything else). The returned record is reused by
   * the next call: copy what you keep.
   */
  analyze(p: Packet): TcpFrameInfo | undefined {
    const h = p.tcp;
    if (this.quoted !== undefined) this.quoted = undefined;
    if (!h || h.hdrCaptured < 20) {
      if (p.inner?.tcp && p.inner.tcp.hdrCaptured >= 20) this.analyzeQuoted(p);
      return undefined;
    }
    // Symmetric hash of the 4-tuple; its table slot is then searched by exact addresses and ports.
    // (Kept to 30 bits: a small integer, which V8 stores without boxing.)
    const hash = tupleHash(p.ipSrcHash, p.ipDstHash, h.srcPort, h.dstPort);
    let conv = this.table.find(hash, p.ipSrc, h.srcPort, p.ipDst, h.dstPort);
    let isNew = false;
    if (!conv) {
      conv = this.newConversation(hash, p.ipSrc, h.srcPort, p.ipDst, h.dstPort, p.frame, undefined);
      isNew = true;
    }
    let dir1 = conv.flow1.addr === p.ipSrc && conv.flow1.port === h.srcPort;
    let fwd = dir1 ? conv.flow1 : conv.flow2;
    const flags = h.flags;
    let taFlags = 0;

    // Port reuse: a new SYN whose ISN differs from the conversation's starts a new conversation.
    if (!isNew && (flags & (Th.SYN | Th.ACK)) === Th.SYN && fwd.baseSeqSet && (h.seq | 0) !== fwd.baseSeq) {
      conv = this.newConversation(hash, p.ipSrc, h.srcPort, p.ipDst, h.dstPort, p.frame, conv);
      isNew = true;
      dir1 = true;
      fwd = conv.flow1;
      taFlags |= Ta.REUSED_PORTS;
    }
    // A SYN-ACK whose sequence number is not the base this side had (guessed from its data, or
    // from the other side's acknowledgements) is flagged as reused ports too; Wireshark then
    // counts this side's relative numbers from the SYN-ACK.
    if (!isNew && (flags & (Th.SYN | Th.ACK)) === (Th.SYN | Th.ACK) && fwd.baseSeqSet && (h.seq | 0) !== fwd.baseSeq) {
      fwd.baseSeq = h.seq | 0;
      taFlags |= Ta.REUSED_PORTS;
    }
    conv.lastFrame = p.frame;
    const rev = dir1 ? conv.flow2 : conv.flow1;
    if (flags & Th.FIN) fwd.finSeen = true;
    if (!conv.closedAt && (flags & Th.RST || (fwd.finSeen && rev.finSeen))) {
      conv.closedAt = p.frame;
      if (this.evictClosedAfter) this.closed.push(conv);
    }
    if (this.evictClosedAfter) this.evict(p.frame);

    // One record, refilled for every frame (see `analyze`).
    const info = this.info;
    info.conv = conv;
    info.dir1 = dir1;
    info.seqRel = 0;
    info.ackRel = 0;
    info.nextSeqRel = 0;
    info.flags = 0;
    info.hasTa = false;
    info.acksFrame = 0;
    info.ackRtt.sec = 0;
    info.ackRtt.nsec = 0;
    info.bytesInFlight = 0;
    info.pushBytesSent = 0;
    info.dupAckNum = 0;
    info.dupAckFrame = 0;
    info.bogus = h.hdrLen < 20 || h.hdrLen > p.l4End - p.l4Offset;
    info.completenessBefore = conv.completeness;
    updateCompleteness(conv, flags, h.payloadLen, isNew && !this.secondPass);
    if (info.bogus) return info;

    // Window scale (RFC 7323 §2.2): only in effect when both SYNs carry the option.
    if (flags & Th.SYN) {
      if (h.wscale !== undefined) fwd.winScale = Math.min(h.wscale, 14);
      if (flags & Th.ACK) {
        if (h.wscale === undefined || rev.winScale === -2) {
          fwd.winScale = -2;
          rev.winScale = -2;
        }
      } else if (h.wscale === undefined) {
        // A SYN without the option: neither side may scale.
        fwd.winScale = -2;
        rev.winScale = -2;
      }
    }
    let window = h.window;
    if (!(flags & Th.SYN) && fwd.winScale >= 0) window = window * (1 << fwd.winScale); // ≤ 65535 × 2^14: exact

    // iRTT: the latest SYN → the first segment with ACK and without SYN after it (computed after
    // the sequence analysis, so that segment's own out-of-order test still uses 3 ms). Wireshark
    // keeps both as times where zero means "none": a SYN stamped 0 is not remembered and a zero
    // iRTT is computed again at the next ACK.
    const synOnly = (flags & (Th.SYN | Th.ACK)) === Th.SYN;
    if (synOnly && (p.tsSec !== 0 || p.tsNsec !== 0)) {
      conv.synSeen = conv.shownSynSeen = true;
      conv.synSec = conv.shownSynSec = p.tsSec;
      conv.synNsec = conv.shownSynNsec = p.tsNsec;
    }
    // Accurate ECN (RFC 9768): SYN with AE+CWR+ECE, answered by a SYN-ACK with an ACE code point.
    if (flags & Th.SYN) {
      const ace = (flags >> 6) & 7;
      if (!(flags & Th.ACK)) conv.accEcnSyn = ace === 7;
      else conv.accEcn = conv.accEcnSyn && ace !== 0 && ace !== 1 && ace !== 7;
    }

    let sacked = 0;
    if (h.sack) for (let i = 0; i + 1 < h.sack.length; i += 2) sacked += u32(h.sack[i + 1] - h.sack[i]);
    fwd.sackedBytes = sacked;
    // A SYN on a conversation that already has this side's base sequence number (its SYN-ACK or
    // data came first, or it is a repeated SYN) gets Wireshark's analysis record even without a
    // flag: the port-reuse check looks the frame up with "create" set.
    const synRecord = !isNew && (flags & (Th.SYN | Th.ACK)) === Th.SYN && fwd.baseSeqSet;
    this.analyzeSequence(p, h.seq | 0, h.ack | 0, h.payloadLen, flags, window, fwd, rev, info, taFlags, synRecord);
    if ((flags & (Th.SYN | Th.ACK)) === Th.ACK) {
      if (isZeroTime(conv.irtt) && conv.synSeen) conv.irtt = nstimeDelta(p.tsSec, p.tsNsec, conv.synSec, conv.synNsec);
      // Wireshark's second pass runs this test again with the first pass's last SYN time: a
      // conversation whose first pass found no iRTT gets one at its first such segment.
      if (isZeroTime(conv.shownIrtt) && conv.shownSynSeen) conv.shownIrtt = nstimeDelta(p.tsSec, p.tsNsec, conv.shownSynSec, conv.shownSynNsec);
    }
    let fwdBase = fwd.baseSeq;
    let revBase = rev.baseSeq;
    if (this.firstPass) {
      // tshark -2 prints relative numbers in its second pass, from the base each side had at the
      // end of the first; the SYN-ACK rule above runs again there and may move it back.
      if (!fwd.shownBaseSet && fwd.baseSeqSet) {
        fwd.shownBase = fwd.baseSeq;
        fwd.shownBaseSet = true;
      } else if ((flags & (Th.SYN | Th.ACK)) === (Th.SYN | Th.ACK) && (h.seq | 0) !== fwd.shownBase) {
        fwd.shownBase = h.seq | 0;
      }
      if (!rev.shownBaseSet && rev.baseSeqSet) {
        rev.shownBase = rev.baseSeq;
        rev.shownBaseSet = true;
      }
      fwdBase = fwd.shownBase;
      revBase = rev.shownBase;
    }
    info.seqRel = u32(h.seq - fwdBase);
    // Without the ACK flag tshark shows the field as it is (usually 0), not relative.
    info.ackRel = flags & Th.ACK ? u32(h.ack - revBase) : u32(h.ack);
    const nxt = h.seq + h.payloadLen + (flags & (Th.SYN | Th.FIN) ? 1 : 0);
    info.nextSeqRel = u32(nxt - fwdBase);
    return info;
  }

  /**
   * The TCP segment an ICMP error quotes, as Wireshark dissects it inside the error: it finds (or
   * starts) its conversation and adds to its completeness, but is not analysed (no sequence
   * analysis, no relative numbers, no segment length).
   */
  private analyzeQuoted(p: Packet): void {
    const q = p.inner!;
    const h = q.tcp!;
    const hash = tupleHash(q.ipSrcHash, q.ipDstHash, h.srcPort, h.dstPort);
    let conv = this.table.find(hash, q.ipSrc, h.srcPort, q.ipDst, h.dstPort);
    let isNew = false;
    if (!conv) {
      conv = this.newConversation(hash, q.ipSrc, h.srcPort, q.ipDst, h.dstPort, p.frame, undefined);
      isNew = true;
    }
    let dir1 = conv.flow1.addr === q.ipSrc && conv.flow1.port === h.srcPort;
    const fwd = dir1 ? conv.flow1 : conv.flow2;
    if (!isNew && (h.flags & (Th.SYN | Th.ACK)) === Th.SYN && fwd.baseSeqSet && (h.seq | 0) !== fwd.baseSeq) {
      conv = this.newConversation(hash, q.ipSrc, h.srcPort, q.ipDst, h.dstPort, p.frame, conv);
      isNew = true;
      dir1 = true;
    }
    conv.lastFrame = p.frame;
    const completenessBefore = conv.completeness;
    updateCompleteness(conv, h.flags, 0, isNew && !this.secondPass);
    this.quoted = { conv, dir1, completenessBefore };
  }

  /** The conversation of the TCP segment the last analysed frame's ICMP error quotes (undefined for any other frame). */
  quoted: QuotedTcp | undefined = undefined;

  /** A new conversation; on port reuse it replaces `old`, the one on the same addresses and ports. */
  private newConversation(hash: number, src: string, srcPort: number, dst: string, dstPort: number, frame: number, old: TcpConversation | undefined): TcpConversation {
    if (old) this.table.remove(old);
    const conv = new TcpConversation(this.nextStream++, src, srcPort, dst, dstPort, frame);
    conv.hash = hash;
    const first = this.firstPass?.at(conv.stream);
    if (first) {
      conv.shownIrtt = first.irtt;
      conv.flow1.shownBase = first.flow1.baseSeq;
      conv.flow1.shownBaseSet = first.flow1.baseSeqSet;
      conv.flow2.shownBase = first.flow2.baseSeq;
      conv.flow2.shownBaseSet = first.flow2.baseSeqSet;
      conv.shownSynSeen = first.synSeen;
      conv.shownSynSec = first.synSec;
      conv.shownSynNsec = first.synNsec;
    }
    this.table.add(conv);
    if (this.keepList) this.conversations.push(conv);
    return conv;
  }

  /** Wireshark's tcp_analyze_sequence_number(), condition for condition. */
  private analyzeSequence(
    p: Packet,
    seq: number,
    ack: number,
    seglen: number,
    flags: number,
    window: number,
    fwd: TcpFlow,
    rev: TcpFlow,
    info: TcpFrameInfo,
    initialFlags: number,
    record: boolean,
  ): void {
    let ta = initialFlags;
    let hasTa = initialFlags !== 0 || record;

    // The ISN of this flow: from the SYN, else assume the first segment we see is byte 1.
    if (!fwd.baseSeqSet) {
      fwd.baseSeq = flags & Th.SYN ? seq : (seq - 1) | 0;
      fwd.baseSeqSet = true;
    }
    // The other flow's ISN from the first ACK we see (usually the SYN/ACK's ack - 1).
    if (!rev.baseSeqSet && flags & Th.ACK) {
      rev.baseSeq = (ack - 1) | 0;
      rev.baseSeqSet = true;
    }
    if (flags & Th.ACK) rev.validBif = true;

    const noSFR = (flags & (Th.SYN | Th.FIN | Th.RST)) === 0;
    finishedFwd: {
      // Zero window probe: one byte at the next expected sequence number into a closed window.
      if (seglen === 1 && seq === fwd.nextseq && rev.window === 0) {
        ta |= Ta.ZERO_WINDOW_PROBE;
        hasTa = true;
        break finishedFwd;
      }
      // Zero window: window 0 on a segment that is not SYN/FIN/RST.
      if (window === 0 && noSFR) {
        ta |= Ta.ZERO_WINDOW;
        hasTa = true;
      }
      // Previous segment not captured: sequence number beyond what we expected.
      if (fwd.nextseq && seqGT(seq, fwd.nextseq) && (flags & Th.RST) === 0) {
        ta |= Ta.LOST_PACKET;
        hasTa = true;
        fwd.validBif = false;
      }
      // Keep-alive: 0 or 1 byte starting one byte before the next expected sequence number.
      if ((seglen === 0 || seglen === 1) && seq === ((fwd.nextseq - 1) | 0) && noSFR) {
        ta |= Ta.KEEP_ALIVE;
        hasTa = true;
      }
      // Window update: no data, same seq/ack, a different non-zero window.
      if (seglen === 0 && window && window !== fwd.window && seq === fwd.nextseq && ack === fwd.lastack && noSFR) {
        ta |= Ta.WINDOW_UPDATE;
        hasTa = true;
      }
      // Window full: data that fills the receiver's advertised window exactly.
      if (seglen > 0 && rev.winScale !== -1 && ((seq + seglen) | 0) === ((rev.lastack + rev.window) | 0) && noSFR) {
        ta |= Ta.WINDOW_FULL;
        hasTa = true;
      }
      // Keep-alive ACK: repeats the previous ACK after a keep-alive from the other side.
      if (seglen === 0 && window && window === fwd.window && seq === fwd.nextseq && ack === fwd.lastack && rev.lastSegmentFlags & Ta.KEEP_ALIVE && noSFR) {
        ta |= Ta.KEEP_ALIVE_ACK;
        hasTa = true;
        break finishedFwd;
      }
      // Zero window probe ACK.
      if (seglen === 0 && window === 0 && window === fwd.window && seq === fwd.nextseq && ack === fwd.lastack && rev.lastSegmentFlags & Ta.ZERO_WINDOW_PROBE && noSFR) {
        ta |= Ta.ZERO_WINDOW_PROBE_ACK;
        hasTa = true;
        break finishedFwd;
      }
      // Duplicate ACK: no data, same window, seq and ack as the previous segment.
      if (seglen === 0 && window && window === fwd.window && seq === fwd.nextseq && ack === fwd.lastack && noSFR) {
        fwd.dupacknum = fwd.dupacknum === -1 ? 1 : fwd.dupacknum + 1; // -1: see "ACKed segment that wasn't captured"
        ta |= Ta.DUPLICATE_ACK;
        hasTa = true;
        info.dupAckNum = fwd.dupacknum;
        info.dupAckFrame = fwd.lastnondupack;
      }
    }
    // A changed ACK number resets the duplicate-ACK count.
    if (ack !== fwd.lastack) {
      fwd.lastnondupack = p.frame;
      fwd.dupacknum = 0;
    }
    // ACKed segment that wasn't captured: acknowledges beyond anything seen from the other side.
    // Said once per gap: the boundary jumps to the highest sequence number seen, and while the
    // other side sends only pure ACKs, its dupacknum = -1 remembers that it was already said.
    if (rev.maxseqtobeacked && seqGT(ack, rev.maxseqtobeacked) && flags & Th.ACK) {
      hasTa = true;
      if (seqGT(rev.nextseq, rev.maxseqtobeacked)) {
        rev.maxseqtobeacked = rev.nextseq;
        ta |= Ta.ACK_LOST_PACKET;
      } else {
        if (rev.dupacknum === 0) ta |= Ta.ACK_LOST_PACKET;
        rev.dupacknum = -1;
      }
    }

    // Retransmission, fast retransmission, spurious retransmission, out-of-order.
    if (seglen > 0 || flags & (Th.SYN | Th.FIN)) {
      let seqNotAdvanced = fwd.nextseq !== 0 && seqLT(seq, fwd.nextseq);
      // New data that starts one byte early (after a zero window probe or keep-alive took that
      // byte) is not a retransmission; Wireshark still lets it be a spurious one.
      if (seglen > 1 && ((fwd.nextseq - 1) | 0) === seq) seqNotAdvanced = false;
      classify: {
        if (ta & Ta.KEEP_ALIVE) break classify;
        // Spurious retransmission: all of it was already acknowledged (checked first, as
        // Wireshark 4.0 does: a fast retransmission starts at the acknowledged edge, so the two
        // never compete, but an out-of-order test would otherwise win).
        if (seglen > 0 && rev.lastack && seqLE(seq + seglen, rev.lastack)) {
          ta |= Ta.SPURIOUS_RETRANSMISSION;
          hasTa = true;
          break classify;
        }
        // Fast retransmission: ≥2 duplicate ACKs asked for exactly this segment within 20 ms.
        // (Wireshark holds these differences in unsigned 64-bit integers: negative is "huge";
        // its duplicate-ACK counter is unsigned too, so the -1 of "ACKed segment that wasn't
        // captured" counts as many.)
        let t = nsDelta(p.tsSec, p.tsNsec, rev.lastackSec, rev.lastackNsec);
        if (seqNotAdvanced && (rev.dupacknum >= 2 || rev.dupacknum === -1) && rev.lastack === seq && t >= 0 && t < 20000000) {
          ta |= Ta.FAST_RETRANSMISSION;
          hasTa = true;
          break classify;
        }
        // Out-of-order: arrives soon (< iRTT, or 3 ms) after the highest segment and fills a hole.
        t = nsDelta(p.tsSec, p.tsNsec, fwd.nextseqSec, fwd.nextseqNsec);
        const conv = info.conv;
        const oooThreshold = isZeroTime(conv.irtt) ? 3000000 : conv.irtt!.sec * 1e9 + conv.irtt!.nsec;
        if (seqNotAdvanced && ltUnsigned(t, oooThreshold) && fwd.nextseq !== ((seq + seglen + (flags & (Th.SYN | Th.FIN) ? 1 : 0)) | 0)) {
          ta |= Ta.OUT_OF_ORDER;
          hasTa = true;
          break classify;
        }
        if (seqNotAdvanced) {
          ta |= Ta.RETRANSMISSION;
          hasTa = true;
        }
      }
    }

    let nextseq = (seq + seglen) | 0;
    if ((seglen || flags & (Th.SYN | Th.FIN)) && fwd.segments.length < MAX_UNACKED_SEGMENTS) {
      if (flags & (Th.SYN | Th.FIN)) nextseq = (nextseq + 1) | 0;
      fwd.segments.push(p.frame, seq, nextseq, p.tsSec, p.tsNsec);
    } else if (flags & (Th.SYN | Th.FIN)) {
      nextseq = (nextseq + 1) | 0;
    }

    // Highest sequence number seen (a zero-window probe does not advance it).
    if (seqGT(nextseq, fwd.nextseq) || !fwd.nextseq) {
      if (!(ta & Ta.ZERO_WINDOW_PROBE)) {
        fwd.nextseq = nextseq;
        fwd.nextseqFrame = p.frame;
        fwd.nextseqSec = p.tsSec;
        fwd.nextseqNsec = p.tsNsec;
      }
    }
    // Highest contiguous sequence number seen.
    if (seq === fwd.maxseqtobeacked || !fwd.maxseqtobeacked) {
      if (!(ta & Ta.ZERO_WINDOW_PROBE)) fwd.maxseqtobeacked = fwd.nextseq;
    }

    fwd.window = window;
    fwd.lastack = ack;
    fwd.lastackSec = p.tsSec;
    fwd.lastackNsec = p.tsNsec;
    fwd.lastSegmentFlags = hasTa ? ta : 0;

    // Remove the segments this ACK acknowledges; an exact match gives acks_frame and the RTT.
    // Wireshark walks its list newest first and the last match wins: that is the oldest match.
    const segs = rev.segments;
    const count = segs.length;
    let kept = 0;
    let matched = false;
    for (let i = 0; i < count; i++) {
      const sNext = segs.nextseq(i);
      if (ack === sNext) {
        hasTa = true;
        if (!matched) {
          matched = true;
          info.acksFrame = segs.frame(i);
          nstimeDeltaInto(info.ackRtt, p.tsSec, p.tsNsec, segs.tsSec(i), segs.tsNsec(i));
        }
        continue; // acknowledged: dropped
      }
      if (seqGT(ack, segs.seq(i)) && seqLE(ack, sNext)) segs.setSeq(i, ack); // partially acknowledged
      else if (!seqGT(sNext, ack)) continue; // acknowledged: dropped
      if (kept !== i) segs.move(i, kept);
      kept++;
    }
    if (kept !== count) segs.truncate(kept);

    // Bytes in flight after this segment (only for segments carrying data).
    const own = fwd.segments;
    if (seglen !== 0 && own.length && fwd.validBif) {
      const n = own.length - 1; // Wireshark starts from the newest segment
      // Relative numbers compared as plain unsigned integers (not modulo 2^32), as Wireshark
      // does: a segment from before the base (captured ahead of the SYN) counts as far away.
      let first = u32(own.seq(n) - fwd.baseSeq);
      let last = u32(own.nextseq(n) - fwd.baseSeq);
      for (let i = 0; i <= n; i++) {
        const a = u32(own.seq(i) - fwd.baseSeq);
        const b = u32(own.nextseq(i) - fwd.baseSeq);
        if (a < first) first = a;
        if (b > last) last = b;
      }
      // The SYN/FIN sequence number this segment consumes is not a byte in flight, nor are bytes
      // the receiver reported in its latest SACK blocks (Wireshark counts D-SACK blocks too).
      let inFlight = u32(last - first);
      if (flags & (Th.SYN | Th.FIN)) inFlight = u32(inFlight - 1);
      inFlight = u32(inFlight - rev.sackedBytes);
      if (inFlight > 0 && inFlight < 2000000000) {
        hasTa = true;
        info.bytesInFlight = inFlight;
      }
      if (flags & Th.PUSH && !fwd.pushSetLast) {
        fwd.pushBytesSent += seglen;
        fwd.pushSetLast = true;
      } else if (flags & Th.PUSH && fwd.pushSetLast) {
        fwd.pushBytesSent = seglen;
        fwd.pushSetLast = true;
      } else if (fwd.pushSetLast) {
        fwd.pushBytesSent = seglen;
        fwd.pushSetLast = false;
      } else {
        fwd.pushBytesSent += seglen;
      }
      // Shown only when this frame already has an analysis record (tshark leaves it out
      // when, e.g., SACKed bytes brought bytes in flight to zero).
      if (hasTa) info.pushBytesSent = fwd.pushBytesSent;
    }
    info.flags = ta;
    info.hasTa = hasTa;
  }
}

/**
 * tcp.completeness. Wireshark records SYN only on a conversation's first packet and, on every
 * later packet, SYN-ACK / ACK / DATA / FIN / RST.
 */
function updateCompleteness(conv: TcpConversation, flags: number, seglen: number, isNew: boolean): void {
  if (isNew) {
    if ((flags & (Th.SYN | Th.ACK)) === Th.SYN) conv.completeness |= Completeness.SYN;
    return;
  }
  conv.completeness |= completenessBits(flags, seglen);
}

export function completenessBits(flags: number, seglen: number): number {
  let c = 0;
  if ((flags & (Th.SYN | Th.ACK)) === (Th.SYN | Th.ACK)) c |= Completeness.SYN_ACK;
  else if ((flags & (Th.SYN | Th.ACK)) === Th.ACK) c |= seglen > 0 ? Completeness.DATA : Completeness.ACK;
  // Wireshark counts a FIN only with ACK set (a SYN+FIN or a bare FIN adds nothing).
  if ((flags & (Th.FIN | Th.ACK)) === (Th.FIN | Th.ACK)) c |= Completeness.FIN;
  if (flags & Th.RST) c |= Completeness.RST;
  return c;
}

/**
 * TCP stream reassembly for an application-layer dissector, following the model of Wireshark's
 * desegment_tcp(): the dissector looks at a segment's payload and either consumes whole messages
 * or says "I need N more bytes / one more segment / everything until FIN". The missing bytes are
 * then collected into a multi-segment PDU (MSP) keyed by its first sequence number, and the
 * dissector is called again, once, in the frame that completes it.
 *
 * Out-of-order segments are not reordered (Wireshark 4.0's default): a gap simply never completes.
 */
import { seqGT, seqLT } from './analysis';

export const ONE_MORE_SEGMENT = -1;
export const UNTIL_FIN = -2;

export interface SubdissectorResult {
  desegmentOffset: number;
  desegmentLen: number;
  /**
   * With a byte count: the missing bytes need only be counted, not kept (e.g. a Content-Length
   * body nobody asked to keep), because the dissector already took what it needs from the bytes
   * it saw — and kept that here. The PDU then holds no bytes at all; when it completes, this
   * value is handed back instead of data.
   */
  pending?: object;
  /**
   * With "one more segment": where the dissector's scan of the waiting message stopped, relative
   * to the message (at `desegmentOffset`). It is handed back with the next call for the same
   * message, so that a message arriving a few bytes per segment is read once, not once per segment.
   */
  resume?: object;
  /**
   * The dissector ran past the end of the data (an exception in Wireshark): nothing more of this
   * segment is dissected, and the PDU's segments are not listed in the frame that completed it.
   */
  threw?: boolean;
}

/**
 * The application-layer dissector. `data` is a complete segment payload or a reassembled PDU of
 * `length` bytes; `frame` is where it is dissected; `endOfStream` is true when the data ends with
 * a FIN. For a count-only PDU `data` is empty and `pending` is what the dissector asked to keep.
 * `resume` is what the last call for the same waiting message returned, that message starting at
 * `resumeAt` in `data`.
 */
export type Subdissector = (data: Buffer, length: number, frame: number, endOfStream: boolean, pending?: object, resume?: object, resumeAt?: number) => SubdissectorResult;

export interface ReassemblyEvents {
  /**
   * A PDU was completed in `finalFrame` from `segmentCount` segments; `frames` are the other
   * frames that carried (or retransmitted) its bytes.
   */
  onReassembled(frames: number[], finalFrame: number, segmentCount: number): void;
  /** A retransmitted segment belongs to a PDU already completed in `finalFrame`. */
  onRetransmittedSegment(frame: number, finalFrame: number): void;
}

interface Fragment {
  off: number;
  len: number;
  /** A copy of the bytes (the capture reader reuses its buffers); absent in a count-only PDU. */
  data?: Buffer;
  frame: number;
}

interface Msp {
  seq: number;
  nxtpdu: number;
  /** Frame of every fragment, in arrival order. */
  frames: number[];
  /** The fragments whose bytes are kept (none in a count-only PDU). */
  fragments: Fragment[];
  /** Length once the last fragment is known (more_frags = false). */
  totLen: number;
  entireSegment: boolean;
  done: boolean;
  /** Frames that only retransmitted the first segment (no new bytes). */
  extraFrames: number[];
  finalFrame: number;
  /** Bytes from the start that are present without a gap. */
  covered: number;
  /** Fragments beyond a gap. */
  ahead: Fragment[];
  /** Count-only PDU: no bytes are kept; this is handed to the dissector instead (SubdissectorResult.pending). */
  pending: object | undefined;
  /**
   * The bytes assembled so far, with room to grow, and how many fragments are already in it. A
   * PDU that asks for "one more segment" again and again (binary data without a line end) is
   * then assembled in linear time, not by copying every fragment again for each new one.
   */
  assembled: Buffer | undefined;
  applied: number;
  /** A fragment was cut at the PDU's end when applied: assemble afresh if the PDU grows. */
  cut: boolean;
  /** The dissector's scan of the message waiting at `resumeAt` (SubdissectorResult.resume). */
  resume: object | undefined;
  resumeAt: number;
  /** Last frame in which the PDU was reassembled and the dissector asked for one more segment (0: none since). */
  attempt: number;
}

/** What a finished PDU keeps, and a PDU nobody tracks frames for (never written to). */
const NO_FRAMES: number[] = [];
const NO_FRAGMENTS: Fragment[] = [];
const NO_BYTES = Buffer.alloc(0);

/** Larger PDUs are not reassembled (Wireshark's limit for one desegmentation request). */
const MAX_DESEGMENT = 1024 * 1024;
const UNTIL_FIN_SPAN = 0x0ffffffe;

/** Reassembly state of one direction of one connection. */
export class FlowReassembler {
  /** Pending and recently finished PDUs, ordered by their first sequence number. */
  private msps: Msp[] = [];
  /** The current segment is out of order or a fast retransmission: it adds nothing to a finished PDU. */
  private quiet = false;
  private untilFin = false;
  private finFrame = 0;

  /** Without `events` nobody is told which frames made up a PDU, so they are not tracked either. */
  constructor(
    private readonly dissect: Subdissector,
    private readonly events?: ReassemblyEvents,
  ) {}

  /**
   * Process one segment's payload, `len` bytes at `buf[start]` (none for a bare FIN). The bytes
   * are only read during the call.
   */
  segment(frame: number, seq: number, buf: Buffer, start: number, len: number, fin: boolean, outOfOrder = false, fastRetransmission = false): void {
    this.quiet = outOfOrder || fastRetransmission;
    if (fin && this.untilFin && (this.finFrame === 0 || this.finFrame === frame)) {
      this.finFrame = frame;
      const msp = this.lookupLE(u32(seq - 1));
      if (msp && !msp.done) {
        this.addFragment(msp, frame, u32(seq - msp.seq), buf, start, len, false);
        if (this.complete(msp)) {
          this.finish(msp, frame, true);
          return;
        }
      }
    }
    if (len) this.desegment(frame, seq, buf, start, start + len, outOfOrder);
    if (fin && !this.untilFin) {
      // Nothing can complete after the sender's FIN: let go of the PDUs still waiting.
      for (const m of this.msps) if (!m.done) this.abandon(m);
      this.msps = this.msps.filter((m) => m.done);
    }
  }

  /** The end of the capture (or of the connection's state): PDUs still waiting will never complete. */
  end(): void {
    for (const m of this.msps) if (!m.done) this.abandon(m);
    this.msps = [];
  }

  /**
   * A PDU that will never complete. If it was last reassembled and found to need one more
   * segment, Wireshark's fragment table keeps the frame of that attempt and shows it as
   * "Reassembled PDU in frame" on the PDU's first segment only.
   */
  private abandon(m: Msp): void {
    if (m.attempt && this.events && m.frames.length) this.events.onReassembled([m.frames[0]], m.attempt, 0);
    m.attempt = 0;
  }

  /**
   * An out-of-order segment still fills its place in a pending PDU, but (as in Wireshark 4.0,
   * whose "reassemble out-of-order segments" is off) no dissector runs on it.
   */
  private desegment(frame: number, seq: number, buf: Buffer, pos: number, end: number, outOfOrder: boolean): void {
    for (;;) {
      const remaining = end - pos;
      if (remaining <= 0) return;
      const nxtseq = u32(seq + remaining);

      // A segment that starts exactly where an MSP starts is a retransmission of its first
      // segment; otherwise it falls into the MSP with the largest start ≤ seq. The list is ordered
      // by start, so a segment past the newest MSP's start needs no search (the usual case: the
      // next segment of the PDU being collected); else one pass finds either.
      let exact: Msp | undefined;
      let msp: Msp | undefined;
      const msps = this.msps;
      const newest = msps.length ? msps[msps.length - 1] : undefined;
      if (newest !== undefined && seqGT(seq, newest.seq)) {
        msp = newest;
      } else {
        for (let i = 0; i < msps.length; i++) {
          const m = msps[i];
          if (m.seq === seq) {
            exact = m;
            break;
          }
          if (seqLT(m.seq, seq) && (msp === undefined || seqGT(m.seq, msp.seq))) msp = m;
        }
      }
      if (exact) {
        if (this.events) {
          if (exact.done && !this.quiet) this.events.onRetransmittedSegment(frame, exact.finalFrame);
          else if (!exact.done && !exact.frames.includes(frame)) {
            if (exact.extraFrames === NO_FRAMES) exact.extraFrames = [];
            exact.extraFrames.push(frame);
          }
        }
        return;
      }

      let anotherPduFollows = 0;
      let deseg: SubdissectorResult | undefined;
      let desegBase = pos; // where in buf the data handed to the dissector starts
      if (msp && msp.done && seqLT(seq, msp.nxtpdu)) {
        if (!this.quiet) this.events?.onRetransmittedSegment(frame, msp.finalFrame);
        return;
      }
      if (msp && !msp.done && seqLT(seq, msp.nxtpdu)) {
        const len = msp.entireSegment ? remaining : Math.min(u32(nxtseq - seq), u32(msp.nxtpdu - seq));
        const more = seqLT(nxtseq, msp.nxtpdu) && !msp.entireSegment;
        this.addFragment(msp, frame, u32(seq - msp.seq), buf, pos, len, more);
        if (msp.entireSegment) {
          msp.entireSegment = false;
          msp.nxtpdu = nxtseq;
        }
        if (seqLT(msp.nxtpdu, nxtseq) && !seqLT(msp.nxtpdu, seq) && len > 0) anotherPduFollows = u32(msp.nxtpdu - seq);
        if (!this.complete(msp)) return; // a middle segment: nothing to dissect yet
        if (outOfOrder) {
          this.finish(msp, frame, false);
          return;
        }
        const r = this.dissect(this.assemble(msp), msp.totLen, frame, false, msp.pending, msp.resume, msp.resumeAt);
        const lastLen = len;
        const oldLen = msp.totLen - lastLen;
        // (A count-only PDU cannot grow: its bytes are gone. Its dissector never asks.)
        if (r.desegmentLen !== 0 && r.desegmentOffset <= oldLen && msp.pending === undefined) {
          // Still incomplete: extend the MSP (Wireshark's partial reassembly).
          msp.totLen = -1;
          msp.resume = r.resume;
          msp.resumeAt = r.desegmentOffset;
          // (Wireshark's fragment table then shows this frame on the PDU's first segment if it never completes.)
          msp.attempt = r.desegmentLen === ONE_MORE_SEGMENT ? frame : 0;
          if (r.desegmentLen === ONE_MORE_SEGMENT) {
            msp.nxtpdu = u32(seq + remaining + 1);
            msp.entireSegment = true;
          } else if (r.desegmentLen === UNTIL_FIN) {
            this.untilFin = true;
            msp.nxtpdu = u32(nxtseq + UNTIL_FIN_SPAN);
          } else {
            msp.nxtpdu = u32(seq + lastLen + r.desegmentLen);
          }
          pos += lastLen;
          seq = u32(seq + lastLen);
          continue;
        }
        this.finish(msp, frame, false, r.threw);
        if (r.threw) return;
        if (r.desegmentLen !== 0) {
          // The reassembled data completed one PDU and started another at its end.
          const fromEnd = msp.totLen - r.desegmentOffset;
          deseg = { desegmentOffset: 0, desegmentLen: r.desegmentLen, pending: r.pending, resume: r.resume };
          desegBase = pos + lastLen - fromEnd;
        }
      } else {
        if (outOfOrder) return;
        const r = this.dissect(buf.subarray(pos, end), remaining, frame, false);
        if (r.threw) return;
        if (r.desegmentLen !== 0) {
          deseg = r;
          desegBase = pos + r.desegmentOffset;
        }
      }

      if (deseg) {
        const desegSeq = u32(seq + (desegBase - pos));
        if (u32(nxtseq - desegSeq) <= MAX_DESEGMENT) {
          let nxtpdu: number;
          let entire = false;
          if (deseg.desegmentLen === ONE_MORE_SEGMENT) {
            nxtpdu = u32(nxtseq + 1);
            entire = true;
          } else if (deseg.desegmentLen === UNTIL_FIN) {
            this.untilFin = true;
            nxtpdu = u32(nxtseq + UNTIL_FIN_SPAN);
          } else {
            nxtpdu = u32(nxtseq + deseg.desegmentLen);
          }
          const pending = deseg.desegmentLen > 0 ? deseg.pending : undefined;
          const m: Msp = { seq: desegSeq, nxtpdu, frames: this.events ? [] : NO_FRAMES, fragments: pending === undefined ? [] : NO_FRAGMENTS, totLen: -1, entireSegment: entire, done: false, extraFrames: NO_FRAMES, finalFrame: 0, covered: 0, ahead: NO_FRAGMENTS, pending, assembled: undefined, applied: 0, cut: false, resume: deseg.resume, resumeAt: 0, attempt: 0 };
          // Keep the list ordered by start (it nearly always goes at the end).
          let at = this.msps.length;
          while (at > 0 && !seqLT(this.msps[at - 1].seq, m.seq)) at--;
          if (at === this.msps.length) this.msps.push(m);
          else this.msps.splice(at, 0, m);
          this.addFragment(m, frame, 0, buf, desegBase, end - desegBase, seqLT(nxtseq, nxtpdu));
        }
        return;
      }
      if (anotherPduFollows) {
        pos += anotherPduFollows;
        seq = u32(seq + anotherPduFollows);
        continue;
      }
      return;
    }
  }

  /** The MSP with the largest start ≤ seq (Wireshark's wmem_tree_lookup32_le). */
  private lookupLE(seq: number): Msp | undefined {
    let best: Msp | undefined;
    const msps = this.msps;
    for (let i = 0; i < msps.length; i++) {
      const m = msps[i];
      if (!seqGT(m.seq, seq) && (!best || seqGT(m.seq, best.seq))) best = m;
    }
    return best;
  }

  /**
   * Keep a fragment: its bytes are copied (they are a view of a buffer the capture reader will
   * reuse), except in a count-only PDU. `covered` tracks the contiguous prefix.
   */
  private addFragment(m: Msp, frame: number, off: number, buf: Buffer, start: number, len: number, more: boolean): void {
    if (this.events) m.frames.push(frame);
    let f: Fragment | undefined;
    if (m.pending === undefined) {
      const data = Buffer.allocUnsafe(len);
      buf.copy(data, 0, start, start + len);
      f = { off, len, frame, data };
      m.fragments.push(f);
    }
    if (!more) m.totLen = off + len;
    if (off <= m.covered) {
      m.covered = Math.max(m.covered, off + len);
      // Absorb fragments that arrived ahead of a gap the new one filled.
      for (let grew = true; grew && m.ahead.length; ) {
        grew = false;
        for (let i = 0; i < m.ahead.length; i++) {
          const f = m.ahead[i];
          if (f.off <= m.covered) {
            m.covered = Math.max(m.covered, f.off + f.len);
            m.ahead.splice(i, 1);
            grew = true;
            break;
          }
        }
      }
    } else {
      if (m.ahead === NO_FRAGMENTS) m.ahead = [];
      m.ahead.push(f ?? { off, len, frame });
    }
  }

  private complete(m: Msp): boolean {
    return m.totLen >= 0 && m.covered >= m.totLen;
  }

  /** The PDU's bytes (none for a count-only PDU): every fragment copied in arrival order, later bytes over earlier ones. */
  private assemble(m: Msp): Buffer {
    if (m.pending !== undefined) return NO_BYTES;
    const total = m.totLen; // every byte is covered by a fragment
    let out = m.assembled;
    if (out === undefined || out.length < total || m.cut) {
      // Grow by doubling; bytes from fragments already applied carry over (unless one was cut).
      const grown = Buffer.allocUnsafe(out === undefined ? total : Math.max(total, out.length * 2));
      if (out !== undefined && !m.cut) out.copy(grown, 0, 0, out.length);
      else m.applied = 0;
      out = grown;
      m.assembled = out;
      m.cut = false;
    }
    const frags = m.fragments;
    for (let i = m.applied; i < frags.length; i++) {
      const f = frags[i];
      if (f.off + f.len > total) {
        m.cut = true;
        if (f.off >= total) continue;
      }
      f.data!.copy(out, f.off, 0, Math.min(f.len, total - f.off));
    }
    m.applied = frags.length;
    return out.length === total ? out : out.subarray(0, total);
  }

  private finish(m: Msp, frame: number, endOfStream: boolean, threw = false): void {
    m.done = true;
    m.finalFrame = frame;
    let count = m.frames.length;
    const frames = this.events ? otherFrames(m, frame) : NO_FRAMES;
    if (endOfStream && this.dissect(this.assemble(m), m.totLen, frame, true, m.pending).threw) threw = true;
    // (Count 0: the frame that completed it lists no segments, its dissection having thrown.)
    if (threw) count = 0;
    this.events?.onReassembled(frames, frame, count);
    // Forget the bytes; keep the MSP boundary so retransmissions of its first segment are recognised.
    m.frames = NO_FRAMES;
    m.extraFrames = NO_FRAMES;
    m.fragments = NO_FRAGMENTS;
    m.ahead = NO_FRAGMENTS;
    m.pending = undefined;
    m.assembled = undefined;
    m.resume = undefined;
    // Finished PDUs that end before this one starts can no longer be retransmitted into; keep at most 8.
    const msps = this.msps;
    let k = 0;
    for (let i = 0; i < msps.length; i++) {
      const x = msps[i];
      if (x === m || !x.done || seqGT(x.nxtpdu, m.seq)) msps[k++] = x;
    }
    msps.length = k;
    if (k > 8) msps.splice(0, k - 8);
  }
}

function u32(x: number): number {
  return x >>> 0;
}

/**
 * The distinct frames of a PDU other than `frame`. In the usual in-order case that is its own
 * frame list without the last entry (the PDU is being finished: the list is handed over).
 */
function otherFrames(m: Msp, frame: number): number[] {
  let ascending = m.extraFrames.length === 0;
  for (let i = 1; ascending && i < m.frames.length; i++) ascending = m.frames[i] > m.frames[i - 1];
  if (ascending) {
    const f = m.frames; // strictly ascending, and no frame is later than this one
    if (f.length && f[f.length - 1] === frame) f.pop();
    return f;
  }
  const set = new Set<number>(m.frames);
  for (const f of m.extraFrames) set.add(f);
  set.delete(frame);
  return [...set];
}

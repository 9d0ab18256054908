/**
 * TCP facts of one connection, each with the frames that show it: which side is the client, the
 * three-way handshake (RFC 9293 §3.5), the close (§3.6), and how the receiver acknowledged the
 * data it got (§3.8.6.3 delayed ACKs). Pure functions over the connection's frames, in capture order.
 */
import { Connection, TcpFrame } from '../analysis';
import { TH_ACK, TH_FIN, TH_RST, TH_SYN } from '../decode/tcp';
import { TA } from '../tcp/analysis';

export type Side = 'client' | 'server';

export interface Endpoint {
  addr: string;
  port: number;
}

/** Which endpoint is the client, and how we know. */
export interface Orientation {
  client: Endpoint;
  server: Endpoint;
  /** 'syn': it sent the SYN; 'request': it sent the HTTP request; 'port': the other side uses the lab/known server port; 'first': it sent the first captured packet. */
  evidence: 'syn' | 'request' | 'port' | 'first';
}

export const sameEndpoint = (a: Endpoint, addr: string, port: number) => a.addr === addr && a.port === port;

export function orient(conn: Connection, frames: TcpFrame[], requestFrom?: Endpoint, serverPorts?: ReadonlySet<number>): Orientation {
  const first = { client: conn.client, server: conn.server };
  const flip = { client: conn.server, server: conn.client };
  const syn = frames.find((f) => (f.flags & (TH_SYN | TH_ACK)) === TH_SYN);
  if (syn) return { ...(sameEndpoint(conn.client, syn.src, syn.srcPort) ? first : flip), evidence: 'syn' };
  const synAck = frames.find((f) => (f.flags & (TH_SYN | TH_ACK)) === (TH_SYN | TH_ACK));
  if (synAck) return { ...(sameEndpoint(conn.server, synAck.src, synAck.srcPort) ? first : flip), evidence: 'syn' };
  if (requestFrom) return { ...(sameEndpoint(conn.client, requestFrom.addr, requestFrom.port) ? first : flip), evidence: 'request' };
  if (serverPorts) {
    if (serverPorts.has(conn.server.port) && !serverPorts.has(conn.client.port)) return { ...first, evidence: 'port' };
    if (serverPorts.has(conn.client.port) && !serverPorts.has(conn.server.port)) return { ...flip, evidence: 'port' };
  }
  return { ...first, evidence: 'first' };
}

export const sideOf = (o: Orientation, f: TcpFrame): Side => (sameEndpoint(o.client, f.src, f.srcPort) ? 'client' : 'server');

const u32 = (x: number) => x >>> 0;
/** a ≥ b in sequence space (RFC 9293 §3.4: arithmetic modulo 2^32). */
const seqGe = (a: number, b: number) => ((a - b) | 0) >= 0;

export interface Handshake {
  syn?: TcpFrame;
  synAck?: TcpFrame;
  ack?: TcpFrame;
  complete: boolean;
  /** SYN or SYN-ACK frames sent again (retransmitted) before the handshake completed. */
  synRetransmissions: TcpFrame[];
  /** The SYN-ACK was captured before the SYN (capture on a multi-queue interface, or reordering). */
  outOfOrder: boolean;
}

export function handshakeOf(o: Orientation, frames: TcpFrame[]): Handshake {
  const syns = frames.filter((f) => (f.flags & (TH_SYN | TH_ACK)) === TH_SYN && sideOf(o, f) === 'client');
  const synAcks = frames.filter((f) => (f.flags & (TH_SYN | TH_ACK)) === (TH_SYN | TH_ACK) && sideOf(o, f) === 'server');
  const syn = syns[0];
  const synAck = synAcks[0];
  // The third segment: the client's first ACK of the server's ISN + 1 (it may already carry data).
  const ack = synAck
    ? frames.find((f) => sideOf(o, f) === 'client' && !(f.flags & (TH_SYN | TH_RST)) && f.flags & TH_ACK && f.ackRaw === u32(synAck.seqRaw + 1))
    : undefined;
  return {
    syn,
    synAck,
    ack,
    complete: !!(syn && synAck && ack),
    synRetransmissions: [...syns.slice(1), ...synAcks.slice(1)].sort((a, b) => a.frame - b.frame),
    outOfOrder: !!(syn && synAck && synAck.frame < syn.frame),
  };
}

export interface Fin {
  frame: TcpFrame;
  by: Side;
  /** The frame that acknowledges this FIN (its ACK number covers the FIN's sequence number), if captured. */
  ackedBy?: TcpFrame;
}

export interface Teardown {
  /** The first FIN of each side, in capture order. */
  fins: Fin[];
  /** First RST, and who sent it. */
  rst?: { frame: TcpFrame; by: Side };
  firstCloser?: Side;
  /** FIN+ACK of the second side also acknowledged the first FIN: 3 segments instead of 4 (RFC 9293 §3.6). */
  threeWay: boolean;
  /** Both sides sent FIN before seeing the other's (simultaneous close, RFC 9293 §3.6 case 2). */
  simultaneous: boolean;
  /** Both FINs sent and acknowledged (the close is whole in the capture). */
  complete: boolean;
  /** Who enters TIME-WAIT: the side that closed first, once it acknowledged the other's FIN; both on a simultaneous close. */
  timeWait?: Side | 'both';
  /** FIN frames sent again (retransmissions). */
  finRetransmissions: TcpFrame[];
}

export function teardownOf(o: Orientation, frames: TcpFrame[]): Teardown {
  const fins: Fin[] = [];
  const finRetransmissions: TcpFrame[] = [];
  for (const f of frames) {
    if (!(f.flags & TH_FIN)) continue;
    const by = sideOf(o, f);
    if (fins.some((x) => x.by === by)) {
      finRetransmissions.push(f);
      continue;
    }
    if (f.analysis & TA.RETRANSMISSION) continue;
    fins.push({ frame: f, by });
  }
  for (const fin of fins) {
    // The FIN occupies one sequence number after its data (RFC 9293 §3.4): the ACK is seq + len + 1.
    const want = u32(fin.frame.seqRaw + fin.frame.len + 1);
    fin.ackedBy = frames.find((g) => g.frame > fin.frame.frame && sideOf(o, g) !== fin.by && g.flags & TH_ACK && seqGe(g.ackRaw, want));
  }
  const rstFrame = frames.find((f) => f.flags & TH_RST);
  const rst = rstFrame ? { frame: rstFrame, by: sideOf(o, rstFrame) } : undefined;
  const [a, b] = fins;
  const threeWay = !!(a && b && a.ackedBy?.frame === b.frame.frame);
  const simultaneous = !!(a && b && !seqGe(b.frame.ackRaw, u32(a.frame.seqRaw + a.frame.len + 1)) && (!a.ackedBy || a.ackedBy.frame > b.frame.frame));
  const complete = !!(a && b && a.ackedBy && b.ackedBy);
  return {
    fins,
    rst,
    firstCloser: a?.by ?? rst?.by,
    threeWay,
    simultaneous,
    complete,
    timeWait: complete ? (simultaneous ? 'both' : a.by) : undefined,
    finRetransmissions,
  };
}

/** One ACK from the receiver that moved its acknowledgment number forward. */
export interface AckEvent {
  frame: TcpFrame;
  /** Bytes newly acknowledged (counting SYN/FIN as one each). */
  bytes: number;
  /** Data segments it acknowledged for the first time (whole segments now below the ACK number). */
  segments: TcpFrame[];
  /** It carried data of its own (a piggybacked ACK). */
  piggybacked: boolean;
  /** Seconds from the last newly acknowledged segment to this ACK. */
  delay: number;
  /** It also acknowledged a FIN. */
  acksFin: boolean;
}

export interface AckFacts {
  /** The receiver whose ACKs these are (the side that received the data). */
  receiver: Side;
  events: AckEvent[];
  /** Histogram of segments per ACK: k → number of ACKs that acknowledged k segments. */
  perAck: Map<number, number>;
  /** ACKs that waited ≥ DELAYED_ACK_MIN after the segment they acknowledged: the delayed-ACK timer (Linux: 40 ms minimum). */
  delayed: AckEvent[];
  /** Duplicate ACKs and ACKs of segments never seen (tshark's analysis flags), for loss. */
  duplicates: TcpFrame[];
}

/** Linux's minimum delayed-ACK timeout is 40 ms (TCP_DELACK_MIN); RFC 9293 allows up to 500 ms. */
export const DELAYED_ACK_MIN = 0.03;

/** How `receiver` acknowledged the data the other side sent. */
export function ackFacts(o: Orientation, frames: TcpFrame[], receiver: Side): AckFacts {
  const events: AckEvent[] = [];
  const duplicates: TcpFrame[] = [];
  // Segments of the sender not yet fully acknowledged, in order of their end (nextSeq); a segment
  // that ends at or before the last one queued (a retransmission) adds nothing new to wait for.
  const pending: TcpFrame[] = [];
  let head = 0;
  let acked: number | undefined;
  for (const f of frames) {
    const from = sideOf(o, f);
    if (from !== receiver) {
      if ((f.len > 0 || f.flags & TH_FIN) && !(f.flags & TH_SYN)) {
        const last = pending[pending.length - 1];
        if (!last || ((f.nextSeq - last.nextSeq) | 0) > 0) pending.push(f);
      }
      continue;
    }
    if (!(f.flags & TH_ACK) || f.flags & TH_SYN) continue;
    if (f.analysis & TA.DUPLICATE_ACK) duplicates.push(f);
    if (acked !== undefined && ((f.ack - acked) | 0) <= 0) continue;
    const prev = acked;
    acked = f.ack;
    let k = head;
    while (k < pending.length && ((f.ack - pending[k].nextSeq) | 0) >= 0) k++;
    if (k === head) continue;
    const covered = pending.slice(head, k);
    head = k;
    const data = covered.filter((d) => d.len > 0);
    const last = covered[covered.length - 1];
    events.push({
      frame: f,
      bytes: prev === undefined ? covered.reduce((n, d) => n + d.nextSeq - d.seq, 0) : (f.ack - prev) | 0,
      segments: data,
      piggybacked: f.len > 0,
      delay: f.time - last.time,
      acksFin: covered.some((d) => d.flags & TH_FIN),
    });
  }
  const perAck = new Map<number, number>();
  for (const e of events) if (e.segments.length) perAck.set(e.segments.length, (perAck.get(e.segments.length) ?? 0) + 1);
  return { receiver, events, perAck, delayed: events.filter((e) => e.delay >= DELAYED_ACK_MIN && !e.piggybacked), duplicates };
}

/**
 * Loss and reordering as TCP analysis marked them (Wireshark's expert info), with what the
 * capture itself adds: a "retransmission" identical in every byte and time stamp to the segment
 * before it is the file holding one record twice; an "out-of-order" segment that fills the gap
 * before a segment flagged "previous segment not captured" is the lost segment sent again; a
 * retransmission the receiver answers with a D-SACK was not needed (RFC 2883).
 */
export interface LossFacts {
  retransmissions: TcpFrame[];
  fastRetransmissions: TcpFrame[];
  spurious: TcpFrame[];
  outOfOrder: TcpFrame[];
  /** Out-of-order segments that fill an earlier gap: retransmissions of the missing data. */
  gapFills: TcpFrame[];
  /** Frames that repeat the previous frame exactly (same time, sequence, length, TSval): a record written twice. */
  duplicateRecords: TcpFrame[];
  /** Retransmissions a later D-SACK from the receiver shows were unnecessary. */
  unneeded: TcpFrame[];
  /** Segments after a gap: the one before was not captured (lost before the capture point, or not captured). */
  previousNotCaptured: TcpFrame[];
  ackedUnseen: TcpFrame[];
  duplicateAcks: TcpFrame[];
  /** ACKs carrying a D-SACK. */
  dsacks: TcpFrame[];
  zeroWindow: TcpFrame[];
  keepAlive: TcpFrame[];
}

export function lossFacts(frames: TcpFrame[]): LossFacts {
  const has = (bit: number) => frames.filter((f) => f.analysis & bit);
  const duplicateRecords: TcpFrame[] = [];
  for (let i = 1; i < frames.length; i++) {
    const a = frames[i - 1];
    const b = frames[i];
    if (b.time === a.time && b.seqRaw === a.seqRaw && b.ackRaw === a.ackRaw && b.len === a.len && b.flags === a.flags && b.tsval === a.tsval && b.src === a.src && b.srcPort === a.srcPort) duplicateRecords.push(b);
  }
  const dup = new Set(duplicateRecords);
  const gaps = has(TA.LOST_PACKET);
  const ooo = has(TA.OUT_OF_ORDER);
  const gapFills = ooo.filter((o) => gaps.some((g) => g.frame < o.frame && g.src === o.src && g.srcPort === o.srcPort && ((o.seq - g.seq) | 0) < 0 && ((g.seq - o.nextSeq) | 0) >= 0));
  const dsacks = frames.filter((f) => f.dsack);
  const retransmitted = frames.filter((f) => f.analysis & (TA.RETRANSMISSION | TA.FAST_RETRANSMISSION | TA.SPURIOUS_RETRANSMISSION) && !dup.has(f));
  // A D-SACK from the other side after it shows the resend was unneeded.
  // The D-SACK block must cover the resent bytes (a FIN counts as one).
  const covers = (d: TcpFrame, r: TcpFrame) => {
    const [le, re] = d.dsackBlock!;
    const end = r.seqRaw + r.len + (r.flags & TH_FIN ? 1 : 0);
    return ((r.seqRaw - le) | 0) >= 0 && ((re - end) | 0) >= 0;
  };
  const unneeded = retransmitted.filter((r) => dsacks.some((d) => d.frame > r.frame && d.src === r.dst && d.srcPort === r.dstPort && d.dsackBlock && covers(d, r)));
  return {
    retransmissions: retransmitted,
    fastRetransmissions: has(TA.FAST_RETRANSMISSION),
    spurious: has(TA.SPURIOUS_RETRANSMISSION),
    outOfOrder: ooo.filter((f) => !gapFills.includes(f)),
    gapFills,
    duplicateRecords,
    unneeded,
    previousNotCaptured: gaps,
    ackedUnseen: has(TA.ACK_LOST_PACKET),
    duplicateAcks: has(TA.DUPLICATE_ACK),
    dsacks,
    zeroWindow: has(TA.ZERO_WINDOW),
    keepAlive: has(TA.KEEP_ALIVE),
  };
}

/**
 * The library's front door for notebooks and reports: analyse a whole capture in one pass and
 * get plain, typed data back — frames, TCP connections, HTTP messages, what protocol each
 * connection carried, and how the read ended.
 */
import { readCaptureBuffer, readCaptureFile, ReadResult } from './capture/file';
import { CaptureRecord } from './capture/reader';
import { decodeRecord } from './decode';
import { Packet } from './decode/packet';
import { AppProtocol, HttpAnalyzer, HttpMessage, messageHeader } from './http/analyzer';
import { TA, TcpAnalyzer, TcpConversation, TcpFrameInfo } from './tcp/analysis';
import { Th } from './decode/tcp';
import { NsTime, nstimeDelta } from './util/time';
import { HTTP_METHODS } from './http/message';

/** One TCP frame, with what the analysis says about it. */
export interface TcpFrame {
  frame: number;
  /** Seconds since the first frame. */
  time: number;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  ipVersion: 4 | 6;
  stream: number;
  /** The 12 TCP flag bits. */
  flags: number;
  seq: number;
  ack: number;
  seqRaw: number;
  ackRaw: number;
  len: number;
  nextSeq: number;
  hdrLen: number;
  window: number;
  /** Window after scaling (as known when the frame was seen). */
  windowScaled: number;
  mss?: number;
  wscale?: number;
  sackPerm: boolean;
  /**
   * The first SACK block reports bytes below the ACK number: a duplicate SACK (RFC 2883 §4), which
   * says those bytes had already arrived — the segment that was sent again was not lost.
   */
  dsack?: boolean;
  /** That D-SACK block, as raw sequence numbers [left edge, right edge). */
  dsackBlock?: [number, number];
  tsval?: number;
  tsecr?: number;
  /** TA.* analysis flags. */
  analysis: number;
  acksFrame?: number;
  ackRtt?: NsTime;
  bytesInFlight?: number;
  /** Frame in which a PDU this frame contributes to was reassembled. */
  reassembledIn?: number;
  /** Frame length on the wire. */
  frameLen: number;
  /** Bytes of the frame in the capture (< frameLen when the snapshot length cut it). */
  capLen: number;
  /** TCP payload bytes present in the capture (< len when the snapshot length cut the segment). */
  payloadCaptured: number;
  /**
   * The TCP checksum verified over the pseudo-header (RFC 9293 §3.1): true/false, or undefined
   * when the segment was not captured whole or is an IP fragment.
   */
  checksumOk?: boolean;
  /**
   * The first line of the captured payload when the payload begins like an HTTP/1.x request or
   * status line ("GET /logo.jpg HTTP/1.1", "HTTP/1.1 200 OK"), cut where the capture ends: what
   * Wireshark still shows of a message the snapshot length cut, or whose end was never captured.
   */
  startLine?: string;
  /**
   * The captured TCP header bytes (for field-by-field explanations), kept for the first
   * HEADERS_PER_CONNECTION frames of each connection and for frames with SYN, FIN, RST or an HTTP
   * start line; undefined for the rest (a million copies would cost more than the frames).
   */
  header?: Buffer;
}

export interface Connection {
  stream: number;
  /** Endpoint that sent the first packet (normally the client). */
  client: { addr: string; port: number };
  server: { addr: string; port: number };
  protocol: AppProtocol;
  completeness: number;
  firstFrame: number;
  lastFrame: number;
  irtt?: NsTime;
  /** Window scale shift per direction; -1 unknown, -2 not used. */
  clientWinScale: number;
  serverWinScale: number;
  /** The first payload bytes each side sent (up to 16; empty when it sent none that was captured). */
  clientFirstBytes: Buffer;
  serverFirstBytes: Buffer;
  /** Frame of each side's first payload, 0 if none. */
  clientFirstDataFrame: number;
  serverFirstDataFrame: number;
}

/** Packets that are not TCP, grouped by kind and endpoints (for "other traffic"). */
export interface OtherPackets {
  kind: 'udp' | 'icmp' | 'icmpv6' | 'ip' | 'arp' | 'non-ip' | 'fragment';
  /** IP protocol number for kind 'ip'; EtherType / link type detail otherwise (0 when unknown). */
  proto: number;
  /** The two endpoints as seen in the first packet (src, dst). */
  src: string;
  dst: string;
  srcPort?: number;
  dstPort?: number;
  frames: number;
  bytes: number;
  firstFrame: number;
  lastFrame: number;
}

export interface CaptureAnalysis {
  read: ReadResult;
  frames: TcpFrame[];
  connections: Connection[];
  http: HttpMessage[];
  /** UDP datagrams to or from port 443 that look like QUIC long-header packets. */
  quicPackets: number;
  /** Non-TCP traffic by kind and endpoints (at most OTHER_GROUPS groups; the rest in `otherOverflow`). */
  other: OtherPackets[];
  otherOverflow: { frames: number; bytes: number };
  /** TCP frames whose segment the snapshot length cut (cap_len < len). */
  truncatedFrames: number;
  /**
   * The captured payload of frames that begin with an HTTP start line but that no HTTP message
   * took in (a message cut by the snapshot length, never completed, or mis-framed by Wireshark's
   * rules, e.g. a HEAD response among pipelined ones): the lab layer reads them itself.
   */
  startPayloads: Map<number, Buffer>;
  /**
   * Requests of the streams `keepStream` left out, summarised (their messages are not kept: a
   * message's strings hold its whole head): count, the first request line, the User-Agents seen.
   */
  otherRequests: Map<number, { requests: number; sample: { frame: number; line: string }; agents: string[] }>;
  /** All frames, TCP or not. */
  totalFrames: number;
  firstTime?: NsTime;
}

export interface AnalyzeOptions {
  /** Keep HTTP bodies (default true). Only HTML (and small untyped bodies) is kept whole, up to DOCUMENT_BUDGET; of the rest the first BODY_HEAD bytes, which say what a body is. */
  keepBodies?: boolean;
  /** Keep per-frame TCP data (default true). */
  frames?: boolean;
  /** Keep frames, bodies and start-line payloads only for these TCP streams (default all): the report's second pass. */
  keepStream?: (stream: number) => boolean;
}

/** Bytes kept of a body that is not a document: enough for its magic number. */
export const BODY_HEAD = 64;
/** A document body above this is cut (the lab decodes at most MAX_DECODED_BODY of it anyway). */
export const MAX_KEPT_DOCUMENT = 8 << 20;

/** Document bytes kept whole per analysis (the lab reads at most MAX_PAGES_READ pages). */
export const DOCUMENT_BUDGET = 64 << 20;
/** An untyped body up to this size is kept whole (it may be the page served without a type). */
const MAX_KEPT_UNTYPED = 256 << 10;

/** How much of a body a report reads: HTML whole, untyped ones when small (the page may be served without a type); of everything else the first bytes. */
function keptLength(m: HttpMessage, length: number): number {
  if (m.isRequest) return BODY_HEAD;
  const t = (messageHeader(m, 'content-type') ?? '').toLowerCase();
  if (t.includes('html')) return MAX_KEPT_DOCUMENT;
  if (t === '' || t.startsWith('application/octet-stream')) return length <= MAX_KEPT_UNTYPED ? length : BODY_HEAD;
  return BODY_HEAD;
}

/** Bytes kept per start-line payload, and in all (a hostile capture of start lines stays bounded). */
export const START_PAYLOAD_MAX = 16 << 10;
export const START_PAYLOADS_TOTAL = 32 << 20;

/** Segments whose checksum is verified (summing every payload byte of a million segments costs seconds). */
export const CHECKSUMS_VERIFIED = 20000;
/** Frames per connection whose TCP header bytes are kept. */
export const HEADERS_PER_CONNECTION = 16;

/** Groups of non-TCP traffic kept; a capture with more gets the rest counted in one line. */
export const OTHER_GROUPS = 2000;

/** RFC 1071 ones'-complement sum of b[from, to), added to `sum`. */
function onesSum(b: Buffer, from: number, to: number, sum: number): number {
  let i = from;
  for (; i + 1 < to; i += 2) sum += (b[i] << 8) | b[i + 1];
  if (i < to) sum += b[i] << 8;
  return sum;
}

/** The TCP checksum over the IPv4/IPv6 pseudo-header, segment captured whole (RFC 9293 §3.1, RFC 8200 §8.1). */
function tcpChecksumOk(p: Packet): boolean {
  const b = p.bytes;
  const len = p.l4End - p.l4Offset;
  let sum = p.ipVersion === 4 ? onesSum(b, p.ipOffset + 12, p.ipOffset + 20, 0) : onesSum(b, p.ipOffset + 8, p.ipOffset + 40, 0);
  sum += 6 + (len & 0xffff) + (len >>> 16);
  sum = onesSum(b, p.l4Offset, p.l4End, sum);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum === 0xffff;
}

interface FirstBytes {
  client: Buffer;
  server: Buffer;
  clientFrame: number;
  serverFrame: number;
}

class Collector {
  readonly tcp = new TcpAnalyzer(true, false);
  readonly http: HttpAnalyzer;
  readonly frames: TcpFrame[] = [];
  readonly messages: HttpMessage[] = [];
  private readonly byFrame = new Map<number, TcpFrame>();
  private readonly firstBytes = new Map<TcpConversation, FirstBytes>();
  private readonly other = new Map<string, OtherPackets>();
  private readonly otherOverflow = { frames: 0, bytes: 0 };
  private truncated = 0;
  private checksummed = 0;
  private documentBytes = 0;
  private readonly framesPerConv = new Map<TcpConversation, number>();
  private readonly startPayloads = new Map<number, Buffer>();
  private readonly otherRequests: CaptureAnalysis['otherRequests'] = new Map();
  private startPayloadBytes = 0;
  quic = 0;
  total = 0;
  first?: CaptureRecord;
  constructor(private readonly opts: AnalyzeOptions) {
    this.http = new HttpAnalyzer(
      {
        onMessage: (m) => {
          const keep = !opts.keepStream || m.stream < 0 || opts.keepStream(m.stream);
          const b = m.body;
          // Whole documents up to a budget: a capture of a thousand pages must not keep them all.
          let n = b ? keptLength(m, b.length) : 0;
          if (b && n > BODY_HEAD && this.documentBytes + Math.min(n, b.length) > DOCUMENT_BUDGET) n = BODY_HEAD;
          if (b && n > BODY_HEAD) this.documentBytes += Math.min(n, b.length);
          if (b && (!keep || b.length > n)) {
            // A copy, so the whole body's memory can go (the message's field is ours to replace).
            (m as { body?: Buffer }).body = keep ? own(b.subarray(0, n)) : undefined;
          }
          if (!keep) {
            // Outside the kept streams only what "other traffic" names is kept, as plain copies.
            if (m.isRequest) {
              let o = this.otherRequests.get(m.stream);
              if (!o) this.otherRequests.set(m.stream, (o = { requests: 0, sample: { frame: m.frame, line: flat(`${m.method} ${m.uri}`) }, agents: [] }));
              o.requests++;
              const ua = messageHeader(m, 'user-agent');
              if (ua !== undefined && o.agents.length < 5 && !o.agents.includes(ua)) o.agents.push(flat(ua));
            }
            this.startPayloads.delete(m.frame);
            return;
          }
          this.messages.push(m);
          this.startPayloads.delete(m.frame);
        },
        // Reassembly completes after its segments were seen, so they are already in byFrame.
        onReassembled: (frames, finalFrame) => {
          for (const f of frames) {
            this.startPayloads.delete(f);
            const tf = this.byFrame.get(f);
            if (tf) tf.reassembledIn = finalFrame;
          }
        },
      },
      // A closed connection's reassembly state is dropped soon after its close (its messages are already out).
      { keepBodies: opts.keepBodies ?? true, forgetClosedAfter: 1000 },
    );
  }

  onRecord = (r: CaptureRecord): void => {
    this.total++;
    if (!this.first) this.first = { ...r };
    const p = decodeRecord(r);
    const t = this.tcp.analyze(p);
    if (t) {
      if (p.payloadCaptured < p.tcp!.payloadLen) this.truncated++;
      if (p.payloadCaptured > 0) this.noteFirstBytes(p, t);
      if ((this.opts.frames ?? true) && (!this.opts.keepStream || this.opts.keepStream(t.conv.stream))) {
        const f = this.frame(p, t, r);
        if (f.startLine && !(t.flags & (TA.RETRANSMISSION | TA.SPURIOUS_RETRANSMISSION)) && this.startPayloadBytes < START_PAYLOADS_TOTAL) {
          const b = own(p.bytes.subarray(p.payloadOffset, p.payloadOffset + Math.min(p.payloadCaptured, START_PAYLOAD_MAX)));
          this.startPayloads.set(p.frame, b);
          this.startPayloadBytes += b.length;
        }
      }
      this.http.frame(p, t);
    } else {
      if (p.udp) {
        this.http.datagram(p);
        if ((p.udp.dstPort === 443 || p.udp.srcPort === 443) && p.payloadCaptured > 5 && p.bytes[p.payloadOffset] & 0x80) this.quic++;
      }
      this.noteOther(p);
    }
  };

  private noteFirstBytes(p: Packet, t: TcpFrameInfo): void {
    let fb = this.firstBytes.get(t.conv);
    if (!fb) this.firstBytes.set(t.conv, (fb = { client: EMPTY, server: EMPTY, clientFrame: 0, serverFrame: 0 }));
    const bytes = () => own(p.bytes.subarray(p.payloadOffset, p.payloadOffset + Math.min(16, p.payloadCaptured)));
    if (t.dir1 && !fb.clientFrame) {
      fb.client = bytes();
      fb.clientFrame = p.frame;
    } else if (!t.dir1 && !fb.serverFrame) {
      fb.server = bytes();
      fb.serverFrame = p.frame;
    }
  }

  private noteOther(p: Packet): void {
    let kind: OtherPackets['kind'];
    let proto = 0;
    if (p.ipVersion === 0) kind = p.unknownLink ? 'non-ip' : isArp(p) ? 'arp' : 'non-ip';
    else if (p.ipFragment) kind = 'fragment';
    else if (p.udp) kind = 'udp';
    else if (p.ipProto === 1) kind = 'icmp';
    else if (p.ipProto === 58) kind = 'icmpv6';
    else {
      kind = 'ip';
      proto = p.ipProto;
    }
    // Group both directions of a conversation together (the lower endpoint first).
    const a = `${p.ipSrc}|${p.udp?.srcPort ?? ''}`;
    const b = `${p.ipDst}|${p.udp?.dstPort ?? ''}`;
    const key = `${kind}|${proto}|${a < b ? a + '|' + b : b + '|' + a}`;
    const g = this.other.get(key);
    if (g) {
      g.frames++;
      g.bytes += p.origLen;
      g.lastFrame = p.frame;
    } else if (this.other.size < OTHER_GROUPS) {
      this.other.set(key, { kind, proto, src: p.ipSrc, dst: p.ipDst, srcPort: p.udp?.srcPort, dstPort: p.udp?.dstPort, frames: 1, bytes: p.origLen, firstFrame: p.frame, lastFrame: p.frame });
    } else {
      this.otherOverflow.frames++;
      this.otherOverflow.bytes += p.origLen;
    }
  }

  private frame(p: Packet, t: TcpFrameInfo, r: CaptureRecord): TcpFrame {
    const h = p.tcp!;
    const fwd = t.dir1 ? t.conv.flow1 : t.conv.flow2;
    const rel = nstimeDelta(r.tsSec, r.tsNsec, this.first!.tsSec, this.first!.tsNsec);
    const f: TcpFrame = {
      frame: p.frame,
      time: rel.sec + rel.nsec / 1e9,
      src: p.ipSrc,
      dst: p.ipDst,
      srcPort: h.srcPort,
      dstPort: h.dstPort,
      ipVersion: p.ipVersion as 4 | 6,
      stream: t.conv.stream,
      flags: h.flags,
      seq: t.seqRel,
      ack: t.ackRel,
      seqRaw: h.seq,
      ackRaw: h.ack,
      len: h.payloadLen,
      nextSeq: t.nextSeqRel,
      hdrLen: h.hdrLen,
      window: h.window,
      windowScaled: fwd.winScale >= 0 && !(h.flags & 0x002) ? h.window * 2 ** fwd.winScale : h.window,
      mss: h.mss,
      wscale: h.wscale,
      sackPerm: h.sackPerm,
      dsack: h.sack && h.sack.length >= 2 && h.flags & Th.ACK && ((h.sack[0] - h.ack) | 0) < 0 ? true : undefined,
      dsackBlock: h.sack && h.sack.length >= 2 && h.flags & Th.ACK && ((h.sack[0] - h.ack) | 0) < 0 ? [h.sack[0], h.sack[1]] : undefined,
      tsval: h.tsval,
      tsecr: h.tsecr,
      analysis: t.flags,
      acksFrame: t.acksFrame || undefined,
      ackRtt: t.acksFrame ? { sec: t.ackRtt.sec, nsec: t.ackRtt.nsec } : undefined,
      bytesInFlight: t.bytesInFlight || undefined,
      frameLen: p.origLen,
      capLen: p.capLen,
      payloadCaptured: p.payloadCaptured,
      startLine: p.payloadCaptured >= 4 ? httpStartLine(p.bytes, p.payloadOffset, p.payloadOffset + p.payloadCaptured) : undefined,
      checksumOk: this.checksummed < CHECKSUMS_VERIFIED && p.capLen === p.origLen && p.l4End - p.l4Offset >= h.hdrLen && p.payloadCaptured === h.payloadLen ? (this.checksummed++, tcpChecksumOk(p)) : undefined,
      header: undefined,
    };
    const seen = (this.framesPerConv.get(t.conv) ?? 0) + 1;
    this.framesPerConv.set(t.conv, seen);
    if (seen <= HEADERS_PER_CONNECTION || h.flags & (Th.SYN | Th.FIN | Th.RST) || f.startLine) f.header = own(p.bytes.subarray(p.l4Offset, p.l4Offset + h.hdrCaptured));
    this.frames.push(f);
    this.byFrame.set(p.frame, f);
    return f;
  }

  result(read: ReadResult): CaptureAnalysis {
    const connections = this.tcp.conversations.map(
      (c: TcpConversation): Connection => ({
        stream: c.stream,
        client: { addr: c.flow1.addr, port: c.flow1.port },
        server: { addr: c.flow2.addr, port: c.flow2.port },
        protocol: this.http.protocolOf(c),
        completeness: c.completeness,
        firstFrame: c.firstFrame,
        lastFrame: c.lastFrame,
        irtt: c.irtt,
        clientWinScale: c.flow1.winScale,
        serverWinScale: c.flow2.winScale,
        clientFirstBytes: this.firstBytes.get(c)?.client ?? EMPTY,
        serverFirstBytes: this.firstBytes.get(c)?.server ?? EMPTY,
        clientFirstDataFrame: this.firstBytes.get(c)?.clientFrame ?? 0,
        serverFirstDataFrame: this.firstBytes.get(c)?.serverFrame ?? 0,
      }),
    );
    return {
      read,
      frames: this.frames,
      connections,
      http: this.messages,
      quicPackets: this.quic,
      other: [...this.other.values()],
      otherOverflow: this.otherOverflow,
      truncatedFrames: this.truncated,
      startPayloads: this.startPayloads,
      otherRequests: this.otherRequests,
      totalFrames: this.total,
      firstTime: this.first ? { sec: this.first.tsSec, nsec: this.first.tsNsec } : undefined,
    };
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * A copy in memory of its own. Buffer.from() puts small copies in Node's shared 8 KiB pool slabs,
 * and one kept 16-byte copy keeps its whole slab alive: a million kept copies held gigabytes.
 */
/** A string of its own: V8 keeps a whole head alive behind a substring of it. */
function flat(s: string): string {
  return (' ' + s).slice(1);
}

function own(b: Buffer): Buffer {
  const c = Buffer.allocUnsafeSlow(b.length);
  b.copy(c);
  return c;
}

/** The first line of b[off, end) if it starts like an HTTP/1.x request or status line. */
function httpStartLine(b: Buffer, off: number, end: number): string | undefined {
  const c = b[off];
  // Cheap first test: 'H' (HTTP/1.x) or an upper-case letter (a method).
  if (c < 0x41 || c > 0x5a) return undefined;
  const stop = Math.min(end, off + 512);
  let e = off;
  while (e < stop && b[e] !== 0x0d && b[e] !== 0x0a) e++;
  const line = b.toString('latin1', off, e);
  if (/^HTTP\/1\.[01] \d{3}(?: |$)/.test(line)) return line;
  const sp = line.indexOf(' ');
  return sp > 0 && HTTP_METHODS.has(line.slice(0, sp)) ? line : undefined;
}

/** An ARP frame on Ethernet (EtherType 0x0806), for naming it in "other traffic". */
function isArp(p: Packet): boolean {
  return p.linkType === 1 && p.capLen >= 14 && p.bytes[p.offset + 12] === 0x08 && p.bytes[p.offset + 13] === 0x06;
}

/** Analyse a capture file (pcap, pcapng, optionally gzip-compressed). */
export async function analyzeCaptureFile(path: string, opts: AnalyzeOptions = {}): Promise<CaptureAnalysis> {
  const c = new Collector(opts);
  const read = await readCaptureFile(path, c.onRecord);
  return c.result(read);
}

/** Analyse a capture held in memory. */
export function analyzeCaptureBuffer(data: Buffer, opts: AnalyzeOptions = {}): CaptureAnalysis {
  const c = new Collector(opts);
  const read = readCaptureBuffer(data, c.onRecord);
  return c.result(read);
}

/**
 * The library's front door for notebooks and reports: analyse a whole capture in one pass and
 * get plain, typed data back — frames, TCP connections, HTTP messages, what protocol each
 * connection carried, and how the read ended.
 */
import { readCaptureBuffer, readCaptureFile, ReadResult } from './capture/file';
import { CaptureRecord } from './capture/reader';
import { decodeRecord } from './decode';
import { Packet } from './decode/packet';
import { AppProtocol, HttpAnalyzer, HttpMessage } from './http/analyzer';
import { TcpAnalyzer, TcpConversation, TcpFrameInfo } from './tcp/analysis';
import { NsTime, nstimeDelta } from './util/time';

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
  /** The captured TCP header bytes (for field-by-field explanations). */
  header: Buffer;
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
}

export interface CaptureAnalysis {
  read: ReadResult;
  frames: TcpFrame[];
  connections: Connection[];
  http: HttpMessage[];
  /** UDP datagrams to or from port 443 that look like QUIC long-header packets. */
  quicPackets: number;
  /** All frames, TCP or not. */
  totalFrames: number;
  firstTime?: NsTime;
}

export interface AnalyzeOptions {
  /** Keep HTTP bodies (default true: lab captures are small). */
  keepBodies?: boolean;
  /** Keep per-frame TCP data (default true). */
  frames?: boolean;
}

class Collector {
  readonly tcp = new TcpAnalyzer(true, false);
  readonly http: HttpAnalyzer;
  readonly frames: TcpFrame[] = [];
  readonly messages: HttpMessage[] = [];
  private readonly byFrame = new Map<number, TcpFrame>();
  quic = 0;
  total = 0;
  first?: CaptureRecord;
  constructor(private readonly opts: AnalyzeOptions) {
    this.http = new HttpAnalyzer(
      {
        onMessage: (m) => this.messages.push(m),
        // Reassembly completes after its segments were seen, so they are already in byFrame.
        onReassembled: (frames, finalFrame) => {
          for (const f of frames) {
            const tf = this.byFrame.get(f);
            if (tf) tf.reassembledIn = finalFrame;
          }
        },
      },
      { keepBodies: opts.keepBodies ?? true },
    );
  }

  onRecord = (r: CaptureRecord): void => {
    this.total++;
    if (!this.first) this.first = { ...r };
    const p = decodeRecord(r);
    const t = this.tcp.analyze(p);
    if (t) {
      if (this.opts.frames ?? true) this.frame(p, t, r);
      this.http.frame(p, t);
    } else if (p.udp) {
      this.http.datagram(p);
      if ((p.udp.dstPort === 443 || p.udp.srcPort === 443) && p.payloadCaptured > 5 && p.bytes[p.payloadOffset] & 0x80) this.quic++;
    }
  };

  private frame(p: Packet, t: TcpFrameInfo, r: CaptureRecord): void {
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
      tsval: h.tsval,
      tsecr: h.tsecr,
      analysis: t.flags,
      acksFrame: t.acksFrame || undefined,
      ackRtt: t.acksFrame ? { sec: t.ackRtt.sec, nsec: t.ackRtt.nsec } : undefined,
      bytesInFlight: t.bytesInFlight || undefined,
      frameLen: p.origLen,
      header: Buffer.from(p.bytes.subarray(p.l4Offset, p.l4Offset + h.hdrCaptured)),
    };
    this.frames.push(f);
    this.byFrame.set(p.frame, f);
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
      }),
    );
    return {
      read,
      frames: this.frames,
      connections,
      http: this.messages,
      quicPackets: this.quic,
      totalFrames: this.total,
      firstTime: this.first ? { sec: this.first.tsSec, nsec: this.first.tsNsec } : undefined,
    };
  }
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

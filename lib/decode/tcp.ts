/**
 * TCP header (RFC 9293 §3.1) and options: MSS (kind 2), window scale (3, RFC 7323), SACK-permitted
 * (4) and SACK blocks (5, RFC 2018), timestamps (8, RFC 7323), NOP (1), EOL (0).
 */
import { u16be, u32be } from '../util/bytes';
import { TcpHeader, TcpOption } from './packet';

/** Shared by every header without options (never mutated). */
const NO_OPTIONS: TcpOption[] = Object.freeze([]) as unknown as TcpOption[];

/**
 * The TCP flag bits (RFC 9293 §3.1; AE: RFC 9768). A const enum, so per-packet code gets the
 * numbers written in place (a property read on another module's exports costs on every packet);
 * TH_* are the same values as ordinary exports.
 */
export const enum Th {
  FIN = 0x001,
  SYN = 0x002,
  RST = 0x004,
  PUSH = 0x008,
  ACK = 0x010,
  URG = 0x020,
  ECE = 0x040,
  CWR = 0x080,
  AE = 0x100,
}
export const TH_FIN = Th.FIN;
export const TH_SYN = Th.SYN;
export const TH_RST = Th.RST;
export const TH_PUSH = Th.PUSH;
export const TH_ACK = Th.ACK;
export const TH_URG = Th.URG;
export const TH_ECE = Th.ECE;
export const TH_CWR = Th.CWR;
export const TH_AE = Th.AE;

export function emptyTcpHeader(): TcpHeader {
  return {
    srcPort: 0, dstPort: 0, seq: 0, ack: 0, hdrLen: 0, flags: 0, window: 0, checksum: 0, urgent: 0, options: [], mss: undefined,
    wscale: undefined, sackPerm: false, sack: undefined, tsval: undefined, tsecr: undefined, payloadLen: 0, hdrCaptured: 0,
  };
}

/**
 * Decode the TCP header at b[o..]. `captured` bounds what may be read; `segmentLen` is the TCP
 * length from the IP header (header + payload). Returns undefined when even the ports were not
 * captured. Fills `into` when given (a header object reused from packet to packet).
 */
export function decodeTcp(b: Buffer, o: number, captured: number, segmentLen: number, into?: TcpHeader): TcpHeader | undefined {
  const avail = captured - o;
  if (avail < 4) return undefined;
  const h = into ?? emptyTcpHeader();
  h.srcPort = u16be(b, o);
  h.dstPort = u16be(b, o + 2);
  h.mss = undefined;
  h.wscale = undefined;
  h.sackPerm = false;
  h.sack = undefined;
  h.tsval = undefined;
  h.tsecr = undefined;
  if (avail < 20) {
    // Only the ports survived the snapshot length; Wireshark shows just those.
    h.seq = h.ack = h.hdrLen = h.flags = h.window = h.checksum = h.urgent = h.payloadLen = 0;
    h.options = NO_OPTIONS;
    h.hdrCaptured = avail;
    return h;
  }
  const hdrLen = (b[o + 12] >> 4) * 4;
  h.seq = u32be(b, o + 4);
  h.ack = u32be(b, o + 8);
  h.hdrLen = hdrLen;
  h.flags = u16be(b, o + 12) & 0x0fff;
  h.window = u16be(b, o + 14);
  h.checksum = u16be(b, o + 16);
  h.urgent = u16be(b, o + 18);
  h.payloadLen = Math.max(0, segmentLen - hdrLen);
  h.hdrCaptured = Math.min(avail, hdrLen);
  if (hdrLen > 20) {
    h.options = [];
    decodeOptions(b, o + 20, Math.min(o + hdrLen, captured), h);
  } else {
    h.options = NO_OPTIONS;
  }
  return h;
}

function decodeOptions(b: Buffer, o: number, end: number, h: TcpHeader): void {
  while (o < end) {
    const kind = b[o];
    if (kind === 0) {
      h.options.push({ kind, offset: o, length: 1 });
      return;
    }
    if (kind === 1) {
      h.options.push({ kind, offset: o, length: 1 });
      o++;
      continue;
    }
    if (o + 1 >= end) return;
    const len = b[o + 1];
    if (len < 2 || o + len > end) return; // malformed: stop, as Wireshark does
    const opt: TcpOption = { kind, offset: o, length: len };
    h.options.push(opt);
    switch (kind) {
      case 2:
        if (len === 4) h.mss = b.readUInt16BE(o + 2);
        break;
      case 3:
        if (len === 3) h.wscale = b[o + 2];
        break;
      case 4:
        if (len === 2) h.sackPerm = true;
        break;
      case 5: {
        const blocks: number[] = [];
        for (let i = o + 2; i + 8 <= o + len; i += 8) blocks.push(b.readUInt32BE(i), b.readUInt32BE(i + 4));
        h.sack = blocks;
        break;
      }
      case 8:
        if (len === 10) {
          h.tsval = u32be(b, o + 2);
          h.tsecr = u32be(b, o + 6);
        }
        break;
    }
    o += len;
  }
}

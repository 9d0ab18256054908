/**
 * TCP header (RFC 9293 §3.1) and options: MSS (kind 2), window scale (3, RFC 7323), SACK-permitted
 * (4) and SACK blocks (5, RFC 2018), timestamps (8, RFC 7323), NOP (1), EOL (0).
 */
import { TcpHeader, TcpOption } from './packet';

/** Shared by every header without options (never mutated). */
const NO_OPTIONS: TcpOption[] = Object.freeze([]) as unknown as TcpOption[];

export const TH_FIN = 0x001;
export const TH_SYN = 0x002;
export const TH_RST = 0x004;
export const TH_PUSH = 0x008;
export const TH_ACK = 0x010;
export const TH_URG = 0x020;
export const TH_ECE = 0x040;
export const TH_CWR = 0x080;
export const TH_AE = 0x100;

/**
 * Decode the TCP header at b[o..]. `captured` bounds what may be read; `segmentLen` is the TCP
 * length from the IP header (header + payload). Returns undefined when even the fixed header was
 * not captured or the data offset is below 5 words.
 */
export function decodeTcp(b: Buffer, o: number, captured: number, segmentLen: number): TcpHeader | undefined {
  const avail = captured - o;
  if (avail < 4) return undefined;
  if (avail < 20) {
    // Only the ports survived the snapshot length; Wireshark shows just those.
    return {
      srcPort: b.readUInt16BE(o), dstPort: b.readUInt16BE(o + 2), seq: 0, ack: 0, hdrLen: 0, flags: 0, window: 0,
      checksum: 0, urgent: 0, options: [], sackPerm: false, payloadLen: 0, hdrCaptured: avail,
    };
  }
  const hdrLen = (b[o + 12] >> 4) * 4;
  const h: TcpHeader = {
    srcPort: b.readUInt16BE(o),
    dstPort: b.readUInt16BE(o + 2),
    seq: b.readUInt32BE(o + 4),
    ack: b.readUInt32BE(o + 8),
    hdrLen,
    flags: b.readUInt16BE(o + 12) & 0x0fff,
    window: b.readUInt16BE(o + 14),
    checksum: b.readUInt16BE(o + 16),
    urgent: b.readUInt16BE(o + 18),
    options: hdrLen > 20 ? [] : NO_OPTIONS,
    sackPerm: false,
    payloadLen: Math.max(0, segmentLen - hdrLen),
    hdrCaptured: Math.min(avail, hdrLen),
  };
  if (hdrLen > 20) decodeOptions(b, o + 20, Math.min(o + hdrLen, captured), h);
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
          h.tsval = b.readUInt32BE(o + 2);
          h.tsecr = b.readUInt32BE(o + 6);
        }
        break;
    }
    o += len;
  }
}

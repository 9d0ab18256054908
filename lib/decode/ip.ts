/**
 * IPv4 (RFC 791) and IPv6 (RFC 8200) headers: addresses, protocol, where the transport header
 * starts and where the IP packet ends (the IP length field, not the capture, bounds the payload:
 * Ethernet padding is not data).
 */
import { i32be, u16be } from '../util/bytes';
import { Packet } from './packet';

/**
 * Recently seen IPv4 addresses as text, in a small direct-mapped cache: a capture has few
 * distinct hosts, so most packets skip formatting, and an array slot is cheaper than a Map.
 */
const V4_SLOTS = 4096;
const v4Keys = new Int32Array(V4_SLOTS);
const v4Text: string[] = new Array<string>(V4_SLOTS).fill('');

export function formatIPv4(b: Buffer, o: number): string {
  const key = i32be(b, o);
  const slot = (key ^ (key >>> 12) ^ (key >>> 24)) & (V4_SLOTS - 1);
  const cached = v4Text[slot];
  if (v4Keys[slot] === key && cached !== '') return cached;
  const s = `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
  v4Keys[slot] = key;
  v4Text[slot] = s;
  return s;
}

/** RFC 5952 text form: lower case, leading zeros dropped, the longest run of ≥2 zero groups as "::". */
export function formatIPv6(b: Buffer, o: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(u16be(b, o + i * 2));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible forms keep the dotted quad.
  if (bestStart === 0 && bestLen === 5 && g[5] === 0xffff) return `::ffff:${formatIPv4(b, o + 12)}`;
  const hex = (x: number) => x.toString(16);
  if (bestStart < 0) return g.map(hex).join(':');
  const left = g.slice(0, bestStart).map(hex).join(':');
  const right = g.slice(bestStart + bestLen).map(hex).join(':');
  return `${left}::${right}`;
}

/** Where the frame ends, as an offset in p.bytes, counting bytes the snapshot length cut off. */
function frameEndAt(p: Packet, ipOffset: number): number {
  return ipOffset + (p.origLen - (ipOffset - p.offset));
}

/** Decode an IPv4 header at p.ipOffset; returns false if it is too short to use. */
export function decodeIPv4(p: Packet, end: number): boolean {
  const b = p.bytes;
  const o = p.ipOffset;
  if (end - o < 20 || b[o] >> 4 !== 4) return false;
  const ihl = (b[o] & 0x0f) * 4;
  if (ihl < 20 || end - o < ihl) return false;
  const totalLen = u16be(b, o + 2);
  const frag = u16be(b, o + 6);
  p.ipVersion = 4;
  p.ipProto = b[o + 9];
  p.ipSrc = formatIPv4(b, o + 12);
  p.ipDst = formatIPv4(b, o + 16);
  p.ipSrcHash = i32be(b, o + 12);
  p.ipDstHash = i32be(b, o + 16);
  p.ipFragment = (frag & 0x3fff) !== 0; // MF set or offset non-zero
  p.l4Offset = o + ihl;
  // The datagram ends where its total length says, but never past the frame (its original
  // length: bytes the snapshot cut are still counted): a total length larger than the frame
  // leaves the payload that is there, as Wireshark takes it. A zero total length is what TCP
  // segmentation offload leaves behind: the frame again.
  const frameEnd = frameEndAt(p, o);
  const ipEnd = totalLen === 0 ? frameEnd : Math.min(o + totalLen, frameEnd);
  p.l4End = Math.max(p.l4Offset, ipEnd);
  return true;
}

const EXT_HOP_BY_HOP = 0;
const EXT_ROUTING = 43;
const EXT_FRAGMENT = 44;
const EXT_ESP = 50;
const EXT_AH = 51;
const EXT_DEST_OPTS = 60;
const EXT_MOBILITY = 135;

/** Decode an IPv6 header and walk its extension headers (RFC 8200 §4). */
export function decodeIPv6(p: Packet, end: number): boolean {
  const b = p.bytes;
  const o = p.ipOffset;
  if (end - o < 40 || b[o] >> 4 !== 6) return false;
  const payloadLen = u16be(b, o + 4);
  let next = b[o + 6];
  p.ipVersion = 6;
  p.ipSrc = formatIPv6(b, o + 8);
  p.ipDst = formatIPv6(b, o + 24);
  p.ipSrcHash = i32be(b, o + 8) ^ i32be(b, o + 12) ^ i32be(b, o + 16) ^ i32be(b, o + 20);
  p.ipDstHash = i32be(b, o + 24) ^ i32be(b, o + 28) ^ i32be(b, o + 32) ^ i32be(b, o + 36);
  p.ipFragment = false;
  let h = o + 40;
  p.l4End = Math.min(o + 40 + payloadLen, Math.max(o + 40, frameEndAt(p, o)));
  for (;;) {
    if (next === EXT_HOP_BY_HOP || next === EXT_ROUTING || next === EXT_DEST_OPTS || next === EXT_MOBILITY) {
      if (end - h < 2) break;
      const n = b[h];
      h += (b[h + 1] + 1) * 8;
      next = n;
    } else if (next === EXT_FRAGMENT) {
      if (end - h < 8) break;
      const offMf = u16be(b, h + 2);
      if (offMf & 0xfff9) p.ipFragment = true; // offset non-zero or M flag set
      next = b[h];
      h += 8;
    } else if (next === EXT_AH) {
      if (end - h < 2) break;
      const n = b[h];
      h += (b[h + 1] + 2) * 4;
      next = n;
    } else {
      break; // ESP (50) and upper layers end the walk
    }
    if (next === EXT_ESP) break;
  }
  p.ipProto = next;
  p.l4Offset = Math.min(h, Math.max(p.l4End, h));
  return true;
}

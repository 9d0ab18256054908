/**
 * ICMP (RFC 792) and ICMPv6 (RFC 4443): the type and code, and for error messages the datagram
 * they quote (RFC 792: its IP header and at least 64 bits of its data; RFC 1812 §4.3.2.3 and
 * RFC 4443 §2.4: as much as fits). Wireshark dissects the quoted header as a second IP layer,
 * so its addresses and ports are a second occurrence of the same fields.
 */
import { i32be, u16be, u32be } from '../util/bytes';
import { formatIPv4, formatIPv6 } from './ip';
import { Packet, QuotedDatagram } from './packet';
import { decodeTcp } from './tcp';

/** ICMP error types: destination unreachable, source quench, redirect, time exceeded, parameter problem. */
const ICMP_ERRORS: ReadonlySet<number> = new Set([3, 4, 5, 11, 12]);
/** ICMPv6 error types: destination unreachable, packet too big, time exceeded, parameter problem. */
const ICMPV6_ERRORS: ReadonlySet<number> = new Set([1, 2, 3, 4]);

/** Decode the ICMP / ICMPv6 message at p.l4Offset (p.ipProto is 1 or 58). */
export function decodeIcmp(p: Packet, end: number): void {
  const b = p.bytes;
  const o = p.l4Offset;
  if (end - o < 4) return;
  const type = b[o];
  p.icmp = { type, code: b[o + 1] };
  const v6 = p.ipProto === 58;
  if (!(v6 ? ICMPV6_ERRORS : ICMP_ERRORS).has(type) || end - o < 8) return;
  p.inner = decodeQuoted(b, o + 8, Math.min(end, Math.max(p.l4End, o + 8)), v6);
}

/** The quoted datagram's IP header and what follows it, as far as it was captured. */
function decodeQuoted(b: Buffer, o: number, end: number, v6: boolean): QuotedDatagram | undefined {
  let q: QuotedDatagram;
  let l4: number;
  if (!v6) {
    if (end - o < 20 || b[o] >> 4 !== 4) return undefined;
    const ihl = (b[o] & 0x0f) * 4;
    if (ihl < 20 || end - o < ihl) return undefined;
    q = { ipVersion: 4, ipSrc: formatIPv4(b, o + 12), ipDst: formatIPv4(b, o + 16), ipSrcHash: i32be(b, o + 12), ipDstHash: i32be(b, o + 16), ipProto: b[o + 9] };
    // A fragment other than the first carries no transport header.
    if (u16be(b, o + 6) & 0x1fff) return q;
    l4 = o + ihl;
  } else {
    if (end - o < 40 || b[o] >> 4 !== 6) return undefined;
    let next = b[o + 6];
    l4 = o + 40;
    // Hop-by-hop, routing and destination options headers before the transport header (RFC 8200 §4).
    while ((next === 0 || next === 43 || next === 60) && end - l4 >= 2) {
      next = b[l4];
      l4 += (b[l4 + 1] + 1) * 8;
    }
    const hash = (at: number) => i32be(b, at) ^ i32be(b, at + 4) ^ i32be(b, at + 8) ^ i32be(b, at + 12);
    q = { ipVersion: 6, ipSrc: formatIPv6(b, o + 8), ipDst: formatIPv6(b, o + 24), ipSrcHash: hash(o + 8), ipDstHash: hash(o + 24), ipProto: next };
  }
  const avail = end - l4;
  if (q.ipProto === 6 && avail >= 4) {
    // The quoted segment's length is unknown (only its start is here): no payload length.
    q.tcp = decodeTcp(b, l4, end, 0);
    if (avail >= 8) q.tcpSeq = u32be(b, l4 + 4);
  } else if (q.ipProto === 17 && avail >= 8) {
    q.udp = { srcPort: u16be(b, l4), dstPort: u16be(b, l4 + 2), length: u16be(b, l4 + 4) };
  } else if ((q.ipProto === 1 || q.ipProto === 58) && avail >= 2) {
    q.icmp = { type: b[l4], code: b[l4 + 1] };
  }
  return q;
}

/** Decode one captured record down to TCP/UDP: link → IP → transport. */
import { CaptureRecord } from '../capture/reader';
import { decodeIPv4, decodeIPv6 } from './ip';
import { decodeLink, ETHERTYPE_IPV4, ETHERTYPE_IPV6, LinkResult } from './link';
import { Packet, TcpHeader } from './packet';
import { decodeTcp, emptyTcpHeader } from './tcp';
import { decodeIcmp } from './icmp';
import { u16be } from '../util/bytes';

export * from './packet';
export * from './link';
export * from './ip';
export * from './tcp';
export * from './icmp';

const link: LinkResult = { offset: 0, proto: 0 };

function emptyPacket(): Packet {
  return {
    frame: 0, tsSec: 0, tsNsec: 0, hasTs: true, capLen: 0, origLen: 0, linkType: 0, bytes: EMPTY, offset: 0, ipVersion: 0, ipOffset: 0,
    ipSrc: '', ipDst: '', ipSrcHash: 0, ipDstHash: 0, ipProto: 0, ipFragment: false, l4Offset: 0, l4End: 0, tcp: undefined, udp: undefined,
    payloadOffset: 0, payloadCaptured: 0, unknownLink: false, icmp: undefined, inner: undefined,
  };
}
const EMPTY = Buffer.alloc(0);

/** Decode one record into a new Packet (which keeps a view of the record's bytes: see CaptureRecord). */
export function decodeRecord(r: CaptureRecord): Packet {
  return decodeInto(r, emptyPacket());
}

/**
 * Decodes every record into the same Packet and TCP header objects: for streaming analysis,
 * where an object per packet would be garbage a moment later. The result is valid until the
 * next `decode`.
 */
export class PacketDecoder {
  private readonly p = emptyPacket();
  private readonly tcp = emptyTcpHeader();

  decode(r: CaptureRecord): Packet {
    return decodeInto(r, this.p, this.tcp);
  }
}

function decodeInto(r: CaptureRecord, p: Packet, tcpInto?: TcpHeader): Packet {
  const end = r.offset + r.capLen;
  p.frame = r.frame;
  p.tsSec = r.tsSec;
  p.tsNsec = r.tsNsec;
  p.hasTs = r.hasTs;
  p.capLen = r.capLen;
  p.origLen = r.origLen;
  p.linkType = r.linkType;
  p.bytes = r.buf;
  p.offset = r.offset;
  p.ipVersion = 0;
  p.ipOffset = 0;
  p.ipSrc = '';
  p.ipDst = '';
  p.ipSrcHash = 0;
  p.ipDstHash = 0;
  p.ipProto = 0;
  p.ipFragment = false;
  p.l4Offset = 0;
  p.l4End = 0;
  p.tcp = undefined;
  p.udp = undefined;
  p.payloadOffset = 0;
  p.payloadCaptured = 0;
  p.unknownLink = false;
  p.icmp = undefined;
  p.inner = undefined;
  if (!decodeLink(r.linkType, r.buf, r.offset, end, link)) {
    p.unknownLink = true;
    return p;
  }
  p.ipOffset = link.offset;
  if (link.proto === ETHERTYPE_IPV4) {
    if (!decodeIPv4(p, end)) return p;
  } else if (link.proto === ETHERTYPE_IPV6) {
    if (!decodeIPv6(p, end)) return p;
  } else {
    return p;
  }
  if (p.ipFragment) return p;
  const segLen = p.l4End - p.l4Offset;
  if (p.ipProto === 6) {
    const tcp = decodeTcp(r.buf, p.l4Offset, end, segLen, tcpInto);
    if (!tcp) return p;
    p.tcp = tcp;
    p.payloadOffset = p.l4Offset + tcp.hdrLen;
    p.payloadCaptured = Math.max(0, Math.min(end, p.l4End) - p.payloadOffset);
  } else if (p.ipProto === 17 && end - p.l4Offset >= 8) {
    const b = r.buf;
    const o = p.l4Offset;
    p.udp = { srcPort: u16be(b, o), dstPort: u16be(b, o + 2), length: u16be(b, o + 4) };
    p.payloadOffset = o + 8;
    p.payloadCaptured = Math.max(0, Math.min(end, p.l4End) - p.payloadOffset);
  } else if (p.ipProto === (p.ipVersion === (6 as number) ? 58 : 1)) {
    decodeIcmp(p, end);
  }
  return p;
}

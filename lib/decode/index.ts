/** Decode one captured record down to TCP/UDP: link → IP → transport. */
import { CaptureRecord } from '../capture/reader';
import { decodeIPv4, decodeIPv6 } from './ip';
import { decodeLink, ETHERTYPE_IPV4, ETHERTYPE_IPV6, LinkResult } from './link';
import { Packet } from './packet';
import { decodeTcp } from './tcp';

export * from './packet';
export * from './link';
export * from './ip';
export * from './tcp';

const link: LinkResult = { offset: 0, proto: 0 };

export function decodeRecord(r: CaptureRecord): Packet {
  const end = r.offset + r.capLen;
  const p: Packet = {
    frame: r.frame,
    tsSec: r.tsSec,
    tsNsec: r.tsNsec,
    hasTs: r.hasTs,
    capLen: r.capLen,
    origLen: r.origLen,
    linkType: r.linkType,
    bytes: r.buf,
    offset: r.offset,
    ipVersion: 0,
    ipOffset: 0,
    ipSrc: '',
    ipDst: '',
    ipSrcHash: 0,
    ipDstHash: 0,
    ipProto: 0,
    ipFragment: false,
    l4Offset: 0,
    l4End: 0,
    tcp: undefined,
    udp: undefined,
    payloadOffset: 0,
    payloadCaptured: 0,
    unknownLink: false,
  };
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
    const tcp = decodeTcp(r.buf, p.l4Offset, end, segLen);
    if (!tcp) return p;
    p.tcp = tcp;
    p.payloadOffset = p.l4Offset + tcp.hdrLen;
    p.payloadCaptured = Math.max(0, Math.min(end, p.l4End) - p.payloadOffset);
  } else if (p.ipProto === 17 && end - p.l4Offset >= 8) {
    const b = r.buf;
    const o = p.l4Offset;
    p.udp = { srcPort: b.readUInt16BE(o), dstPort: b.readUInt16BE(o + 2), length: b.readUInt16BE(o + 4) };
    p.payloadOffset = o + 8;
    p.payloadCaptured = Math.max(0, Math.min(end, p.l4End) - p.payloadOffset);
  }
  return p;
}

/**
 * Link layer: find where the network-layer packet starts and which protocol it is.
 *
 * Returns the EtherType-style protocol number of the payload (0x0800 IPv4, 0x86dd IPv6) or 0 for
 * anything else, and the payload offset in `linkOut.offset`.
 */
import { u16be, u32be, u32le } from '../util/bytes';

export const LINKTYPE = {
  NULL: 0,
  ETHERNET: 1,
  RAW_OPENBSD: 12, // LINKTYPE_RAW's old value on some platforms
  RAW_BSDOS: 14,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;

/** Link types this library decodes down to IP. */
export const SUPPORTED_LINKTYPES: ReadonlySet<number> = new Set(Object.values(LINKTYPE));

export interface LinkResult {
  /** Offset of the network-layer header. */
  offset: number;
  /** 0x0800, 0x86dd, or 0 when the payload is not IP. */
  proto: number;
}

/** BSD address families as loopback headers write them (Linux, BSDs, macOS, Windows/Npcap). */
function familyToProto(af: number): number {
  if (af === 2) return ETHERTYPE_IPV4;
  if (af === 10 || af === 24 || af === 28 || af === 30) return ETHERTYPE_IPV6;
  return 0;
}

function versionNibble(b: Buffer, off: number, end: number): number {
  if (off >= end) return 0;
  const v = b[off] >> 4;
  return v === 4 ? ETHERTYPE_IPV4 : v === 6 ? ETHERTYPE_IPV6 : 0;
}

/** Decode the link header of one frame occupying b[off, end). */
export function decodeLink(linkType: number, b: Buffer, off: number, end: number, out: LinkResult): boolean {
  switch (linkType) {
    case LINKTYPE.ETHERNET: {
      if (end - off < 14) return notIp(out, end);
      let type = u16be(b, off + 12);
      let o = off + 14;
      // 802.1Q / 802.1ad / QinQ tags: 4 bytes each (TCI + inner EtherType).
      while ((type === 0x8100 || type === 0x88a8 || type === 0x9100) && end - o >= 4) {
        type = u16be(b, o + 2);
        o += 4;
      }
      // PPPoE session (RFC 2516): 6-byte header, then a 2-byte PPP protocol number.
      if (type === 0x8864 && end - o >= 8) {
        const ppp = u16be(b, o + 6);
        o += 8;
        type = ppp === 0x0021 ? ETHERTYPE_IPV4 : ppp === 0x0057 ? ETHERTYPE_IPV6 : 0;
      }
      out.offset = o;
      out.proto = type === ETHERTYPE_IPV4 || type === ETHERTYPE_IPV6 ? type : 0;
      return true;
    }
    case LINKTYPE.NULL: {
      // An address family in the capturing host's byte order — or, from some systems, an
      // EtherType. Decided the way Wireshark's null dissector decides it.
      if (end - off < 4) return notIp(out, end);
      let v = u32le(b, off);
      if (v & 0xffff0000) {
        if ((v & 0xff000000) === 0 && (v & 0x00ff0000) < 0x00060000) v >>>= 16;
        else v = u32be(b, off);
      }
      out.offset = off + 4;
      if (v > 1500) {
        const t = v & 0xffff;
        out.proto = t === ETHERTYPE_IPV4 || t === ETHERTYPE_IPV6 ? t : 0;
      } else {
        out.proto = familyToProto(v);
      }
      return true;
    }
    case LINKTYPE.LOOP: {
      if (end - off < 4) return notIp(out, end);
      out.offset = off + 4;
      out.proto = familyToProto(u32be(b, off));
      return true;
    }
    case LINKTYPE.RAW:
    case LINKTYPE.RAW_OPENBSD:
    case LINKTYPE.RAW_BSDOS:
      out.offset = off;
      out.proto = versionNibble(b, off, end);
      return true;
    case LINKTYPE.IPV4:
      out.offset = off;
      out.proto = ETHERTYPE_IPV4;
      return true;
    case LINKTYPE.IPV6:
      out.offset = off;
      out.proto = ETHERTYPE_IPV6;
      return true;
    case LINKTYPE.LINUX_SLL: {
      if (end - off < 16) return notIp(out, end);
      out.offset = off + 16;
      const t = u16be(b, off + 14);
      out.proto = t === ETHERTYPE_IPV4 || t === ETHERTYPE_IPV6 ? t : 0;
      return true;
    }
    case LINKTYPE.LINUX_SLL2: {
      if (end - off < 20) return notIp(out, end);
      out.offset = off + 20;
      const t = u16be(b, off);
      out.proto = t === ETHERTYPE_IPV4 || t === ETHERTYPE_IPV6 ? t : 0;
      return true;
    }
    default:
      out.offset = off;
      out.proto = 0;
      return false;
  }
}

function notIp(out: LinkResult, end: number): boolean {
  out.offset = end;
  out.proto = 0;
  return true;
}

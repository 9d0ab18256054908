/**
 * The decoded form of one frame, filled layer by layer (link → IP → TCP/UDP).
 *
 * Each layer decoder reads bytes and writes only its own fields; none of them knows about the
 * layers above it. Byte ranges (`ipOffset`, `l4Offset`, `payloadOffset`) index into `bytes`.
 */
export interface TcpOption {
  kind: number;
  /** Offset of the option's kind byte within `Packet.bytes`. */
  offset: number;
  /** Total option length including kind and length bytes. */
  length: number;
}

export interface TcpHeader {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** Header length in bytes (data offset × 4). */
  hdrLen: number;
  /** The 12 flag bits (reserved, AE/NS, CWR, ECE, URG, ACK, PSH, RST, SYN, FIN). */
  flags: number;
  window: number;
  checksum: number;
  urgent: number;
  options: TcpOption[];
  mss?: number;
  wscale?: number;
  sackPerm: boolean;
  /** SACK blocks as raw sequence numbers [le, re, le, re, …]. */
  sack?: number[];
  tsval?: number;
  tsecr?: number;
  /** Payload bytes carried by this segment (from the IP length, not from what was captured). */
  payloadLen: number;
  /** Bytes of the TCP header present in the capture (< hdrLen when the snapshot cut it). */
  hdrCaptured: number;
}

/** The datagram an ICMP or ICMPv6 error message quotes (its start: headers, a little data). */
export interface QuotedDatagram {
  ipVersion: 4 | 6;
  ipSrc: string;
  ipDst: string;
  ipSrcHash: number;
  ipDstHash: number;
  ipProto: number;
  /** Its TCP header as far as quoted (`hdrCaptured`; payloadLen is 0: the segment's length is not known). */
  tcp?: TcpHeader;
  /** The TCP sequence number when at least 8 bytes of the segment are quoted. */
  tcpSeq?: number;
  udp?: { srcPort: number; dstPort: number; length: number };
  icmp?: { type: number; code: number };
}

export interface Packet {
  frame: number;
  tsSec: number;
  tsNsec: number;
  hasTs: boolean;
  capLen: number;
  origLen: number;
  linkType: number;
  bytes: Buffer;
  /** Offset of the link-layer header. */
  offset: number;
  /** 0 when the frame carries no IP (or a link type we do not decode). */
  ipVersion: 0 | 4 | 6;
  ipOffset: number;
  ipSrc: string;
  ipDst: string;
  /** 32-bit folds of the source and destination addresses (for hashing connections). */
  ipSrcHash: number;
  ipDstHash: number;
  /** IP protocol / final IPv6 next header (6 TCP, 17 UDP, …). */
  ipProto: number;
  /** True for a non-first IPv4/IPv6 fragment or a first fragment with more to come. */
  ipFragment: boolean;
  /** Offset of the transport header; payload of IP ends at l4End (IP length bound, capture bound applied separately). */
  l4Offset: number;
  l4End: number;
  tcp?: TcpHeader;
  udp?: { srcPort: number; dstPort: number; length: number };
  /** Offset of the transport payload and how many of its bytes were captured. */
  payloadOffset: number;
  payloadCaptured: number;
  /** Link type not decoded by this library. */
  unknownLink: boolean;
  /** ICMP / ICMPv6 type and code. */
  icmp?: { type: number; code: number };
  /** What an ICMP / ICMPv6 error quotes. */
  inner?: QuotedDatagram;
}

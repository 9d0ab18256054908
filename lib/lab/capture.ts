/**
 * Facts about the capture itself, only from what the file records: the pcapng section and
 * interface blocks (system, capturing program, interface, capture filter, drops), the snapshot
 * length and the packets it cut, damage; and about the link: loopback or a real network, MSS,
 * segments larger than the MSS (segmentation offload), checksums left to the hardware.
 */
import { CaptureAnalysis, TcpFrame } from '../analysis';
import { CaptureError } from '../capture/errors';
import { TH_SYN } from '../decode/tcp';

const LINK_NAMES: Record<number, string> = {
  0: 'BSD 回环（Null/Loopback）',
  1: '以太网（Ethernet）',
  101: '原始 IP（Raw IP）',
  12: '原始 IP（Raw IP）',
  14: '原始 IP（Raw IP）',
  108: 'OpenBSD 回环（Loop）',
  113: 'Linux cooked capture v1（SLL，在 any 伪接口上抓包）',
  276: 'Linux cooked capture v2（SLL2，在 any 伪接口上抓包）',
  228: '原始 IPv4',
  229: '原始 IPv6',
  9: 'PPP',
  105: 'IEEE 802.11 无线',
  127: 'IEEE 802.11 无线（Radiotap）',
};

export const linkName = (t: number) => LINK_NAMES[t] ?? `链路类型 ${t}`;

export interface InterfaceFacts {
  name?: string;
  description?: string;
  linkType: number;
  linkName: string;
  snapLen: number;
  /** The capture filter, when the file records one (pcapng if_filter). */
  filter?: string;
  os?: string;
  drops?: { os?: number; interface?: number; received?: number };
}

export interface CaptureFacts {
  source: string;
  format?: 'pcap' | 'pcapng';
  gzip: boolean;
  opened: boolean;
  os?: string;
  application?: string;
  hardware?: string;
  interfaces: InterfaceFacts[];
  /** classic pcap files do not record the capture filter: it is unknown, not absent. */
  filterRecorded: boolean;
  frames: number;
  tcpFrames: number;
  duration: number;
  /** Wall-clock time of the first packet (UTC, ISO 8601). */
  startedAt?: string;
  damage?: CaptureError;
  warnings: CaptureError[];
  truncated: { frames: number; first?: number; snapLen?: number };
  /** Packets the capturing tool reported dropping (pcapng statistics), summed over interfaces. */
  dropped?: number;
}

export function captureFacts(a: CaptureAnalysis, source: string): CaptureFacts {
  const sec = a.read.sections[0];
  const interfaces: InterfaceFacts[] = a.read.interfaces.map((i) => ({
    name: i.name,
    description: i.description,
    linkType: i.linkType,
    linkName: linkName(i.linkType),
    snapLen: i.snapLen,
    filter: i.filter,
    os: i.os,
    drops: i.stats ? { os: i.stats.osDropped, interface: i.stats.ifDropped, received: i.stats.received } : undefined,
  }));
  const withDrops = interfaces.filter((i) => i.drops && (i.drops.os !== undefined || i.drops.interface !== undefined));
  const truncatedFrames = a.frames.filter((f) => f.payloadCaptured < f.len);
  const last = a.frames.length ? a.frames[a.frames.length - 1].time : 0;
  const first = a.firstTime;
  return {
    source,
    format: a.read.format,
    gzip: a.read.gzip,
    opened: a.read.opened,
    os: sec?.os,
    application: sec?.application,
    hardware: sec?.hardware,
    interfaces,
    filterRecorded: a.read.format === 'pcapng',
    frames: a.totalFrames,
    tcpFrames: a.frames.length,
    duration: last,
    startedAt: isoTime(first),
    damage: a.read.error,
    warnings: a.read.warnings,
    truncated: { frames: a.truncatedFrames, first: truncatedFrames[0]?.frame, snapLen: interfaces.find((i) => i.snapLen > 0 && i.snapLen < 65535)?.snapLen },
    dropped: withDrops.length ? withDrops.reduce((n, i) => n + (i.drops!.os ?? 0) + (i.drops!.interface ?? 0), 0) : undefined,
  };
}

/** A capture's time stamp as ISO 8601, or undefined when it is none a calendar can hold (damaged files carry any 64-bit value). */
function isoTime(t: { sec: number; nsec: number } | undefined): string | undefined {
  if (!t || !(t.sec > 0)) return undefined;
  const d = new Date(t.sec * 1000 + Math.floor(t.nsec / 1e6));
  return Number.isFinite(d.getTime()) ? d.toISOString() : undefined;
}

/** 127.0.0.0/8, ::1 and IPv4-mapped loopback (RFC 1122 §3.2.1.3, RFC 4291 §2.5.3). */
export function isLoopbackAddress(a: string): boolean {
  return /^127\./.test(a) || a === '::1' || /^::ffff:127\./i.test(a);
}

export interface MssFacts {
  side: 'client' | 'server';
  mss: number;
  frame: number;
  ipVersion: 4 | 6;
  /** The MTU this MSS implies: MSS + 40 (IPv4 + TCP headers) or + 60 (IPv6 + TCP). */
  impliedMtu: number;
}

export interface LinkFacts {
  /** Every lab address is a loopback address: the traffic never left the machine. */
  loopback: boolean;
  /** Link types of the interfaces that carried the lab's frames. */
  linkTypes: number[];
  interfaceNames: string[];
  mss: MssFacts[];
  /** Largest TCP payload in the lab's traffic, and how many segments exceed the smaller MSS. */
  maxSegment?: TcpFrame;
  overMss: number;
  /** Checksums verified on whole segments: how many were wrong, and one example. */
  checksums: { verified: number; bad: number; example?: TcpFrame; goodExample?: TcpFrame };
  /** TCP timestamps (RFC 7323) were on: 12 of every segment's header bytes. */
  timestamps: boolean;
}

export function linkFacts(a: CaptureAnalysis, lab: TcpFrame[], isClient: (f: TcpFrame) => boolean): LinkFacts {
  const addrs = new Set<string>();
  for (const f of lab) {
    addrs.add(f.src);
    addrs.add(f.dst);
  }
  const mss: MssFacts[] = [];
  for (const f of lab) {
    if (!(f.flags & TH_SYN) || f.mss === undefined) continue;
    const side = isClient(f) ? 'client' : 'server';
    if (mss.some((m) => m.side === side && m.mss === f.mss)) continue;
    mss.push({ side, mss: f.mss, frame: f.frame, ipVersion: f.ipVersion, impliedMtu: f.mss + (f.ipVersion === 6 ? 60 : 40) });
  }
  const minMss = mss.length ? Math.min(...mss.map((m) => m.mss)) : undefined;
  let maxSegment: TcpFrame | undefined;
  let overMss = 0;
  let verified = 0;
  let bad = 0;
  let example: TcpFrame | undefined;
  let goodExample: TcpFrame | undefined;
  for (const f of lab) {
    if (!maxSegment || f.len > maxSegment.len) maxSegment = f;
    if (minMss !== undefined && f.len > minMss) overMss++;
    if (f.checksumOk !== undefined) {
      verified++;
      if (!f.checksumOk) {
        bad++;
        example ??= f;
      } else goodExample ??= f;
    }
  }
  const linkTypes = [...new Set(a.read.interfaces.map((i) => i.linkType))];
  return {
    loopback: addrs.size > 0 && [...addrs].every(isLoopbackAddress),
    linkTypes,
    interfaceNames: a.read.interfaces.map((i) => i.name).filter((n): n is string => !!n),
    mss,
    maxSegment: maxSegment && maxSegment.len > 0 ? maxSegment : undefined,
    overMss,
    checksums: { verified, bad, example, goodExample },
    timestamps: lab.some((f) => f.flags & TH_SYN && f.tsval !== undefined),
  };
}

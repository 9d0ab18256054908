/**
 * Which traffic is the lab, and what everything else is. The lab is the conversation between the
 * client that fetched the student's page and the server that sent it; the page is found by its
 * content (see page.ts). Everything else — other ports and hosts, tools, DNS, ICMP, TLS attempts,
 * refused connections — is classified once as "other traffic" and never feeds the lab's chapters.
 */
import { Connection, OtherPackets, TcpFrame } from '../analysis';
import { TH_ACK, TH_RST, TH_SYN } from '../decode/tcp';
import { clientAgent } from './agents';
import { header, LabExchange } from './http';
import { Endpoint, Orientation } from './tcp';

/** How the lab's traffic was chosen, strongest evidence first. */
export type SelectionRule =
  /** An HTML page that states 专业/学号/姓名 (at least two of them). */
  | 'profile-page'
  /** No such page: the first HTML page a browser fetched. */
  | 'browser-page'
  /** No page at all: the server a browser sent the most requests to. */
  | 'browser-http'
  /** No browser: the server that got the most HTTP requests. */
  | 'any-http'
  /** No HTTP in the capture. */
  | 'none';

export interface LabScope {
  rule: SelectionRule;
  client?: string;
  server?: Endpoint;
  /** The exchange that decided it (the page, or the first request to the chosen server). */
  decidedBy?: LabExchange;
}

/** A ClientHello record: handshake (22), version 3.x, handshake type 1 (RFC 8446 §5.1, §4). */
export function isTlsClientHello(b: Buffer): boolean {
  return b.length >= 6 && b[0] === 0x16 && b[1] === 3 && b[2] <= 4 && b[5] === 1;
}

/** Any TLS record header (content types 20–23, version 3.x). */
export function isTlsRecord(b: Buffer): boolean {
  return b.length >= 3 && b[0] >= 0x14 && b[0] <= 0x17 && b[1] === 3 && b[2] <= 4;
}

export type ConnectionKind =
  /** SYN answered by RST: nothing listens on that port. */
  | 'refused'
  /** TLS (HTTPS) by content, whatever the port. */
  | 'tls'
  /** A TLS ClientHello sent to a server that speaks plain HTTP (https:// typed to an http port): it answers with an HTTP error. */
  | 'tls-to-http'
  | 'http'
  /** No payload either way (a connection opened and never used, or only its handshake captured). */
  | 'no-data'
  /** Payload that is neither HTTP nor TLS. */
  | 'other';

export interface ConnectionClass {
  kind: ConnectionKind;
  /** For tls-to-http: the server's status line ("HTTP/1.1 400 Bad Request") and its frame. */
  httpAnswer?: { line: string; frame: number };
}

export function classifyConnection(c: Connection, o: Orientation, frames: TcpFrame[], exchanges: LabExchange[]): ConnectionClass {
  const clientFirst = o.client.addr === c.client.addr && o.client.port === c.client.port ? c.clientFirstBytes : c.serverFirstBytes;
  const serverFirst = clientFirst === c.clientFirstBytes ? c.serverFirstBytes : c.clientFirstBytes;
  const serverFrame = clientFirst === c.clientFirstBytes ? c.serverFirstDataFrame : c.clientFirstDataFrame;
  if (isTlsClientHello(clientFirst) || (clientFirst.length === 0 && isTlsRecord(serverFirst))) {
    const line = serverFirst.toString('latin1');
    if (/^HTTP\/1\.[01] \d{3}/.test(line)) {
      const full = frames.find((f) => f.frame === serverFrame)?.startLine ?? line.split(/\r|\n/)[0];
      return { kind: 'tls-to-http', httpAnswer: { line: full, frame: serverFrame } };
    }
    return { kind: 'tls' };
  }
  if (isTlsRecord(clientFirst) && isTlsRecord(serverFirst)) return { kind: 'tls' };
  if (exchanges.length || c.protocol === 'http') return { kind: 'http' };
  const synAck = frames.some((f) => (f.flags & (TH_SYN | TH_ACK)) === (TH_SYN | TH_ACK));
  const syn = frames.some((f) => (f.flags & (TH_SYN | TH_ACK)) === TH_SYN);
  const rst = frames.some((f) => f.flags & TH_RST && f.src === o.server.addr && f.srcPort === o.server.port);
  if (syn && !synAck && rst) return { kind: 'refused' };
  if (!clientFirst.length && !serverFirst.length) return { kind: 'no-data' };
  return { kind: 'other' };
}

/** The endpoint that sent a message (from its frame). */
export function senderOf(frame: number, byFrame: Map<number, TcpFrame>): Endpoint | undefined {
  const f = byFrame.get(frame);
  return f ? { addr: f.src, port: f.srcPort } : undefined;
}

/** Choose the lab's traffic by the strongest rule that has evidence (see SelectionRule). */
export function chooseScope(
  exchanges: LabExchange[],
  orientationOf: (stream: number) => Orientation | undefined,
  profilePage: LabExchange | undefined,
): LabScope {
  const scopeOf = (rule: SelectionRule, ex: LabExchange): LabScope => {
    const o = orientationOf(ex.stream)!;
    return { rule, client: o.client.addr, server: o.server, decidedBy: ex };
  };
  if (profilePage) return scopeOf('profile-page', profilePage);
  const browser = (ex: LabExchange) => clientAgent(header(ex.request, 'user-agent'), header(ex.request, 'sec-ch-ua'))?.kind === 'browser';
  const htmlByBrowser = exchanges.find((ex) => browser(ex) && /^(text\/html|application\/xhtml\+xml)$/.test(ex.mediaType ?? '') && (ex.response?.code ?? 0) < 300);
  if (htmlByBrowser) return scopeOf('browser-page', htmlByBrowser);
  const busiest = (pick: (ex: LabExchange) => boolean): LabExchange | undefined => {
    const count = new Map<string, { n: number; first: LabExchange }>();
    for (const ex of exchanges) {
      if (!ex.request || !pick(ex)) continue;
      const o = orientationOf(ex.stream);
      if (!o) continue;
      const k = `${o.client.addr}|${o.server.addr}|${o.server.port}`;
      const c = count.get(k);
      if (c) c.n++;
      else count.set(k, { n: 1, first: ex });
    }
    let best: { n: number; first: LabExchange } | undefined;
    for (const c of count.values()) if (!best || c.n > best.n) best = c;
    return best?.first;
  };
  const b = busiest(browser);
  if (b) return scopeOf('browser-http', b);
  const any = busiest(() => true);
  if (any) return scopeOf('any-http', any);
  return { rule: 'none' };
}

/** "Other traffic", one row per kind and server, for the report's 其他流量 section. */
export interface OtherTcpGroup {
  kind: ConnectionKind;
  server: Endpoint;
  clients: string[];
  connections: Connection[];
  frames: number;
  firstFrame: number;
  /** HTTP only: requests, the clients' names (curl, a browser …), and a sample request line with its frame. */
  requests: number;
  agents: string[];
  sample?: { frame: number; line: string };
  httpAnswer?: ConnectionClass['httpAnswer'];
}

export interface OtherTraffic {
  tcp: OtherTcpGroup[];
  /** Non-TCP traffic with a name for each group (DNS, mDNS, SSDP, QUIC, ICMP, ARP, …). */
  packets: Array<OtherPackets & { name: string }>;
  overflow: { frames: number; bytes: number };
  /** Frames outside the lab in all. */
  frames: number;
}

const UDP_NAMES: Record<number, string> = {
  53: 'DNS',
  5353: 'mDNS',
  5355: 'LLMNR',
  1900: 'SSDP',
  67: 'DHCP',
  68: 'DHCP',
  123: 'NTP',
  137: 'NetBIOS',
  138: 'NetBIOS',
  443: 'QUIC (HTTP/3)',
  546: 'DHCPv6',
  547: 'DHCPv6',
};

export function nameOtherPackets(g: OtherPackets): string {
  switch (g.kind) {
    case 'udp': {
      const known = UDP_NAMES[g.dstPort ?? -1] ?? UDP_NAMES[g.srcPort ?? -1];
      return known ?? `UDP`;
    }
    case 'icmp':
      return 'ICMP';
    case 'icmpv6':
      return 'ICMPv6';
    case 'arp':
      return 'ARP';
    case 'fragment':
      return 'IP 分片';
    case 'ip':
      return `IP 协议 ${g.proto}`;
    default:
      return '非 IP 帧';
  }
}

/**
 * Build captures byte by byte inside a test: Ethernet / IPv4 / IPv6 / TCP / UDP / ICMP / ICMPv6
 * packets (checksums computed, RFC 1071) written as pcap or pcapng. Every generated-situation
 * test writes its capture with these and compares `wirenote fields` with tshark on it.
 */

export interface Rec {
  /** Time in seconds (float; microsecond precision is kept). */
  t: number;
  data: Buffer;
  /** Original length when the record was cut (snaplen); default data.length. */
  origLen?: number;
}

function sum16(b: Buffer, acc = 0): number {
  for (let i = 0; i + 1 < b.length; i += 2) acc += b.readUInt16BE(i);
  if (b.length & 1) acc += b[b.length - 1] << 8;
  return acc;
}
function fold(acc: number): number {
  while (acc > 0xffff) acc = (acc & 0xffff) + (acc >>> 16);
  return ~acc & 0xffff;
}

export function ip4(a: string): Buffer {
  return Buffer.from(a.split('.').map(Number));
}

export function ip6(a: string): Buffer {
  const [l, r] = a.includes('::') ? a.split('::') : [a, undefined];
  const left = l ? l.split(':') : [];
  const right = r !== undefined && r !== '' ? r.split(':') : [];
  const groups = r === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
}

export function eth(payload: Buffer, etherType = 0x0800): Buffer {
  const h = Buffer.from('02000000000202000000000100', 'hex').subarray(0, 12);
  const t = Buffer.alloc(2);
  t.writeUInt16BE(etherType);
  return Buffer.concat([h, t, payload]);
}

export interface Ip4Opts {
  src: string;
  dst: string;
  proto: number;
  payload: Buffer;
  /** Total length to write (default: the real one). */
  totalLen?: number;
  ttl?: number;
  id?: number;
}

export function ipv4(o: Ip4Opts): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(o.totalLen ?? 20 + o.payload.length, 2);
  h.writeUInt16BE(o.id ?? 1, 4);
  h.writeUInt16BE(0x4000, 6); // DF
  h[8] = o.ttl ?? 64;
  h[9] = o.proto;
  ip4(o.src).copy(h, 12);
  ip4(o.dst).copy(h, 16);
  h.writeUInt16BE(fold(sum16(h)), 10);
  return Buffer.concat([h, o.payload]);
}

export function ipv6(o: { src: string; dst: string; nh: number; payload: Buffer; hop?: number }): Buffer {
  const h = Buffer.alloc(40);
  h.writeUInt32BE(0x60000000, 0);
  h.writeUInt16BE(o.payload.length, 4);
  h[6] = o.nh;
  h[7] = o.hop ?? 64;
  ip6(o.src).copy(h, 8);
  ip6(o.dst).copy(h, 24);
  return Buffer.concat([h, o.payload]);
}

function pseudo(src: string, dst: string, proto: number, len: number): number {
  if (src.includes(':')) {
    const p = Buffer.alloc(40);
    ip6(src).copy(p, 0);
    ip6(dst).copy(p, 16);
    p.writeUInt32BE(len, 32);
    p[39] = proto;
    return sum16(p);
  }
  const p = Buffer.alloc(12);
  ip4(src).copy(p, 0);
  ip4(dst).copy(p, 4);
  p[9] = proto;
  p.writeUInt16BE(len, 10);
  return sum16(p);
}

export const F = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32 } as const;

export interface TcpOpts {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  seq: number;
  ack?: number;
  flags: number;
  win?: number;
  /** Raw option bytes (padded to 4 with NOPs here). */
  options?: Buffer;
  payload?: Buffer | string;
}

export function tcpSegment(o: TcpOpts): Buffer {
  let opts = o.options ?? Buffer.alloc(0);
  if (opts.length % 4) opts = Buffer.concat([opts, Buffer.alloc(4 - (opts.length % 4), 1)]);
  const payload = typeof o.payload === 'string' ? Buffer.from(o.payload, 'latin1') : o.payload ?? Buffer.alloc(0);
  const h = Buffer.alloc(20);
  h.writeUInt16BE(o.sport, 0);
  h.writeUInt16BE(o.dport, 2);
  h.writeUInt32BE(o.seq >>> 0, 4);
  h.writeUInt32BE((o.ack ?? 0) >>> 0, 8);
  h[12] = ((20 + opts.length) / 4) << 4;
  h[13] = o.flags;
  h.writeUInt16BE(o.win ?? 65535, 14);
  const seg = Buffer.concat([h, opts, payload]);
  seg.writeUInt16BE(fold(sum16(seg, pseudo(o.src, o.dst, 6, seg.length))), 16);
  return seg;
}

/** A TCP segment in IPv4 or IPv6 (by the address form) in Ethernet. */
export function tcp(o: TcpOpts & { totalLen?: number }): Buffer {
  const seg = tcpSegment(o);
  return o.src.includes(':')
    ? eth(ipv6({ src: o.src, dst: o.dst, nh: 6, payload: seg }), 0x86dd)
    : eth(ipv4({ src: o.src, dst: o.dst, proto: 6, payload: seg, totalLen: o.totalLen }));
}

export function udpDatagram(src: string, dst: string, sport: number, dport: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt16BE(8 + payload.length, 4);
  const d = Buffer.concat([h, payload]);
  d.writeUInt16BE(fold(sum16(d, pseudo(src, dst, 17, d.length))) || 0xffff, 6);
  return d;
}

/** An ICMP (IPv4) message: type, code, 4 bytes of rest-of-header, payload (e.g. a quoted datagram). */
export function icmp(type: number, code: number, payload: Buffer, rest = Buffer.alloc(4)): Buffer {
  const h = Buffer.alloc(4);
  h[0] = type;
  h[1] = code;
  const m = Buffer.concat([h, rest, payload]);
  m.writeUInt16BE(fold(sum16(m)), 2);
  return m;
}

export function icmp6(src: string, dst: string, type: number, code: number, payload: Buffer, rest = Buffer.alloc(4)): Buffer {
  const h = Buffer.alloc(4);
  h[0] = type;
  h[1] = code;
  const m = Buffer.concat([h, rest, payload]);
  m.writeUInt16BE(fold(sum16(m, pseudo(src, dst, 58, m.length))), 2);
  return m;
}

/** TCP options. */
export const opt = {
  mss: (v: number) => Buffer.from([2, 4, v >> 8, v & 255]),
  wscale: (v: number) => Buffer.from([1, 3, 3, v]),
  sackPerm: () => Buffer.from([1, 1, 4, 2]),
  ts: (val: number, ecr: number) => {
    const b = Buffer.alloc(12);
    b[0] = 1;
    b[1] = 1;
    b[2] = 8;
    b[3] = 10;
    b.writeUInt32BE(val >>> 0, 4);
    b.writeUInt32BE(ecr >>> 0, 8);
    return b;
  },
  sack: (...edges: number[]) => {
    const b = Buffer.alloc(4 + edges.length * 4);
    b[0] = 1;
    b[1] = 1;
    b[2] = 5;
    b[3] = 2 + edges.length * 4;
    edges.forEach((e, i) => b.writeUInt32BE(e >>> 0, 4 + i * 4));
    return b;
  },
};

function secUsec(t: number): [number, number] {
  const sec = Math.floor(t);
  return [sec, Math.round((t - sec) * 1e6)];
}

/** Classic pcap (little-endian, microseconds). */
export function pcap(recs: Rec[], linkType = 1, snapLen = 262144): Buffer {
  const h = Buffer.alloc(24);
  h.writeUInt32LE(0xa1b2c3d4, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeUInt32LE(snapLen, 16);
  h.writeUInt32LE(linkType, 20);
  const parts = [h];
  for (const r of recs) {
    const [s, us] = secUsec(r.t);
    const rh = Buffer.alloc(16);
    rh.writeUInt32LE(s, 0);
    rh.writeUInt32LE(us, 4);
    rh.writeUInt32LE(r.data.length, 8);
    rh.writeUInt32LE(r.origLen ?? r.data.length, 12);
    parts.push(rh, r.data);
  }
  return Buffer.concat(parts);
}

export interface Section {
  recs: Rec[];
  /** Write this section big-endian. */
  be?: boolean;
  /** if_tsresol byte (default 6: microseconds). */
  tsresol?: number;
  /** if_tsoffset in seconds. */
  tsoffset?: number;
  /** Write Simple Packet Blocks (no time stamps). */
  simple?: boolean;
  linkType?: number;
}

/** pcapng: one or more sections, each with one interface. Plain Rec[] lists are little-endian microsecond sections. */
export function pcapng(sections: Array<Rec[] | Section>, linkType = 1): Buffer {
  const parts: Buffer[] = [];
  for (const sec of sections) {
    const o: Section = Array.isArray(sec) ? { recs: sec } : sec;
    const be = !!o.be;
    const w32 = (b: Buffer, v: number, at: number) => (be ? b.writeUInt32BE(v >>> 0, at) : b.writeUInt32LE(v >>> 0, at));
    const w16 = (b: Buffer, v: number, at: number) => (be ? b.writeUInt16BE(v, at) : b.writeUInt16LE(v, at));
    const block = (type: number, body: Buffer) => {
      const len = 12 + body.length;
      const b = Buffer.alloc(len);
      w32(b, type, 0);
      w32(b, len, 4);
      body.copy(b, 8);
      w32(b, len, len - 4);
      return b;
    };
    const shb = Buffer.alloc(16);
    w32(shb, 0x1a2b3c4d, 0);
    w16(shb, 1, 4);
    w32(shb, 0xffffffff, 8);
    w32(shb, 0xffffffff, 12);
    parts.push(block(0x0a0d0d0a, shb));
    const opts: Buffer[] = [];
    if (o.tsresol !== undefined) {
      const b = Buffer.alloc(8);
      w16(b, 9, 0);
      w16(b, 1, 2);
      b[4] = o.tsresol;
      opts.push(b);
    }
    if (o.tsoffset !== undefined) {
      const b = Buffer.alloc(12);
      w16(b, 14, 0);
      w16(b, 8, 2);
      const v = BigInt(o.tsoffset);
      if (be) b.writeBigInt64BE(v, 4);
      else b.writeBigInt64LE(v, 4);
      opts.push(b);
    }
    if (opts.length) opts.push(Buffer.alloc(4)); // opt_endofopt
    const idb = Buffer.alloc(8);
    w16(idb, o.linkType ?? linkType, 0);
    w32(idb, 262144, 4);
    parts.push(block(1, Buffer.concat([idb, ...opts])));
    const res = o.tsresol ?? 6;
    const unitsPerSec = res & 0x80 ? 2 ** (res & 0x7f) : 10 ** res;
    for (const r of o.recs) {
      const padded = Buffer.alloc((r.data.length + 3) & ~3);
      r.data.copy(padded);
      if (o.simple) {
        const head = Buffer.alloc(4);
        w32(head, r.origLen ?? r.data.length, 0);
        parts.push(block(3, Buffer.concat([head, padded])));
        continue;
      }
      const units = BigInt(Math.round((r.t - (o.tsoffset ?? 0)) * 1e6)) * BigInt(unitsPerSec) / 1000000n;
      const head = Buffer.alloc(20);
      w32(head, 0, 0);
      w32(head, Number(units >> 32n), 4);
      w32(head, Number(units & 0xffffffffn), 8);
      w32(head, r.data.length, 12);
      w32(head, r.origLen ?? r.data.length, 16);
      parts.push(block(6, Buffer.concat([head, padded])));
    }
  }
  return Buffer.concat(parts);
}

/**
 * A TCP connection seen from the capture point: `c` sends client → server, `s` server → client;
 * sequence numbers advance by what each side sends (SYN/FIN count one).
 */
export class Conn {
  cseq: number;
  sseq: number;
  constructor(
    readonly client: string,
    readonly server: string,
    readonly cport: number,
    readonly sport: number,
    cisn = 1000,
    sisn = 5000,
  ) {
    this.cseq = cisn;
    this.sseq = sisn;
  }

  private seg(fromClient: boolean, flags: number, payload: Buffer | string = '', extra: Partial<TcpOpts> & { totalLen?: number } = {}): Buffer {
    const len = typeof payload === 'string' ? Buffer.byteLength(payload, 'latin1') : payload.length;
    const seq = fromClient ? this.cseq : this.sseq;
    const ack = fromClient ? this.sseq : this.cseq;
    const b = tcp({
      src: fromClient ? this.client : this.server,
      dst: fromClient ? this.server : this.client,
      sport: fromClient ? this.cport : this.sport,
      dport: fromClient ? this.sport : this.cport,
      seq,
      ack: flags & F.ACK ? ack : 0,
      flags,
      payload,
      ...extra,
    });
    const adv = len + (flags & (F.SYN | F.FIN) ? 1 : 0);
    if (fromClient) this.cseq = (this.cseq + adv) >>> 0;
    else this.sseq = (this.sseq + adv) >>> 0;
    return b;
  }

  c(flags: number, payload: Buffer | string = '', extra: Partial<TcpOpts> & { totalLen?: number } = {}): Buffer {
    return this.seg(true, flags, payload, extra);
  }
  s(flags: number, payload: Buffer | string = '', extra: Partial<TcpOpts> & { totalLen?: number } = {}): Buffer {
    return this.seg(false, flags, payload, extra);
  }
}

/** Records at times t0, t0 + step, … */
export function timed(datas: Buffer[], t0 = 1700000000, step = 0.001): Rec[] {
  return datas.map((data, i) => ({ t: t0 + i * step, data }));
}

/**
 * Captures written by the tests themselves: classic pcap, Ethernet, IPv4 or IPv6, TCP with
 * sequence numbers kept per direction, and a snapshot length per packet (so a test can cut a
 * segment the way `tcpdump -s N` does). Checksums are left at zero (tshark does not check them by
 * default). Then compared with tshark cell by cell (`compareSynth`).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FIELD_NAMES } from '../../lib';
import { compareCapture, REQUIRED_FIELDS } from './tshark';

export const FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10;

export interface PacketOpts {
  /** Bytes of the frame actually captured (default: all of it). */
  capLen?: number;
}

export class PcapWriter {
  private parts: Buffer[] = [];
  private usec = 0;

  constructor(readonly snapLen = 262144, header?: (h: Buffer) => void) {
    const h = Buffer.alloc(24);
    h.writeUInt32LE(0xa1b2c3d4, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeUInt32LE(snapLen, 16);
    h.writeUInt32LE(1, 20);
    header?.(h);
    this.parts.push(h);
  }

  /** One Ethernet frame; time advances 100 µs per frame. */
  frame(data: Buffer, opts: PacketOpts = {}): void {
    this.usec += 100;
    const cap = Math.min(data.length, opts.capLen ?? data.length, this.snapLen);
    const r = Buffer.alloc(16);
    r.writeUInt32LE(1700000000 + Math.floor(this.usec / 1e6), 0);
    r.writeUInt32LE(this.usec % 1e6, 4);
    r.writeUInt32LE(cap, 8);
    r.writeUInt32LE(data.length, 12);
    this.parts.push(r, data.subarray(0, cap));
  }

  /** Raw record bytes (for captures that must be malformed on purpose). */
  raw(b: Buffer): void {
    this.parts.push(b);
  }

  buffer(): Buffer {
    return Buffer.concat(this.parts);
  }

  /** Written to a fresh temporary file; returns its path. */
  file(name = 'synth.pcap'): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirenote-synth-'));
    const f = path.join(dir, name);
    fs.writeFileSync(f, this.buffer());
    return f;
  }
}

function ipv4(src: number[], dst: number[], payload: Buffer): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + payload.length, 2);
  h.writeUInt16BE(0x4000, 6);
  h[8] = 64;
  h[9] = 6;
  Buffer.from(src).copy(h, 12);
  Buffer.from(dst).copy(h, 16);
  return Buffer.concat([h, payload]);
}

function ipv6(src: number[], dst: number[], payload: Buffer): Buffer {
  const h = Buffer.alloc(40);
  h.writeUInt32BE(0x60000000, 0);
  h.writeUInt16BE(payload.length, 4);
  h[6] = 6;
  h[7] = 64;
  Buffer.from(src).copy(h, 8);
  Buffer.from(dst).copy(h, 24);
  return Buffer.concat([h, payload]);
}

function tcp(sport: number, dport: number, seq: number, ack: number, flags: number, payload: Buffer, mss?: number): Buffer {
  const opts = mss ? Buffer.from([2, 4, mss >> 8, mss & 0xff]) : Buffer.alloc(0);
  const h = Buffer.alloc(20 + opts.length);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt32BE(seq >>> 0, 4);
  h.writeUInt32BE(ack >>> 0, 8);
  h.writeUInt16BE((((20 + opts.length) / 4) << 12) | flags, 12);
  h.writeUInt16BE(65535, 14);
  opts.copy(h, 20);
  return Buffer.concat([h, payload]);
}

function ether(v6: boolean, ip: Buffer): Buffer {
  const e = Buffer.alloc(14);
  e[5] = 1;
  e[11] = 2;
  e.writeUInt16BE(v6 ? 0x86dd : 0x0800, 12);
  return Buffer.concat([e, ip]);
}

export interface ConnOpts {
  v6?: boolean;
  clientPort?: number;
  serverPort?: number;
  /** Last byte of the client's address (several connections from different hosts). */
  host?: number;
}

/** One TCP connection between a client and a server, writing into a PcapWriter. */
export class Conn {
  private seq: [number, number];
  readonly v6: boolean;
  readonly cport: number;
  readonly sport: number;
  private readonly addr: [number[], number[]];

  constructor(private readonly w: PcapWriter, o: ConnOpts = {}) {
    this.v6 = o.v6 ?? false;
    this.cport = o.clientPort ?? 40000;
    this.sport = o.serverPort ?? 80;
    const host = o.host ?? 1;
    this.addr = this.v6
      ? [[0xfd, 0, ...Array(13).fill(0), host], [0xfd, 0, ...Array(13).fill(0), 0xfe]]
      : [[10, 0, 0, host], [10, 0, 1, 1]];
    this.seq = [1000 + host * 7919, 5000000 + host * 104729];
  }

  /** Raw segment from the client (dir 0) or server (dir 1), with explicit sequence number. */
  segment(dir: 0 | 1, flags: number, payload: Buffer | string, opts: PacketOpts & { seq?: number; mss?: number } = {}): void {
    const data = typeof payload === 'string' ? Buffer.from(payload, 'latin1') : payload;
    const seq = opts.seq ?? this.seq[dir];
    const ack = this.seq[1 - dir];
    const [src, dst] = dir === 0 ? this.addr : [this.addr[1], this.addr[0]];
    const [sp, dp] = dir === 0 ? [this.cport, this.sport] : [this.sport, this.cport];
    const t = tcp(sp, dp, seq, flags & ACK ? ack : 0, flags, data, opts.mss);
    this.w.frame(ether(this.v6, this.v6 ? ipv6(src, dst, t) : ipv4(src, dst, t)), opts);
    if (opts.seq === undefined) this.seq[dir] = (seq + data.length + (flags & (SYN | FIN) ? 1 : 0)) >>> 0;
  }

  handshake(): this {
    this.segment(0, SYN, '', { mss: 1460 });
    this.segment(1, SYN | ACK, '', { mss: 1460 });
    this.segment(0, ACK, '');
    return this;
  }

  /** Data from one side, cut into segments of at most `mss` bytes, each acknowledged by the other side. */
  send(dir: 0 | 1, data: Buffer | string, o: { mss?: number; capLen?: (i: number) => number | undefined; noAck?: boolean } = {}): this {
    const b = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    const mss = o.mss ?? 1460;
    for (let i = 0, k = 0; i < b.length; i += mss, k++) {
      this.segment(dir, ACK | PSH, b.subarray(i, i + mss), { capLen: o.capLen?.(k) });
      if (!o.noAck) this.segment((1 - dir) as 0 | 1, ACK, '');
    }
    return this;
  }

  close(): this {
    this.segment(0, FIN | ACK, '');
    this.segment(1, FIN | ACK, '');
    this.segment(0, ACK, '');
    return this;
  }
}

/** Header length of a segment built here: Ethernet + IP + TCP without options. */
export const headerBytes = (v6 = false): number => 14 + (v6 ? 40 : 20) + 20;

/** Every HTTP field, and the TCP fields that say where reassembly happened. */
export const HTTP_FIELDS = ['frame.number', 'tcp.stream', 'tcp.len', 'tcp.reassembled_in', 'tcp.segment.count', ...FIELD_NAMES.filter((f) => f.startsWith('http.'))];

/** tshark and wirenote on the capture, cell by cell: the differences (empty when they agree). */
export function compareSynth(w: PcapWriter, fields: string[] = REQUIRED_FIELDS) {
  const file = w.file();
  const c = compareCapture(file, fields);
  return { file, rows: c.rowsTshark, rowsOurs: c.rowsWirenote, diffs: c.diffs, tshark: c.theirs.stdout, ours: c.ours.stdout };
}

/**
 * Damage as capture files really get it, by kind and aimed at the file's own structure: a cut at
 * every kind of boundary, each header field of a record or block overwritten with the values that
 * break readers, stretches dropped or doubled, stray bytes. The structure is walked here with a few
 * lines of plain code (not with the reader under test) so a case names what it damaged.
 */
import { prng } from '../../lib';

export interface DamageCase {
  /** The kind, e.g. `cut/record-header`, `pcapng/block-length`; the test's figures are per kind. */
  kind: string;
  /** What exactly was done, to reproduce and to read in a failure. */
  what: string;
  data: Buffer;
}

interface Unit {
  /** Byte offset of the record (pcap) or block (pcapng) in the file. */
  at: number;
  len: number;
  /** Header length (pcap record header) or the block type (pcapng). */
  hl: number;
  type: number;
}

const BREAKERS = [0, 1, 3, 12, 0xffff, 65536, 262145, 0x7fffffff, 0xffffffff];

function walk(b: Buffer): { format: 'pcap' | 'pcapng'; le: boolean; units: Unit[] } | undefined {
  if (b.length < 24) return undefined;
  const m = b.readUInt32LE(0);
  const units: Unit[] = [];
  if (m === 0x0a0d0d0a) {
    const le = b.readUInt32LE(8) === 0x1a2b3c4d;
    const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    for (let p = 0; p + 12 <= b.length; ) {
      const len = u32(p + 4);
      if (len < 12 || p + len > b.length) break;
      units.push({ at: p, len, hl: 8, type: u32(p) });
      p += len;
    }
    return { format: 'pcapng', le, units };
  }
  const le = [0xa1b2c3d4, 0xa1b23c4d, 0xa1b2cd34].includes(m);
  if (!le && ![0xd4c3b2a1, 0x4d3cb2a1, 0x34cdb2a1].includes(m)) return undefined;
  const hl = m === 0xa1b2cd34 || m === 0x34cdb2a1 ? 24 : 16;
  const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  for (let p = 24; p + hl <= b.length; ) {
    const len = hl + u32(p + 8);
    if (p + len > b.length) break;
    units.push({ at: p, len, hl, type: 0 });
    p += len;
  }
  return { format: 'pcap', le, units };
}

/** The damaged variants of one capture; `perKind` bounds how many cases each kind yields. */
export function damageCases(src: Buffer, seed: number, perKind = 6): DamageCase[] {
  const s = walk(src);
  if (!s) return [];
  const rnd = prng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  const out: DamageCase[] = [];
  const put = (kind: string, what: string, data: Buffer) => out.push({ kind, what, data });
  const write32 = (at: number, v: number): Buffer => {
    const c = Buffer.from(src);
    if (at + 4 <= c.length) s.le ? c.writeUInt32LE(v >>> 0, at) : c.writeUInt32BE(v >>> 0, at);
    return c;
  };
  const write16 = (at: number, v: number): Buffer => {
    const c = Buffer.from(src);
    if (at + 2 <= c.length) s.le ? c.writeUInt16LE(v & 0xffff, at) : c.writeUInt16BE(v & 0xffff, at);
    return c;
  };
  const units = s.units;
  const some = (n: number) => Array.from({ length: Math.min(n, units.length) }, () => pick(units));
  if (!units.length) return out;

  // Cuts: inside the file header, inside a record/block header, inside its data, on a boundary.
  const head = s.format === 'pcap' ? 24 : units[0].len;
  for (let i = 0; i < perKind; i++) {
    const at = 1 + Math.floor(rnd() * (head - 1));
    put('cut/file-header', `cut at ${at}`, src.subarray(0, at));
  }
  for (const u of some(perKind)) {
    const k = 1 + Math.floor(rnd() * (u.hl - 1));
    put('cut/record-header', `cut ${k} bytes into the unit at ${u.at}`, src.subarray(0, u.at + k));
  }
  for (const u of some(perKind)) {
    const k = u.hl + Math.floor(rnd() * Math.max(1, u.len - u.hl));
    put('cut/record-data', `cut ${k} bytes into the unit at ${u.at}`, src.subarray(0, u.at + k));
  }
  for (const u of some(perKind)) put('cut/boundary', `cut at the end of the unit at ${u.at}`, src.subarray(0, u.at + u.len));

  if (s.format === 'pcap') {
    // File header: version, snapshot length, link type.
    for (const [maj, min] of [[1, 0], [2, 2], [2, 3], [2, 5], [3, 0], [0, 0]]) {
      const c = write16(4, maj);
      s.le ? c.writeUInt16LE(min, 6) : c.writeUInt16BE(min, 6);
      put('pcap/version', `version ${maj}.${min}`, c);
    }
    for (const v of [0, 1, 64, 0xffffffff]) put('pcap/snaplen', `snaplen ${v}`, write32(16, v));
    for (const v of [0, 147, 999, 0x10001, 0x04000001, 0xffffffff]) put('pcap/linktype', `link type 0x${v.toString(16)}`, write32(20, v));
    // Record header fields.
    for (const u of some(perKind)) {
      const v = pick(BREAKERS);
      put('pcap/caplen', `incl_len ${v} in the record at ${u.at}`, write32(u.at + 8, v));
    }
    for (const u of some(perKind)) {
      const v = pick([0, 1, src.readUInt32LE(u.at + 8) - 1, 0xffffffff]);
      put('pcap/origlen', `orig_len ${v} in the record at ${u.at}`, write32(u.at + 12, v));
    }
    for (const u of some(perKind)) {
      const v = pick([1000000, 999999999, 0xffffffff]);
      put('pcap/timestamp', `ts fraction ${v} in the record at ${u.at}`, write32(u.at + 4, v));
    }
  } else {
    for (const u of some(perKind * 2)) {
      const v = pick([0, 1, 2, 3, 4, 5, 6, 7, 0x0a0d0d0a, 0xbad, 0x40000bad, 0x80000001, 0x12345678]);
      put('pcapng/block-type', `type 0x${v.toString(16)} for the block at ${u.at}`, write32(u.at, v));
    }
    for (const u of some(perKind * 2)) {
      const v = pick([0, 8, 12, 13, u.len - 4, u.len + 4, u.len + 1, 0x1000000, 0x7fffffff]);
      put('pcapng/block-length', `length ${v} for the block at ${u.at} (was ${u.len})`, write32(u.at + 4, v));
    }
    for (const u of some(perKind)) {
      const v = pick([0, u.len + 4, u.len - 4, 0xffffffff]);
      put('pcapng/trailer', `trailing length ${v} for the block at ${u.at}`, write32(u.at + u.len - 4, v));
    }
    // Any word of a block's body: interface ids, lengths, options' codes and lengths.
    for (const u of some(perKind * 4)) {
      const words = (u.len - 12) / 4;
      if (words < 1) continue;
      const at = u.at + 8 + 4 * Math.floor(rnd() * words);
      const v = pick(BREAKERS);
      put('pcapng/body-word', `word ${v} at ${at} in the block at ${u.at} (type 0x${u.type.toString(16)})`, write32(at, v));
    }
    // An option's length alone (the upper half of an option header), rounding past the block included.
    for (const u of some(perKind * 2)) {
      const words = (u.len - 12) / 4;
      if (words < 1) continue;
      const at = u.at + 8 + 4 * Math.floor(rnd() * words);
      const v = pick([1, 2, 3, 4, 5, 8, 0xffff]);
      put('pcapng/option-length', `16-bit ${v} at ${at + 2} in the block at ${u.at}`, write16(at + 2, v));
    }
  }
  // Stretches dropped or doubled, on unit boundaries and off them.
  for (const u of some(perKind)) put('splice/unit-doubled', `the unit at ${u.at} written twice`, Buffer.concat([src.subarray(0, u.at + u.len), src.subarray(u.at)]));
  for (const u of some(perKind)) put('splice/unit-dropped', `the unit at ${u.at} left out`, Buffer.concat([src.subarray(0, u.at), src.subarray(u.at + u.len)]));
  for (let i = 0; i < perKind; i++) {
    const a = head + Math.floor(rnd() * (src.length - head));
    const b = head + Math.floor(rnd() * (src.length - head));
    put('splice/unaligned', `bytes from ${b} follow byte ${a}`, Buffer.concat([src.subarray(0, a), src.subarray(b)]));
  }
  for (let i = 0; i < perKind; i++) {
    const c = Buffer.from(src);
    const n = 1 + Math.floor(rnd() * 3);
    const where: number[] = [];
    for (let k = 0; k < n; k++) {
      const at = Math.floor(rnd() * c.length);
      c[at] = Math.floor(rnd() * 256);
      where.push(at);
    }
    put('bytes/random', `random bytes at ${where.join(', ')}`, c);
  }
  return out;
}

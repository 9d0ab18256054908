/**
 * Capture formats and link types that no file in ../shared exercises, made by rewriting a real
 * capture (zeek/get.pcap, Ethernet) and compared with tshark cell by cell: LOOP (108), raw IP under
 * link types 12 and 14, Null written big-endian, big-endian nanosecond pcap, and pcapng written
 * big-endian with obsolete Packet Blocks, several sections, if_tsresol = 2^-10 and if_tsoffset.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { CaptureRecord, readCaptureBuffer } from '../lib';
import { compareCapture, REQUIRED_FIELDS, SHARED_CAPTURES, tsharkAvailable } from './support/tshark';

interface Pkt {
  sec: number;
  nsec: number;
  data: Buffer; // IP packet (Ethernet header removed)
}

function ipPackets(file: string): Pkt[] {
  const out: Pkt[] = [];
  readCaptureBuffer(fs.readFileSync(file), (r: CaptureRecord) => {
    out.push({ sec: r.tsSec, nsec: r.tsNsec, data: Buffer.from(r.buf.subarray(r.offset + 14, r.offset + r.capLen)) });
  });
  return out;
}

function pcap(linkType: number, pkts: Pkt[], wrap: (ip: Buffer) => Buffer, be = false, nano = false): Buffer {
  const h = Buffer.alloc(24);
  const w32 = (b: Buffer, v: number, o: number) => (be ? b.writeUInt32BE(v, o) : b.writeUInt32LE(v, o));
  const w16 = (b: Buffer, v: number, o: number) => (be ? b.writeUInt16BE(v, o) : b.writeUInt16LE(v, o));
  w32(h, nano ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  w16(h, 2, 4);
  w16(h, 4, 6);
  w32(h, 65535, 16);
  w32(h, linkType, 20);
  const parts = [h];
  for (const p of pkts) {
    const d = wrap(p.data);
    const r = Buffer.alloc(16);
    w32(r, p.sec, 0);
    w32(r, nano ? p.nsec : Math.floor(p.nsec / 1000), 4);
    w32(r, d.length, 8);
    w32(r, d.length, 12);
    parts.push(r, d);
  }
  return Buffer.concat(parts);
}

/** pcapng, big-endian, obsolete Packet Blocks, two sections, microsecond → 2^-10 s resolution and an offset. */
function pcapngBE(pkts: Pkt[]): Buffer {
  const blk = (type: number, body: Buffer) => {
    const len = 12 + body.length;
    const b = Buffer.alloc(len);
    b.writeUInt32BE(type, 0);
    b.writeUInt32BE(len, 4);
    body.copy(b, 8);
    b.writeUInt32BE(len, len - 4);
    return b;
  };
  const shb = () => {
    const body = Buffer.alloc(16);
    body.writeUInt32BE(0x1a2b3c4d, 0);
    body.writeUInt16BE(1, 4);
    body.writeUInt16BE(0, 6);
    body.writeInt32BE(-1, 8);
    body.writeInt32BE(-1, 12);
    return blk(0x0a0d0d0a, body);
  };
  const idb = (tsresol: number, tsoffset: number) => {
    const body = Buffer.alloc(8 + 8 + 12 + 4);
    body.writeUInt16BE(1, 0); // Ethernet
    body.writeUInt32BE(65535, 4);
    body.writeUInt16BE(9, 8); // if_tsresol
    body.writeUInt16BE(1, 10);
    body[12] = tsresol;
    body.writeUInt16BE(14, 16); // if_tsoffset
    body.writeUInt16BE(8, 18);
    body.writeUInt32BE(0, 20);
    body.writeUInt32BE(tsoffset, 24);
    return blk(1, body); // opt_endofopt is the trailing zero word
  };
  const eth = Buffer.from('000000000002000000000001' + '0800', 'hex');
  const pb = (p: Pkt, unitsPerSec: number, offset: number) => {
    const data = Buffer.concat([eth, p.data]);
    const padded = Buffer.alloc((data.length + 3) & ~3);
    data.copy(padded);
    const t = BigInt(p.sec - offset) * BigInt(unitsPerSec) + (BigInt(p.nsec) * BigInt(unitsPerSec)) / 1000000000n;
    const head = Buffer.alloc(20);
    head.writeUInt16BE(0, 0);
    head.writeUInt16BE(0, 2);
    head.writeUInt32BE(Number(t >> 32n), 4);
    head.writeUInt32BE(Number(t & 0xffffffffn), 8);
    head.writeUInt32BE(data.length, 12);
    head.writeUInt32BE(data.length, 16);
    return blk(2, Buffer.concat([head, padded]));
  };
  const half = Math.floor(pkts.length / 2);
  return Buffer.concat([
    shb(), idb(0x8a, 1000), ...pkts.slice(0, half).map((p) => pb(p, 1024, 1000)),
    shb(), idb(6, 0), ...pkts.slice(half).map((p) => pb(p, 1e6, 0)),
  ]);
}

const family = (af: number, be: boolean) => (ip: Buffer) => {
  const h = Buffer.alloc(4);
  if (be) h.writeUInt32BE(af, 0);
  else h.writeUInt32LE(af, 0);
  return Buffer.concat([h, ip]);
};

(tsharkAvailable() ? describe : describe.skip)('formats and link types made from a real capture agree with tshark', () => {
  const pkts = ipPackets(path.join(SHARED_CAPTURES, 'zeek/get.pcap'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirenote-formats-'));
  const cases: Array<[string, Buffer]> = [
    ['loop-108.pcap', pcap(108, pkts, family(2, true))],
    ['raw-12.pcap', pcap(12, pkts, (ip) => ip)],
    ['raw-14.pcap', pcap(14, pkts, (ip) => ip)],
    ['null-be.pcap', pcap(0, pkts, family(2, true), true)],
    ['null-le-nano.pcap', pcap(0, pkts, family(2, false), false, true)],
    ['raw-be-nano.pcap', pcap(101, pkts, (ip) => ip, true, true)],
    ['be-pb-2sections.pcapng', pcapngBE(pkts)],
  ];
  test.each(cases)('%s', (name, data) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, data);
    const c = compareCapture(file, REQUIRED_FIELDS);
    expect(c.rowsTshark).toBe(pkts.length);
    expect(c.diffs.slice(0, 10)).toEqual([]);
    // The HTTP exchange is there (not just empty columns agreeing).
    expect(c.ours.stdout).toMatch(/\tGET\t/);
  });

  test('the same capture gzip-compressed', () => {
    const file = path.join(dir, 'raw-12.pcap.gz');
    fs.writeFileSync(file, zlib.gzipSync(cases[1][1]));
    const c = compareCapture(file, REQUIRED_FIELDS);
    expect(c.rowsTshark).toBe(pkts.length);
    expect(c.diffs.slice(0, 10)).toEqual([]);
  });
});

/**
 * Damaged and hostile input: every failure is a typed CaptureError naming the byte offset;
 * packets before the damage are still delivered; nothing throws, hangs or crashes.
 * tshark is the reference for how many packets precede the damage.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { CaptureError, CaptureRecord, readCaptureBuffer, readCaptureFile, runFields, FIELD_NAMES, prng } from '../lib';
import { runTshark, runWirenote, SHARED_CAPTURES, tsharkAvailable } from './support/tshark';

const SAMPLE = path.join(SHARED_CAPTURES, 'zeek/get.pcap'); // pcap LE, 14 packets
const SAMPLE_NG = path.join(SHARED_CAPTURES, 'packets/http_post.pcapng');

function count(buf: Buffer) {
  const frames: number[] = [];
  const r = readCaptureBuffer(buf, (rec: CaptureRecord) => frames.push(rec.frame));
  return { ...r, frames };
}

function tmp(name: string, data: Buffer): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirenote-bad-'));
  const f = path.join(dir, name);
  fs.writeFileSync(f, data);
  return f;
}

describe('typed errors with offsets', () => {
  test('empty file', () => {
    const r = count(Buffer.alloc(0));
    expect(r.error).toBeInstanceOf(CaptureError);
    expect(r.error!.code).toBe('empty');
  });

  test('not a capture', () => {
    const r = count(Buffer.from('<html>this is a web page, not a capture</html>'));
    expect(r.error!.code).toBe('not-a-capture');
    expect(r.error!.offset).toBe(0);
    expect(r.error!.message).toMatch(/not a pcap or pcapng/);
  });

  test('truncated pcap file header', () => {
    const r = count(fs.readFileSync(SAMPLE).subarray(0, 10));
    expect(r.error!.code).toBe('truncated-header');
  });

  test('record cut mid-packet: earlier packets delivered, same count as tshark', () => {
    const data = fs.readFileSync(SAMPLE);
    const cut = data.subarray(0, data.length - 100);
    const r = count(cut);
    expect(r.error!.code).toBe('truncated-record');
    expect(r.frames.length).toBeGreaterThan(5);
    expect(r.error!.offset).toBeLessThan(cut.length);
    if (tsharkAvailable()) {
      const f = tmp('cut.pcap', cut);
      const t = runTshark(f, ['frame.number']).stdout.trim().split('\n').length - 1;
      expect(r.frames.length).toBe(t);
    }
  });

  test('absurd caplen names the record header offset', () => {
    const data = Buffer.from(fs.readFileSync(SAMPLE));
    const firstLen = data.readUInt32LE(24 + 8);
    const second = 24 + 16 + firstLen;
    data.writeUInt32LE(0x7fffffff, second + 8);
    const r = count(data);
    expect(r.error!.code).toBe('bad-caplen');
    expect(r.error!.offset).toBe(second + 8);
    expect(r.frames).toEqual([1]);
  });

  test('caplen above the snapshot length is reported as a warning', () => {
    const data = Buffer.from(fs.readFileSync(SAMPLE));
    data.writeUInt32LE(40, 16); // snaplen 40
    const r = count(data);
    expect(r.error).toBeUndefined();
    expect(r.warnings[0].code).toBe('bad-caplen');
  });

  test('unsupported pcap version', () => {
    const data = Buffer.from(fs.readFileSync(SAMPLE));
    data.writeUInt16LE(1, 4);
    expect(count(data).error!.code).toBe('unsupported-version');
  });

  test('pcapng block length not a multiple of 4', () => {
    const data = Buffer.from(fs.readFileSync(SAMPLE_NG));
    const shbLen = data.readUInt32LE(4);
    data.writeUInt32LE(data.readUInt32LE(shbLen + 4) + 2, shbLen + 4); // IDB length
    const r = count(data);
    expect(r.error!.code).toBe('bad-block');
    expect(r.error!.offset).toBe(shbLen + 4);
  });

  test('pcapng block trailer disagrees with header', () => {
    const data = Buffer.from(fs.readFileSync(SAMPLE_NG));
    const shbLen = data.readUInt32LE(4);
    data.writeUInt32LE(0x1234, shbLen - 4);
    expect(count(data).error!.code).toBe('bad-block');
  });

  test('pcapng option overrunning its block', () => {
    const data = Buffer.from(fs.readFileSync(path.join(SHARED_CAPTURES, 'zeek/cooper-grill-dvwa.pcapng')));
    const shbLen = data.readUInt32LE(4);
    expect(shbLen).toBeGreaterThan(28); // the sample's section header has options
    data.writeUInt16LE(0xfff0, 24 + 2); // first SHB option length
    const r = count(data);
    expect(r.error!.code).toBe('bad-option');
    expect(r.error!.offset).toBe(24);
  });

  test('gzip-compressed capture reads like the plain one; a cut gzip is a typed error', () => {
    const plain = fs.readFileSync(SAMPLE);
    const gz = zlib.gzipSync(plain);
    const a = count(plain);
    const b = count(gz);
    expect(b.gzip).toBe(true);
    expect(b.frames).toEqual(a.frames);
    const cut = count(gz.subarray(0, gz.length - 200));
    expect(cut.error).toBeInstanceOf(CaptureError);
  });

  test('streamed gzip file gives the same fields output as the plain file', () => {
    const f = tmp('get.pcap.gz', zlib.gzipSync(fs.readFileSync(SAMPLE)));
    const a = runWirenote(SAMPLE, ['frame.number', 'tcp.seq', 'http.request.uri']);
    const b = runWirenote(f, ['frame.number', 'tcp.seq', 'http.request.uri']);
    expect(b.stdout).toBe(a.stdout);
    expect(b.status).toBe(0);
  });

  test('CLI: damaged file prints the packets before the damage, says how many, exits non-zero', () => {
    const data = fs.readFileSync(SAMPLE);
    const f = tmp('cut.pcap', data.subarray(0, data.length - 100));
    const r = runWirenote(f, ['frame.number']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/\d+ packets before it were printed/);
    expect(r.stderr).toMatch(/at byte \d+/);
    expect(r.stdout.trim().split('\n').length).toBeGreaterThan(5);
  });

  test('CLI: unknown field points to the list of supported ones', () => {
    const r = runWirenote(SAMPLE, ['tcp.nonsense']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown field "tcp.nonsense"/);
    expect(r.stderr).toMatch(/wirenote fields --list shows the \d+ supported fields/);
  });

  test('streaming reader: large file read in 1 MiB chunks, records straddling chunk edges', async () => {
    // Concatenate the sample's records many times into one multi-megabyte pcap.
    const data = fs.readFileSync(SAMPLE);
    const body = data.subarray(24);
    const parts = [data.subarray(0, 24)];
    for (let i = 0; i < 800; i++) parts.push(body);
    const f = tmp('big.pcap', Buffer.concat(parts));
    let n = 0;
    const r = await readCaptureFile(f, () => n++);
    expect(r.error).toBeUndefined();
    expect(n).toBe(800 * count(data).frames.length);
  });
});

function mutate(src: Buffer, rnd: () => number): Buffer {
  let b = Buffer.from(src);
  const ops = 1 + Math.floor(rnd() * 4);
  for (let i = 0; i < ops; i++) {
    const kind = Math.floor(rnd() * 6);
    const at = Math.floor(rnd() * Math.max(1, b.length));
    if (kind === 0) b[at] = Math.floor(rnd() * 256); // random byte
    else if (kind === 1 && at + 4 <= b.length) b.writeUInt32LE([0, 0xffffffff, 0x7fffffff, 65536, 12, 3][Math.floor(rnd() * 6)], at); // extreme 32-bit value
    else if (kind === 2) b = b.subarray(0, at); // truncate
    else if (kind === 3 && at + 2 <= b.length) b.writeUInt16LE(Math.floor(rnd() * 65536), at);
    else if (kind === 4) b = Buffer.concat([b.subarray(0, at), b.subarray(Math.floor(rnd() * b.length))]); // splice
    else b[at] ^= 1 << Math.floor(rnd() * 8); // bit flip
  }
  return b;
}

describe('fuzz: mutated real captures never crash or hang', () => {
  const seeds = [
    'zeek/get.pcap',
    'packets/http_post.pcapng',
    'PcapPlusPlus/one_ipv6_http_stream.pcap',
    'PcapPlusPlus/many_interfaces-1.pcapng',
    'zeek/100-continue.pcap',
    'suricata-verify/http-chunked.pcap',
    'PcapPlusPlus/sll2.pcap',
    'tcpdump/pptp.pcap',
    'pcapng-test-generator/test001-be.pcapng',
    'zeek/http-vlan-0.pcap',
  ].map((f) => fs.readFileSync(path.join(SHARED_CAPTURES, f)));
  const CASES = Number(process.env.WIRENOTE_FUZZ_CASES ?? 10000);

  test(`${CASES} seeded cases through reader, decoders, TCP analysis, HTTP and every field`, async () => {
    const rnd = prng(20261124);
    let errors = 0;
    const started = Date.now();
    for (let i = 0; i < CASES; i++) {
      const input = mutate(seeds[i % seeds.length], rnd);
      let res;
      try {
        res = await runFields(async (cb) => readCaptureBuffer(input, cb), [...FIELD_NAMES], () => undefined);
      } catch (e) {
        throw new Error(`fuzz case ${i} (seed 20261124) threw: ${(e as Error).stack}`);
      }
      if (res.read.error) {
        errors++;
        expect(res.read.error).toBeInstanceOf(CaptureError);
        expect(res.read.error.offset).toBeGreaterThanOrEqual(0);
        expect(res.read.error.offset).toBeLessThanOrEqual(input.length);
      }
    }
    // The mutations must actually produce damage for this test to mean something.
    expect(errors).toBeGreaterThan(CASES / 10);
    // eslint-disable-next-line no-console
    console.log(`fuzz: ${CASES} cases, ${errors} typed errors, ${Date.now() - started} ms`);
  });
});

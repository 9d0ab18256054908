/**
 * Damaged and hostile input: every failure is a typed CaptureError naming the byte offset;
 * packets before the damage are still delivered; nothing throws, hangs or crashes.
 * tshark is the reference for how many packets precede the damage.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { CaptureError, CaptureReader, CaptureRecord, decodeRecord, HttpAnalyzer, readCaptureBuffer, readCaptureFile, readCaptureFileSync, runFields, FIELD_NAMES, prng, TcpAnalyzer } from '../lib';
import { hostileCapture } from './support/hostile-http';
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

  test('pcapng block length not a multiple of 4 is rounded up, as Wireshark reads it', () => {
    const good = fs.readFileSync(SAMPLE_NG);
    const shbLen = good.readUInt32LE(4);
    const idbLen = good.readUInt32LE(shbLen + 4);
    // 2 bytes less rounds back to the real length: read as if nothing happened.
    const shorter = Buffer.from(good);
    shorter.writeUInt32LE(idbLen - 2, shbLen + 4);
    expect(count(shorter).frames.length).toBe(count(good).frames.length);
    expect(count(shorter).error).toBeUndefined();
    // 2 bytes more rounds to 4 more: the trailing length is then looked for 4 bytes late and disagrees.
    const longer = Buffer.from(good);
    longer.writeUInt32LE(idbLen + 2, shbLen + 4);
    const r = count(longer);
    expect(r.error!.code).toBe('bad-block');
    expect(r.error!.offset).toBe(shbLen + idbLen);
    if (tsharkAvailable()) {
      for (const [name, data] of [['shorter.pcapng', shorter], ['longer.pcapng', longer]] as const) {
        const t = runTshark(tmp(name, data), ['frame.number']).stdout.trim().split('\n').filter(Boolean).length - 1;
        expect({ name, frames: count(data).frames.length }).toEqual({ name, frames: Math.max(0, t) });
      }
    }
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

  test('gzip read synchronously: chunk by chunk, the same records; cut off, the same packets as the streaming path and tshark', async () => {
    const plain = fs.readFileSync(SAMPLE);
    const big = Buffer.concat([plain, ...Array(3000).fill(plain.subarray(24))]);
    const gz = zlib.gzipSync(big);
    const whole = tmp('big.pcap.gz', gz);
    const frames: number[] = [];
    const r = readCaptureFileSync(whole, (rec) => frames.push(rec.frame));
    expect(r.error).toBeUndefined();
    expect(r.gzip).toBe(true);
    expect(frames.length).toBe(count(big).frames.length);
    // Two gzip members one after the other read as one stream (as gunzip and tshark read them).
    const two = tmp('two.pcap.gz', Buffer.concat([zlib.gzipSync(big.subarray(0, 100000)), zlib.gzipSync(big.subarray(100000))]));
    let n2 = 0;
    expect(readCaptureFileSync(two, () => n2++).error).toBeUndefined();
    expect(n2).toBe(frames.length);
    const cut = tmp('cut.pcap.gz', gz.subarray(0, gz.length - 5000));
    let sync = 0;
    const rs = readCaptureFileSync(cut, () => sync++);
    let streamed = 0;
    const rt = await readCaptureFile(cut, () => streamed++);
    expect(rs.error?.code).toBe('gzip');
    expect(rs.error!.message).toMatch(/unexpected end of file/);
    expect(sync).toBeGreaterThan(frames.length / 2);
    expect(sync).toBe(streamed);
    expect(rs.error!.offset).toBe(rt.error!.offset);
    if (tsharkAvailable()) expect(sync).toBe(runTshark(cut, ['frame.number']).stdout.trim().split('\n').length - 1);
  });

  test('pcap versions other than 2.4 read as tshark reads them (before 2.3 the lengths are swapped)', () => {
    // A capture cut by a snapshot length: captured and original lengths differ.
    const data = Buffer.from(fs.readFileSync(SAMPLE));
    const pkts: Buffer[] = [data.subarray(0, 24)];
    for (let pos = 24; pos < data.length; ) {
      const cap = data.readUInt32LE(pos + 8);
      const keep = Math.min(cap, 60);
      const h = Buffer.from(data.subarray(pos, pos + 16));
      h.writeUInt32LE(keep, 8);
      pkts.push(h, data.subarray(pos + 16, pos + 16 + keep));
      pos += 16 + cap;
    }
    const cutCapture = Buffer.concat(pkts);
    for (const [major, minor] of [[2, 0], [2, 2], [2, 3], [2, 4], [2, 5], [3, 0], [65535, 1], [1, 9], [0, 0]]) {
      const v = Buffer.from(cutCapture);
      v.writeUInt16LE(major, 4);
      v.writeUInt16LE(minor, 6);
      const f = tmp(`v${major}.${minor}.pcap`, v);
      // (What a frame whose captured length exceeds its original length decodes to is the decoders' matter: frame fields here.)
      const fields = ['frame.number', 'frame.len', 'frame.cap_len', 'frame.time_relative'];
      const ours = runWirenote(f, fields);
      if (major < 2) {
        // Never opened as a capture: a usage problem, tshark's exit status 2 (as for any file that is not one).
        expect(ours.status).toBe(2);
        expect(ours.stderr).toMatch(/pcap major version \d+ is not supported/);
      }
      if (tsharkAvailable()) expect([major, minor, ours.stdout]).toEqual([major, minor, runTshark(f, fields).stdout]);
    }
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

describe('fuzz: hostile HTTP text through the reader, every decoder and every field', () => {
  const CASES = Number(process.env.WIRENOTE_FUZZ_HTTP_CASES ?? 400);
  const SEED = 20261201;

  test(`${CASES} seeded captures: lone CR / TAB / NUL in text, missing line ends, tiny chunks and segments, snapshot cuts`, async () => {
    let messages = 0;
    let slowest = 0;
    const started = Date.now();
    for (let i = 0; i < CASES; i++) {
      const rnd = prng(SEED + i);
      let input = hostileCapture(rnd, 3).buffer();
      if (rnd() < 0.3) input = input.subarray(0, Math.floor(rnd() * input.length)); // a damaged tail
      const where = `hostile HTTP fuzz case ${i} (seed ${SEED + i}: hostileCapture(prng(${SEED + i}), 3))`;
      const t0 = Date.now();
      // The reader fed a few bytes at a time reads what it reads whole.
      const whole: string[] = [];
      readCaptureBuffer(input, (r) => whole.push(`${r.frame} ${r.capLen} ${r.buf.toString('hex', r.offset, r.offset + r.capLen)}`));
      const chunked: string[] = [];
      const reader = new CaptureReader((r) => chunked.push(`${r.frame} ${r.capLen} ${r.buf.toString('hex', r.offset, r.offset + r.capLen)}`));
      try {
        for (let pos = 0; pos < input.length; ) {
          const n = 1 + Math.floor(rnd() * 7);
          reader.push(Buffer.from(input.subarray(pos, pos + n)));
          pos += n;
        }
        reader.end();
      } catch (e) {
        expect([where, e]).toEqual([where, expect.any(CaptureError)]);
      }
      expect([where, chunked.length]).toEqual([where, whole.length]);
      let res;
      try {
        res = await runFields(async (cb) => readCaptureBuffer(input, (r) => cb(r)), [...FIELD_NAMES], () => undefined);
        const tcp = new TcpAnalyzer(false, false);
        const http = new HttpAnalyzer({ onMessage: () => messages++ }, { keepBodies: true });
        readCaptureBuffer(input, (r) => {
          const p = decodeRecord(r);
          const t = tcp.analyze(p);
          if (t) http.frame(p, t);
        });
      } catch (e) {
        throw new Error(`${where} threw: ${(e as Error).stack}`);
      }
      if (res.read.error) expect(res.read.error).toBeInstanceOf(CaptureError);
      const ms = Date.now() - t0;
      slowest = Math.max(slowest, ms);
      // A hang guard per case (they take milliseconds).
      expect([where, ms < 10000]).toEqual([where, true]);
    }
    expect(messages).toBeGreaterThan(CASES);
    // eslint-disable-next-line no-console
    console.log(`hostile HTTP fuzz: ${CASES} cases, ${messages} messages, slowest ${slowest} ms, ${Date.now() - started} ms in all`);
  }, 300000);
});

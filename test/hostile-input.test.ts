/**
 * Adversarial shapes (issue 15), small enough for CI: each is written by the test, compared with
 * tshark cell by cell, and read within a generous time budget; the cost of the shapes that used
 * to be quadratic is checked to grow linearly with their size (CPU time at n and 8n); a capture
 * that needs more memory than the heap allows stops with a typed error naming the limit. The
 * large sizes, with their ratio to tshark, are `npm run bench:hostile` rows.
 */
import { spawnSync } from 'child_process';
import { FIELD_NAMES, readCaptureBuffer, runFields } from '../lib';
import { Conn, compareSynth, HTTP_FIELDS, PcapWriter, SYN } from './support/synth';
import { CLI, tsharkAvailable } from './support/tshark';

const GET = 'GET / HTTP/1.1\r\nHost: lab\r\n\r\n';

/** The shapes at a given size (in units of the shape: chunks, lines, bytes). */
const shapes: Record<string, (n: number) => PcapWriter> = {
  'one-byte chunks': (n) => {
    const w = new PcapWriter();
    new Conn(w).handshake().send(0, GET).send(1, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' + '1\r\nx\r\n'.repeat(n) + '0\r\n\r\n', { mss: 1448 }).close();
    return w;
  },
  'a head that never ends': (n) => {
    const w = new PcapWriter();
    new Conn(w).handshake().send(0, 'GET / HTTP/1.1\r\n' + 'X-Filler: abcdefghij\r\n'.repeat(n), { mss: 1448, noAck: true }).close();
    return w;
  },
  'a request line without LF': (n) => {
    const w = new PcapWriter();
    const c = new Conn(w).handshake().send(0, 'GET /' + 'a'.repeat(n), { mss: 1448, noAck: true });
    c.send(0, ' HTTP/1.1\r\nHost: lab\r\n\r\n').send(1, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok').close();
    return w;
  },
  'a head of many lines': (n) => {
    const w = new PcapWriter();
    new Conn(w).handshake().send(0, 'GET / HTTP/1.1\r\nHost: lab\r\n' + 'a: b\r\n'.repeat(n) + '\r\n', { mss: 1448, noAck: true }).send(1, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok').close();
    return w;
  },
  'a body segment overlapping the head by a byte, then no LF': (n) => {
    const w = new PcapWriter();
    const c = new Conn(w).handshake().send(0, GET);
    const head = `HTTP/1.1 200 OK\r\nContent-Length: ${n}\r\n\r\n`;
    c.segment(1, 0x18, head);
    // Re-sends the head's last byte with the first body bytes (a retransmission to Wireshark).
    const seq = (c as unknown as { seq: number[] }).seq;
    c.segment(1, 0x18, '\n' + 'a'.repeat(1447), { seq: (seq[1] - 1) >>> 0 });
    seq[1] = (seq[1] + 1447) >>> 0;
    c.send(1, 'a'.repeat(n - 1447), { mss: 1448, noAck: true }).close();
    return w;
  },
  'a chunk of ffffffffffffffff bytes': (n) => {
    const w = new PcapWriter();
    new Conn(w).handshake().send(0, GET).send(1, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n' + 'b'.repeat(n), { mss: 1448, noAck: true }).close();
    return w;
  },
  'a chunk of 7fffffff bytes (2 GB announced)': (n) => {
    const w = new PcapWriter();
    new Conn(w).handshake().send(0, GET).send(1, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7fffffff\r\n' + 'b'.repeat(n), { mss: 1448, noAck: true }).close();
    return w;
  },
};
const CI_SIZE: Record<string, number> = {
  'one-byte chunks': 20000,
  'a head that never ends': 20000,
  'a request line without LF': 400000,
  'a head of many lines': 50000,
  'a body segment overlapping the head by a byte, then no LF': 400000,
  'a chunk of ffffffffffffffff bytes': 400000,
  'a chunk of 7fffffff bytes (2 GB announced)': 400000,
};

(tsharkAvailable() ? describe : describe.skip)('adversarial shapes: the same cells as tshark, within a time budget', () => {
  for (const name of Object.keys(shapes)) {
    test(name, () => {
      const w = shapes[name](CI_SIZE[name]);
      const t0 = Date.now();
      const r = compareSynth(w, HTTP_FIELDS);
      expect(r.rowsOurs).toBe(r.rows);
      expect(r.diffs.slice(0, 10)).toEqual([]);
      // A hang guard for both programs together (tshark is the slower one here).
      expect(Date.now() - t0).toBeLessThan(60000);
    }, 120000);
  }
});

/** CPU seconds of `fields` with every HTTP field, in this process. */
async function cpu(w: PcapWriter): Promise<number> {
  const data = w.buffer();
  const fields = FIELD_NAMES.filter((f) => f.startsWith('http.') || f.startsWith('tcp.reassembled') || f === 'tcp.segment.count');
  let best = Infinity;
  for (let k = 0; k < 2; k++) {
    const t = process.cpuUsage();
    await runFields(async (cb) => readCaptureBuffer(data, cb), fields, () => undefined);
    const d = process.cpuUsage(t);
    best = Math.min(best, (d.user + d.system) / 1e6);
  }
  return best;
}

describe('the shapes that were quadratic now cost in proportion to their size', () => {
  // Linear: 8 × the size costs about 8 × the time; quadratic cost about 64 ×. A wide margin (and
  // CPU time, not wall time) keeps this steady on a busy machine.
  test.each([
    ['one-byte chunks', 25000],
    ['a head that never ends', 25000],
    ['a request line without LF', 500000],
    ['a body segment overlapping the head by a byte, then no LF', 500000],
  ])('%s', async (name, n) => {
    await cpu(shapes[name](n)); // warm the code up
    const small = await cpu(shapes[name](n));
    const large = await cpu(shapes[name](8 * n));
    expect({ name, small, large, ratio: large / Math.max(small, 0.01) }).toEqual(expect.objectContaining({ ratio: expect.any(Number) }));
    expect(large / Math.max(small, 0.01)).toBeLessThan(24);
  }, 120000);
});

describe('memory', () => {
  test('past the heap it may use, fields stops with a typed error naming the limit (not a V8 abort)', () => {
    const w = new PcapWriter();
    // SYN-only connections, each one kept to the end (as tshark keeps them) for tcp.completeness.
    for (let i = 0; i < 120000; i++) new Conn(w, { host: (i % 250) + 1, clientPort: 1024 + Math.floor(i / 250) }).segment(0, SYN, '');
    const file = w.file('syn-flood.pcap');
    const r = spawnSync(process.execPath, ['--max-old-space-size=64', CLI, 'fields', '-r', file, '-e', 'frame.number', '-e', 'tcp.completeness'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    expect(r.stderr).not.toMatch(/FATAL ERROR|heap out of memory/);
    expect(r.status).toBe(4);
    expect(r.stderr).toMatch(/memory limit reached: \d+ TCP connections and \d+ HTTP exchanges kept \(\d+ MB of the \d+ MB JavaScript heap\); allow more with NODE_OPTIONS=--max-old-space-size/);
  }, 120000);
});

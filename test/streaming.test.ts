/**
 * The streaming paths give the same answers as the plain ones: a capture pushed in chunks of any
 * size reads the same records as one pushed whole (records cut by a chunk boundary, reused
 * buffers), and the memory-saving HTTP options (keepHistory off, forgetClosedAfter) change
 * nothing in what is found.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  CaptureReader, CaptureRecord, collectGarbage, ConversationTable, decodeRecord, HttpAnalyzer, HttpAnalyzerOptions, HttpMessage, PacketDecoder, prng, readCaptureBuffer,
  TcpAnalyzer, TcpConversation,
} from '../lib';
import { ROOT, SHARED_CAPTURES, sharedCaptureFiles } from './support/tshark';

/** What a record says, copied (the reader reuses its record and buffers). */
function summary(r: CaptureRecord): string {
  return [r.frame, r.linkType, r.tsSec, r.tsNsec, r.capLen, r.origLen, r.fileOffset, r.buf.toString('hex', r.offset, r.offset + r.capLen)].join(' ');
}

function readWhole(data: Buffer): { records: string[]; error?: string } {
  const records: string[] = [];
  const res = readCaptureBuffer(data, (r) => records.push(summary(r)));
  return { records, error: res.error ? `${res.error.code}@${res.error.offset}` : undefined };
}

/** Push `data` in random chunk sizes, each chunk a fresh copy that is scribbled over after the push. */
function readChunked(data: Buffer, rnd: () => number, maxChunk: number): { records: string[]; error?: string } {
  const records: string[] = [];
  const reader = new CaptureReader((r) => records.push(summary(r)));
  try {
    for (let pos = 0; pos < data.length; ) {
      const n = Math.min(data.length - pos, 1 + Math.floor(rnd() * maxChunk));
      const chunk = Buffer.from(data.subarray(pos, pos + n));
      reader.push(chunk);
      chunk.fill(0xee); // the caller may reuse its memory once push returns
      pos += n;
    }
    reader.end();
    return { records };
  } catch (e) {
    const err = e as { code: string; offset: number };
    return { records, error: `${err.code}@${err.offset}` };
  }
}

const files = sharedCaptureFiles().filter((f) => fs.existsSync(path.join(SHARED_CAPTURES, f)));

test('chunked reading = whole reading, for every shared capture (chunks of 1 byte to 3 KB)', () => {
  const rnd = prng(7);
  let compared = 0;
  for (const rel of files) {
    const data = fs.readFileSync(path.join(SHARED_CAPTURES, rel));
    const whole = readWhole(data);
    const chunked = readChunked(data, rnd, rel.length % 2 ? 64 : 3000);
    expect({ rel, ...chunked }).toEqual({ rel, ...whole });
    compared += whole.records.length;
  }
  expect(compared).toBeGreaterThan(2000);
});

function httpFacts(data: Buffer, opts: HttpAnalyzerOptions, reuse: boolean): string[] {
  const facts: string[] = [];
  const tcp = new TcpAnalyzer(false, false);
  const pairs: HttpMessage[] = [];
  const http = new HttpAnalyzer(
    {
      onMessage: (m) => pairs.push(m),
      onReassembled: (frames, final, count) => facts.push(`pdu ${final} ${count} ${frames.join(',')}`),
      onHeaders: (frame, headers) => facts.push(`headers ${frame} ${JSON.stringify(headers)}`),
    },
    opts,
  );
  const decoder = new PacketDecoder();
  readCaptureBuffer(data, (r) => {
    const p = reuse ? decoder.decode(r) : decodeRecord(r);
    const t = tcp.analyze(p);
    if (t) http.frame(p, t);
    else if (p.udp) http.datagram(p);
    // Pairing as it stands when the frame is done (what `fields` prints in one pass).
    for (const m of pairs) {
      const x = m.exchange;
      facts.push(`msg ${m.frame} ${m.stream} ${m.method ?? ''} ${m.uri ?? ''} ${m.code ?? ''} ${m.bodyLength} ${x.request?.frame ?? ''} ${x.prev?.request?.frame ?? ''} ${JSON.stringify(m.headers)}`);
    }
    pairs.length = 0;
  });
  return facts;
}

test('streaming HTTP options (keepHistory off, forgetClosedAfter, reused packets) find the same messages', () => {
  let messages = 0;
  for (const rel of files) {
    const data = fs.readFileSync(path.join(SHARED_CAPTURES, rel));
    const plain = httpFacts(data, {}, false);
    const streaming = httpFacts(data, { keepHistory: false, forgetClosedAfter: 1 }, true);
    expect({ rel, facts: streaming }).toEqual({ rel, facts: plain });
    messages += plain.filter((f) => f.startsWith('msg')).length;
  }
  expect(messages).toBeGreaterThan(200);
});

test('two HTTP analyzers over one TCP analysis keep separate state; a forgotten connection keeps its protocol', () => {
  let messages = 0;
  let convs = 0;
  const line = (m: HttpMessage) => `${m.frame} ${m.stream} ${m.method ?? ''} ${m.uri ?? ''} ${m.code ?? ''} ${m.bodyLength} ${m.exchange.request?.frame ?? ''}`;
  for (const rel of files) {
    const data = fs.readFileSync(path.join(SHARED_CAPTURES, rel));
    const alone: string[] = [];
    const tcpAlone = new TcpAnalyzer(true, false);
    const httpAlone = new HttpAnalyzer({ onMessage: (m) => alone.push(line(m)) });
    const a: string[] = [];
    const b: string[] = [];
    const tcp = new TcpAnalyzer(true, false);
    const httpA = new HttpAnalyzer({ onMessage: (m) => a.push(line(m)) });
    const httpB = new HttpAnalyzer({ onMessage: (m) => b.push(line(m)) }, { keepHistory: false, forgetClosedAfter: 1 });
    readCaptureBuffer(data, (r) => {
      const p = decodeRecord(r);
      const t1 = tcpAlone.analyze(p);
      if (t1) httpAlone.frame(p, t1);
      const t = tcp.analyze(p);
      if (t) {
        httpA.frame(p, t);
        httpB.frame(p, t);
      }
    });
    expect({ rel, a, b }).toEqual({ rel, a: alone, b: alone });
    const protocols = (h: HttpAnalyzer, list: TcpAnalyzer) => list.conversations.map((c) => h.protocolOf(c));
    expect({ rel, b: protocols(httpB, tcp) }).toEqual({ rel, b: protocols(httpAlone, tcpAlone) });
    expect(protocols(httpA, tcp)).toEqual(protocols(httpAlone, tcpAlone));
    messages += alone.length;
    convs += tcp.conversations.length;
  }
  expect(messages).toBeGreaterThan(200);
  expect(convs).toBeGreaterThan(100);
});

test('forgetting closed connections (TCP eviction, HTTP forgetClosedAfter) changes nothing on a long generated capture', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirenote-evict-'));
  const file = path.join(dir, 'g.pcap');
  const gen = spawnSync(process.execPath, [path.join(ROOT, 'bench', 'generate.js'), '--packets', '60000', '--out', file], { encoding: 'utf8' });
  expect(gen.status).toBe(0);
  const data = fs.readFileSync(file);
  const run = (evictAfter: number) => {
    const tcp = new TcpAnalyzer(false, false, evictAfter);
    const lines: string[] = [];
    const http = new HttpAnalyzer(
      { onMessage: (m) => lines.push(`${m.frame} ${m.stream} ${m.method ?? ''} ${m.uri ?? ''} ${m.code ?? ''} ${m.bodyLength} ${m.exchange.request?.frame ?? ''}`) },
      evictAfter ? { keepHistory: false, forgetClosedAfter: evictAfter } : {},
    );
    const decoder = new PacketDecoder();
    const facts: string[] = [];
    readCaptureBuffer(data, (r) => {
      const p = decoder.decode(r);
      const t = tcp.analyze(p);
      if (!t) return;
      facts.push(`${r.frame} ${t.conv.stream} ${t.seqRel} ${t.ackRel} ${t.flags} ${t.bytesInFlight} ${t.acksFrame}`);
      http.frame(p, t);
    });
    return { streams: tcp.streamCount, lines, facts };
  };
  const kept = run(0);
  const forgetting = run(2000);
  expect(kept.streams).toBeGreaterThan(500);
  expect(kept.lines.length).toBeGreaterThan(3000);
  expect(forgetting).toEqual(kept);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('conversation table: finds, removes and resizes like a map, with colliding hashes', () => {
  const rnd = prng(11);
  const table = new ConversationTable();
  const model = new Map<number, TcpConversation>(); // tuple index → conversation in the table
  const removed: TcpConversation[] = [];
  const TUPLES = 5000;
  const tuple = (i: number) => ({ src: `10.0.${i % 7}.1`, sport: 1024 + i, dst: '10.1.0.1', dport: 80 });
  // 127 distinct hashes (each shared by about 40 tuples) whose low bits take 5 values: every table
  // size has long chains mixing equal and different hashes.
  const hashOf = (i: number) => ((Math.imul(i % 127, 0x9e3779b1) & 0x3fff0000) | (i % 5)) >>> 0;
  let stream = 0;
  const check = () => {
    expect(table.size).toBe(model.size);
    for (let i = 0; i < TUPLES; i += 7) {
      const t = tuple(i);
      const expected = model.get(i);
      expect(table.find(hashOf(i), t.src, t.sport, t.dst, t.dport)).toBe(expected);
      expect(table.find(hashOf(i), t.dst, t.dport, t.src, t.sport)).toBe(expected); // either direction
    }
  };
  for (const phase of [0.8, 0.15, 0.9, 0.05]) {
    // phase: probability of adding; grows past 1024 entries (resize up), then shrinks (resize down).
    for (let k = 0; k < 6000; k++) {
      const i = Math.floor(rnd() * TUPLES);
      if (rnd() < phase) {
        const old = model.get(i);
        if (old) {
          table.remove(old); // port reuse: the new conversation replaces the old one
          removed.push(old);
        }
        const t = tuple(i);
        const c = new TcpConversation(stream++, t.src, t.sport, t.dst, t.dport, stream);
        c.hash = hashOf(i);
        table.add(c);
        model.set(i, c);
      } else if (model.has(i)) {
        table.remove(model.get(i)!);
        removed.push(model.get(i)!);
        model.delete(i);
      } else if (removed.length) {
        table.remove(removed[Math.floor(rnd() * removed.length)]); // no longer there: nothing happens
      }
    }
    check();
  }
});

test('collectGarbage (asked for between the two passes of a large capture) frees what is no longer referenced', () => {
  collectGarbage();
  const before = process.memoryUsage().arrayBuffers;
  let big: Uint8Array | undefined = new Uint8Array(256 << 20).fill(1);
  expect(process.memoryUsage().arrayBuffers - before).toBeGreaterThan(200 << 20);
  big = undefined;
  collectGarbage();
  expect(big).toBeUndefined();
  expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(32 << 20);
});

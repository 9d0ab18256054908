/**
 * The streaming paths give the same answers as the plain ones: a capture pushed in chunks of any
 * size reads the same records as one pushed whole (records cut by a chunk boundary, reused
 * buffers), and the memory-saving HTTP options (keepHistory off, forgetClosedAfter) change
 * nothing in what is found.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  CaptureReader, CaptureRecord, decodeRecord, HttpAnalyzer, HttpAnalyzerOptions, HttpMessage, PacketDecoder, prng, readCaptureBuffer,
  TcpAnalyzer,
} from '../lib';
import { SHARED_CAPTURES, sharedCaptureFiles } from './support/tshark';

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

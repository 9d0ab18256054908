/**
 * HTTP shapes that no shared capture holds, written by the test and compared with tshark cell by
 * cell (every HTTP field plus where reassembly happened): segments cut by a snapshot length at
 * every byte of a request and of a response, pipelined requests with a HEAD among them (IPv4 and
 * IPv6), header values ending in spaces, lone CRs, lines without a colon, start lines with odd
 * spacing, Content-Length and Transfer-Encoding variants (huge, negative, duplicated, spaced…),
 * chunk sizes Wireshark finds unreasonable, and all of it again cut into 20-byte segments.
 */
import { CaptureRecord, readCaptureBuffer, decodeRecord, TcpAnalyzer, HttpAnalyzer, HttpMessage } from '../lib';
import { Conn, compareSynth, headerBytes, HTTP_FIELDS, PcapWriter } from './support/synth';
import { tsharkAvailable } from './support/tshark';

const req = (uri: string, extra = '') => `GET ${uri} HTTP/1.1\r\nHost: example.org\r\nUser-Agent: lab/1.0\r\n${extra}\r\n`;
const res = (body: string, extra = '') => `HTTP/1.1 200 OK\r\nServer: synth\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;

/** Differences with tshark, as readable lines (empty when every cell agrees). */
function differences(w: PcapWriter, fields = HTTP_FIELDS): string[] {
  const r = compareSynth(w, fields);
  expect(r.rowsOurs).toBe(r.rows);
  return r.diffs.slice(0, 30).map((d) => `frame ${d.frame} ${d.field}: tshark=${JSON.stringify(d.tshark)} wirenote=${JSON.stringify(d.wirenote)}`);
}

/** Our own messages for a capture (what the lab model sees). */
function messages(w: PcapWriter): HttpMessage[] {
  const out: HttpMessage[] = [];
  const tcp = new TcpAnalyzer(false, false);
  const http = new HttpAnalyzer({ onMessage: (m) => out.push(m) });
  readCaptureBuffer(w.buffer(), (r: CaptureRecord) => {
    const p = decodeRecord(r);
    const t = tcp.analyze(p);
    if (t) http.frame(p, t);
  });
  return out;
}

const H = headerBytes();
const run = tsharkAvailable() ? describe : describe.skip;

run('snapshot length: what tshark shows of a cut segment', () => {
  test('a request cut at every byte: start line, captured header lines, pairing', () => {
    const w = new PcapWriter();
    const r = req('/index.html', 'Accept: */*\r\n');
    for (let n = 1; n < r.length; n++) {
      const c = new Conn(w, { host: n }).handshake();
      c.send(0, r, { capLen: (i) => (i === 0 ? H + n : undefined) });
      c.send(1, res('hello'));
      c.send(0, req('/second'));
      c.send(1, res('world'));
      c.close();
    }
    expect(differences(w)).toEqual([]);
  });

  test('a response cut at every byte (head and body), then the next exchange', () => {
    const w = new PcapWriter();
    const r = res('0123456789abcdef', 'Connection: keep-alive\r\n');
    for (let n = 1; n < r.length; n++) {
      const c = new Conn(w, { host: n }).handshake();
      c.send(0, req('/a'));
      c.send(1, r, { capLen: (i) => (i === 0 ? H + n : undefined) });
      c.send(0, req('/b'));
      c.send(1, res('world'));
      c.close();
    }
    expect(differences(w)).toEqual([]);
  });

  test('cut segments inside reassembly: a head over two segments, a long body, chunks, pipelining', () => {
    const w = new PcapWriter();
    let h = 0;
    const cut = (k: number, n: number) => (i: number) => (i === k ? H + n : undefined);
    const pad = 'X-Pad: ' + 'p'.repeat(1500) + '\r\n';
    for (const n of [10, 40, 80]) {
      let c = new Conn(w, { host: ++h }).handshake(); // the head's first segment cut
      c.send(0, req('/a', pad), { capLen: cut(0, n) }).send(1, res('hello')).close();
      c = new Conn(w, { host: ++h }).handshake(); // the head's second segment cut
      c.send(0, req('/a', pad), { capLen: cut(1, n) }).send(1, res('hello')).close();
      for (const k of [0, 1, 2]) {
        c = new Conn(w, { host: ++h }).handshake(); // one segment of a 4000-byte body cut
        c.send(0, req('/a')).send(1, res('y'.repeat(4000)), { capLen: cut(k, n) }).send(0, req('/b')).send(1, res('world')).close();
      }
      c = new Conn(w, { host: ++h }).handshake(); // chunked
      c.send(0, req('/a')).send(1, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n', { capLen: cut(0, n) }).send(0, req('/b')).send(1, res('world')).close();
      c = new Conn(w, { host: ++h }).handshake(); // two pipelined requests in one cut segment
      c.send(0, req('/a') + req('/b'), { capLen: cut(0, n + 40) }).send(1, res('hello') + res('world')).close();
      c = new Conn(w, { host: ++h }).handshake(); // a close-delimited body
      c.send(0, req('/a')).send(1, 'HTTP/1.0 200 OK\r\nServer: x\r\n\r\n' + 'z'.repeat(3000), { capLen: cut(0, n) }).close();
    }
    expect(differences(w)).toEqual([]);
  });

  test('the messages say so: truncated, and paired as tshark pairs them', () => {
    const w = new PcapWriter();
    let c = new Conn(w, { host: 1 }).handshake(); // request line and "Host: ex" captured: paired
    c.send(0, req('/a'), { capLen: (i) => (i === 0 ? H + 25 : undefined) }).send(1, res('hello')).close();
    c = new Conn(w, { host: 2 }).handshake(); // cut inside "Hos": shown, never paired
    c.send(0, req('/a'), { capLen: (i) => (i === 0 ? H + 19 : undefined) }).send(1, res('hello')).close();
    c = new Conn(w, { host: 3 }).handshake(); // the response's body cut
    c.send(0, req('/a')).send(1, res('x'.repeat(300)), { capLen: (i) => (i === 0 ? H + 120 : undefined) }).close();
    const m = messages(w);
    const summary = m.map((x) => [x.stream, x.isRequest ? x.uri : x.code, x.truncated ?? '', x.unpaired ? 'unpaired' : x.exchange.index]);
    expect(summary).toEqual([
      [0, '/a', 'head', 0],
      [0, 200, '', 0],
      [1, '/a', 'head', 'unpaired'],
      [1, 200, '', 0],
      [2, '/a', '', 0],
      [2, 200, 'body', 0],
    ]);
    expect(m[0].headers).toEqual([['Host', 'ex']]);
    const r300 = res('x'.repeat(300));
    expect(m[5].bodyLength).toBe(120 - r300.indexOf('xxx')); // the captured part of the body only
  });
});

run('request/response pairing and header text as tshark', () => {
  test('a HEAD among pipelined requests (IPv4 and IPv6)', () => {
    const w = new PcapWriter();
    const rq = (m: string, u: string) => `${m} ${u} HTTP/1.1\r\nHost: h\r\n\r\n`;
    const withBody = (n: number) => `HTTP/1.1 200 OK\r\nContent-Length: ${n}\r\n\r\n${'b'.repeat(n)}`;
    const headOnly = (n: number) => `HTTP/1.1 200 OK\r\nContent-Length: ${n}\r\n\r\n`;
    let h = 0;
    for (const v6 of [false, true]) {
      let c = new Conn(w, { v6, host: ++h }).handshake();
      c.send(0, rq('GET', '/a') + rq('HEAD', '/b') + rq('GET', '/c')).send(1, withBody(5) + headOnly(7) + withBody(3)).close();
      c = new Conn(w, { v6, host: ++h }).handshake();
      c.send(0, rq('GET', '/a') + rq('HEAD', '/b') + rq('GET', '/c')).send(1, withBody(5)).send(1, headOnly(7)).send(1, withBody(3)).close();
      c = new Conn(w, { v6, host: ++h }).handshake();
      c.send(0, rq('HEAD', '/a') + rq('GET', '/b')).send(1, headOnly(7)).send(1, withBody(3)).close();
      // The HEAD is the last request read: the GET's long response is then not waited for.
      c = new Conn(w, { v6, host: ++h }).handshake();
      c.send(0, rq('GET', '/a') + rq('HEAD', '/b')).send(1, withBody(3000)).send(1, headOnly(7)).close();
      c = new Conn(w, { v6, host: ++h }).handshake();
      c.send(0, rq('GET', '/a')).send(0, rq('HEAD', '/b')).send(0, rq('GET', '/c')).send(1, withBody(5)).send(1, headOnly(7)).send(1, withBody(3)).close();
    }
    expect(differences(w)).toEqual([]);
  });

  test('header values keep trailing spaces; lone CR ends a line; a line without a colon ends the head', () => {
    const w = new PcapWriter();
    const ok = 'HTTP/1.1 200 OK\r\nServer: s  \r\nContent-Length: 0\r\n\r\n';
    const pairs: Array<[string, string]> = [
      ['GET / HTTP/1.1\r\nHost:   ex  \r\nUser-Agent: ua   \r\n\r\n', ok],
      ['GET / HTTP/1.1\r\nfoo\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: y\r\n\r\n', ok + ok],
      ['GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: b\r\n\r\n', 'HTTP/1.1 200 OK\r\nfoo\r\nContent-Length: 5\r\nServer: s\r\n\r\nhelloHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n'],
      ['GET /a HTTP/1.1\r\nUser-Agent: a\rHost: evil\r\n\r\n', ok],
      ['GET /a HTTP/1.1\r\nHost: h\r\r\nUser-Agent: u\r\n\r\n', ok],
      ['GET  /a HTTP/1.1\r\nHost: h\r\n\r\n', 'HTTP/1.1  200 OK\r\nContent-Length: 0\r\n\r\n'],
      ['GET /a  HTTP/1.1\r\nHost: h\r\n\r\n', 'HTTP/1.1 200  OK\r\nContent-Length: 0\r\n\r\n'],
      ['GET /a b c HTTP/1.1\r\nHost: h\r\n\r\n', 'HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n'],
      ['GET /a H\r\n:x: 1\r\nHost : h\r\nUser-Agent:u\r\n\r\n', 'HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n'],
      ['GET /a\r\nX(y: 1\r\nHost: h\r\n\r\n', 'HTTP/1.1 200OK\r\nContent-Length: 0\r\n\r\n'],
      ['GET /a HTTP/1.1\nHost: h\n\n', 'HTTP/1.1 200 OK\rContent-Length: 0\r\r'],
      ['GET /a HTTP/1.1\r\nHost: h\r\n\r\n', 'HTTP/1.1 200 OK\r\nServer: a\r\n b\r\nContent-Length: 0\r\n\r\n'],
      ['GET /a HTTP/1.1\r\nHost: h\r\n\r\n\r\nGET /b HTTP/1.1\r\n\r\n', 'HTTP/1.1 204 No Content\r\n\r\n\r\nHTTP/1.1 205 Reset\r\nContent-Length: 0\r\n\r\n'],
    ];
    pairs.forEach(([q, s], i) => new Conn(w, { host: i + 1 }).handshake().send(0, q).send(1, s).close());
    expect(differences(w)).toEqual([]);
  });
});

run('framing as tshark: Content-Length, Transfer-Encoding and chunk sizes', () => {
  const next = 'HTTP/1.1 204 No Content\r\n\r\n';
  const build = (mss: number, head: (v: string) => string, values: string[]) => {
    const w = new PcapWriter();
    values.forEach((v, i) => {
      const c = new Conn(w, { host: i + 1 }).handshake();
      c.send(0, `GET /${i} HTTP/1.1\r\nHost: h\r\n\r\nGET /${i}b HTTP/1.1\r\nHost: h\r\n\r\n`);
      c.send(1, head(v) + next, { mss });
      c.close();
    });
    return w;
  };
  // The absurd Content-Length values, and the edges of Wireshark's two readings of it.
  const lengths = ['99999999999999999999', '-5', '5, 5', '5\r\nContent-Length: 7', ' 5 ', '5 ', '+5', '0x5', '05', '5abc', '', '1 2', '4294967301',
    '9223372036854775807', '-0', '010', '7\r\nContent-Length: x', '2147483647', '2147483648', '10\r\nContent-Length: 99999999999'];
  const encodings = ['chunked\r\nContent-Length: 3', 'chunked', 'Chunked', 'CHUNKED', 'gzip, chunked', 'chunked, gzip', 'chunkedx', 'xchunked', ' chunked', 'identity', 'gzip', 'gzip chunked', 'a;chunked', 'chunked;x'];
  const sizes = ['00000000000000000005', '0000000000000000005', 'ffffffffffffffff', '0x5', ' 5', '5 ', '5;ext', '+5', '-5', '100000005', '80000001', '7fffffff', 'g', '5\t'];
  for (const mss of [1460, 20]) {
    test(`Content-Length variants (segments of ${mss} bytes)`, () => {
      expect(differences(build(mss, (v) => `HTTP/1.1 200 OK\r\nContent-Length: ${v}\r\n\r\n0123456789`, lengths))).toEqual([]);
    });
    test(`Transfer-Encoding variants (segments of ${mss} bytes)`, () => {
      expect(differences(build(mss, (v) => `HTTP/1.1 200 OK\r\nTransfer-Encoding: ${v}\r\n\r\n5\r\nhello\r\n0\r\n\r\n`, encodings))).toEqual([]);
    });
    test(`chunk sizes (segments of ${mss} bytes)`, () => {
      expect(differences(build(mss, (v) => `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${v}\r\nhello\r\n0\r\n\r\n`, sizes))).toEqual([]);
    });
  }

  test('a body without a line end that never completes: its first segment names the last reassembly', () => {
    const w = new PcapWriter();
    for (let n = 0; n < 3; n++) {
      const c = new Conn(w, { host: n + 1 }).handshake();
      c.send(0, 'GET / HTTP/1.0\r\n\r\n').send(1, 'z'.repeat(1460 * n + 110)).close();
    }
    expect(differences(w)).toEqual([]);
  });
});

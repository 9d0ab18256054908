/**
 * Seeded generator of hostile HTTP conversations (issue 15's fuzz shapes): heads whose lines end
 * in CRLF, LF, a lone CR or nothing; lone CR, TAB, NUL and bytes above 0x7f inside URIs and
 * header values; chunked bodies of one- to three-byte chunks with odd size lines; Content-Length
 * values of every odd kind; segments of 1 to 40 bytes or whole; a snapshot length cutting
 * segments; connections that end mid-message. The same seed gives the same capture.
 */
import { Conn, headerBytes, PcapWriter } from './synth';

const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];

const EOLS = ['\r\n', '\r\n', '\r\n', '\n', '\r', ''];
const JUNK = (process.env.FUZZ_ASCII ? ['\r', ' ', '\r\n', '\x0b', ':', '\n'] : ['\r', '\t', '\0', '\x80', '\xff', ' ', '\r\n', '\x0b', ':', '\u00e9']);
const LENGTHS = ['5', ' 5 ', '-1', '99999999999999999999', '5, 5', '0x5', '', '1 2', '2147483648', '7'];
const SIZES = ['1', '2', '3', 'ffffffffffffffff', '0x2', ' 1', '1;x', 'g', '-1', '7fffffff'];

/** Text with hostile bytes sprinkled in. */
function salt(rnd: () => number, s: string): string {
  let out = '';
  for (const ch of s) {
    out += ch;
    if (rnd() < 0.08) out += pick(rnd, JUNK);
  }
  return out;
}

function head(rnd: () => number, start: string, fields: Array<[string, string]>): string {
  const eol = () => (rnd() < 0.85 ? '\r\n' : pick(rnd, EOLS));
  let s = salt(rnd, start) + eol();
  for (const [k, v] of fields) s += `${rnd() < 0.05 ? salt(rnd, k) : k}: ${rnd() < 0.5 ? salt(rnd, v) : v}${eol()}`;
  return s + (rnd() < 0.9 ? '\r\n' : pick(rnd, EOLS));
}

function chunked(rnd: () => number, body: string): string {
  let s = '';
  for (let i = 0; i < body.length; ) {
    const n = 1 + Math.floor(rnd() * 3);
    const size = rnd() < 0.9 ? n.toString(16) : pick(rnd, SIZES);
    s += `${size}\r\n${body.slice(i, i + n)}\r\n`;
    i += n;
  }
  return s + (rnd() < 0.9 ? '0\r\n\r\n' : pick(rnd, ['0\r\n', '0\r\nX: y\r\n\r\n', '0\r\n\r', '']));
}

/** One capture of `conns` hostile conversations. */
export function hostileCapture(rnd: () => number, conns: number): PcapWriter {
  const w = new PcapWriter();
  const H = headerBytes();
  for (let c = 0; c < conns; c++) {
    const conn = new Conn(w, { host: c + 1, v6: rnd() < 0.2, serverPort: rnd() < 0.9 ? 80 : 8080 }).handshake();
    const mss = rnd() < 0.5 ? 1 + Math.floor(rnd() * 40) : 1460;
    const cap = rnd() < 0.15 ? (i: number) => (rnd() < 0.3 ? H + Math.floor(rnd() * 60) : undefined) : undefined;
    const exchanges = 1 + Math.floor(rnd() * 3);
    for (let x = 0; x < exchanges; x++) {
      const uri = '/' + salt(rnd, 'page' + x + '.html?q=' + 'v'.repeat(Math.floor(rnd() * 20)));
      const method = pick(rnd, ['GET', 'GET', 'HEAD', 'POST', 'M-SEARCH', 'GETX']);
      const reqFields: Array<[string, string]> = [['Host', '127.0.0.1'], ['User-Agent', 'fuzz/1.0 (x)'], ['Accept', '*/*']];
      const postBody = method === 'POST' ? 'a=' + 'b'.repeat(Math.floor(rnd() * 50)) : '';
      if (postBody) reqFields.push(['Content-Length', rnd() < 0.8 ? String(postBody.length) : pick(rnd, LENGTHS)]);
      conn.send(0, head(rnd, `${method} ${uri} HTTP/1.1`, reqFields) + postBody, { mss, capLen: cap });
      const body = 'x'.repeat(Math.floor(rnd() * 200));
      const resFields: Array<[string, string]> = [['Server', 'fuzz'], ['Content-Type', 'text/html; charset=utf-8']];
      let payload: string;
      if (rnd() < 0.4) {
        resFields.push(['Transfer-Encoding', pick(rnd, ['chunked', 'chunked', 'Chunked', 'gzip, chunked', 'chunkedx'])]);
        payload = chunked(rnd, body);
      } else {
        resFields.push(['Content-Length', rnd() < 0.7 ? String(body.length) : pick(rnd, LENGTHS)]);
        payload = body;
      }
      const code = pick(rnd, ['200 OK', '206 Partial Content', '304 Not Modified', '404 Not Found', '204 No Content', '20 x', '2000 OK']);
      let res = head(rnd, `HTTP/1.1 ${code}`, resFields) + payload;
      if (rnd() < 0.1) res = res.slice(0, Math.floor(rnd() * res.length)); // the connection ends mid-message
      conn.send(1, res, { mss, capLen: cap });
    }
    conn.close();
  }
  return w;
}

/**
 * The line and head readers against plain definitions of Wireshark's rules (written here the
 * simple way, character by character), on random text with CRLF, bare LF, lone CR, long lines,
 * lines without a colon and white space of every kind. tshark itself checks the same rules on
 * whole captures in http-tshark-shapes.test.ts; here every bound and offset is exercised.
 */
import { contentLength, displayHead, headerValue, headerValues, lineEnd, nextLineAfter, parseStartLine, prng, startKind } from '../lib';

/** tvb_find_line_end: the first CR or LF; CRLF counts as one; `wait`: no answer without one, nor for a CR that is the last byte. */
function reference(b: Buffer, from: number, end: number, wait: boolean): [number, number] {
  end = Math.min(end, b.length);
  for (let i = from; i < end; i++) {
    if (b[i] === 0x0a) return [i, i + 1];
    if (b[i] === 0x0d) {
      if (i + 1 >= end) return wait ? [-1, -1] : [i, end];
      return [i, b[i + 1] === 0x0a ? i + 2 : i + 1];
    }
  }
  return wait ? [-1, -1] : [end, end];
}

test('lineEnd equals its definition for short and long lines, CR, LF and CRLF, every bound', () => {
  const rnd = prng(5);
  let longLines = 0;
  for (let k = 0; k < 4000; k++) {
    const parts: string[] = [];
    while (parts.join('').length < 2000) {
      const len = rnd() < 0.3 ? Math.floor(rnd() * 900) : Math.floor(rnd() * 60);
      parts.push('x'.repeat(len) + ['\r\n', '\n', '\r', '\r\r\n', '\n\r'][Math.floor(rnd() * 5)]);
    }
    const b = Buffer.from(parts.join(''), 'latin1');
    const from = Math.floor(rnd() * b.length);
    const end = rnd() < 0.2 ? b.length + 10 : from + Math.floor(rnd() * (b.length - from + 1));
    const wait = rnd() < 0.5;
    const want = reference(b, from, end, wait);
    if (want[0] - from > 256) longLines++;
    const got = lineEnd(b, from, end, wait);
    expect([from, end, wait, got, got < 0 ? -1 : nextLineAfter()]).toEqual([from, end, wait, ...want]);
  }
  expect(longLines).toBeGreaterThan(100);
});

/**
 * dissect_http_message's head, the plain way: lines by the definition above; after the start
 * line, a line with a colon is a field (name before the first colon, value after it without the
 * spaces and tabs that follow the colon, trailing white space kept), a blank line ends the head,
 * any other line ends it too — and if that line runs to the end of the data, reading it throws.
 */
function referenceHead(b: Buffer, off: number, end: number) {
  let [e, next] = reference(b, off, end, false);
  const startLine = b.toString('latin1', off, e);
  const headers: Array<[string, string]> = [];
  let pos = next;
  let blankLine = false;
  let cut = false;
  while (pos < Math.min(end, b.length)) {
    [e, next] = reference(b, pos, end, false);
    const line = b.toString('latin1', pos, e);
    if (line === '') {
      blankLine = true;
      pos = next;
      break;
    }
    const colon = line.indexOf(':');
    if (colon < 0) {
      cut = e >= Math.min(end, b.length);
      break;
    }
    headers.push([line.slice(0, colon), line.slice(colon + 1).replace(/^[ \t]*/, '')]);
    pos = next;
  }
  return { startLine, headers, bodyStart: pos, blankLine, cut };
}

const kindOf = (b: Buffer, off: number, end: number) => startKind(b, off, reference(b, off, end, false)[0]);

test('displayHead equals its definition on random heads', () => {
  const rnd = prng(6);
  const pieces = ['Host', 'content-length', 'X-Ä', ':', ' ', '\t', '\x0b', '\x0c', '\xa0', 'a:b', 'é', '\xff', '0', 'value', '::', '\r', '  '];
  const ends = ['\r\n', '\n', '\r'];
  let blank = 0;
  let cut = 0;
  for (let k = 0; k < 4000; k++) {
    let text = (rnd() < 0.5 ? 'HTTP/1.1 200 OK' : 'GET /x HTTP/1.1') + ends[Math.floor(rnd() * 3)];
    const n = Math.floor(rnd() * 8);
    for (let i = 0; i < n; i++) {
      let line = '';
      const parts = 1 + Math.floor(rnd() * 6);
      for (let j = 0; j < parts; j++) line += pieces[Math.floor(rnd() * pieces.length)];
      text += line + ends[Math.floor(rnd() * 3)];
    }
    if (rnd() < 0.8) text += ends[Math.floor(rnd() * 2)];
    text += 'body';
    const pad = Math.floor(rnd() * 5);
    const b = Buffer.from('#'.repeat(pad) + text, 'latin1');
    const end = rnd() < 0.3 ? pad + Math.floor(rnd() * text.length) : b.length;
    const want = referenceHead(b, pad, end);
    const got = displayHead(b, pad, end, kindOf(b, pad, end));
    if (want.blankLine) blank++;
    if (want.cut) cut++;
    expect({ headers: got.head.headers, bodyStart: got.head.bodyStart, blankLine: got.blankLine, cut: got.cut }).toEqual({ headers: want.headers, bodyStart: want.bodyStart, blankLine: want.blankLine, cut: want.cut });
    expect(got.head.start).toEqual(parseStartLine(want.startLine));
    // Single look-ups read the head's text without making the fields; they must agree with them.
    for (const name of ['host', 'content-length', 'x-ä', 'a', 'value']) {
      const fresh = displayHead(b, pad, end, kindOf(b, pad, end)).head;
      const values = want.headers.filter(([k]) => k.toLowerCase() === name).map(([, v]) => v);
      expect(headerValues(fresh, name)).toEqual(values);
      expect(headerValue(displayHead(b, pad, end, kindOf(b, pad, end)).head, name)).toEqual(values[0]);
    }
  }
  expect(blank).toBeGreaterThan(500);
  expect(cut).toBeGreaterThan(100);
});

/** g_ascii_strtoll and the checks after it: white space, a sign, digits, then nothing or white space; not negative; no overflow. */
function referenceLength(v: string): number | undefined {
  const m = /^[ \t\n\x0b\f\r]*([+-]?)([0-9]+)(.*)$/s.exec(v);
  if (!m || (m[3] !== '' && !/^[ \t\n\x0b\f\r]/.test(m[3]))) return undefined;
  const n = BigInt(m[1] + m[2]);
  if (n < 0n || n > 9223372036854775807n) return undefined;
  return Number(n);
}

test('header names match case-insensitively; Content-Length is the last field, read as strtoll', () => {
  const rnd = prng(7);
  const names = ['Content-Length', 'CONTENT-LENGTH', 'content-length', 'Content-Lengtх', 'Content_Length', 'ÀB', 'àb', 'Àb', '×b', '÷b'];
  const values = ['12', ' 12 ', '\t7\xa0', '', ' ', '1a', '0x10', '+5', '-5', '-0', '1 2', '007', '١٢', '99999999999999999999', '9223372036854775807', '9223372036854775808', '12\x0b'];
  for (let k = 0; k < 3000; k++) {
    const headers: Array<[string, string]> = [];
    const n = Math.floor(rnd() * 4);
    for (let i = 0; i < n; i++) headers.push([names[Math.floor(rnd() * names.length)], values[Math.floor(rnd() * values.length)]]);
    const raw = Buffer.from(`HTTP/1.1 200 OK\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`, 'latin1');
    const h = displayHead(raw, 0, raw.length, 'response').head;
    const wire = headers.map(([k, v]): [string, string] => [Buffer.from(k, 'latin1').toString('latin1'), Buffer.from(v, 'latin1').toString('latin1').replace(/^[ \t]*/, '')]);
    for (const name of ['content-length', 'àb', '×b']) {
      expect(headerValues(h, name)).toEqual(wire.filter(([k]) => k.toLowerCase() === name).map(([, v]) => v));
    }
    const cls = wire.filter(([k]) => k.toLowerCase() === 'content-length');
    expect([cls, contentLength(h)]).toEqual([cls, cls.length ? referenceLength(cls[cls.length - 1][1]) : undefined]);
  }
});

/** Hostile heads: many lines without a colon, or 300,000 fields, must not make each look-up rescan the rest. */
test('a head of hundreds of thousands of lines is read in linear time', () => {
  const head = Buffer.from('GET / HTTP/1.1\r\n' + 'x: y\r\n'.repeat(300000) + 'Content-Length: 5\r\n\r\nhello', 'latin1');
  // A hang guard, not a speed target: linear takes well under a second here.
  const t0 = Date.now();
  const h = displayHead(head, 0, head.length, 'request').head;
  expect(headerValue(h, 'content-length')).toBe('5');
  expect(h.headers.length).toBe(300001);
  const noColon = Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n' + 'x\r'.repeat(1000000), 'latin1');
  expect(displayHead(noColon, 0, noColon.length, 'request').head.headers).toEqual([['Host', 'a']]);
  expect(Date.now() - t0).toBeLessThan(10000);
});

/**
 * Wireshark's tree holds at most 1,000,000 items: tshark 4.0 -V on a request of Host plus
 * 1,000,100 fields "hN: x" over Ethernet/IPv4 shows Host and h0 … h999877, then "Adding
 * http.request.line would put more than 1000000 items in the tree".
 */
test('a head of a million fields stops where the tree of tshark is full', () => {
  const lines: string[] = [];
  for (let i = 0; i < 1000100; i++) lines.push(`h${i}: x\r\n`);
  const head = Buffer.from('GET / HTTP/1.1\r\nHost: lab\r\n' + lines.join('') + '\r\n', 'latin1');
  const d = displayHead(head, 0, head.length, 'request');
  expect(d.tooMany).toBe(true);
  expect(d.head.headers.length).toBe(999879);
  expect(d.head.headers[d.head.headers.length - 1]).toEqual(['h999877', 'x']);
});

/**
 * basic_request_dissector / basic_response_dissector, the plain way: tokens end at a space, the
 * spaces after a token are skipped; two spaces after the method mean an empty URI; a request's
 * version is the rest; the code is the first three characters of its token read as strtoul.
 */
function referenceStartLine(line: string) {
  const w = line.startsWith('M-') ? line.slice(2) : line; // RFC 2774's mandatory prefix
  const kind = /^HTTP\/|^ICY( |$)/.test(w) ? 'response' : /^(GET|POST|HEAD|OPTIONS|SEARCH)( |$)/.test(w) ? 'request' : 'other';
  if (kind === 'other') return { kind };
  const m = /^([^ ]*)( *)(.*)$/s.exec(line)!;
  if (m[1] === '') return { kind };
  if (kind === 'response') {
    const c = /^([^ ]*)( *)(.*)$/s.exec(m[3])!;
    if (c[1].length < 3) return { kind, version: m[1] };
    const digits = /^[+-]?[0-9]*/.exec(c[1].slice(0, 3))![0];
    let code = Number(digits.replace(/^[+-]/, '') || 0);
    if (digits.startsWith('-')) code = (2 ** 32 - code) % 2 ** 32;
    return { kind, version: m[1], code, phrase: c[3] === '' ? undefined : c[3] };
  }
  let rest = m[3];
  if (m[2].length >= 2) rest = ' ' + rest; // the empty URI
  const u = /^([^ ]*)( *)(.*)$/s.exec(rest)!;
  return { kind, method: m[1], uri: u[1], version: u[3] === '' ? undefined : u[3] };
}

test('parseStartLine equals its definition on random start lines', () => {
  const rnd = prng(8);
  const pieces = ['HTTP/1.1', 'HTTP/', 'GET', 'POST', 'HEAD', 'M-SEARCH', 'OPTIONS', 'GETX', 'M-', 'ICY', ' ', ' ', '200', '0', '9', '2x0', '-20', '+2', 'OK', '/a b', '*', 'é', '  '];
  for (let k = 0; k < 30000; k++) {
    let line = '';
    const n = 1 + Math.floor(rnd() * 6);
    for (let i = 0; i < n; i++) line += pieces[Math.floor(rnd() * pieces.length)];
    expect([line, parseStartLine(line)]).toEqual([line, referenceStartLine(line)]);
  }
});

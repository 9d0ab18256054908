/**
 * findLineEnd (a byte loop for short lines, Buffer.indexOf past 256 bytes) against the plain
 * definition, on random text with short and long lines, CRLF and bare LF, and any bounds.
 */
import { contentLength, findLineEnd, headerValue, headerValues, parseHead, parseStartLine, prng } from '../lib';

/** The definition: the first LF in [from, end), minus a CR right before it; -1 without one. */
function reference(b: Buffer, from: number, end: number): number {
  for (let i = from; i < Math.min(end, b.length); i++) {
    if (b[i] === 0x0a) return i > from && b[i - 1] === 0x0d ? i - 1 : i;
  }
  return -1;
}

test('findLineEnd equals its definition for short and long lines and every bound', () => {
  const rnd = prng(5);
  let longLines = 0;
  for (let k = 0; k < 3000; k++) {
    const parts: string[] = [];
    while (parts.join('').length < 2000) {
      const len = rnd() < 0.3 ? Math.floor(rnd() * 900) : Math.floor(rnd() * 60);
      parts.push('x'.repeat(len) + (rnd() < 0.5 ? '\r\n' : rnd() < 0.5 ? '\n' : '\r'));
    }
    const b = Buffer.from(parts.join(''), 'latin1');
    const from = Math.floor(rnd() * b.length);
    const end = rnd() < 0.2 ? b.length + 10 : from + Math.floor(rnd() * (b.length - from + 1));
    const want = reference(b, from, end);
    if (want - from > 256) longLines++;
    expect([from, end, findLineEnd(b, from, end)]).toEqual([from, end, want]);
  }
  expect(longLines).toBeGreaterThan(100);
});

/**
 * parseHead (lines found in the bytes, the head turned into one string, then cut) against the
 * plain definition: each line decoded on its own, split at its first colon, the value trimmed.
 * Heads mix CRLF and bare LF, lines without a colon or starting with one, white space of every
 * kind JavaScript trims (tab, VT, FF, NBSP) and bytes above 0x7f.
 */
function referenceHead(b: Buffer, off: number, end: number) {
  const lines: string[] = [];
  let pos = off;
  for (;;) {
    const e = reference(b, pos, end);
    if (e < 0) return undefined;
    const next = b[e] === 0x0d ? e + 2 : e + 1;
    if (e === pos && lines.length > 0) {
      const headers = lines.slice(1).flatMap((line): Array<[string, string]> => {
        const colon = line.indexOf(':');
        return colon > 0 ? [[line.slice(0, colon), line.slice(colon + 1).trim()]] : [];
      });
      return { startLine: lines[0], headers, bodyStart: next };
    }
    lines.push(b.toString('latin1', pos, e));
    pos = next;
  }
}

test('parseHead equals its definition on random heads', () => {
  const rnd = prng(6);
  const pieces = ['Host', 'content-length', 'X-Ä', ':', ' ', '\t', '\x0b', '\x0c', '\xa0', 'a:b', 'é', '\xff', '0', 'value', '::'];
  let complete = 0;
  for (let k = 0; k < 3000; k++) {
    let text = rnd() < 0.5 ? 'HTTP/1.1 200 OK' : 'GET /x HTTP/1.1';
    text += rnd() < 0.5 ? '\r\n' : '\n';
    const n = Math.floor(rnd() * 8);
    for (let i = 0; i < n; i++) {
      let line = '';
      const parts = 1 + Math.floor(rnd() * 6);
      for (let j = 0; j < parts; j++) line += pieces[Math.floor(rnd() * pieces.length)];
      text += line + (rnd() < 0.5 ? '\r\n' : '\n');
    }
    if (rnd() < 0.9) text += rnd() < 0.5 ? '\r\n' : '\n';
    text += 'body';
    const pad = Math.floor(rnd() * 5);
    const b = Buffer.from('#'.repeat(pad) + text, 'latin1');
    const end = rnd() < 0.1 ? pad + Math.floor(rnd() * text.length) : b.length;
    const want = referenceHead(b, pad, end);
    const got = parseHead(b, pad, end);
    if (want) complete++;
    expect(got && { startLine: b.toString('latin1', pad, reference(b, pad, end)), headers: got.headers, bodyStart: got.bodyStart }).toEqual(want);
    if (got) {
      expect(got.start).toEqual(parseStartLine(want!.startLine));
      // Single look-ups read the head's text without making the fields; they must agree with them.
      for (const name of ['host', 'content-length', 'x-ä', 'a', 'value']) {
        const fresh = parseHead(b, pad, end)!;
        expect(headerValues(fresh, name)).toEqual(want!.headers.filter(([k]) => k.toLowerCase() === name).map(([, v]) => v));
      }
    }
  }
  expect(complete).toBeGreaterThan(2000);
});

/** Header look-ups and Content-Length against their definitions (toLowerCase, the RFC's digits). */
test('header names match case-insensitively and Content-Length is digits only', () => {
  const rnd = prng(7);
  const names = ['Content-Length', 'CONTENT-LENGTH', 'content-length', 'Content-Lengtх', 'Content_Length', 'ÀB', 'àb', 'Àb', '×b', '÷b'];
  const values = ['12', ' 12 ', '\t7\xa0', '', ' ', '1a', '0x10', '+5', '1 2', '007', '١٢'];
  for (let k = 0; k < 2000; k++) {
    const headers: Array<[string, string]> = [];
    const n = Math.floor(rnd() * 4);
    for (let i = 0; i < n; i++) headers.push([names[Math.floor(rnd() * names.length)], values[Math.floor(rnd() * values.length)]]);
    // The same fields as a plain list and as a head parsed from text (read without making its fields).
    // (Text from the wire is latin1: characters beyond it arrive as their low byte.)
    const plain = { start: { kind: 'response' as const }, headers, bodyStart: 0 };
    const raw = Buffer.from(`HTTP/1.1 200 OK\r\n${headers.map(([k, v]) => `${k}:${v}\r\n`).join('')}\r\n`, 'latin1');
    const wire = (x: string) => Buffer.from(x, 'latin1').toString('latin1');
    for (const [h, headers] of [[plain, plain.headers], [parseHead(raw, 0, raw.length)!, plain.headers.map(([k, v]) => [wire(k), wire(v)])]] as const) {
      for (const name of ['content-length', 'àb', '×b']) {
        const want = headers.filter(([k]) => k.toLowerCase() === name).map(([, v]) => v.trim());
        expect(headerValues(h, name).map((v) => v.trim())).toEqual(want);
      }
      const v = headers.find(([k]) => k.toLowerCase() === 'content-length')?.[1];
      expect(contentLength(h)).toBe(v !== undefined && /^\s*[0-9]+\s*$/.test(v) ? Number(v) : undefined);
    }
  }
});

/** Hostile heads: many lines without a colon must not make each look-up rescan the rest of the head. */
test('a head of a million lines without a colon is read in linear time', () => {
  const head = Buffer.from('GET / HTTP/1.1\r\n' + 'x\r\n'.repeat(1000000) + 'Content-Length: 5\r\n\r\nhello', 'latin1');
  // A hang guard, not a speed target: linear takes ~0.1 s here, searching every line to the end ~25 s.
  const t0 = Date.now();
  const h = parseHead(head, 0, head.length)!;
  expect(headerValue(h, 'content-length')).toBe('5');
  expect(h.headers).toEqual([['Content-Length', '5']]);
  expect(Date.now() - t0).toBeLessThan(5000);
});

/** parseStartLine against the plain definition: split at the first space, the version after the last. */
function referenceStartLine(line: string) {
  if (line.startsWith('HTTP/')) {
    const sp = line.indexOf(' ');
    const rest = sp < 0 ? '' : line.slice(sp + 1);
    const codeText = rest.slice(0, 3);
    return { kind: 'response', version: sp < 0 ? line : line.slice(0, sp), code: /^[0-9]{3}$/.test(codeText) ? Number(codeText) : undefined, phrase: rest.length > 4 ? rest.slice(4) : undefined };
  }
  const sp = line.indexOf(' ');
  if (sp > 0 && ['GET', 'POST', 'HEAD', 'M-SEARCH', 'OPTIONS'].includes(line.slice(0, sp))) {
    const rest = line.slice(sp + 1);
    const sp2 = rest.lastIndexOf(' ');
    if (sp2 > 0 && rest.slice(sp2 + 1).startsWith('HTTP/')) return { kind: 'request', method: line.slice(0, sp), uri: rest.slice(0, sp2), version: rest.slice(sp2 + 1) };
    return { kind: 'request', method: line.slice(0, sp), uri: rest };
  }
  return { kind: 'other' };
}

test('parseStartLine equals its definition on random start lines', () => {
  const rnd = prng(8);
  const pieces = ['HTTP/1.1', 'HTTP/', 'GET', 'POST', 'HEAD', 'M-SEARCH', 'OPTIONS', 'GETX', ' ', ' ', '200', '0', '9', '2x0', 'OK', '/a b', '*', 'é', '  '];
  for (let k = 0; k < 20000; k++) {
    let line = '';
    const n = 1 + Math.floor(rnd() * 6);
    for (let i = 0; i < n; i++) line += pieces[Math.floor(rnd() * pieces.length)];
    expect([line, parseStartLine(line)]).toEqual([line, referenceStartLine(line)]);
  }
});

/**
 * HTTP/1.x message heads (RFC 9112 §2–§6): start line, header fields, and how the body is framed.
 * Pure functions over bytes; nothing here knows about TCP.
 */

/** Methods Wireshark recognises at the start of a request line. */
export const HTTP_METHODS: ReadonlySet<string> = new Set([
  'GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE', 'PATCH',
  'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'SEARCH', 'REPORT',
  'CHECKOUT', 'CHECKIN', 'UNCHECKOUT', 'MKWORKSPACE', 'UPDATE', 'LABEL', 'MERGE',
  'BASELINE-CONTROL', 'MKACTIVITY', 'ORDERPATCH', 'ACL', 'MKREDIRECTREF', 'UPDATEREDIRECTREF',
  'MKCALENDAR', 'BIND', 'UNBIND', 'REBIND', 'NOTIFY', 'SUBSCRIBE', 'UNSUBSCRIBE', 'M-SEARCH',
  'POLL', 'BMOVE', 'BCOPY', 'BDELETE', 'BPROPFIND', 'BPROPPATCH', 'X-MS-ENUMATTS', 'RPC_IN_DATA',
  'RPC_OUT_DATA', 'VERSION-CONTROL', 'PRI',
]);

export type StartLineKind = 'request' | 'response' | 'other';

export interface StartLine {
  kind: StartLineKind;
  method?: string;
  uri?: string;
  version?: string;
  code?: number;
  phrase?: string;
}

/**
 * Index of the end of the line starting at `from` (the CR of CRLF, or the LF), or -1. Header
 * lines are short: a byte loop finds their end faster than a call into Buffer.indexOf, which
 * takes over for long lines (body bytes).
 */
export function findLineEnd(b: Buffer, from: number, end: number): number {
  const stop = Math.min(end, b.length, from + SHORT_LINE);
  let i = from;
  while (i < stop && b[i] !== 0x0a) i++;
  if (i >= stop) {
    if (stop === end || stop === b.length) return -1;
    i = b.indexOf(0x0a, stop);
    if (i < 0 || i >= end) return -1;
  }
  return i > from && b[i - 1] === 0x0d ? i - 1 : i;
}
const SHORT_LINE = 256;

/** Classify and split a start line (given without its line terminator). */
export function parseStartLine(line: string): StartLine {
  if (line.startsWith('HTTP/')) {
    // status-line = HTTP-version SP status-code SP [ reason-phrase ]
    const sp = line.indexOf(' ');
    const version = sp < 0 ? line : line.slice(0, sp);
    const rest = sp < 0 ? '' : line.slice(sp + 1);
    const code = rest.length >= 3 && isDigit(rest, 0) && isDigit(rest, 1) && isDigit(rest, 2) ? Number(rest.slice(0, 3)) : undefined;
    const phrase = rest.length > 4 ? rest.slice(4) : undefined;
    return { kind: 'response', version, code, phrase };
  }
  const sp = line.indexOf(' ');
  if (sp > 0 && HTTP_METHODS.has(line.slice(0, sp))) {
    // request-line = method SP request-target SP HTTP-version
    const method = line.slice(0, sp);
    const rest = line.slice(sp + 1);
    const sp2 = rest.lastIndexOf(' ');
    if (sp2 > 0 && rest.startsWith('HTTP/', sp2 + 1)) {
      return { kind: 'request', method, uri: rest.slice(0, sp2), version: rest.slice(sp2 + 1) };
    }
    return { kind: 'request', method, uri: rest };
  }
  return { kind: 'other' };
}

function isDigit(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 0x30 && c <= 0x39;
}

export interface MessageHead {
  start: StartLine;
  /** Header fields in order, names as sent. */
  headers: Array<[string, string]>;
  /** Offset just past the blank line that ends the head. */
  bodyStart: number;
}

/** Where each header line of the head being parsed starts and ends (reused: heads are parsed one at a time). */
const lineStarts: number[] = [];
const lineEnds: number[] = [];

/**
 * Parse the head of a message that starts at `off`. Returns undefined while the blank line that
 * ends the head has not arrived yet. The lines are found in the bytes first; the head then
 * becomes one string, cut into fields (one conversion instead of one per line).
 */
export function parseHead(b: Buffer, off: number, end: number, startLine?: StartLine): MessageHead | undefined {
  const first = findLineEnd(b, off, end);
  if (first < 0) return undefined;
  let n = 0;
  let pos = b[first] === 0x0d ? first + 2 : first + 1;
  let textEnd = first;
  for (;;) {
    const e = findLineEnd(b, pos, end);
    if (e < 0) return undefined;
    const next = b[e] === 0x0d ? e + 2 : e + 1;
    if (e === pos) break;
    lineStarts[n] = pos - off;
    lineEnds[n] = e - off;
    n++;
    textEnd = e;
    pos = next;
  }
  const text = b.toString('latin1', off, textEnd);
  const start = startLine ?? parseStartLine(first === textEnd ? text : text.slice(0, first - off));
  const headers: Array<[string, string]> = [];
  for (let i = 0; i < n; i++) {
    const s = lineStarts[i];
    const e = lineEnds[i];
    const colon = text.indexOf(':', s);
    if (colon > s && colon < e) headers.push([text.slice(s, colon), text.slice(colon + 1, e).trim()]);
  }
  return { start, headers, bodyStart: b[pos] === 0x0d ? pos + 2 : pos + 1 };
}

/** Every value of a header field, in order (names compare case-insensitively). */
export function headerValues(h: { headers: Array<[string, string]> }, name: string): string[] {
  const n = name.toLowerCase();
  const out: string[] = [];
  const hs = h.headers;
  for (let i = 0; i < hs.length; i++) if (sameName(hs[i][0], n)) out.push(hs[i][1]);
  return out;
}

export function headerValue(h: { headers: Array<[string, string]> }, name: string): string | undefined {
  const n = name.toLowerCase();
  const hs = h.headers;
  for (let i = 0; i < hs.length; i++) if (sameName(hs[i][0], n)) return hs[i][1];
  return undefined;
}

/**
 * `k` equals the lower-case name `n` ignoring case, without making a lower-cased copy of `k`.
 * (Names come from latin1 text: there, toLowerCase maps exactly A–Z and À–Þ except ×.)
 */
function sameName(k: string, n: string): boolean {
  if (k.length !== n.length) return false;
  for (let i = 0; i < k.length; i++) {
    let c = k.charCodeAt(i);
    if ((c >= 0x41 && c <= 0x5a) || (c >= 0xc0 && c <= 0xde && c !== 0xd7)) c |= 0x20;
    if (c !== n.charCodeAt(i)) return false;
  }
  return true;
}

/** Transfer-Encoding ends in "chunked" (RFC 9112 §6.1). */
export function isChunked(h: MessageHead): boolean {
  const hs = h.headers;
  for (let i = 0; i < hs.length; i++) if (sameName(hs[i][0], 'transfer-encoding') && /(^|,)\s*chunked\s*$/i.test(hs[i][1])) return true;
  return false;
}

/** Content-Length as a number, or undefined when absent or invalid (digits only, surrounding white space allowed). */
export function contentLength(h: MessageHead): number | undefined {
  const v = headerValue(h, 'content-length');
  if (v === undefined) return undefined;
  const t = v.trim();
  if (t.length === 0) return undefined;
  for (let i = 0; i < t.length; i++) if (!isDigit(t, i)) return undefined;
  return Number(t);
}

/**
 * Walk a chunked body starting at `off`. Returns the offset just past the final CRLF of the
 * trailer section, or -1 if the body is not complete within [off, end).
 */
export function chunkedBodyEnd(b: Buffer, off: number, end: number, out?: Buffer[]): number {
  let pos = off;
  for (;;) {
    const e = findLineEnd(b, pos, end);
    if (e < 0) return -1;
    const sizeText = b.toString('latin1', pos, e).split(';')[0].trim();
    const size = /^[0-9a-fA-F]+$/.test(sizeText) ? parseInt(sizeText, 16) : NaN;
    pos = b[e] === 0x0d ? e + 2 : e + 1;
    if (Number.isNaN(size)) return pos; // malformed: stop here
    if (size === 0) {
      // trailer section, ended by an empty line
      for (;;) {
        const t = findLineEnd(b, pos, end);
        if (t < 0) return -1;
        const after = b[t] === 0x0d ? t + 2 : t + 1;
        if (t === pos) return after;
        pos = after;
      }
    }
    if (pos + size > end) return -1;
    out?.push(b.subarray(pos, pos + size));
    pos += size;
    const crlf = findLineEnd(b, pos, end);
    if (crlf < 0) return -1;
    pos = b[crlf] === 0x0d ? crlf + 2 : crlf + 1;
  }
}

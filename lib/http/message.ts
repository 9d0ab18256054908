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
    const codeText = rest.slice(0, 3);
    const code = /^[0-9]{3}$/.test(codeText) ? Number(codeText) : undefined;
    const phrase = rest.length > 4 ? rest.slice(4) : undefined;
    return { kind: 'response', version, code, phrase };
  }
  const sp = line.indexOf(' ');
  if (sp > 0 && HTTP_METHODS.has(line.slice(0, sp))) {
    // request-line = method SP request-target SP HTTP-version
    const method = line.slice(0, sp);
    const rest = line.slice(sp + 1);
    const sp2 = rest.lastIndexOf(' ');
    if (sp2 > 0 && rest.slice(sp2 + 1).startsWith('HTTP/')) {
      return { kind: 'request', method, uri: rest.slice(0, sp2), version: rest.slice(sp2 + 1) };
    }
    return { kind: 'request', method, uri: rest };
  }
  return { kind: 'other' };
}

export interface MessageHead {
  start: StartLine;
  /** Header fields in order, names as sent. */
  headers: Array<[string, string]>;
  /** Offset just past the blank line that ends the head. */
  bodyStart: number;
}

/**
 * Parse the head of a message that starts at `off`. Returns undefined while the blank line that
 * ends the head has not arrived yet.
 */
export function parseHead(b: Buffer, off: number, end: number, startLine?: StartLine): MessageHead | undefined {
  const first = findLineEnd(b, off, end);
  if (first < 0) return undefined;
  const start = startLine ?? parseStartLine(b.toString('latin1', off, first));
  const headers: Array<[string, string]> = [];
  let pos = b[first] === 0x0d ? first + 2 : first + 1;
  for (;;) {
    const e = findLineEnd(b, pos, end);
    if (e < 0) return undefined;
    const next = b[e] === 0x0d ? e + 2 : e + 1;
    if (e === pos) return { start, headers, bodyStart: next };
    const line = b.toString('latin1', pos, e);
    const colon = line.indexOf(':');
    if (colon > 0) headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
    pos = next;
  }
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

/** `k` equals the lower-case name `n` ignoring case (lengths first: no string made for most names). */
function sameName(k: string, n: string): boolean {
  return k.length === n.length && (k === n || k.toLowerCase() === n);
}

/** Transfer-Encoding ends in "chunked" (RFC 9112 §6.1). */
export function isChunked(h: MessageHead): boolean {
  return headerValues(h, 'transfer-encoding').some((v) => /(^|,)\s*chunked\s*$/i.test(v));
}

/** Content-Length as a number, or undefined when absent or invalid. */
export function contentLength(h: MessageHead): number | undefined {
  const v = headerValue(h, 'content-length');
  if (v === undefined || !/^\s*[0-9]+\s*$/.test(v)) return undefined;
  return Number(v);
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

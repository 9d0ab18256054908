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
  const sp = line.indexOf(' ');
  if (line.startsWith('HTTP/')) {
    // status-line = HTTP-version SP status-code SP [ reason-phrase ]
    if (sp < 0) return { kind: 'response', version: line, code: undefined, phrase: undefined };
    const r = sp + 1; // the rest of the line starts here
    const restLen = line.length - r;
    const code = restLen >= 3 && isDigit(line, r) && isDigit(line, r + 1) && isDigit(line, r + 2) ? digit(line, r) * 100 + digit(line, r + 1) * 10 + digit(line, r + 2) : undefined;
    return { kind: 'response', version: line.slice(0, sp), code, phrase: restLen > 4 ? line.slice(r + 4) : undefined };
  }
  const method = sp > 0 ? line.slice(0, sp) : '';
  if (sp > 0 && HTTP_METHODS.has(method)) {
    // request-line = method SP request-target SP HTTP-version (the version after the last space)
    const last = line.lastIndexOf(' ');
    if (last > sp + 1 && line.startsWith('HTTP/', last + 1)) {
      return { kind: 'request', method, uri: line.slice(sp + 1, last), version: line.slice(last + 1) };
    }
    return { kind: 'request', method, uri: line.slice(sp + 1) };
  }
  return { kind: 'other' };
}

function digit(s: string, i: number): number {
  return s.charCodeAt(i) - 0x30;
}

function isDigit(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 0x30 && c <= 0x39;
}

export interface MessageHead {
  start: StartLine;
  /** Header fields in order, names as sent. (A parsed head makes them on first use: see TextHead.) */
  headers: Array<[string, string]>;
  /** Offset just past the blank line that ends the head. */
  bodyStart: number;
}

/**
 * A head as parsed from bytes: its text is kept whole and the header fields are cut out of it
 * only when asked for. Framing (Content-Length, Transfer-Encoding, Connection) reads single
 * values straight from the text, so a message nobody looks at costs one string, not two per
 * field.
 */
export class TextHead implements MessageHead {
  private fields: Array<[string, string]> | undefined = undefined;

  constructor(
    readonly start: StartLine,
    /** From the start of the start line to the end of the last header line (terminators inside). */
    private text: string,
    /** Where the first header line starts in `text` (past its end when there are none). */
    private readonly firstField: number,
    readonly bodyStart: number,
  ) {}

  get headers(): Array<[string, string]> {
    if (this.fields === undefined) {
      const out: Array<[string, string]> = [];
      this.scan(undefined, out);
      this.fields = out;
    }
    return this.fields;
  }

  /** Replace the fields (e.g. with an empty list, to let them go: the text goes too). */
  set headers(fields: Array<[string, string]>) {
    this.fields = fields;
    this.text = '';
  }

  /** Values of the fields named `lower` (a lower-case name), in order. */
  values(lower: string): string[] {
    if (this.fields !== undefined) return fieldValues(this.fields, lower);
    const out: string[] = [];
    this.scan(lower, undefined, out);
    return out;
  }

  /** The first value of the field named `lower`. */
  first(lower: string): string | undefined {
    if (this.fields !== undefined) return fieldValue(this.fields, lower);
    return this.scan(lower, undefined, undefined);
  }

  /**
   * Walk the header lines: a line is a field when it has a colon after at least one character;
   * the value is trimmed like String.prototype.trim (for latin1 text: TAB, LF, VT, FF, CR, SP, NBSP).
   * Collects every field, or every value of `lower`, or returns its first value.
   */
  private scan(lower: string | undefined, fields?: Array<[string, string]>, values?: string[]): string | undefined {
    const text = this.text;
    const len = text.length;
    let s = this.firstField;
    // The next colon at or after s (len: none). Kept across lines, so lines without a colon do
    // not send each search to the end of the text: the walk stays linear whatever the head holds.
    let colon = -1;
    while (s < len) {
      let nl = text.indexOf('\n', s);
      if (nl < 0) nl = len;
      // CRLF or bare LF, as findLineEnd decided (the text's last line has no terminator).
      const e = nl < len && nl > s && text.charCodeAt(nl - 1) === 0x0d ? nl - 1 : nl;
      if (colon < s) {
        colon = text.indexOf(':', s);
        if (colon < 0) colon = len;
      }
      if (colon > s && colon < e && (lower === undefined || nameIs(text, s, colon, lower))) {
        let a = colon + 1;
        let z = e;
        while (a < z && isTrimSpace(text.charCodeAt(a))) a++;
        while (z > a && isTrimSpace(text.charCodeAt(z - 1))) z--;
        const value = text.slice(a, z);
        if (fields) fields.push([text.slice(s, colon), value]);
        else if (values) values.push(value);
        else return value; // the first one is all that was asked for
      }
      s = nl + 1;
    }
    return undefined;
  }
}

function isTrimSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0;
}

/** text[s, colon) equals the lower-case name, ignoring case as sameName does. */
function nameIs(text: string, s: number, colon: number, lower: string): boolean {
  if (colon - s !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) if (foldCase(text.charCodeAt(s + i)) !== lower.charCodeAt(i)) return false;
  return true;
}

/**
 * Parse the head of a message that starts at `off`. Returns undefined while the blank line that
 * ends the head has not arrived yet. The lines are found in the bytes; the head then becomes one
 * string (one conversion instead of one per line), cut into fields when they are asked for.
 */
export function parseHead(b: Buffer, off: number, end: number): MessageHead | undefined {
  const first = findLineEnd(b, off, end);
  if (first < 0) return undefined;
  const firstField = b[first] === 0x0d ? first + 2 : first + 1;
  let pos = firstField;
  let textEnd = first;
  for (;;) {
    const e = findLineEnd(b, pos, end);
    if (e < 0) return undefined;
    if (e === pos) break;
    textEnd = e;
    pos = b[e] === 0x0d ? e + 2 : e + 1;
  }
  const text = b.toString('latin1', off, textEnd);
  const start = parseStartLine(first === textEnd ? text : text.slice(0, first - off));
  return new TextHead(start, text, firstField - off, b[pos] === 0x0d ? pos + 2 : pos + 1);
}

/** Every value of a header field, in order (names compare case-insensitively). */
export function headerValues(h: { headers: Array<[string, string]> }, name: string): string[] {
  const n = lowerName(name);
  return h instanceof TextHead ? h.values(n) : fieldValues(h.headers, n);
}

export function headerValue(h: { headers: Array<[string, string]> }, name: string): string | undefined {
  const n = lowerName(name);
  return h instanceof TextHead ? h.first(n) : fieldValue(h.headers, n);
}

function fieldValues(hs: Array<[string, string]>, lower: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < hs.length; i++) if (sameName(hs[i][0], lower)) out.push(hs[i][1]);
  return out;
}

function fieldValue(hs: Array<[string, string]>, lower: string): string | undefined {
  for (let i = 0; i < hs.length; i++) if (sameName(hs[i][0], lower)) return hs[i][1];
  return undefined;
}

/** The lower-case form of a name; the name itself when it already is (the usual case: no new string). */
function lowerName(name: string): string {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return name.toLowerCase();
    if (c > 0x7f) return name.toLowerCase();
  }
  return name;
}

/**
 * `k` equals the lower-case name `n` ignoring case, without making a lower-cased copy of `k`.
 * (Names come from latin1 text: there, toLowerCase maps exactly A–Z and À–Þ except ×.)
 */
function sameName(k: string, n: string): boolean {
  if (k.length !== n.length) return false;
  for (let i = 0; i < k.length; i++) if (foldCase(k.charCodeAt(i)) !== n.charCodeAt(i)) return false;
  return true;
}

function foldCase(c: number): number {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0xc0 && c <= 0xde && c !== 0xd7) ? c | 0x20 : c;
}

/** Transfer-Encoding ends in "chunked" (RFC 9112 §6.1). */
export function isChunked(h: MessageHead): boolean {
  if (headerValue(h, 'transfer-encoding') === undefined) return false; // the usual case, without a list
  for (const v of headerValues(h, 'transfer-encoding')) if (/(^|,)\s*chunked\s*$/i.test(v)) return true;
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

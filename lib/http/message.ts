/**
 * HTTP/1.x message heads (RFC 9112 §2–§6) read the way Wireshark 4.0 reads them
 * (epan/dissectors/packet-http.c): the start line, the header fields, and the values that frame
 * the body. Pure functions over bytes and text; nothing here knows about TCP.
 *
 * Wireshark reads a head twice, with different rules, and so does this module: once to decide
 * whether the message is complete (req_resp_hdrs_do_reassembly: `framing*` below) and once to
 * show it (dissect_http_message: `displayHead`, `display*`). Where the two disagree (e.g.
 * `Content-Length: 1 2`), so does what tshark prints; matching tshark means keeping both.
 */
import { lineEnd, nextLine, tokenLen, tokenNext } from './lines';

/** Methods Wireshark recognises at the start of a request line (after an optional "M-": M-SEARCH is SEARCH). */
export const HTTP_METHODS: ReadonlySet<string> = new Set([
  'GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE', 'PATCH',
  'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'SEARCH', 'REPORT',
  'CHECKOUT', 'CHECKIN', 'UNCHECKOUT', 'MKWORKSPACE', 'UPDATE', 'LABEL', 'MERGE',
  'BASELINE-CONTROL', 'MKACTIVITY', 'ORDERPATCH', 'ACL', 'MKREDIRECTREF', 'UPDATEREDIRECTREF',
  'MKCALENDAR', 'BIND', 'UNBIND', 'REBIND', 'NOTIFY', 'SUBSCRIBE', 'UNSUBSCRIBE',
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

/** Longest method name (BASELINE-CONTROL, UPDATEREDIRECTREF), after an optional "M-" (RFC 2774). */
const METHOD_PREFIX = 2 + 17;

/**
 * What b[from, to) — a line without its terminator — starts (is_http_request_or_reply): a status
 * line ("HTTP/…", "ICY 200"), a request line (a known method up to the first space, or the whole
 * line; an "M-" prefix is skipped), or neither.
 */
export function startKind(b: Buffer, from: number, to: number): StartLineKind {
  let s = from;
  if (to - s >= 2 && b[s] === 0x4d && b[s + 1] === 0x2d) s += 2; // "M-"
  const n = to - s;
  // "HTTP/" and "GET " first, without making a string.
  if (n >= 5 && b[s] === 0x48 && b[s + 1] === 0x54 && b[s + 2] === 0x54 && b[s + 3] === 0x50 && b[s + 4] === 0x2f) return 'response';
  if (n >= 3 && b[s] === 0x47 && b[s + 1] === 0x45 && b[s + 2] === 0x54 && (n === 3 || b[s + 3] === 0x20)) return 'request';
  if (n >= 7 && b.toString('latin1', s, s + 7) === 'ICY 200') return 'response';
  const stop = Math.min(to, s + METHOD_PREFIX);
  let i = s;
  while (i < stop && b[i] !== 0x20) i++;
  if (i === stop && stop < to) return 'other';
  if (i - s === 3 && b.toString('latin1', s, i) === 'ICY') return 'response';
  const word = b.toString('latin1', s, i);
  return HTTP_METHODS.has(word) ? 'request' : 'other';
}

/**
 * Split a start line (given without its terminator) as Wireshark's basic_request_dissector and
 * basic_response_dissector do: tokens end at a space and the spaces after a token are skipped;
 * a request's version is the rest of the line; a status code is the first three characters of
 * its token as strtoul reads them; the phrase is the rest of the line.
 */
export function parseStartLine(line: string, kind: StartLineKind = startKind(Buffer.from(line, 'latin1'), 0, line.length)): StartLine {
  const end = line.length;
  if (kind === 'response') {
    const vlen = tokenLen(line, 0, end);
    if (vlen === 0) return { kind };
    const version = line.slice(0, vlen);
    let at = tokenNext;
    const clen = tokenLen(line, at, end);
    if (clen < 3) return { kind, version };
    const code = strtoulPrefix(line, at, at + 3);
    at = tokenNext;
    return { kind, version, code, phrase: at < end ? line.slice(at) : undefined };
  }
  if (kind === 'request') {
    const mlen = tokenLen(line, 0, end);
    if (mlen === 0) return { kind };
    const method = line.slice(0, mlen);
    let at = tokenNext;
    // "Two spaces indicates an empty URI": the URI is then the empty token before the second.
    if (at - mlen >= 2) at--;
    const ulen = tokenLen(line, at, end);
    const uri = line.slice(at, at + ulen);
    at = tokenNext;
    return { kind, method, uri, version: at < end ? line.slice(at) : undefined };
  }
  return { kind: 'other' };
}

/** strtoul(s[from, to), 10) as C reads it: leading white space, a sign, then digits (0 without any). */
function strtoulPrefix(s: string, from: number, to: number): number {
  let i = from;
  while (i < to && isCSpace(s.charCodeAt(i))) i++;
  let neg = false;
  if (i < to && (s.charCodeAt(i) === 0x2b || s.charCodeAt(i) === 0x2d)) neg = s.charCodeAt(i++) === 0x2d;
  let v = 0;
  for (; i < to && isDigitCode(s.charCodeAt(i)); i++) v = v * 10 + s.charCodeAt(i) - 0x30;
  // (An unsigned negation wraps; Wireshark keeps the low 32 bits in a guint.)
  return neg ? (-v >>> 0) : v;
}

function isDigitCode(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** C's isspace in the "C" locale: SP, HT, LF, VT, FF, CR. */
function isCSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

export interface MessageHead {
  start: StartLine;
  /** Header fields in order, names as sent. (A parsed head makes them on first use: see TextHead.) */
  headers: Array<[string, string]>;
  /** Offset just past the head (the blank line, or where reading the head stopped). */
  bodyStart: number;
}

/**
 * A head as read from bytes: its text is kept whole and the header fields are cut out of it only
 * when asked for, so a message nobody looks at costs one string, not two per field. Every line of
 * the text after the start line holds a colon (displayHead stops at the first that does not).
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
   * Walk the header lines (ended by CR, LF or CRLF): the name runs to the first colon, the value
   * starts after the colon and the spaces and tabs after it, and runs to the end of the line —
   * trailing white space included, as Wireshark keeps it (process_header). Collects every
   * field, or every value of `lower`, or returns its first value.
   */
  private scan(lower: string | undefined, fields?: Array<[string, string]>, values?: string[]): string | undefined {
    const text = this.text;
    const len = text.length;
    let s = this.firstField;
    // The next CR, LF and colon at or after s (len: none), kept across lines so that the walk
    // stays linear whatever the head holds (one search each to the end of the text at most).
    let cr = -1;
    let lf = -1;
    let colon = -1;
    while (s < len) {
      if (cr < s) {
        cr = text.indexOf('\r', s);
        if (cr < 0) cr = len;
      }
      if (lf < s) {
        lf = text.indexOf('\n', s);
        if (lf < 0) lf = len;
      }
      const e = cr < lf ? cr : lf;
      const next = e === cr && e + 1 === lf ? e + 2 : e + 1;
      if (colon < s) {
        colon = text.indexOf(':', s);
        if (colon < 0) colon = len;
      }
      if (colon < e && (lower === undefined || nameIs(text, s, colon, lower))) {
        let a = colon + 1;
        while (a < e && (text.charCodeAt(a) === 0x20 || text.charCodeAt(a) === 0x09)) a++;
        const value = text.slice(a, e);
        if (fields) fields.push([text.slice(s, colon), value]);
        else if (values) values.push(value);
        else return value; // the first one is all that was asked for
      }
      s = next;
    }
    return undefined;
  }
}

/** text[s, colon) equals the lower-case name, ignoring case as sameName does. */
function nameIs(text: string, s: number, colon: number, lower: string): boolean {
  if (colon - s !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) if (foldCase(text.charCodeAt(s + i)) !== lower.charCodeAt(i)) return false;
  return true;
}

/** A head as displayHead read it, and how reading it ended. */
export interface DisplayedHead {
  head: TextHead;
  /** The blank line that ends a head was found (else reading stopped at a line that is not a field, or at the end of the data). */
  blankLine: boolean;
  /**
   * Reading threw, as Wireshark's does: the data (or what was captured of it) ended inside a
   * line that could still become a field. The message is shown with what was read, but
   * Wireshark never gets to pair it.
   */
  cut: boolean;
  /**
   * The head has more fields than Wireshark's protocol tree may hold (see TREE_ITEMS): it stops
   * showing them there, and shows nothing else of the frame. (Its first pass builds no tree, so
   * it still pairs the message.)
   */
  tooMany: boolean;
}

/**
 * Wireshark's limit on the items of one frame's tree (prefs gui.max_tree_items, 1,000,000): more
 * throws. A head's items: about 120 before its first field (frame, Ethernet, IP, TCP and the
 * start line, as measured on IPv4 over Ethernet), one per field, two for a field Wireshark knows
 * by name, three for a Content-Length. Only heads of hundreds of thousands of lines come near.
 */
const TREE_ITEMS = 1000000;
const ITEMS_BEFORE_FIELDS = 120;
const KNOWN_FIELDS = new Set(['authorization', 'proxy-authorization', 'proxy-authenticate', 'www-authenticate', 'content-type', 'content-encoding', 'transfer-encoding', 'upgrade', 'user-agent', 'host', 'range', 'content-range', 'connection', 'cookie', 'accept', 'referer', 'accept-language', 'accept-encoding', 'date', 'cache-control', 'server', 'location', 'sec-websocket-accept', 'sec-websocket-extensions', 'sec-websocket-key', 'sec-websocket-protocol', 'sec-websocket-version', 'set-cookie', 'last-modified', 'x-forwarded-for', 'http2-settings']);

/** Items the field line b[from, colon) adds to the tree. */
function fieldItems(b: Buffer, from: number, colon: number): number {
  if (colon - from > 24) return 1;
  const name = b.toString('latin1', from, colon).toLowerCase();
  return name === 'content-length' ? 3 : KNOWN_FIELDS.has(name) ? 2 : 1;
}

/**
 * Read a message's head from b[off, end) as dissect_http_message shows it: the start line, then
 * every line holding a colon is a field, up to a blank line; a line without a colon ends the
 * head there (its bytes are not part of it). A line still open at `end` — the end of the bytes
 * there are, e.g. what a snapshot length kept — is read as far as it goes; if it has no colon,
 * reading it would have run past the data (`cut`).
 */
export function displayHead(b: Buffer, off: number, end: number, kind: StartLineKind): DisplayedHead {
  end = Math.min(end, b.length);
  const first = lineEnd(b, off, end, false);
  let pos = nextLine;
  let textEnd = first;
  let blankLine = false;
  let cut = false;
  const firstField = pos;
  // The next colon at or after pos (Infinity: none), kept across lines: linear however many lines lack one.
  let colon = -1;
  let lines = 0;
  // Tree items, counted once a head is long enough to come near the limit (then from its start).
  let items = -1;
  let tooMany = false;
  while (pos < end) {
    const e = lineEnd(b, pos, end, false);
    const next = nextLine;
    if (e === pos) {
      blankLine = true;
      pos = next;
      break;
    }
    if (colon < pos) {
      colon = b.indexOf(0x3a, pos);
      if (colon < 0) colon = Infinity;
    }
    if (colon >= e) {
      // Not a field: the head ends here. Without a terminator, the byte that says so is missing.
      cut = e >= end;
      break;
    }
    if (++lines > TREE_ITEMS / 3 - ITEMS_BEFORE_FIELDS) {
      if (items < 0) items = treeItems(b, firstField, pos, end);
      items += fieldItems(b, pos, colon);
      if (items > TREE_ITEMS) {
        tooMany = true;
        break;
      }
    }
    textEnd = e;
    pos = next;
  }
  const text = b.toString('latin1', off, textEnd);
  const start = parseStartLine(first === textEnd ? text : text.slice(0, first - off), kind);
  return { head: new TextHead(start, text, firstField - off, pos), blankLine, cut, tooMany };
}

/** The tree items of the field lines in b[from, to) (all of them hold a colon), and those before them. */
function treeItems(b: Buffer, from: number, to: number, end: number): number {
  let items = ITEMS_BEFORE_FIELDS;
  for (let pos = from; pos < to; ) {
    const e = lineEnd(b, pos, end, false);
    const next = nextLine;
    items += fieldItems(b, pos, b.indexOf(0x3a, pos));
    pos = next;
  }
  return items;
}

/**
 * The head of the message at b[off, end) as displayHead reads it, or undefined while it still
 * runs to the end of the data (neither its blank line nor a line ending it has arrived).
 */
export function parseHead(b: Buffer, off: number, end: number): MessageHead | undefined {
  const first = lineEnd(b, off, end, false);
  const d = displayHead(b, off, end, startKind(b, off, Math.min(first, off + 4096)));
  return d.blankLine || d.head.bodyStart < Math.min(end, b.length) ? d.head : undefined;
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

// ---- what frames the body, as shown (dissect_http_message / process_header)

/**
 * Content-Length as the displayed message uses it (g_ascii_strtoll, then: not negative, some
 * digits, no overflow, followed by nothing or white space); the last such field wins, and an
 * invalid last one means none. Undefined when absent or invalid.
 */
export function contentLength(h: MessageHead): number | undefined {
  const all = headerValues(h, 'content-length');
  if (all.length === 0) return undefined;
  const v = all[all.length - 1];
  let i = 0;
  while (i < v.length && isCSpace(v.charCodeAt(i))) i++;
  let neg = false;
  if (i < v.length && (v.charCodeAt(i) === 0x2b || v.charCodeAt(i) === 0x2d)) neg = v.charCodeAt(i++) === 0x2d;
  const digits = i;
  while (i < v.length && isDigitCode(v.charCodeAt(i))) i++;
  if (i === digits || (i < v.length && !isCSpace(v.charCodeAt(i)))) return undefined;
  const text = v.slice(digits, i);
  if (i - digits > 18 && !fitsInt64(text)) return undefined; // ERANGE
  const n = Number(text);
  if (neg && n !== 0) return undefined;
  return n;
}

function fitsInt64(digits: string): boolean {
  const d = digits.replace(/^0+/, '');
  return d.length < 19 || (d.length === 19 && d <= '9223372036854775807');
}

/** A Transfer-Encoding field makes the shown body chunked when one of its words starts with "chunked" (case matters, as in Wireshark). */
export function isChunked(h: MessageHead): boolean {
  const all = headerValues(h, 'transfer-encoding');
  if (all.length === 0) return false;
  return /(^|[ ,\t])chunked/.test(all[all.length - 1]);
}

/** Any Transfer-Encoding field at all (then Content-Length is ignored for the body, RFC 9112 §6.3). */
export function hasTransferEncoding(h: MessageHead): boolean {
  return headerValue(h, 'transfer-encoding') !== undefined;
}

/**
 * The size of a chunk as the displayed body reads it: strtol(line, 16) up to a ';', kept to 32
 * bits as Wireshark's guint32 keeps it (so "ffffffffffffffff" saturates, "100000005" is 5).
 */
export function displayChunkSize(b: Buffer, from: number, to: number): number {
  return hexPrefix(b, from, to, true);
}

/**
 * The size of a chunk as reassembly reads it (sscanf "%x" into an unsigned int), or -1 when the
 * line has no hex number at all.
 */
export function framingChunkSize(b: Buffer, from: number, to: number): number {
  return hexPrefix(b, from, to, false);
}

/**
 * The number in b[from, to) (stopping at ';') as C's strtol/strtoul read it in base 16: white
 * space, a sign, an optional 0x, hex digits; the low 32 bits of the result. strtol saturates at
 * 2^63 − 1 (`signed`), strtoul at 2^64 − 1; -1 when there are no digits (strtoul's failure).
 */
function hexPrefix(b: Buffer, from: number, to: number, signed: boolean): number {
  let i = from;
  while (i < to && isCSpace(b[i])) i++;
  let neg = false;
  if (i < to && (b[i] === 0x2b || b[i] === 0x2d)) neg = b[i++] === 0x2d;
  if (i + 2 < to + 1 && b[i] === 0x30 && (b[i + 1] | 0x20) === 0x78 && i + 2 < to && hexValue(b[i + 2]) >= 0) i += 2;
  let lo = 0; // the low 32 bits
  let digits = 0;
  let significant = 0; // hex digits after leading zeros: more than 16 overflow 64 bits
  for (; i < to; i++) {
    const d = hexValue(b[i]);
    if (d < 0) break;
    if (significant > 0 || d > 0) significant++;
    lo = ((lo * 16) + d) % 4294967296;
    digits++;
  }
  if (digits === 0) return signed ? 0 : -1;
  // strtol saturates at 0x7fffffffffffffff (negative: at its negation): low 32 bits ffffffff or 1.
  const over = significant > 16 || (signed && significant === 16 && hexDigitAt(b, i - 16) >= 8);
  if (over) return signed ? (neg ? 1 : 0xffffffff) : 0xffffffff;
  return neg ? (4294967296 - lo) % 4294967296 : lo;
}

/** The hex digit at i (for the overflow check of a 16-digit number). */
function hexDigitAt(b: Buffer, i: number): number {
  return hexValue(b[i]);
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
}

/**
 * Is a message complete, or how much more must be collected first? Wireshark's answer
 * (epan/req_resp_hdrs.c req_resp_hdrs_do_reassembly, 4.0): the head must reach its blank line;
 * then a chunked body (Transfer-Encoding starting with "chunked") must reach its last chunk, a
 * Content-Length body its length, and a response with neither runs to the FIN. It reads the head
 * with its own rules, not the displayed ones (see message.ts).
 *
 * Every scan resumes where the previous call for the same message stopped (`FramingScan`): a head
 * or a body that arrives a few bytes per segment is read once, not once per segment.
 */
import { lineEnd, nextLine } from './lines';
import { framingChunkSize } from './message';

export const NEED_ONE_MORE_SEGMENT = -1;
export const NEED_UNTIL_FIN = -2;
/** Wireshark's reassembly itself throws (see `chunks`): the message is taken as complete and shown not at all. */
export const THROWS = -3;

/** Where a framing scan of one message stopped (offsets relative to the message's start). */
export interface FramingScan {
  /** Next line of the head to read; -1 once the blank line was found. */
  line: number;
  /** Where the body starts, once the head is complete. */
  bodyStart: number;
  /** A Content-Length field was read as a whole number ≥ 0 (a later bad one still overwrites the value, as in Wireshark). */
  clFound: boolean;
  contentLength: number;
  chunked: boolean;
  /** Next chunk-size line to read. */
  chunk: number;
}

export interface FramingResult {
  /** 0: complete; else more bytes (a count) or NEED_ONE_MORE_SEGMENT / NEED_UNTIL_FIN. */
  need: number;
  /** With a count: the message's full length once it arrives (Content-Length bodies). */
  length?: number;
  scan: FramingScan;
}

/** Larger chunk sizes make Wireshark stop waiting ("Chunk size is unreasonable"). */
const UNREASONABLE_CHUNK = 2 ** 31;

/**
 * Frame the message at b[off, end) whose first line is a request or status line. `body`: the
 * body may be waited for (not for a HEAD's or a 1xx/204/304 response, nor at the end of the
 * stream); `untilFin`: a response, whose body without length runs to the FIN.
 */
export function frameMessage(b: Buffer, off: number, end: number, body: boolean, untilFin: boolean, resume?: FramingScan): FramingResult {
  const scan: FramingScan = resume ?? { line: 0, bodyStart: 0, clFound: false, contentLength: 0, chunked: false, chunk: 0 };
  if (scan.line >= 0) {
    let pos = off + scan.line;
    for (;;) {
      if (end - pos < 1) return more(scan, pos - off);
      const e = lineEnd(b, pos, end, true);
      if (e < 0) return more(scan, pos - off);
      const next = nextLine;
      if (e === pos) {
        scan.line = -1;
        scan.bodyStart = next - off;
        break;
      }
      if (body) fieldForFraming(b, pos, e, scan);
      pos = next;
    }
  }
  if (!body) return { need: 0, scan };
  if (scan.chunked) return chunks(b, off, end, scan);
  if (scan.clFound) {
    const have = end - (off + scan.bodyStart);
    if (scan.contentLength > have) return { need: scan.contentLength - have, length: scan.bodyStart + scan.contentLength, scan };
    return { need: 0, scan };
  }
  return { need: untilFin ? NEED_UNTIL_FIN : 0, scan };
}

function more(scan: FramingScan, line: number): FramingResult {
  scan.line = line;
  return { need: NEED_ONE_MORE_SEGMENT, scan };
}

/**
 * A "Content-Length:" or "Transfer-Encoding:" line, recognised only by its exact start (any
 * case). Content-Length counts when it is a whole non-negative 32-bit number once surrounding
 * white space is stripped (ws_strtoi32); chunked when the value starts with "chunked".
 */
function fieldForFraming(b: Buffer, pos: number, e: number, scan: FramingScan): void {
  const n = e - pos;
  if (n >= 15 && prefixIs(b, pos, 'content-length:')) {
    const ok = strtoi32(b, pos + 15, e);
    scan.contentLength = parsed;
    if (ok && parsed >= 0) scan.clFound = true;
  } else if (n >= 18 && prefixIs(b, pos, 'transfer-encoding:')) {
    let i = pos + 18;
    while (i < e && (b[i] === 0x20 || b[i] === 0x09)) i++;
    if (e - i >= 7 && prefixIs(b, i, 'chunked')) scan.chunked = true;
  }
}

/** b[at…] starts with the lower-case ASCII `lower`, ignoring case. */
function prefixIs(b: Buffer, at: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    const c = b[at + i];
    if ((c >= 0x41 && c <= 0x5a ? c | 0x20 : c) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** What strtoi32 stored (ws_strtoi32's *cint: 0 for no number, the nearest bound when out of range). */
let parsed = 0;

/** b[from, to), surrounding white space stripped, is wholly a 32-bit decimal number (a sign allowed); `parsed` holds it. */
function strtoi32(b: Buffer, from: number, to: number): boolean {
  while (from < to && isSpace(b[from])) from++;
  while (to > from && isSpace(b[to - 1])) to--;
  let i = from;
  let neg = false;
  if (i < to && (b[i] === 0x2b || b[i] === 0x2d)) neg = b[i++] === 0x2d;
  const digits = i;
  let v = 0;
  while (i < to && b[i] >= 0x30 && b[i] <= 0x39) {
    if (v <= 0x7fffffff) v = v * 10 + (b[i] - 0x30);
    i++;
  }
  parsed = 0;
  if (i === digits || i !== to) return false;
  if (v > (neg ? 0x80000000 : 0x7fffffff)) {
    parsed = neg ? -0x80000000 : 0x7fffffff;
    return false;
  }
  parsed = neg ? -v : v;
  return true;
}

function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** Walk the chunks (from where the last walk stopped) to the last one and the line after it. */
function chunks(b: Buffer, off: number, end: number, scan: FramingScan): FramingResult {
  let pos = off + (scan.chunk || scan.bodyStart);
  for (;;) {
    if (end - pos <= 0) return { need: NEED_ONE_MORE_SEGMENT, scan };
    const e = lineEnd(b, pos, end, true);
    if (e < 0) return { need: NEED_ONE_MORE_SEGMENT, scan };
    const data = nextLine;
    scan.chunk = pos - off;
    let stop = pos; // extensions after ';' do not count (a byte loop: searching the rest of the body would be quadratic)
    while (stop < e && b[stop] !== 0x3b) stop++;
    const size = framingChunkSize(b, pos, stop);
    // No number, or an unreasonable one: Wireshark stops waiting and shows what it has.
    if (size < 0 || size > UNREASONABLE_CHUNK) return { need: 0, scan };
    if (size === 0) {
      // The last chunk: one more line (the blank one, or the first trailer field) and it is
      // complete. Wireshark looks for that line end in a window as long as what followed the size
      // line's start, which reaches past the data: a CR as the very last byte makes it read the
      // byte after the data, and throw.
      let i = data;
      while (i < end && b[i] !== 0x0a && b[i] !== 0x0d) i++;
      if (i >= end) return { need: NEED_ONE_MORE_SEGMENT, scan };
      return { need: b[i] === 0x0d && i + 1 >= end ? THROWS : 0, scan };
    }
    // (Measured from the size line's start, as Wireshark does; the CRLF after the data is skipped unread.)
    if (end - pos > (size | 0)) pos = data + size + 2;
    else return { need: NEED_ONE_MORE_SEGMENT, scan };
  }
}

/**
 * Split a run of stream bytes into HTTP/1.x messages, and say how many more bytes are needed
 * when the last message is incomplete — the contract Wireshark's TCP reassembly offers its
 * subdissectors ("desegment_offset / desegment_len"), so the same segments end up in the same
 * reassembled messages.
 */
import { chunkedBodyEnd, contentLength, headerValue, HTTP_METHODS, isChunked, MessageHead, parseHead, findLineEnd } from './message';

/** "Give me at least one more segment." */
export const DESEGMENT_ONE_MORE_SEGMENT = -1;
/** "Give me everything until the sender's FIN." */
export const DESEGMENT_UNTIL_FIN = -2;

export interface ParsedMessage {
  head: MessageHead;
  /** Offsets within the buffer handed to `dissectHttp`. */
  start: number;
  bodyStart: number;
  end: number;
  /**
   * The de-chunked (still content-encoded) body of a chunked message. Any other body is
   * b[bodyStart, end) of the buffer that was dissected: see `messageBody`.
   */
  body?: Buffer;
  bodyLength: number;
}

export interface DissectResult {
  messages: ParsedMessage[];
  /** Offset of the first byte of an incomplete message, when more data is needed. */
  desegmentOffset: number;
  /** 0 when nothing more is needed, a byte count, or one of the DESEGMENT_* constants. */
  desegmentLen: number;
  /** The byte count is the rest of a Content-Length body: the bytes need not be kept to finish the message. */
  bodyOnly?: boolean;
  /** With bodyOnly: the waiting message's head, where its body starts and its full length (from desegmentOffset). */
  incomplete?: { head: MessageHead; bodyStart: number; length: number };
}

export interface DissectOptions {
  /** The data ends with the sender's FIN (a close-delimited body is complete). */
  endOfStream: boolean;
  /** The next response answers a request that has no response body (CONNECT). */
  noBody?: boolean;
}

/**
 * Dissect `end` bytes of stream that start at a message boundary (or are continuation data that
 * is not a message start, which is consumed as is). `b` holds them all, or — for a PDU whose
 * Content-Length body was only counted — the bytes up to somewhere in that body.
 */
export function dissectHttp(b: Buffer, end: number, opts: DissectOptions): DissectResult {
  const messages: ParsedMessage[] = [];
  let off = 0;
  while (off < end && off < b.length) {
    const lineEnd = findLineEnd(b, off, end);
    // Like Wireshark: without one complete line there is nothing to classify yet, so ask for
    // more data whatever the bytes are (binary bodies without a line end get collected too).
    if (lineEnd < 0 && !opts.endOfStream) return { messages, desegmentOffset: off, desegmentLen: DESEGMENT_ONE_MORE_SEGMENT };
    const lineStop = lineEnd < 0 ? Math.min(end, off + 4096) : lineEnd;
    // (A long line of body bytes is not turned into a string just to be told it is not a start line.)
    if (!mayStartMessage(b, off, lineStop)) {
      // Continuation data: not a message start, nothing to reassemble. Like Wireshark, lines
      // that look like header fields (e.g. the rest of a request whose start was lost) are still
      // read as headers, up to a blank line; the result is a "message" of kind 'other'.
      const block = headerBlock(b, off, Math.min(end, b.length));
      if (!block) return { messages, desegmentOffset: 0, desegmentLen: 0 };
      messages.push({ head: block.head, start: off, bodyStart: block.end, end: block.end, bodyLength: 0 });
      if (!block.blankLine) return { messages, desegmentOffset: 0, desegmentLen: 0 };
      off = block.end;
      continue;
    }
    // A request or status line: its first word says so (parseStartLine agrees).
    const head = parseHead(b, off, end);
    if (!head) return { messages, desegmentOffset: off, desegmentLen: DESEGMENT_ONE_MORE_SEGMENT };
    const bodyStart = head.bodyStart;
    let bodyEnd: number;
    const cl = contentLength(head);
    if (opts.noBody && head.start.kind === 'response') {
      bodyEnd = bodyStart;
    } else if (isChunked(head)) {
      const parts: Buffer[] = [];
      const e = chunkedBodyEnd(b, bodyStart, end, parts);
      if (e < 0) return { messages, desegmentOffset: off, desegmentLen: DESEGMENT_ONE_MORE_SEGMENT };
      bodyEnd = e;
      const body = Buffer.concat(parts);
      messages.push({ head, start: off, bodyStart, end: bodyEnd, body, bodyLength: body.length });
      off = bodyEnd;
      continue;
    } else if (cl !== undefined) {
      if (end - bodyStart < cl) {
        const incomplete = { head, bodyStart: bodyStart - off, length: bodyStart - off + cl };
        return { messages, desegmentOffset: off, desegmentLen: cl - (end - bodyStart), bodyOnly: true, incomplete };
      }
      bodyEnd = bodyStart + cl;
    } else if (head.start.kind === 'response' && mayHaveBody(head)) {
      // Close-delimited body (RFC 9112 §6.3 item 8): it runs to the end of the connection.
      if (!opts.endOfStream && closeDelimited(head)) {
        return { messages, desegmentOffset: off, desegmentLen: DESEGMENT_UNTIL_FIN };
      }
      bodyEnd = end;
    } else {
      bodyEnd = bodyStart;
    }
    messages.push({ head, start: off, bodyStart, end: bodyEnd, bodyLength: bodyEnd - bodyStart });
    off = bodyEnd;
  }
  return { messages, desegmentOffset: 0, desegmentLen: 0 };
}

/** A message's body within the buffer `b` it was dissected from (de-chunked for a chunked one). */
export function messageBody(b: Buffer, m: ParsedMessage): Buffer {
  return m.body ?? b.subarray(m.bodyStart, m.end);
}

/** Longest method name Wireshark knows (BASELINE-CONTROL, UPDATEREDIRECTREF) plus the space. */
const METHOD_PREFIX = 18;

/** Could b[off, to) be a request or status line? Checks only its first word. */
function mayStartMessage(b: Buffer, off: number, to: number): boolean {
  // The usual two first, without making a string: "GET " and "HTTP/".
  if (to - off >= 5 && b[off] === 0x47 && b[off + 1] === 0x45 && b[off + 2] === 0x54 && b[off + 3] === 0x20) return true;
  if (to - off >= 5 && b[off] === 0x48 && b[off + 1] === 0x54 && b[off + 2] === 0x54 && b[off + 3] === 0x50 && b[off + 4] === 0x2f) return true;
  const stop = Math.min(to, off + METHOD_PREFIX);
  for (let i = off; i < stop; i++) {
    if (b[i] === 0x20) return HTTP_METHODS.has(b.toString('latin1', off, i));
    if (b[i] === 0x2f) return i - off === 4 && b.toString('latin1', off, i) === 'HTTP'; // "HTTP/"
  }
  return false;
}

/** A header field line: a token (visible ASCII, no separators) ended by ':' (RFC 9110 §5.1). */
function isHeaderLine(b: Buffer, from: number, to: number): boolean {
  const colon = b.indexOf(0x3a, from);
  if (colon < 0 || colon >= to) return false; // (long lines of body bytes end here, natively)
  for (let i = from; i <= colon; i++) {
    const c = b[i];
    if (c === 0x3a) return i > from;
    if (c <= 0x20 || c >= 0x7f || SEPARATORS.includes(c)) return false;
  }
  return false;
}
const SEPARATORS = [...'()<>@,;\\"/[]?={}'].map((ch) => ch.charCodeAt(0));

/** Consecutive header lines from `off` (whole lines only), and whether a blank line ended them. */
function headerBlock(b: Buffer, off: number, end: number): { head: MessageHead; end: number; blankLine: boolean } | undefined {
  const headers: Array<[string, string]> = [];
  let pos = off;
  let blankLine = false;
  for (;;) {
    const e = findLineEnd(b, pos, end);
    if (e < 0) break;
    const next = b[e] === 0x0d ? e + 2 : e + 1;
    if (e === pos) {
      blankLine = true;
      pos = next;
      break;
    }
    if (!isHeaderLine(b, pos, e)) break;
    const line = b.toString('latin1', pos, e);
    const colon = line.indexOf(':');
    headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
    pos = next;
  }
  if (!headers.length) return undefined;
  return { head: { start: { kind: 'other' }, headers, bodyStart: pos }, end: pos, blankLine };
}

function mayHaveBody(h: MessageHead): boolean {
  const c = h.start.code ?? 0;
  return !(c >= 100 && c < 200) && c !== 204 && c !== 304;
}

/** The response's body can only end with the connection: HTTP/1.0 or "Connection: close". */
function closeDelimited(h: MessageHead): boolean {
  const conn = (headerValue(h, 'connection') ?? '').toLowerCase();
  if (conn.includes('close')) return true;
  if (h.start.version === 'HTTP/1.0' && !conn.includes('keep-alive')) return true;
  return false;
}

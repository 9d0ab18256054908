/**
 * Split a run of stream bytes into HTTP/1.x messages, and say how many more bytes are needed
 * when the last message is incomplete — the contract Wireshark's TCP reassembly offers its
 * subdissectors ("desegment_offset / desegment_len"), so the same segments end up in the same
 * reassembled messages, shown the way dissect_http_message shows them.
 *
 * Also the bytes of a segment the capture did not keep whole (a snapshot length): TCP cannot
 * reassemble those, and Wireshark shows what there is of the message that starts there — its
 * start line and the header lines that were captured — marked as cut.
 */
import { lineEnd, nextLine } from './lines';
import { frameMessage, FramingScan, NEED_ONE_MORE_SEGMENT, NEED_UNTIL_FIN, THROWS } from './framing';
import { contentLength, displayChunkSize, displayHead, hasTransferEncoding, isChunked, MessageHead, startKind, StartLine } from './message';

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
  /**
   * The capture did not keep all of the message (snapshot length): 'head' when the head was cut
   * (header lines may be missing), 'body' when the head is whole but the body is not (then
   * `bodyLength` counts only the bytes captured; the real length is unknown).
   */
  truncated?: 'head' | 'body';
  /** Wireshark stopped reading the head inside a line and never paired the message (see DisplayedHead.cut). */
  unpaired?: boolean;
  /**
   * Reading the message ran past the end of its bytes (a chunk longer than what is left): an
   * exception in Wireshark, which then shows nothing more of the PDU — not even its segments.
   */
  threw?: boolean;
  /** Wireshark pairs the message but its own frame shows no pairing (the frame's tree overflowed: DisplayedHead.tooMany). */
  pairingNotShown?: boolean;
  /** Its body was counted, not kept, being longer than the analyzer keeps (HttpMessage.bodyTooLarge). */
  bodyTooLarge?: boolean;
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
  /** Where the scan of the incomplete message stopped: hand it back with the next call for the same bytes. */
  resume?: DissectResume;
  /** The last message threw (ParsedMessage.threw): nothing after it was read. */
  threw?: boolean;
  /** A message grew past MAX_PENDING while its end was awaited: 'head' — read as data; 'body' — shown as it was. */
  limit?: 'head' | 'body';
}

/** Where dissectHttp stopped in an incomplete message, relative to the message's start (see DissectOptions.resume). */
export interface DissectResume {
  /** The first line had no end yet: it is searched again from here. */
  firstLineFrom?: number;
  framing?: FramingScan;
}

/** What a connection remembers between messages, as Wireshark's conversation data does. */
export interface HttpConvState {
  /** Method of the last request line read on the connection (either direction): a HEAD's or CONNECT's response has no body to wait for. */
  lastMethod?: string;
}

export interface DissectOptions {
  /** The data ends with the sender's FIN (a close-delimited body is complete). */
  endOfStream: boolean;
  /**
   * The bytes are those of a segment captured only in part: `end` of its `reportedEnd` bytes
   * were kept. Nothing can be reassembled; messages are read as far as the bytes go.
   */
  reportedEnd?: number;
  conv?: HttpConvState;
  /**
   * What the previous call for the same message (now with more bytes) returned as `resume`, and
   * where in `b` that message starts.
   */
  resume?: DissectResume;
  resumeAt?: number;
}

/**
 * Most bytes one message may collect while its end is awaited: a first line or head without its
 * end, chunks still to come. Wireshark has no limit, and takes minutes past a few megabytes (it
 * reads the line again for each segment: 8 MB, 17–50 s; 16 MB, minutes). Past it, a head that
 * never ended is read as data (nothing shown), and a message whose head is whole is shown as it
 * is (`DissectResult.limit` says so).
 */
export const MAX_PENDING = 16 << 20;

/**
 * Dissect `end` bytes of stream that start at a message boundary (or are continuation data that
 * is not a message start, which is consumed as is). `b` holds them all, or — for a PDU whose
 * Content-Length body was only counted — the bytes up to somewhere in that body.
 */
export function dissectHttp(b: Buffer, end: number, opts: DissectOptions): DissectResult {
  const messages: ParsedMessage[] = [];
  const cut = opts.reportedEnd !== undefined;
  // Bytes that exist (beyond them, reading throws) and bytes that were sent.
  const have = Math.min(end, b.length);
  const reported = cut ? Math.max(opts.reportedEnd!, have) : end;
  const canDesegment = !cut && !opts.endOfStream;
  const conv = opts.conv ?? {};
  let off = 0;
  while (off < reported) {
    if (off >= have) break; // (what follows was not captured)
    // "Servers SHOULD ignore any empty line(s) received where a Request-Line is expected" (RFC
    // 9112 §2.2): Wireshark skips one CRLF.
    if (have - off >= 2 && b[off] === 0x0d && b[off + 1] === 0x0a) off += 2;
    if (off >= have) break;
    // The first line: without its end there is nothing to classify yet, so ask for more data
    // whatever the bytes are (binary bodies without a line end get collected too).
    const resume = opts.resume !== undefined && opts.resumeAt === off ? opts.resume : undefined;
    const resumeFrom = resume?.firstLineFrom !== undefined ? off + resume.firstLineFrom : off;
    let firstEnd = canDesegment ? lineEnd(b, resumeFrom, have, true) : lineEnd(b, off, have, false);
    if (firstEnd < 0) {
      if (have - off > MAX_PENDING) return { messages, desegmentOffset: 0, desegmentLen: 0, limit: 'head' };
      // Resume the search where this one gave up (a CR at the very end may yet be a CRLF).
      const from = have > off && b[have - 1] === 0x0d ? have - 1 : have;
      return { messages, desegmentOffset: off, desegmentLen: DESEGMENT_ONE_MORE_SEGMENT, resume: { firstLineFrom: from - off } };
    }
    const kind = startKind(b, off, Math.min(firstEnd, off + 4096));
    if (kind === 'other') {
      // Continuation data: not a message start, nothing to reassemble. Like Wireshark, lines
      // that look like header fields (e.g. the rest of a request whose start was lost) are still
      // read as headers, up to a blank line; the result is a "message" of kind 'other'.
      const block = headerBlock(b, off, have);
      if (!block) return { messages, desegmentOffset: 0, desegmentLen: 0 };
      messages.push({ head: block.head, start: off, bodyStart: block.end, end: block.end, bodyLength: 0 });
      if (!block.blankLine) return { messages, desegmentOffset: 0, desegmentLen: 0 };
      off = block.end;
      continue;
    }
    const isResponse = kind === 'response';
    let limit: 'body' | undefined;
    if (canDesegment) {
      const code = isResponse ? framingStatusCode(b, off, firstEnd) : 0;
      // (The last request read on the connection decides, whichever message this answers — so a
      // GET's response after a pipelined HEAD is not waited for either, as in Wireshark.)
      const noBody = conv.lastMethod === 'HEAD' || (isResponse && ((conv.lastMethod === 'CONNECT' && Math.floor(code / 100) === 2) || Math.floor(code / 100) === 1 || code === 204 || code === 304));
      const f = frameMessage(b, off, have, !noBody, isResponse, resume?.framing);
      if (f.need === NEED_ONE_MORE_SEGMENT && have - off <= MAX_PENDING) return { messages, desegmentOffset: off, desegmentLen: DESEGMENT_ONE_MORE_SEGMENT, resume: { framing: f.scan } };
      if (f.need === NEED_ONE_MORE_SEGMENT) {
        // Too long waiting: a head that never ended is data; a whole head is shown with its body so far.
        if (f.scan.line >= 0) return { messages, desegmentOffset: 0, desegmentLen: 0, limit: 'head' };
        limit = 'body';
      }
      if (f.need === NEED_UNTIL_FIN) return { messages, desegmentOffset: off, desegmentLen: DESEGMENT_UNTIL_FIN };
      if (f.need === THROWS) return { messages, desegmentOffset: 0, desegmentLen: 0, threw: true };
      if (f.need > 0) {
        // A Content-Length body still to come: the head shown is read now (it travels with the
        // pending PDU when the body is only counted).
        const shown = displayHead(b, off, have, kind);
        const incomplete = { head: shown.head, bodyStart: shown.head.bodyStart - off, length: f.length! };
        return { messages, desegmentOffset: off, desegmentLen: f.need, bodyOnly: bodyLengthIs(shown.head, shown.blankLine, f.length! - (shown.head.bodyStart - off)), incomplete };
      }
    }
    const m = displayMessage(b, off, have, reported, kind, conv);
    if (kind === 'request') conv.lastMethod = rememberedMethod(m.head.start);
    messages.push(m);
    if (m.threw) return { messages, desegmentOffset: 0, desegmentLen: 0, threw: true, limit };
    if (limit) return { messages, desegmentOffset: 0, desegmentLen: 0, limit };
    if (m.unpaired || m.truncated || m.end <= off) break;
    off = m.end;
  }
  return { messages, desegmentOffset: 0, desegmentLen: 0 };
}

/**
 * The message a complete PDU of `length` bytes holds, when its Content-Length body was only
 * counted (its bytes are gone): the head read when it arrived, the body as long as framing said.
 */
export function countedMessage(head: MessageHead, bodyStart: number, length: number): ParsedMessage {
  return { head, start: 0, bodyStart, end: length, bodyLength: length - bodyStart };
}

/** The shown body of a head whose framing waits for `bodyLength` bytes is exactly those bytes (so they may be counted, not kept). */
function bodyLengthIs(head: MessageHead, blankLine: boolean, bodyLength: number): boolean {
  return blankLine && !hasTransferEncoding(head) && contentLength(head) === bodyLength;
}

/**
 * One message as dissect_http_message shows it: the head (see displayHead), then the body —
 * Content-Length bytes (no more than there are), chunks, nothing (a request without either, a
 * 1xx/204/304 response or a HEAD's), or the rest of the data.
 */
function displayMessage(b: Buffer, off: number, have: number, reported: number, kind: 'request' | 'response', conv: HttpConvState): ParsedMessage {
  const shown = displayHead(b, off, have, kind);
  const head = shown.head;
  chunkOverrun = false;
  const bodyStart = head.bodyStart;
  if (shown.cut) return { head, start: off, bodyStart, end: have, bodyLength: 0, truncated: 'head', unpaired: true };
  if (shown.tooMany) return { head, start: off, bodyStart, end: reported, bodyLength: 0, threw: true, pairingNotShown: true };
  // The head was read to the end of the bytes without its blank line: the rest was not captured.
  const headCut = !shown.blankLine && bodyStart >= have && have < reported;
  let bodyEnd: number;
  let body: Buffer | undefined;
  const rest = reported - bodyStart;
  const cl = hasTransferEncoding(head) ? undefined : contentLength(head);
  if (cl !== undefined) {
    bodyEnd = bodyStart + Math.min(cl, rest);
  } else if (isChunked(head)) {
    const parts: Buffer[] = [];
    bodyEnd = chunkedBodyEnd(b, bodyStart, have, reported, parts);
    body = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    if (chunkOverrun && have === reported) return { head, start: off, bodyStart, end: reported, body, bodyLength: body.length, threw: true };
  } else if (kind === 'request') {
    bodyEnd = hasTransferEncoding(head) ? reported : bodyStart;
  } else {
    const c = head.start.code ?? 0;
    bodyEnd = Math.floor(c / 100) === 1 || c === 204 || c === 304 || conv.lastMethod === 'HEAD' ? bodyStart : reported;
  }
  if (bodyEnd > have || headCut || chunkOverrun) {
    // Wireshark runs into the end of what was captured: the message is shown, nothing after it.
    const got = Math.max(0, Math.min(bodyEnd, have) - bodyStart);
    return { head, start: off, bodyStart, end: have, body: body && body.subarray(0, got), bodyLength: body ? body.length : got, truncated: headCut ? 'head' : 'body' };
  }
  return { head, start: off, bodyStart, end: bodyEnd, body, bodyLength: body ? body.length : bodyEnd - bodyStart };
}

/** The method as Wireshark remembers it for the connection: the word after an "M-" prefix. */
export function rememberedMethod(s: StartLine): string | undefined {
  const m = s.method;
  return m !== undefined && m.startsWith('M-') ? m.slice(2) : m;
}

/**
 * The status code as reassembly reads it (parse_http_status_code): the version must be followed
 * by a space and the code token by a space or the line end, and its three digits must be a number.
 */
function framingStatusCode(b: Buffer, off: number, lineStop: number): number {
  let i = off;
  while (i < lineStop && b[i] !== 0x20) i++;
  if (i === off || i >= lineStop) return 0;
  while (i < lineStop && b[i] === 0x20) i++;
  const s = i;
  while (i < lineStop && b[i] !== 0x20) i++;
  if (i - s < 3) return 0;
  // The three characters as a whole number (a sign allowed).
  let k = s;
  const neg = b[k] === 0x2d;
  if (b[k] === 0x2b || b[k] === 0x2d) k++;
  if (k === s + 3) return 0;
  let v = 0;
  for (; k < s + 3; k++) {
    if (b[k] < 0x30 || b[k] > 0x39) return 0;
    v = v * 10 + b[k] - 0x30;
  }
  return neg ? -v : v;
}

/**
 * Walk a chunked body from `off` as chunked_encoding_dissector does: a size line (hex up to ';'),
 * that many bytes (no more than remain), two bytes skipped; after the last chunk, trailer lines
 * up to a blank one. Returns where the body ends (`reported` if it runs past the data).
 */
function chunkedBodyEnd(b: Buffer, off: number, have: number, reported: number, out: Buffer[]): number {
  chunkOverrun = false;
  let pos = off;
  while (pos < reported) {
    if (pos >= have) return reported;
    const e = lineEnd(b, pos, have, true);
    if (e <= pos) return e < 0 ? reported : pos; // no size line (Wireshark stops there)
    const data = nextLine;
    let stop = pos; // up to a ';' (a byte loop: the size line is short, the body after it may not be)
    while (stop < e && b[stop] !== 0x3b) stop++;
    let size = displayChunkSize(b, pos, stop);
    if (size > reported - pos) size = reported - pos;
    if (size === 0) {
      // The last chunk: trailer fields up to a blank line.
      let t = data;
      for (;;) {
        if (t >= have) return reported;
        const te = lineEnd(b, t, have, true);
        if (te < 0) return reported;
        const after = nextLine;
        if (te === t) return after;
        t = after;
      }
    }
    out.push(b.subarray(data, Math.min(data + size, have)));
    if (data + size > have) {
      // (The size was capped to what is left from the size line on, but the data starts after it.)
      chunkOverrun = true;
      return reported;
    }
    pos = data + size + 2;
  }
  return reported;
}

/** The last chunkedBodyEnd ran past the end of the bytes (Wireshark throws there). */
let chunkOverrun = false;

/** A message's body within the buffer `b` it was dissected from (de-chunked for a chunked one). */
export function messageBody(b: Buffer, m: ParsedMessage): Buffer {
  return m.body ?? b.subarray(m.bodyStart, Math.min(m.end, b.length));
}

/** A header field line: a token (visible ASCII, no separators) ended by ':' (Wireshark's check before any field was seen). */
function isHeaderLine(b: Buffer, from: number, to: number): boolean {
  const colon = b.indexOf(0x3a, from);
  if (colon < 0 || colon >= to) return false; // (long lines of body bytes end here, natively)
  for (let i = from; i < colon; i++) {
    const c = b[i];
    if (c <= 0x20 || c >= 0x7f || SEPARATORS.includes(c)) return false;
  }
  return true;
}
const SEPARATORS = [...'()<>@,;\\"/[]?={}'].map((ch) => ch.charCodeAt(0));

/**
 * Consecutive header lines of continuation data from `off` (the first a strict field line, then
 * any line with a colon), and whether a blank line ended them.
 */
function headerBlock(b: Buffer, off: number, end: number): { head: MessageHead; end: number; blankLine: boolean } | undefined {
  const headers: Array<[string, string]> = [];
  let pos = off;
  let blankLine = false;
  let colon = -1;
  for (;;) {
    const e = lineEnd(b, pos, end, false);
    if (pos >= end) break;
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
    if (colon >= e || (headers.length === 0 && !isHeaderLine(b, pos, e))) break;
    const name = b.toString('latin1', pos, colon);
    let v = colon + 1;
    while (v < e && (b[v] === 0x20 || b[v] === 0x09)) v++;
    headers.push([name, b.toString('latin1', v, e)]);
    pos = next;
  }
  if (!headers.length) return undefined;
  const start: StartLine = { kind: 'other' };
  return { head: { start, headers, bodyStart: pos }, end: pos, blankLine };
}

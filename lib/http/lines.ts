/**
 * Lines and tokens of HTTP/1.x text as Wireshark finds them (epan/tvbuff.c tvb_find_line_end,
 * epan/strutil.c get_token_len): a line ends at CR, LF or CRLF — a lone CR ends a line too, which
 * is what a student's tools (and CommonMark) also do with it.
 */

/** Where the line after the last `lineEnd` call starts (set by every call that finds an end). */
export let nextLine = 0;

/** `nextLine`, for callers outside the library (a module's `let` export is not live everywhere). */
export function nextLineAfter(): number {
  return nextLine;
}

/**
 * The end of the line that starts at `from` within [from, end): the index of its CR or LF, with
 * `nextLine` set past the terminator; or -1 when there is none. With `wait` (Wireshark's
 * "desegment"), a CR that is the last byte is no answer yet (an LF may follow in the next
 * segment): -1. Without it, a line with no terminator runs to `end` (and `nextLine` = end).
 */
export function lineEnd(b: Buffer, from: number, end: number, wait: boolean): number {
  if (end > b.length) end = b.length;
  let i = from;
  // Header lines are short: a byte loop beats two native searches for them.
  const stop = Math.min(end, from + SHORT_LINE);
  while (i < stop) {
    const c = b[i];
    if (c === 0x0a || c === 0x0d) break;
    i++;
  }
  if (i === stop && stop < end) i = searchCrLf(b, stop, end);
  if (i >= end) {
    if (wait) return -1;
    nextLine = end;
    return end;
  }
  if (b[i] === 0x0d) {
    if (i + 1 >= end) {
      if (wait) return -1;
      nextLine = end;
      return i;
    }
    nextLine = b[i + 1] === 0x0a ? i + 2 : i + 1;
    return i;
  }
  nextLine = i + 1;
  return i;
}
const SHORT_LINE = 256;

/** The first CR or LF in [from, end), or `end`: one native search for LF, then for CR before it. */
function searchCrLf(b: Buffer, from: number, end: number): number {
  let lf = b.indexOf(0x0a, from);
  if (lf < 0 || lf > end) lf = end;
  // (subarray: the CR search must stop at the LF, or a long text without CR is searched again and again)
  const cr = b.subarray(from, lf).indexOf(0x0d);
  return cr < 0 ? lf : from + cr;
}

/** Position after a token (up to SP, CR or LF) and the blanks after it (get_token_len). */
export let tokenNext = 0;

/** Length of the token at `from` in s[from, end) (get_token_len); `tokenNext` is where the next one starts. */
export function tokenLen(s: string, from: number, end: number): number {
  let i = from;
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c === 0x20 || c === 0x0d || c === 0x0a) break;
    i++;
  }
  const len = i - from;
  while (i < end && s.charCodeAt(i) === 0x20) i++;
  tokenNext = i;
  return len;
}

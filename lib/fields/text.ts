/**
 * Text from a capture as tshark 4.0 prints it. Its HTTP dissector reads header text as ASCII:
 * the string ends at a NUL byte and every byte above 0x7f becomes U+FFFD (so valid UTF-8 too:
 * one replacement character per byte). `-T fields` then writes five control characters as C
 * escapes (\b \t \n \f \r); every other byte, BEL and VT included, is written as it is (JSON
 * escapes its own way).
 */

const NEEDS_ASCII = /[\0\u0080-\uffff]/;
const NON_ASCII = /[\u0080-\uffff]/g;

/** A capture's text (latin1: one character per byte) as tshark holds an ASCII string field. */
export function asciiField(s: string): string {
  if (!NEEDS_ASCII.test(s)) return s;
  const nul = s.indexOf('\0');
  return (nul >= 0 ? s.slice(0, nul) : s).replace(NON_ASCII, '\ufffd');
}

const DISPLAY_ESCAPE = /[\b\t\n\f\r]/;
const DISPLAY_ESCAPES = /[\b\t\n\f\r]/g;
const C_ESCAPE: Record<string, string> = { '\b': '\\b', '\t': '\\t', '\n': '\\n', '\f': '\\f', '\r': '\\r' };

/** tshark -T fields: a TAB inside a value is written as `\t` (so it cannot add a column), and so on. */
export function escapeDisplay(s: string): string {
  return DISPLAY_ESCAPE.test(s) ? s.replace(DISPLAY_ESCAPES, (c) => C_ESCAPE[c]) : s;
}

const JSON_ESCAPE = /["\\\x00-\x1f]/;
const JSON_ESCAPES = /["\\\x00-\x1f]/g;
const JSON_SHORT: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** A JSON string literal as tshark's JSON writer makes it (short escapes, else \u00XX; nothing else escaped). */
export function jsonString(s: string): string {
  if (!JSON_ESCAPE.test(s)) return `"${s}"`;
  return `"${s.replace(JSON_ESCAPES, (c) => JSON_SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}

/**
 * What a chapter is made of: Markdown text, figures (Vega-Lite specs) and tables.
 *
 * Text taken from a capture is hostile. `esc` and `code` make it inert Markdown, and they do it
 * for every character CommonMark or a browser treats specially, not only for `\n`:
 * - line ends: CommonMark ends a line at LF, CR *and* CRLF (spec §2.1), so a lone CR in a URI
 *   could close a table row or start a heading; NUL becomes U+FFFD (§2.3);
 * - every other control character (C0, DEL, C1), the Unicode line/paragraph separators, bidi
 *   controls (U+202A–202E, U+2066–2069, U+200E/F, U+061C) that reorder what a reader sees, and
 *   zero-width / format characters (Unicode category Cf: U+200B–200D, U+2060, U+FEFF, …) that
 *   hide text: all are written as a visible `<U+XXXX>`;
 * - Markdown punctuation is backslash-escaped (`esc`), or the text goes into a code span whose
 *   fence is longer than any backtick run inside it (`code`).
 * Table cells additionally escape `|` (GFM tables split rows on it, even inside code spans).
 * The report renders generated Markdown with markdown-it, HTML disabled, images disabled and only
 * in-report links allowed, so an escaping mistake still cannot reach the HTML as markup.
 */
import { VegaLiteSpec } from '../charts';

/**
 * A frame a sentence names, and what the sentence says it is: tests check every citation against
 * tshark (a "SYN" must have SYN set, a "GET /x" must be that request line, …).
 */
export interface Cite {
  frame: number;
  claim: 'syn' | 'syn-ack' | 'ack' | 'fin' | 'rst' | 'request' | 'response' | 'data' | 'retransmission' | 'frame';
  /** For requests: method and target; for responses: status code; for ACKs: the raw acknowledgment number. */
  method?: string;
  uri?: string;
  code?: number;
  ackRaw?: number;
}

export type Block =
  | { kind: 'md'; md: string; cites?: Cite[] }
  | { kind: 'figure'; id: string; caption: string; spec: VegaLiteSpec }
  | {
      kind: 'table';
      id: string;
      caption: string;
      header: string[];
      rows: string[][];
      /** Indexes of rows that must be shown even when a long table is summarised (e.g. the rows a check cites). */
      keep?: number[];
      cites?: Cite[];
    };

export const md = (text: string): Block => ({ kind: 'md', md: text });

export function figure(spec: VegaLiteSpec): Block {
  const f = (spec.usermeta as { figure: { id: string; caption: string } }).figure;
  return { kind: 'figure', id: f.id, caption: f.caption, spec };
}

/**
 * A table. Cells are Markdown (use `code`/`esc` for text from a capture); `undefined` shows "—".
 * `keep` lists row indexes a summary of a long table must still show.
 */
export function table(id: string, caption: string, header: string[], rows: Array<Array<string | number | undefined>>, keep?: number[]): Block {
  const b: Block = { kind: 'table', id, caption, header, rows: rows.map((r) => r.map((c) => (c === undefined ? '—' : String(c)))) };
  if (keep?.length) b.keep = [...new Set(keep)].filter((i) => i >= 0 && i < rows.length).sort((a, c) => a - c);
  return b;
}

/**
 * Characters written as `<U+XXXX>`: controls except TAB (C0, DEL, C1: CR and LF included), the
 * line and paragraph separators, and format characters (bidi controls, zero-width characters,
 * BOM, soft hyphen, …). Lone surrogates cannot be rendered either.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/gu;

/** Make every invisible or text-reordering character visible as `<U+XXXX>` (TAB becomes a space). */
export function visible(s: string): string {
  return String(s).replace(INVISIBLE, (c) => (c === '\t' ? ' ' : `<U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}>`));
}

/**
 * Escape text for Markdown (inline): invisible characters made visible, then backslash before every
 * character that can start markup anywhere in a line (emphasis, code, links, HTML, entities, tables,
 * strikethrough, math, mentions, and `:` / `.` so no renderer's autolink sees a URL), and before
 * `-`, `+`, `=` at the start, where they could begin a list or a setext underline.
 */
export function esc(s: string): string {
  return visible(s)
    .replace(/[\\`*_{}[\]()#!|<>&~$:.@^]/g, (c) => `\\${c}`)
    .replace(/^(\s*)([-+=])/, '$1\\$2');
}

/** Inline code span that no content can break out of (CommonMark §6.1: the fence is longer than any backtick run inside). */
export function code(s: string): string {
  const t = visible(s);
  if (t === '') return '` `';
  const runs = t.match(/`+/g) ?? [];
  const fence = '`'.repeat(Math.max(0, ...runs.map((r) => r.length)) + 1);
  // CommonMark strips one space from each side when both are there: pad when the content starts or
  // ends with a backtick (it would join the fence) or with spaces on both sides (they would be lost).
  const pad = /^`|`$/.test(t) || (/^ /.test(t) && / $/.test(t) && t.trim() !== '') ? ' ' : '';
  return `${fence}${pad}${t}${pad}${fence}`;
}

/** Cross-reference to a figure or table; the notebook and the report turn it into "图 3-1" / "表 2-1". */
export const ref = (kind: 'fig' | 'tab', id: string): string => `[${kind === 'fig' ? '图' : '表'}](#${kind}-${id})`;

export const ok = (b: boolean): string => (b ? '✓' : '✗');

/** One table cell: already Markdown, but it may not contain a row break or an unescaped `|`. */
function cell(s: string): string {
  // A `|` is escaped when an odd number of backslashes precede it; escape every other one.
  return visible(s).replace(/(\\*)\|/g, (m, bs: string) => (bs.length % 2 ? m : `${bs}\\|`));
}

/** A Markdown (GFM) table of Markdown cells. */
export function markdownTable(header: string[], rows: string[][]): string {
  const width = header.length;
  const fit = (r: string[]) => (r.length >= width ? r.slice(0, width) : [...r, ...Array(width - r.length).fill('')]);
  return [`| ${header.map(cell).join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${fit(r).map(cell).join(' | ')} |`)].join('\n');
}

/** How many rows a table shows before it is summarised (the notebook and the report agree). */
export const TABLE_ROW_LIMIT = 40;

/**
 * A long table's rows as shown: the first and last rows, every kept row, and a marker row
 * "…（省略 N 行）…" for each gap. Short tables come back unchanged.
 */
export function summariseRows(rows: string[][], keep: number[] = [], limit = TABLE_ROW_LIMIT, head = 15, tail = 5): { rows: string[][]; omitted: number } {
  if (rows.length <= limit) return { rows, omitted: 0 };
  const show = new Set<number>();
  for (let i = 0; i < Math.min(head, rows.length); i++) show.add(i);
  for (let i = Math.max(0, rows.length - tail); i < rows.length; i++) show.add(i);
  for (const k of keep) if (k >= 0 && k < rows.length) show.add(k);
  const order = [...show].sort((a, b) => a - b);
  const out: string[][] = [];
  let omitted = 0;
  let prev = -1;
  const width = rows[0]?.length ?? 1;
  for (const i of order) {
    if (i > prev + 1) {
      const gap = i - prev - 1;
      omitted += gap;
      out.push([`…（省略 ${gap} 行）…`, ...Array(width - 1).fill('')]);
    }
    out.push(rows[i]);
    prev = i;
  }
  return { rows: out, omitted };
}

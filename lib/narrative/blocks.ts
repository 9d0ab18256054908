/**
 * What a chapter is made of: Markdown text, figures (Vega-Lite specs) and tables. Text taken from
 * a capture is hostile: `esc` and `code` make it inert Markdown (and markdown-it runs with HTML
 * disabled, so nothing from a capture can become markup).
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
  | { kind: 'table'; id: string; caption: string; header: string[]; rows: string[][]; cites?: Cite[] };

export const md = (text: string): Block => ({ kind: 'md', md: text });

export function figure(spec: VegaLiteSpec): Block {
  const f = (spec.usermeta as { figure: { id: string; caption: string } }).figure;
  return { kind: 'figure', id: f.id, caption: f.caption, spec };
}

export function table(id: string, caption: string, header: string[], rows: Array<Array<string | number | undefined>>): Block {
  return { kind: 'table', id, caption, header, rows: rows.map((r) => r.map((c) => (c === undefined ? '—' : String(c)))) };
}

/** Escape text for Markdown (inline): backslash-escape every punctuation character that matters. */
export function esc(s: string): string {
  return String(s)
    .replace(/[\\`*_{}[\]()#+\-.!|<>&~"'$=:]/g, (c) => `\\${c}`)
    .replace(/\r?\n/g, ' ');
}

/** Inline code span that no content can break out of. */
export function code(s: string): string {
  const t = String(s).replace(/\r?\n/g, ' ');
  const runs = t.match(/`+/g) ?? [];
  const fence = '`'.repeat(Math.max(0, ...runs.map((r) => r.length)) + 1);
  return `${fence} ${t} ${fence}`;
}

/** Cross-reference to a figure or table; the report turns it into "图 3" / "表 2". */
export const ref = (kind: 'fig' | 'tab', id: string): string => `[${kind === 'fig' ? '图' : '表'}](#${kind}-${id})`;

export const ok = (b: boolean): string => (b ? '✓' : '✗');

/** A Markdown table; cells are escaped unless marked as already-safe Markdown. */
export function markdownTable(header: string[], rows: string[][]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  return [`| ${header.map(cell).join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

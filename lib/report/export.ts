/**
 * Executed notebook → what the report shows, in cell order (as nbconvert, Quarto and Jupyter Book
 * export): markdown cells, and each code cell's outputs. Code is shown only when asked for.
 *
 * Cell tags (Jupyter Book's names): `remove-cell` drops the cell; `remove-input` never shows its
 * code; `hide-input` shows its code only folded (with --with-code); `remove-output` drops its
 * outputs. `parameters` / `injected-parameters` cells are code like any other.
 *
 * Outputs: wirenote's displays (`metadata.wirenote`) keep their structure (numbered tables and
 * figures, Markdown with cross-references to resolve); any other display is taken by its richest
 * type the report can show safely: `text/markdown` (as generated Markdown), a Vega-Lite spec,
 * `image/png` / `image/jpeg`, else `text/plain`. `text/html` is not embedded (it could carry
 * anything); its `text/plain` is. stdout becomes a plain-text block; stderr is left out (a cell
 * that failed has already failed the build).
 */
import { VegaLiteSpec } from '../charts';
import { VEGA_LITE_MIME } from '../notebook';
import { CodeCell, hasTag, Notebook, Output } from './ipynb';

export type ReportItem =
  | { kind: 'md'; md: string; trust: 'authored' | 'generated' }
  | { kind: 'table'; id?: string; number?: string; caption: string; header: string[]; rows: string[][]; omitted: number; total: number; csv?: string }
  | { kind: 'figure'; id?: string; number?: string; caption: string; spec?: VegaLiteSpec; image?: { mime: string; base64: string } }
  | { kind: 'text'; text: string }
  | { kind: 'code'; source: string; folded: boolean };

export interface ReportChapter {
  number: string;
  title: string;
  /** The notebook's file name (for messages). */
  file: string;
  items: ReportItem[];
}

export interface ExportOptions {
  withCode: boolean;
  /** Chapter number when the title does not say ("第 3 章 …"). */
  fallbackNumber: string;
  file: string;
}

interface WirenoteMeta {
  kind?: string;
  id?: string;
  number?: string;
  caption?: string;
  md?: string;
  header?: string[];
  rows?: string[][];
  omitted?: number;
  total?: number;
}

/** "第 3 章 三次握手" / "3 三次握手" / "3. 三次握手" → number and title. */
export function parseChapterTitle(heading: string, fallback: string): { number: string; title: string } {
  const h = heading.trim();
  const m = /^第\s*(\d+)\s*章\s*(.*)$/.exec(h) ?? /^(\d+)[.、．]?\s+(.*)$/.exec(h);
  return m ? { number: String(Number(m[1])), title: m[2].trim() || h } : { number: fallback, title: h };
}

export function exportNotebook(nb: Notebook, o: ExportOptions): ReportChapter {
  const items: ReportItem[] = [];
  let title: string | undefined;
  let number = o.fallbackNumber;
  for (const cell of nb.cells) {
    if (hasTag(cell, 'remove-cell')) continue;
    if (cell.cell_type === 'markdown') {
      let src = cell.source;
      if (title === undefined) {
        // The notebook's first level-1 heading is the chapter's title (the report numbers it).
        const m = /^[ ]{0,3}#[ \t]+(.+?)[ \t#]*$/m.exec(src);
        if (m) {
          const t = parseChapterTitle(m[1], o.fallbackNumber);
          title = t.title;
          number = t.number;
          src = src.replace(m[0], '');
        }
      }
      if (src.trim()) items.push({ kind: 'md', md: src.trim(), trust: 'authored' });
      continue;
    }
    if (cell.cell_type !== 'code') continue;
    const c = cell as CodeCell;
    if (o.withCode && !hasTag(c, 'remove-input') && c.source.trim()) items.push({ kind: 'code', source: c.source, folded: hasTag(c, 'hide-input') });
    if (hasTag(c, 'remove-output')) continue;
    for (const out of c.outputs) {
      const item = outputItem(out);
      if (item) items.push(item);
    }
  }
  return { number, title: title ?? o.file.replace(/\.ipynb$/, ''), file: o.file, items: mergeText(items) };
}

const str = (v: unknown): string => (Array.isArray(v) ? v.join('') : typeof v === 'string' ? v : '');

function outputItem(out: Output): ReportItem | undefined {
  if (out.output_type === 'stream') return out.name === 'stdout' && out.text.trim() ? { kind: 'text', text: out.text.replace(/\n$/, '') } : undefined;
  if (out.output_type === 'error') return { kind: 'text', text: `${out.ename}: ${out.evalue}` };
  const data = out.data ?? {};
  const meta = ((out.metadata ?? {}) as { wirenote?: WirenoteMeta }).wirenote;
  if (meta?.kind === 'caption') return undefined; // the report writes its own caption under the figure
  if (meta?.kind === 'table' && meta.header && meta.rows)
    return { kind: 'table', id: meta.id, number: meta.number, caption: meta.caption ?? '', header: meta.header, rows: meta.rows, omitted: meta.omitted ?? 0, total: meta.total ?? meta.rows.length, csv: data['text/csv'] !== undefined ? str(data['text/csv']) : undefined };
  if (meta?.kind === 'figure' && data[VEGA_LITE_MIME]) return { kind: 'figure', id: meta.id, number: meta.number, caption: meta.caption ?? '', spec: data[VEGA_LITE_MIME] as VegaLiteSpec };
  if (meta?.kind === 'md') return { kind: 'md', md: meta.md ?? str(data['text/markdown']), trust: 'generated' };
  if (data['text/markdown'] !== undefined) return { kind: 'md', md: str(data['text/markdown']), trust: 'generated' };
  if (data[VEGA_LITE_MIME]) return { kind: 'figure', caption: str(data['text/plain']), spec: data[VEGA_LITE_MIME] as VegaLiteSpec };
  for (const mime of ['image/png', 'image/jpeg']) if (typeof data[mime] === 'string' || Array.isArray(data[mime])) return { kind: 'figure', caption: str(data['text/plain']), image: { mime, base64: str(data[mime]).replace(/\s+/g, '') } };
  if (data['text/plain'] !== undefined && str(data['text/plain']).trim()) return { kind: 'text', text: str(data['text/plain']) };
  return undefined;
}

/** Consecutive plain-text outputs read as one block. */
function mergeText(items: ReportItem[]): ReportItem[] {
  const out: ReportItem[] = [];
  for (const it of items) {
    const last = out[out.length - 1];
    if (it.kind === 'text' && last?.kind === 'text') last.text += `\n${it.text}`;
    else out.push(it);
  }
  return out;
}

/**
 * Markdown as the report reads it, through markdown-it (CommonMark + GFM tables) with raw HTML off.
 *
 * Two trust levels:
 * - generated: what code cells display (the narrative, a teacher's `display.markdown`). It may carry
 *   text from the capture, so beyond HTML being off: no images, no autolinks, and links only to
 *   anchors inside the report (`#fig-…`, `#tab-…`, `#ch-…`); anything else stays text.
 * - authored: the notebooks' markdown cells, written by whoever wrote the notebook. Links to
 *   http(s) pages are kept; raw HTML is still shown as text and images are still not loaded (the
 *   report is one self-contained file whose Content-Security-Policy allows data: images only).
 * In both, a link to an anchor the report does not contain loses its link (no dead `#fig-…`).
 */
import type MarkdownItType from 'markdown-it';

type MarkdownIt = MarkdownItType;
type Token = ReturnType<MarkdownIt['parse']>[number];

const INTERNAL = /^#[A-Za-z0-9_.:-]+$/;
const cache = new Map<string, MarkdownIt>();

export function markdownIt(trust: 'generated' | 'authored'): MarkdownIt {
  const hit = cache.get(trust);
  if (hit) return hit;
  // Loaded here, not at the top: importing the library for analysis alone should not pay for it.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const MarkdownIt = require('markdown-it') as typeof MarkdownItType;
  const m = new MarkdownIt({ html: false, linkify: false, typographer: false });
  m.disable(['image', 'autolink']);
  m.validateLink = trust === 'generated' ? (url: string) => INTERNAL.test(url) : (url: string) => INTERNAL.test(url) || /^(https?:\/\/|mailto:)/i.test(url);
  cache.set(trust, m);
  return m;
}

export interface RenderOptions {
  /** Add this to every heading level (a notebook's `#` is a chapter: `##` in the report). */
  shiftHeadings?: number;
  /** Anchors that exist in the report; links to other `#…` anchors become plain text. */
  anchors?: Set<string>;
}

/** Markdown → HTML (safe for either trust level; see the module comment). */
export function renderMarkdown(src: string, trust: 'generated' | 'authored', o: RenderOptions = {}): string {
  const m = markdownIt(trust);
  const tokens = m.parse(src, {});
  for (const t of tokens) {
    if ((t.type === 'heading_open' || t.type === 'heading_close') && o.shiftHeadings) t.tag = `h${Math.min(6, Number(t.tag.slice(1)) + o.shiftHeadings)}`;
    if (t.type === 'inline' && t.children && o.anchors) t.children = dropDeadLinks(t.children, o.anchors);
  }
  return m.renderer.render(tokens, m.options, {});
}

function dropDeadLinks(children: Token[], anchors: Set<string>): Token[] {
  const out: Token[] = [];
  const dropped: boolean[] = [];
  for (const t of children) {
    if (t.type === 'link_open') {
      const href = t.attrGet('href') ?? '';
      const dead = href.startsWith('#') && !anchors.has(href.slice(1));
      dropped.push(dead);
      if (dead) continue;
    } else if (t.type === 'link_close') {
      if (dropped.pop()) continue;
    }
    out.push(t);
  }
  return out;
}

/** Shift the ATX and setext headings of a Markdown text by `by` levels (line-exact, the rest untouched). */
export function shiftMarkdownHeadings(src: string, by: number): string {
  if (!by) return src;
  const lines = src.split('\n');
  for (const t of markdownIt('authored').parse(src, {})) {
    if (t.type !== 'heading_open' || !t.map) continue;
    const level = Math.min(6, Number(t.tag.slice(1)) + by);
    const [start, end] = t.map;
    if (t.markup.startsWith('#')) lines[start] = lines[start].replace(/^(\s{0,3})#+/, `$1${'#'.repeat(level)}`);
    else {
      // Setext (underlined) heading: rewrite as ATX over its text lines.
      const text = lines.slice(start, end - 1).map((l) => l.trim()).join(' ');
      lines[start] = `${'#'.repeat(level)} ${text}`;
      for (let i = start + 1; i < end; i++) lines[i] = '\u0000';
    }
  }
  return lines.filter((l) => l !== '\u0000').join('\n');
}

/** The text a reader sees, without Markdown syntax (for `text/plain` beside `text/markdown`, and CSV cells). */
export function plainText(src: string): string {
  const tokens = markdownIt('generated').parse(src, {});
  const out: string[] = [];
  let line = '';
  let cells: string[] | null = null;
  const flush = () => {
    if (line !== '') out.push(line);
    line = '';
  };
  for (const t of tokens) {
    if (t.type === 'inline') line += inlineText(t.children ?? []);
    else if (t.type === 'tr_open') cells = [];
    else if ((t.type === 'th_close' || t.type === 'td_close') && cells) {
      cells.push(line);
      line = '';
    } else if (t.type === 'tr_close' && cells) {
      out.push(cells.join('\t'));
      cells = null;
    } else if (t.type === 'fence' || t.type === 'code_block') {
      flush();
      out.push(t.content.replace(/\n$/, ''));
    } else if (t.type === 'list_item_open') line += '- ';
    else if (t.type.endsWith('_close') && !cells && (t.block || t.type === 'paragraph_close')) flush();
  }
  flush();
  return out.join('\n');
}

function inlineText(children: Token[]): string {
  let s = '';
  for (const c of children) {
    if (c.type === 'text' || c.type === 'code_inline') s += c.content;
    else if (c.type === 'softbreak' || c.type === 'hardbreak') s += '\n';
  }
  return s;
}

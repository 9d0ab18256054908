/**
 * Print the report HTML to an A4 PDF with Chromium (through Playwright's page.pdf), with a running
 * header and footer and a table of contents that gives each chapter's page.
 *
 * Chromium does not implement CSS `target-counter()` (GCPM), so the page numbers come from a first
 * printing: Chromium writes every in-document link target as a PDF named destination
 * (`/ch-3 [page-object /XYZ …]`), and the page tree gives each page object's number. The numbers
 * are then filled into the contents, which was printed with placeholders of the same width, and
 * the report is printed again (and checked: the chapters must still start on the same pages).
 */
import * as fs from 'fs';
import { PDF_FOOTER_TEMPLATE, pdfHeaderTemplate } from './style';

/** The subset of a Playwright Page this needs. */
export interface PrintPage {
  setContent(html: string, options?: { waitUntil?: 'load' }): Promise<void>;
  pdf(options: Record<string, unknown>): Promise<Buffer>;
  emulateMedia(options: { media: 'print' | 'screen' }): Promise<void>;
  setViewportSize(size: { width: number; height: number }): Promise<void>;
  /** A script run in the page (a string: lib is compiled without the DOM's types). */
  evaluate(script: string): Promise<unknown>;
}

/** The A4 content box of the style sheet's @page (210 × 297 mm less 16/16 and 20/18 mm margins), in CSS px. */
export const CONTENT_PX = { width: Math.round((178 / 25.4) * 96), height: Math.round((259 / 25.4) * 96) };

export interface PrintOptions {
  title: string;
  identity: { name?: string; studentId?: string };
  /** Write the PDF here too. */
  path?: string;
}

export interface PrintResult {
  pdf: Buffer;
  pages: number;
  /** Page number (1-based) of each chapter anchor ("ch-1" → 3). */
  chapterPages: Map<string, number>;
}

/**
 * Break opportunities inside inline code, where typesetting breaks a URL: before "/", "?", "&" and
 * "#" (not at the start), after "," and ";". Chromium has none inside a token like
 * /images/logo.jpg and would otherwise cut it at an arbitrary letter when it overflows a line.
 * Works on the assembler's output, where code text is already escaped (so "<" never appears in it).
 */
export function codeBreaks(html: string): string {
  return html.replace(/(?<!<pre[^>]*>)<code>([^<]{12,})<\/code>/g, (_, text: string) => `<code>${breakToken(text)}</code>`);
}

const ENTITY: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };

function breakToken(text: string): string {
  // Characters and whole entities, so a break never lands inside "&amp;".
  const tokens = text.match(/&[#\w]+;|[\s\S]/g) ?? [];
  const ch = (t: string | undefined) => (t === undefined ? undefined : (ENTITY[t] ?? t));
  let out = '';
  tokens.forEach((t, i) => {
    const c = ch(t)!;
    const prev = ch(tokens[i - 1]);
    const next = ch(tokens[i + 1]);
    if ('/?#&'.includes(c) && prev !== undefined && !/[\s/]/.test(prev)) out += '<wbr>';
    out += t;
    if (',;'.includes(c) && next !== undefined && !/\s/.test(next)) out += '<wbr>';
  });
  return out;
}

/** The contents' entries with a page-number cell (placeholder "00" or the number). */
function withTocPages(html: string, pages?: Map<string, number>): string {
  return html.replace(/(<li><a href="#(ch-[A-Za-z0-9_-]+)">)([\s\S]*?)(<\/a><\/li>)/g, (_, open: string, id: string, title: string, close: string) => {
    const n = pages?.get(id);
    return `${open}${title}<span class="toc-page">${n ?? '00'}</span>${close}`;
  });
}

export async function printPdf(page: PrintPage, html: string, o: PrintOptions): Promise<PrintResult> {
  const options = {
    format: 'A4',
    printBackground: true,
    preferCSSPageSize: true,
    displayHeaderFooter: true,
    headerTemplate: pdfHeaderTemplate(o.title, o.identity),
    footerTemplate: PDF_FOOTER_TEMPLATE,
    outline: true,
  };
  const base = codeBreaks(html);
  // Laid out as printed (print media, the page's content width) to measure the tables.
  await page.emulateMedia({ media: 'print' });
  await page.setViewportSize(CONTENT_PX);
  const load = async (h: string) => {
    await page.setContent(h, { waitUntil: 'load' });
    await markLongTables(page);
  };
  await load(withTocPages(base));
  const first = await page.pdf(options);
  let pages = chapterPages(first);
  let pdf = first;
  // Two digits were reserved for each number; fill them in and print again (at most twice more).
  for (let i = 0; i < 2; i++) {
    await load(withTocPages(base, pages));
    pdf = await page.pdf(options);
    const again = chapterPages(pdf);
    const same = [...pages].every(([k, v]) => again.get(k) === v);
    pages = again;
    if (same) break;
  }
  if (o.path) fs.writeFileSync(o.path, pdf);
  return { pdf, pages: pageCount(pdf), chapterPages: pages };
}

/**
 * Tables taller than half a page get the class "long": the style sheet lets them continue on the
 * next page (under their repeated header row) instead of moving whole and leaving the page before
 * them more than half empty. Shorter ones stay whole: moved on, they leave that page at least half full.
 */
async function markLongTables(page: PrintPage): Promise<void> {
  await page.evaluate(`for (const t of document.querySelectorAll('figure.table')) if (t.getBoundingClientRect().height > ${CONTENT_PX.height / 2}) t.classList.add('long');`);
}

// ---- reading Chromium's PDF ---------------------------------------------------------------------

interface PdfObjects {
  get(n: number): string | undefined;
  trailer: string;
}

/** Uncompressed objects of a PDF (Chromium writes dictionaries in the clear; streams are skipped). */
function objects(pdf: Buffer): PdfObjects {
  const text = pdf.toString('latin1');
  const map = new Map<number, string>();
  const re = /(\d+) 0 obj\s*([\s\S]*?)endobj/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const body = m[2];
    const s = body.indexOf('stream');
    map.set(Number(m[1]), s >= 0 ? body.slice(0, s) : body);
  }
  const trailer = text.slice(text.lastIndexOf('trailer'));
  return { get: (n) => map.get(n), trailer };
}

const ref = (dict: string, key: string): number | undefined => {
  const m = new RegExp(`/${key}\\s+(\\d+)\\s+0\\s+R`).exec(dict);
  return m ? Number(m[1]) : undefined;
};

/** Page objects in document order, from the page tree. */
function pageOrder(o: PdfObjects): number[] {
  const root = o.get(ref(o.trailer, 'Root') ?? -1) ?? '';
  const out: number[] = [];
  const walk = (n: number, depth: number) => {
    const d = o.get(n);
    if (!d || depth > 32) return;
    if (/\/Type\s*\/Pages\b/.test(d)) {
      const kids = /\/Kids\s*\[([^\]]*)\]/.exec(d)?.[1] ?? '';
      for (const k of kids.matchAll(/(\d+)\s+0\s+R/g)) walk(Number(k[1]), depth + 1);
    } else out.push(n);
  };
  walk(ref(root, 'Pages') ?? -1, 0);
  return out;
}

export function pageCount(pdf: Buffer): number {
  return pageOrder(objects(pdf)).length;
}

/** Page (1-based) of every named destination, e.g. "ch-3" → 5. */
export function namedDestinationPages(pdf: Buffer): Map<string, number> {
  const o = objects(pdf);
  const order = pageOrder(o);
  const root = o.get(ref(o.trailer, 'Root') ?? -1) ?? '';
  const out = new Map<string, number>();
  const dests = o.get(ref(root, 'Dests') ?? -1);
  if (!dests) return out;
  for (const m of dests.matchAll(/\/([^\s/[\]<>()]+)\s*\[\s*(\d+)\s+0\s+R/g)) {
    const name = m[1].replace(/#([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    const k = order.indexOf(Number(m[2]));
    if (k >= 0) out.set(name, k + 1);
  }
  return out;
}

function chapterPages(pdf: Buffer): Map<string, number> {
  return new Map([...namedDestinationPages(pdf)].filter(([k]) => /^ch-[A-Za-z0-9_-]+$/.test(k)));
}

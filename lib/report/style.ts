/**
 * The report's style sheet: screen and A4 print (the PDF is Chromium printing the HTML), and the
 * running header and footer Chromium draws in the page margins. Kept apart from the assembler so
 * layout for print can change without touching how the report is built.
 *
 * Fonts for print: Chromium (Skia) embeds TrueType-outline fonts as real CID fonts but turns
 * CFF-outline fonts — Noto Sans CJK is one — into Type 3 bitmaps-of-paths without a font program,
 * and does the same for synthesised bold. So the printed report uses WenQuanYi Micro Hei (TrueType,
 * Debian fonts-wqy-microhei) and DejaVu Sans Mono, in regular weight only: emphasis is drawn with a
 * tint instead of a faked bold. DejaVu Sans comes before Noto for the symbols WenQuanYi lacks (✗).
 * The screen keeps Noto Sans CJK.
 */
import { CJK_FONT } from '../charts/common';

/** Fonts of the printed report (TrueType, so the PDF embeds them as real fonts). */
export const PRINT_FONT = '"WenQuanYi Micro Hei", "DejaVu Sans", "Noto Sans CJK SC", sans-serif';
export const PRINT_MONO = '"DejaVu Sans Mono", "WenQuanYi Micro Hei Mono", "Noto Sans Mono CJK SC", monospace';
const SCREEN_MONO = '"Noto Sans Mono CJK SC", "DejaVu Sans Mono", monospace';

export const CSS = `
:root { --fg:#1b1b1b; --muted:#666; --rule:#ddd; --tint:#e9f0f8; }
* { box-sizing: border-box; }
body { font-family: ${CJK_FONT}; color: var(--fg); line-height: 1.7; max-width: 60rem; margin: 0 auto; padding: 2rem 1.5rem; font-size: 15px; }
h1,h2,h3 { line-height: 1.3; }
h2 { border-bottom: 1px solid var(--rule); padding-bottom: .3rem; margin-top: 2.5rem; }
/* Code breaks only where a line cannot hold it whole (never inside a short token like /logo.jpg). */
code { font-family: ${SCREEN_MONO}; background: #f4f4f4; padding: 0 .25em; border-radius: 3px; font-size: .9em; word-break: normal; overflow-wrap: break-word; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .9em; width: 100%; }
th, td { border: 1px solid var(--rule); padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; word-break: keep-all; }
/* In a table a long value (an Accept header) may break anywhere rather than widen the page. */
td code { overflow-wrap: anywhere; }
figure { margin: 1.2rem 0; }
figure svg { max-width: 100%; height: auto; display: block; margin: 0 auto; }
figcaption { color: var(--muted); font-size: .9em; margin-top: .3rem; }
figure.table figcaption { margin: 0 0 .3rem; }
.title-page { text-align: center; padding: 4rem 0 3rem; border-bottom: 2px solid var(--fg); margin-bottom: 2rem; }
.title-page h1 { font-size: 1.8rem; }
.title-page .who { font-size: 1.15rem; margin-top: 1.5rem; }
.title-page .src { color: var(--muted); margin-top: 1rem; font-size: .9em; }
nav.toc ol { padding-left: 1.5rem; }
/* Table of contents: title, dotted leader, page number (filled in when printing). */
nav.toc li a { display: flex; align-items: baseline; color: inherit; text-decoration: none; }
nav.toc li a::after { content: ""; flex: 1; order: 1; border-bottom: 1px dotted #999; margin: 0 .4em; }
nav.toc .toc-page { order: 2; min-width: 2em; text-align: right; font-variant-numeric: tabular-nums; }
details.code pre { background: #f6f8fa; padding: .8rem; overflow-x: auto; font-size: .85em; }
@page { size: A4; margin: 20mm 16mm 18mm 16mm; }
@media print {
  html, body, svg text { font-family: ${PRINT_FONT} !important; }
  code, pre { font-family: ${PRINT_MONO} !important; }
  * { font-synthesis: none; }
  body { max-width: none; padding: 0; font-size: 10.5pt; line-height: 1.6; }
  h1, h2, h3, h4, th, strong, b { font-weight: normal; }
  h2 { font-size: 16pt; color: #000; }
  h3 { font-size: 12.5pt; color: #000; }
  strong, b { background: var(--tint); padding: 0 .15em; border-radius: 2px; }
  /* Title and contents share the first page; each chapter starts a page. */
  .title-page { padding: 28mm 0 10mm; margin-bottom: 8mm; border-bottom: 1px solid var(--fg); }
  nav.toc { break-after: page; }
  nav.toc h2 { margin-top: 0; }
  nav.toc li { margin: .35em 0; }
  section > h2 { break-before: page; margin-top: 0; }
  /* No heading or table caption left at the bottom of a page. */
  h1, h2, h3, h4, figure.table > figcaption { break-after: avoid; }
  /* Figures never split (each is under half a page). A table stays whole when it takes at most half
     a page; a longer one (marked "long" by print.ts, which measures it) continues on the next page
     under its repeated header row rather than leave the page before it more than half empty. */
  figure { break-inside: avoid; }
  figure.table { break-inside: avoid; }
  figure.table.long { break-inside: auto; }
  /* At least three rows on either side of the break (the header row repeats above the rest). */
  figure.table.long tbody tr:nth-child(-n+2) { break-after: avoid; }
  figure.table.long tbody tr:nth-last-child(-n+2) { break-before: avoid; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  p, li { orphans: 2; widows: 2; }
  a { color: inherit; text-decoration: none; }
  figure { margin: .7rem 0; }
  figure svg { max-height: 235mm; width: auto; }
}
`;

function esc(s: string): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const MARGIN_TEXT = `font-family: ${PRINT_FONT.replace(/"/g, "'")}; font-size: 8pt; color: #555; width: 100%; margin: 0 16mm;`;

/**
 * Running header for Playwright's `page.pdf({ displayHeaderFooter: true, headerTemplate })`: the
 * report title on the left, the student (姓名 学号) on the right. Chromium fills the template into
 * the top margin of every page; everything in it is escaped text.
 */
export function pdfHeaderTemplate(title: string, identity: { name?: string; studentId?: string }): string {
  const who = [identity.name, identity.studentId].filter(Boolean).join(' ');
  return `<div style="${MARGIN_TEXT} display: flex; justify-content: space-between; border-bottom: 0.5pt solid #bbb; padding-bottom: 1mm;"><span>${esc(title)}</span><span>${esc(who)}</span></div>`;
}

/** Running footer: "第 N 页 / 共 M 页" (Chromium fills pageNumber and totalPages). */
export const PDF_FOOTER_TEMPLATE = `<div style="${MARGIN_TEXT} text-align: center;">第 <span class="pageNumber"></span> 页 / 共 <span class="totalPages"></span> 页</div>`;

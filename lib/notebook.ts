/**
 * What the notebooks' code cells call: load the capture (analysed once per process, whichever
 * notebook asks first), number figures and tables, and show blocks as Jupyter display bundles.
 *
 * Every output is an ordinary nbformat output, so the report is exported from the executed
 * notebooks and nothing else:
 * - markdown: `text/markdown` + `text/plain`;
 * - table: its caption and rows as `text/markdown` + `text/plain` (+ `text/csv`, the whole table,
 *   when the Markdown shows a summary of a long one);
 * - chart: one display with `application/vnd.vegalite.v5+json` (JupyterLab draws it, with
 *   tooltips), `image/png` (drawn here, for Jupyter Notebook 6, nbconvert, nbviewer and GitHub, which
 *   have no Vega-Lite renderer) and `text/plain` (the caption); then the caption as Markdown.
 * `metadata.wirenote` of each output says what it is (kind, id, number, caption, the table's cells,
 * the Markdown before its cross-references were resolved), for the report builder.
 *
 * Numbers are "图 3-2": chapter 3 (`startChapter(3)`, which the report also sets from the file
 * name), second figure. They are the same in the notebook and in the report. A cross-reference
 * `[图](#fig-x)` becomes `[图 3-2](#fig-x)` as soon as figure x has been shown in this notebook (a
 * reference shown before its figure is updated in place, through a display id); one to a figure
 * of another chapter stays "图" without a link in the notebook, and is resolved by the report.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { CaptureAnalysis } from './analysis';
import { analyzeLab, LabModel } from './lab/model';
import { Block, esc, markdownTable, summariseRows, TABLE_ROW_LIMIT } from './narrative/blocks';
import { renderChart, safeSpec } from './report/render';
import { plainText } from './report/markdown';
import { MimeBundle } from './report/ipynb';

/** Project root (lib/dist/notebook.js → ../..). */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
/** The committed reference capture every notebook uses unless told otherwise. */
export const DEFAULT_CAPTURE = path.join(PROJECT_ROOT, 'captures', 'first-visit-server-close.pcapng');

/**
 * The capture to analyse: the argument, else $WIRENOTE_CAPTURE, else the reference capture.
 * A relative path is taken from the current directory (a notebook's kernel runs in the notebook's
 * folder), else from the project root ("captures/x.pcapng" works from either).
 */
export function capturePath(given?: string): string {
  const p = given || process.env.WIRENOTE_CAPTURE || DEFAULT_CAPTURE;
  const here = path.resolve(p);
  if (path.isAbsolute(p) || fs.existsSync(here)) return here;
  const fromRoot = path.resolve(PROJECT_ROOT, p);
  return fs.existsSync(fromRoot) ? fromRoot : here;
}

export interface LoadedLab {
  lab: LabModel;
  /** File name shown in the text (not the full path: the report must not depend on where it ran). */
  source: string;
}

/** State shared by every copy of this module in the process (a kernel, or the report's executor). */
interface Session {
  /** The last capture analysed, and its lab model. */
  capture?: { key: string; lab: Promise<LoadedLab> };
  /** Chapter number for figure/table numbers; undefined = plain "图 1". */
  chapter?: string;
  /** Set by `startChapter` in the notebook (wins over the executor's default). */
  chapterFromNotebook: boolean;
  figures: number;
  tables: number;
  numbers: Map<string, string>;
  /** Markdown displays waiting for a figure or table they refer to. */
  pending: Array<{ displayId: string; template: string; ids: string[]; meta: Record<string, unknown> }>;
  displays: number;
}

const SESSION_KEY = Symbol.for('wirenote.notebook.session');
function session(): Session {
  const g = globalThis as unknown as Record<symbol, Session>;
  return (g[SESSION_KEY] ??= { chapterFromNotebook: false, figures: 0, tables: 0, numbers: new Map(), pending: [], displays: 0 });
}

/** Identity of a capture file for the cache: path, size, modification time, inode. */
function fileKey(file: string): string {
  try {
    const st = fs.statSync(file);
    return `${file}\0${st.size}\0${st.mtimeMs}\0${st.ino}`;
  } catch {
    return file; // a missing file: analyzeCaptureFile reports it
  }
}

/**
 * Analyse a capture once per process: later calls for the same file (same size and modification
 * time) get the same lab model, so eight notebooks in one report run — and the report command
 * itself — cost one analysis (issue 16). Only the latest capture is kept. The model is built by
 * `analyzeLab`, which keeps memory bounded by the lab's own traffic on large captures.
 */
export function loadLab(capture?: string): Promise<LoadedLab> {
  const file = capturePath(capture);
  const key = fileKey(file);
  const s = session();
  if (s.capture?.key !== key) {
    const lab = analyzeLab(file, path.basename(file)).then((model) => ({ lab: model, source: path.basename(file) }));
    const entry = { key, lab };
    s.capture = entry;
    lab.catch(() => {
      if (s.capture === entry) s.capture = undefined;
    });
  }
  return s.capture!.lab;
}

/** The capture's analysis (frames, connections, HTTP messages) behind the lab model. */
export async function loadAnalysis(capture?: string): Promise<CaptureAnalysis> {
  return (await loadLab(capture)).lab.analysis;
}

/** The lab model alone (what the report command needs). */
export async function loadLabModel(capture?: string): Promise<LabModel> {
  return (await loadLab(capture)).lab;
}

/** Number this notebook's figures and tables "N-1", "N-2", …; call it once, in the first code cell. */
export function startChapter(n: number | string): void {
  resetNumbering(String(n));
  session().chapterFromNotebook = true;
}

/**
 * Start a new notebook in this process: numbering from 1, no pending references. The report's
 * executor calls it before each notebook with the chapter its file name gives (a `startChapter`
 * in the notebook wins); a kernel starts fresh anyway.
 */
export function beginNotebook(defaultChapter?: string): void {
  resetNumbering(defaultChapter);
  session().chapterFromNotebook = false;
}

function resetNumbering(chapter: string | undefined): void {
  const s = session();
  s.chapter = chapter;
  s.figures = 0;
  s.tables = 0;
  s.numbers = new Map();
  s.pending = [];
}

function nextNumber(kind: 'fig' | 'tab', id: string): string {
  const s = session();
  const key = `${kind}-${id}`;
  const known = s.numbers.get(key);
  if (known) return known;
  const k = kind === 'fig' ? ++s.figures : ++s.tables;
  const n = s.chapter ? `${s.chapter}-${k}` : String(k);
  s.numbers.set(key, n);
  return n;
}

const REF = /\[(图|表)\]\(#((fig|tab)-[A-Za-z0-9_-]+)\)/g;

/** Resolve "[图](#fig-x)" against numbers known so far; unknown targets lose their link. */
export function resolveRefs(template: string, numbers: ReadonlyMap<string, string>): string {
  return template.replace(REF, (_, word: string, anchor: string) => {
    const n = numbers.get(anchor);
    return n ? `[${word} ${n}](#${anchor})` : word;
  });
}

/** Targets a text refers to. */
export function refTargets(template: string): string[] {
  return [...template.matchAll(REF)].map((m) => m[2]);
}

// ---- display bundles ----------------------------------------------------------------------------

export const VEGA_LITE_MIME = 'application/vnd.vegalite.v5+json';


interface DisplayMessage {
  data: MimeBundle;
  metadata: Record<string, unknown>;
  transient: { display_id?: string };
}
type DisplayWriter = (msg: DisplayMessage, update: boolean) => void;

/**
 * The one place that talks to the kernel. tslab's public `display.raw(type, data)` sends one MIME
 * type per message; a bundle goes through the same function it calls, the exported
 * `lastWriteDisplayData` of tslab's `jupyter` module (set by the kernel, or by the report's
 * executor, for the cell being run). It is the module the running kernel loaded: found in
 * require's cache, so a kernel started from another tslab install is still the one written to.
 */
function displayWriter(): DisplayWriter | undefined {
  const fromCache = Object.keys(require.cache)
    .filter((k) => /[\\/]tslab[\\/]dist[\\/]jupyter\.js$/.test(k))
    .map((k) => require.cache[k]?.exports as { lastWriteDisplayData?: DisplayWriter | null } | undefined)
    .find((m) => m?.lastWriteDisplayData);
  return fromCache?.lastWriteDisplayData ?? undefined;
}

/** Send one display (all MIME types of `data` together). Outside a kernel, print its `text/plain`. */
export function publish(data: MimeBundle, metadata: Record<string, unknown> = {}, displayId?: string, update = false): void {
  const write = displayWriter();
  if (write) write({ data, metadata, transient: displayId ? { display_id: displayId } : {} }, update);
  else if (typeof data['text/plain'] === 'string') process.stdout.write(`${data['text/plain']}\n`);
}

/** A Markdown display (with `text/plain` beside it). */
export function showMarkdown(markdown: string, meta?: Record<string, unknown>, displayId?: string, update = false, plain = plainText(markdown)): void {
  publish({ 'text/markdown': markdown, 'text/plain': plain }, meta ? { wirenote: meta } : {}, displayId, update);
}

function showMd(template: string, cites?: unknown[]): void {
  const s = session();
  const text = resolveRefs(template, s.numbers);
  const meta: Record<string, unknown> = { kind: 'md' };
  // The frames the text names (narrative topics): kept with the output, for checks against tshark.
  if (cites?.length) meta.cites = cites;
  if (text !== template) meta.md = template;
  const waiting = refTargets(template).filter((t) => !s.numbers.has(t));
  if (waiting.length) {
    meta.md = template;
    const displayId = `wirenote-${s.chapter ?? 0}-${++s.displays}`;
    s.pending.push({ displayId, template, ids: waiting, meta });
    showMarkdown(text, meta, displayId);
  } else showMarkdown(text, meta);
}

/** A reference shown before its target: now that `anchor` has a number, redraw what waited for it. */
function resolvePending(anchor: string): void {
  const s = session();
  for (const p of s.pending) {
    if (!p.ids.includes(anchor)) continue;
    showMarkdown(resolveRefs(p.template, s.numbers), p.meta, p.displayId, true);
  }
  s.pending = s.pending.filter((p) => p.ids.some((id) => !s.numbers.has(id)));
}

/** Caption line with the anchor cross-references point at (an `<a id>` Jupyter keeps, and the report re-creates). */
const anchorHtml = (anchor: string) => `<a id="${anchor}"></a>`;

function showTable(b: Extract<Block, { kind: 'table' }>): void {
  const anchor = `tab-${b.id}`;
  const number = nextNumber('tab', b.id);
  const { rows, omitted } = summariseRows(b.rows, b.keep, TABLE_ROW_LIMIT);
  const caption = `表 ${number}：${b.caption}`;
  const table = markdownTable(b.header, rows);
  const note = omitted ? `（共 ${b.rows.length} 行，省略 ${omitted} 行；完整的表在这个输出的 text/csv 里）` : '';
  const mdText = `${anchorHtml(anchor)}**${esc(caption)}**\n\n${table}${note ? `\n\n${esc(note)}` : ''}`;
  const data: MimeBundle = { 'text/markdown': mdText, 'text/plain': `${caption}\n${plainText(table)}${note ? `\n${note}` : ''}` };
  if (omitted) data['text/csv'] = tableCsv(b.header, b.rows);
  publish(data, { wirenote: { kind: 'table', id: b.id, number, caption: b.caption, header: b.header, rows, omitted, total: b.rows.length, ...(b.cites?.length ? { cites: b.cites } : {}) } });
  resolvePending(anchor);
}

function showFigure(b: Extract<Block, { kind: 'figure' }>): void {
  const anchor = `fig-${b.id}`;
  const number = nextNumber('fig', b.id);
  const caption = `图 ${number}：${b.caption}`;
  const spec = safeSpec(b.spec);
  const png = renderChart(spec);
  publish(
    { [VEGA_LITE_MIME]: spec, 'image/png': png.png.toString('base64'), 'text/plain': caption },
    { 'image/png': { width: png.width, height: png.height }, wirenote: { kind: 'figure', id: b.id, number, caption: b.caption } },
  );
  showMarkdown(`${anchorHtml(anchor)}*${esc(caption)}*`, { kind: 'caption', anchor }, undefined, false, caption);
  resolvePending(anchor);
}

/** The subset of tslab's `display` older notebooks passed as the first argument (ignored now). */
export interface NotebookDisplay {
  markdown(s: string): void;
  raw(contentType: string, data: string | Uint8Array): unknown;
}

/** A chapter-like value: anything with blocks. */
type Showable = Block | Block[] | { blocks: Block[] };
const isDisplay = (x: unknown): x is NotebookDisplay => typeof x === 'object' && x !== null && typeof (x as NotebookDisplay).raw === 'function' && !('kind' in x);

/**
 * Show blocks (or a chapter's blocks) in the notebook, in order, before it returns (charts are drawn
 * synchronously). `show(tslab.display, …)`, the old form, still works.
 */
export function show(...what: Array<Showable | NotebookDisplay>): void {
  const blocks: Block[] = [];
  for (const w of what) {
    if (isDisplay(w)) continue;
    if (Array.isArray(w)) blocks.push(...w);
    else if ('blocks' in w) blocks.push(...w.blocks);
    else blocks.push(w);
  }
  for (const b of blocks) {
    if (b.kind === 'md') showMd(b.md, b.cites);
    else if (b.kind === 'table') showTable(b);
    else showFigure(b);
  }
}

/** RFC 4180 CSV of a table's cells as a reader sees them (Markdown removed); a leading = + - @ is quoted away for spreadsheets. */
export function tableCsv(header: string[], rows: string[][]): string {
  const field = (s: string) => {
    let t = plainText(s).replace(/\n/g, ' ');
    if (/^[=+\-@\t\r]/.test(t)) t = `'${t}`;
    return /[",\n\r]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
  };
  return [header, ...rows].map((r) => r.map(field).join(',')).join('\r\n') + '\r\n';
}

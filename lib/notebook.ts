/**
 * Helpers for the tslab notebooks: load the chosen capture, and show a chapter's blocks with the
 * kernel's display (Markdown and native Vega-Lite). When WIRENOTE_REPORT_DIR is set (by
 * `npm run report`), the same blocks are also written there as JSON lines for the report builder.
 */
import * as fs from 'fs';
import * as path from 'path';
import { analyzeCaptureFile } from './analysis';
import { buildLab, LabModel } from './stats/lab';
import { Chapter } from './narrative/chapters';
import { Block, markdownTable } from './narrative/blocks';

/** Project root (lib/dist/notebook.js → ../..). */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
/** The committed reference capture every notebook uses unless told otherwise. */
export const DEFAULT_CAPTURE = path.join(PROJECT_ROOT, 'captures', 'first-visit-server-close.pcapng');

/** The capture to analyse: the argument, else $WIRENOTE_CAPTURE, else the reference capture. */
export function capturePath(given?: string): string {
  return path.resolve(given || process.env.WIRENOTE_CAPTURE || DEFAULT_CAPTURE);
}

export interface LoadedLab {
  lab: LabModel;
  /** File name shown in the text (not the full path: the report must not depend on where it ran). */
  source: string;
}

export async function loadLab(capture?: string): Promise<LoadedLab> {
  const file = capturePath(capture);
  const analysis = await analyzeCaptureFile(file);
  return { lab: buildLab(analysis), source: path.basename(file) };
}

/** The subset of tslab's `display` the notebooks use. */
export interface NotebookDisplay {
  markdown(s: string): void;
  raw(contentType: string, data: string | Uint8Array): unknown;
}

export const VEGA_LITE_MIME = 'application/vnd.vegalite.v5+json';

/** Show a chapter (heading + blocks) or a list of blocks in the notebook. */
export function show(display: NotebookDisplay, what: Chapter | Block[]): void {
  const blocks = Array.isArray(what) ? what : what.blocks;
  if (!Array.isArray(what)) {
    display.markdown(`## ${what.number} ${what.title}`);
    record({ chapter: what.number, title: what.title });
  }
  for (const b of blocks) {
    if (b.kind === 'md') display.markdown(b.md);
    else if (b.kind === 'table') display.markdown(`**表：${b.caption}**\n\n${markdownTable(b.header, b.rows)}`);
    else {
      display.markdown(`**图：${b.caption}**`);
      // JupyterLab renders this natively (tslab passes the object through as JSON).
      display.raw(VEGA_LITE_MIME, b.spec as unknown as string);
    }
    record({ block: b });
  }
}

function record(entry: unknown): void {
  const dir = process.env.WIRENOTE_REPORT_DIR;
  const name = process.env.WIRENOTE_NOTEBOOK;
  if (!dir || !name) return;
  fs.appendFileSync(path.join(dir, `${name}.jsonl`), JSON.stringify(entry) + '\n');
}

/**
 * Run notebooks' TypeScript cells in this process with tslab's own converter and executor — the
 * code the tslab kernel runs for each execute request, minus ZeroMQ and Jupyter — and record the
 * outputs exactly as a kernel's messages become nbformat outputs:
 * - `process.stdout/stderr.write` during a cell → `stream` outputs (tslab redirects them the same
 *   way; consecutive writes to one stream are merged, as Jupyter's front ends save them);
 * - tslab's `lastWriteDisplayData` (what `display.*` and wirenote's `publish` call) → `display_data`,
 *   and an update for a display id rewrites that display wherever it is, as nbclient does;
 * - a cell that fails (TypeScript error, exception, rejected promise) writes its message to stderr,
 *   like the kernel, and ends the notebook's run.
 *
 * Why in-process: the report used to start one kernel per notebook through nbconvert (≈ 2.3–3.8 s
 * each, mostly Python and kernel start-up). One TypeScript converter (≈ 1 s to create) serves every
 * notebook; between notebooks the executor's declarations are reset (tslab's `reset`), so names
 * a notebook declares never leak into the next, and the lab model is shared (`loadLab`'s cache).
 * A test compares these outputs with those of the real kernel under nbclient.
 */
import * as fs from 'fs';
import * as path from 'path';
import { beginNotebook, PROJECT_ROOT } from '../notebook';
import { CodeCell, Notebook, Output } from './ipynb';
import { warmUpRenderer } from './render';

/* eslint-disable @typescript-eslint/no-var-requires */
interface TslabExecutor {
  execute(src: string): Promise<boolean>;
  reset(): void;
  interrupt(): void;
}
interface TslabConverter {
  close(): void;
}
type DisplayMsg = { data: Record<string, unknown>; metadata?: Record<string, unknown>; transient?: { display_id?: string } };

export interface RunOptions {
  /** Chapter number for figure/table numbers unless the notebook calls `startChapter`. */
  chapter?: string;
  /** Folder the cells run in (relative paths in cells); default the notebook's own. */
  cwd?: string;
  /** Give up on a cell after this long (an awaited promise that never settles). */
  cellTimeoutMs?: number;
}

export interface CellFailure {
  /** Index of the cell in the notebook. */
  cell: number;
  /** What the cell wrote to stderr (the TypeScript diagnostics or the exception). */
  message: string;
}

export interface RunResult {
  nb: Notebook;
  failure?: CellFailure;
  /** Milliseconds per code cell. */
  times: number[];
}

/** tslab's `language_info`, as its kernel announces it (nbclient stores it in the notebook). */
export function tslabLanguageInfo(): Record<string, unknown> {
  const { JupyterHandlerImpl } = require('tslab/dist/jupyter');
  return new JupyterHandlerImpl(null, false).handleKernel().language_info;
}

export class NotebookSession {
  private readonly converter: TslabConverter;
  private readonly executor: TslabExecutor;
  private readonly jupyter: { lastWriteDisplayData: ((m: DisplayMsg, update: boolean) => void) | null };
  private closed = false;

  /** Create the TypeScript converter (about a second), with module resolution from the project. */
  constructor() {
    warmUpRenderer();
    const here = process.cwd();
    // The converter resolves `import … from 'wirenote'` (types) from the folder it is created in,
    // the executor (`require`) from its root: both the project's, wherever a notebook lives.
    process.chdir(PROJECT_ROOT);
    try {
      const { createConverter } = require('tslab/dist/converter');
      const { createExecutor } = require('tslab/dist/executor');
      this.converter = createConverter({ isJS: false, isBrowser: false });
      const convs = { node: this.converter, browser: this.converter, close: () => this.converter.close() };
      this.executor = createExecutor(PROJECT_ROOT, convs, { log: (...a: unknown[]) => console.log(...a), error: (...a: unknown[]) => console.error(...a) });
    } finally {
      process.chdir(here);
    }
    this.jupyter = require('tslab/dist/jupyter');
  }

  /** Execute every code cell of `nb` in order (a copy is returned; `nb` is not changed). */
  async run(input: Notebook, file: string, o: RunOptions = {}): Promise<RunResult> {
    if (this.closed) throw new Error('session closed');
    const nb: Notebook = JSON.parse(JSON.stringify(input));
    this.executor.reset();
    beginNotebook(o.chapter);
    nb.metadata.language_info = tslabLanguageInfo();
    const displays = new Map<string, Array<{ cell: CodeCell; index: number }>>();
    const times: number[] = [];
    let count = 0;
    let failure: CellFailure | undefined;
    const here = process.cwd();
    process.chdir(o.cwd ?? path.dirname(path.resolve(file)));
    try {
      for (let i = 0; i < nb.cells.length; i++) {
        const cell = nb.cells[i];
        if (cell.cell_type !== 'code') continue;
        cell.outputs = [];
        cell.execution_count = null;
        if (failure) continue;
        if (!cell.source.trim()) continue;
        cell.execution_count = ++count;
        const t = Date.now();
        const { ok, stderr } = await this.runCell(cell, displays, o.cellTimeoutMs ?? 600_000);
        times.push(Date.now() - t);
        if (!ok) failure = { cell: i, message: stderr.trim() || 'the cell failed' };
      }
    } finally {
      process.chdir(here);
    }
    return { nb, failure, times };
  }

  private async runCell(cell: CodeCell, displays: Map<string, Array<{ cell: CodeCell; index: number }>>, timeoutMs: number): Promise<{ ok: boolean; stderr: string }> {
    const outs = cell.outputs;
    let stderr = '';
    const stream = (name: 'stdout' | 'stderr') => (chunk: string | Uint8Array, enc?: unknown, cb?: unknown): boolean => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      if (name === 'stderr') stderr += text;
      const last = outs[outs.length - 1];
      if (last?.output_type === 'stream' && last.name === name) last.text += text;
      else outs.push({ output_type: 'stream', name, text });
      const done = typeof enc === 'function' ? enc : cb;
      if (typeof done === 'function') (done as () => void)();
      return true;
    };
    const display = (msg: DisplayMsg, update: boolean) => {
      const out: Output = { output_type: 'display_data', data: msg.data, metadata: msg.metadata ?? {} };
      const id = msg.transient?.display_id;
      if (update) {
        for (const at of id ? displays.get(id) ?? [] : []) at.cell.outputs[at.index] = { ...out };
        return;
      }
      outs.push(out);
      if (id) displays.set(id, [...(displays.get(id) ?? []), { cell, index: outs.length - 1 }]);
    };
    const saved = { out: process.stdout.write, err: process.stderr.write, display: this.jupyter.lastWriteDisplayData };
    const onRejection = (reason: unknown) => console.error('UnhandledPromiseRejection:', reason);
    process.stdout.write = stream('stdout') as typeof process.stdout.write;
    process.stderr.write = stream('stderr') as typeof process.stderr.write;
    this.jupyter.lastWriteDisplayData = display;
    process.on('unhandledRejection', onRejection);
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => {
          this.executor.interrupt();
          console.error(`the cell did not finish within ${Math.round(timeoutMs / 1000)} s`);
          resolve(false);
        }, timeoutMs);
      });
      const ok = await Promise.race([this.executor.execute(cell.source), timeout]);
      return { ok, stderr };
    } finally {
      clearTimeout(timer);
      process.off('unhandledRejection', onRejection);
      process.stdout.write = saved.out;
      process.stderr.write = saved.err;
      this.jupyter.lastWriteDisplayData = saved.display;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.converter.close();
  }
}

/** The notebooks of a folder, in name order. */
export function listNotebooks(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.ipynb') && !f.startsWith('.'))
    .sort()
    .map((f) => path.join(dir, f));
}

/** Chapter number from a file name ("03-handshake.ipynb" → "3"). */
export function chapterFromFile(file: string): string | undefined {
  const m = /^(\d+)/.exec(path.basename(file));
  return m ? String(Number(m[1])) : undefined;
}

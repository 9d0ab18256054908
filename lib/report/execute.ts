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
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { beginNotebook, PROJECT_ROOT } from '../notebook';
import { CodeCell, injectParameters, Notebook, Output, parameterTemplate } from './ipynb';
import { warmUpRenderer } from './render';

/* eslint-disable @typescript-eslint/no-var-requires */
interface TslabExecutor {
  execute(src: string): Promise<boolean>;
  reset(): void;
  interrupt(): void;
}
interface Converted {
  output?: string;
  declOutput?: string;
  diagnostics: unknown[];
  hasToplevelAwait?: boolean;
  sideOutputs?: unknown[];
  lastExpressionVar?: string;
}
interface TslabConverter {
  convert(prevDecl: string, src: string): Converted;
  inspect(prevDecl: string, src: string, position: number): unknown;
  complete(prevDecl: string, src: string, position: number): unknown;
  addModule(name: string, src: string, meta?: unknown): unknown[];
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

/**
 * Compiled cells, on disk: what tslab's converter returned for (declarations so far, cell source),
 * when it returned no diagnostic. A report run whose notebooks' code has not changed since the last
 * one never creates the converter (≈ 1 s) nor type-checks a cell. The key covers everything the
 * result depends on: tslab's and TypeScript's versions, Node's, wirenote's type declarations
 * (lib/dist/**\/*.d.ts) and the installed packages (package-lock.json). Cells that import a local
 * file are not cached (its content is not in the key). WIRENOTE_COMPILE_CACHE=0 turns it off.
 */
class CompileCache {
  private constructor(
    private readonly dir: string,
    private readonly salt: string,
  ) {}

  static open(): CompileCache | undefined {
    if (process.env.WIRENOTE_COMPILE_CACHE === '0') return undefined;
    const dir = path.join(PROJECT_ROOT, 'node_modules', '.cache', 'wirenote', 'tslab-cells');
    try {
      fs.mkdirSync(dir, { recursive: true });
      fs.accessSync(dir, fs.constants.W_OK);
    } catch {
      return undefined;
    }
    const h = crypto.createHash('sha256');
    h.update(`tslab ${require('tslab/package.json').version}\0ts ${require('@tslab/typescript-for-tslab/package.json').version}\0node ${process.version}\0`);
    for (const f of [path.join(PROJECT_ROOT, 'package-lock.json'), ...declarationFiles(path.join(PROJECT_ROOT, 'lib', 'dist'))]) {
      h.update(f);
      h.update('\0');
      try {
        h.update(fs.readFileSync(f));
      } catch {
        h.update('missing');
      }
    }
    return new CompileCache(dir, h.digest('hex'));
  }

  private file(prevDecl: string, src: string): string {
    return path.join(this.dir, `${crypto.createHash('sha256').update(this.salt).update('\0').update(prevDecl).update('\0').update(src).digest('hex')}.json`);
  }

  get(prevDecl: string, src: string): Converted | undefined {
    try {
      return JSON.parse(fs.readFileSync(this.file(prevDecl, src), 'utf8'));
    } catch {
      return undefined;
    }
  }

  /**
   * A cell's compiled form as running it would take it from the cache: an injected-parameters cell
   * by its template (one entry per declaration shape), with this run's values put back in.
   */
  cached(prevDecl: string, src: string): Converted | undefined {
    const t = parameterTemplate(src);
    const hit = this.get(prevDecl, t ? t.template : src);
    if (!hit || (t && hit.output === undefined)) return undefined;
    if (t) hit.output = hit.output!.replace(/__wirenote_parameter_(\d+)__/g, (_, i: string) => t.literals[Number(i)]);
    return hit;
  }

  put(prevDecl: string, src: string, c: Converted): void {
    if (c.diagnostics.length || c.sideOutputs?.length || importsLocalFile(src)) return;
    const file = this.file(prevDecl, src);
    try {
      fs.writeFileSync(`${file}.${process.pid}`, JSON.stringify(c));
      fs.renameSync(`${file}.${process.pid}`, file);
    } catch {
      // A cache that cannot be written only costs time.
    }
  }
}

/** A cell that imports a file of its own folder: never cached (that file's content is not in the key). */
function importsLocalFile(src: string): boolean {
  return /\b(from|require\(|import\()\s*['"]\.{1,2}[\\/]/.test(src);
}

/** The sources of the cells a session compiles, in order: non-empty code cells that tslab runs in Node. */
function compiledCellSources(nb: Notebook): string[] {
  const { getCodeMetadata } = require('tslab/dist/metadata');
  return nb.cells
    .filter((c) => c.cell_type === 'code' && c.source.trim())
    .map((c) => c.source)
    .filter((src) => {
      const meta = getCodeMetadata(src);
      return !meta.module && meta.mode !== 'browser';
    });
}

function declarationFiles(dir: string): string[] {
  const out: string[] = [];
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...declarationFiles(p));
    else if (e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/**
 * Whether every cell of `nb` is in the compile cache already (looked up as a session's `run` would,
 * without TypeScript). False at the first cell that is not; true when there is no cache.
 */
export function inCompileCache(nb: Notebook): boolean {
  const cache = CompileCache.open();
  if (!cache) return true;
  let prevDecl = '';
  for (const src of compiledCellSources(nb)) {
    // What follows a cell importing a local file cannot be known here.
    if (importsLocalFile(src)) return true;
    const hit = cache.cached(prevDecl, src);
    if (!hit) return false;
    prevDecl = hit.declOutput ?? '';
  }
  return true;
}

export class NotebookSession {
  private converter: TslabConverter | undefined;
  private readonly executor: TslabExecutor;
  private readonly jupyter: { lastWriteDisplayData: ((m: DisplayMsg, update: boolean) => void) | null };
  private readonly cache: CompileCache | undefined;
  private readonly node: { convert(prevDecl: string, src: string): Converted };
  private closed = false;
  /** Cells compiled by tslab's converter / taken from the compile cache, in this session. */
  readonly compiled = { converted: 0, cached: 0 };

  /**
   * The executor; tslab's TypeScript converter only when a cell is not in the compile cache. Module
   * resolution is the project's: the converter resolves `import … from 'wirenote'` (types) from the
   * folder it is created in, the executor (`require`) from its root — wherever a notebook lives.
   */
  constructor() {
    warmUpRenderer();
    this.cache = CompileCache.open();
    const real = (): TslabConverter => {
      if (!this.converter) {
        const here = process.cwd();
        process.chdir(PROJECT_ROOT);
        try {
          this.converter = require('tslab/dist/converter').createConverter({ isJS: false, isBrowser: false }) as TslabConverter;
        } finally {
          process.chdir(here);
        }
      }
      return this.converter;
    };
    const node = {
      convert: (prevDecl: string, src: string): Converted => {
        // Injected parameters: one cache entry per declaration shape, the values put back in.
        const hit = this.cache?.cached(prevDecl, src);
        if (hit) {
          this.compiled.cached++;
          return hit;
        }
        const t = parameterTemplate(src);
        this.compiled.converted++;
        const c = real().convert(prevDecl, src);
        if (!t) this.cache?.put(prevDecl, src, c);
        else if (c.output !== undefined && !c.diagnostics.length) {
          // The literals appear once each in the emitted code (TypeScript keeps a literal's text), never in the declarations.
          let output = c.output;
          const ok = t.literals.every((l, i) => {
            const at = output.indexOf(` = ${l};`);
            if (at < 0 || output.indexOf(` = ${l};`, at + 1) >= 0 || (c.declOutput ?? '').includes(l)) return false;
            output = output.slice(0, at) + ` = __wirenote_parameter_${i}__;` + output.slice(at + l.length + 4);
            return true;
          });
          if (ok) this.cache?.put(prevDecl, t.template, { ...c, output });
        }
        return c;
      },
      inspect: (prevDecl: string, src: string, position: number) => real().inspect(prevDecl, src, position),
      complete: (prevDecl: string, src: string, position: number) => real().complete(prevDecl, src, position),
      addModule: (name: string, src: string, meta?: unknown) => real().addModule(name, src, meta),
    };
    this.node = node;
    const { createExecutor } = require('tslab/dist/executor');
    const convs = { node, browser: node, close: () => this.converter?.close() };
    this.executor = createExecutor(PROJECT_ROOT, convs, { log: (...a: unknown[]) => console.log(...a), error: (...a: unknown[]) => console.error(...a) });
    this.jupyter = require('tslab/dist/jupyter');
  }

  /**
   * Type-check and compile a notebook's cells into the compile cache without running them (what
   * running it would compile: each cell against the declarations of the cells before it). Stops at
   * the first cell with a diagnostic; returns how many cells compiled.
   */
  precompile(nb: Notebook, parameters?: Record<string, string>): number {
    if (parameters) nb = injectParameters(nb, parameters).nb;
    let prevDecl = '';
    let n = 0;
    for (const src of compiledCellSources(nb)) {
      const c = this.node.convert(prevDecl, src);
      if (c.diagnostics.length) break;
      prevDecl = c.declOutput ?? '';
      n++;
    }
    return n;
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
    this.converter?.close();
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

/**
 * The PDF, printed by Chromium on a thread of its own: playwright-core takes a few hundred
 * milliseconds to load and Chromium a second to start, so `PdfPrinter` starts both on a worker
 * thread at once, while the notebooks run, and `print` hands it the finished HTML (printed by
 * print.ts: header, footer, contents with page numbers).
 */
import * as path from 'path';
import { Worker } from 'worker_threads';
import type { PrintOptions } from './print';

/** Chromium's flags for printing: no sandbox (root, containers), nothing fetched, nothing synced. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];

type Reply = { type: 'ready' } | { type: 'done'; pages: number } | { type: 'error'; message: string };

export class PdfPrinter {
  private readonly worker: Worker;
  private readonly replies: Reply[] = [];
  private waiting?: (r: Reply) => void;
  private exited = false;

  constructor(executablePath: string) {
    this.worker = new Worker(path.join(__dirname, 'pdf-worker.js'), { workerData: { executablePath, args: CHROMIUM_ARGS } });
    this.worker.on('message', (r: Reply) => this.deliver(r));
    this.worker.on('error', (e) => this.deliver({ type: 'error', message: e.message }));
    this.worker.on('exit', () => {
      this.exited = true;
      this.deliver({ type: 'error', message: 'the printing thread stopped' });
    });
  }

  private deliver(r: Reply): void {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w(r);
    } else this.replies.push(r);
  }

  private next(): Promise<Reply> {
    const r = this.replies.shift();
    return r ? Promise.resolve(r) : new Promise((resolve) => (this.waiting = resolve));
  }

  /** Print `html` to `options.path`; resolves with the page count, rejects with Chromium's message. */
  async print(html: string, options: PrintOptions & { path: string }): Promise<number> {
    let r = await this.next();
    if (r.type === 'ready') {
      this.worker.postMessage({ type: 'print', html, options });
      r = await this.next();
    }
    if (r.type === 'error') throw new Error(r.message);
    if (r.type !== 'done') throw new Error('unexpected reply from the printing thread');
    return r.pages;
  }

  /** Close Chromium and the thread. */
  async close(): Promise<void> {
    if (this.exited) return;
    this.worker.postMessage({ type: 'close' });
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => void this.worker.terminate().then(() => resolve()), 10000);
      this.worker.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}

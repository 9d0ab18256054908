/**
 * Charts as pictures, in-process: Vega-Lite → Vega → SVG (vega's headless renderer, no canvas),
 * and SVG → PNG with sharp (librsvg; fonts through fontconfig, so the system's Noto CJK font draws
 * the Chinese labels).
 *
 * Why sharp and not @resvg/resvg-js: measured on the reference capture's six charts, resvg-js 2.6
 * took 6.5–12 s (about 1 s per chart: for every text run it re-reads the 19 MB Noto CJK .ttc file;
 * 4.2 s for the 43 labels of the flow graph alone), sharp 0.13–0.2 s for all six at 2×, with the
 * same pixels. A Chromium screenshot took 2 s including the browser's start.
 *
 * Both libraries only offer promises, but `show()` in a notebook must be synchronous: tslab waits
 * for a cell only when it has a top-level `await`, and an output that arrives after the kernel
 * has answered is lost by nbclient. So drawing runs on a worker thread (started once, loading vega
 * and sharp while the main thread does other work) and the caller waits for it with Atomics.wait.
 * Results are memoised by the spec's JSON: a report draws each chart once, for the notebook's PNG,
 * and reuses the SVG for the HTML/PDF.
 */
import * as path from 'path';
import { MessageChannel, MessagePort, receiveMessageOnPort, Worker } from 'worker_threads';
import { VegaLiteSpec } from '../charts';
import { visible } from '../narrative/blocks';

export interface RenderedChart {
  /** Sanitised SVG (vector: the HTML report and the PDF embed it). */
  svg: string;
  png: Buffer;
  /** Size in CSS pixels; the PNG has `PNG_SCALE` × as many. */
  width: number;
  height: number;
  /** What Vega-Lite said about the spec while compiling it (not printed: see render-worker.ts). */
  warnings: string[];
}

/** Pixels per SVG unit in the PNG: sharp on high-DPI screens and in print. */
export const PNG_SCALE = 2;
const TIMEOUT_MS = 120_000;
const CACHE_LIMIT = 64;

interface Renderer {
  worker: Worker;
  port: MessagePort;
  signal: Int32Array;
  seq: number;
}
let renderer: Renderer | undefined;
const cache = new Map<string, RenderedChart>();

/** Start the drawing thread now (it loads vega and sharp in parallel with whatever comes next). */
export function warmUpRenderer(): void {
  if (renderer) return;
  const { port1, port2 } = new MessageChannel();
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(path.join(__dirname, 'render-worker.js'), { workerData: { port: port2, signal, scale: PNG_SCALE }, transferList: [port2] });
  worker.unref();
  port1.unref();
  worker.on('error', () => {
    renderer = undefined;
  });
  renderer = { worker, port: port1, signal, seq: 0 };
}

/**
 * A chart's strings with every control, bidi and zero-width character made visible (`<U+202E>`),
 * as in the text: labels come from the capture, and XML cannot carry most control characters at all
 * (librsvg refuses the SVG), while a bidi override would silently reorder what a label says.
 */
export function safeSpec(spec: VegaLiteSpec): VegaLiteSpec {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return visible(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [visible(k), walk(x)]));
    return v;
  };
  return walk(spec) as VegaLiteSpec;
}

/** Draw a chart (synchronously; see the module comment). Throws if drawing fails. */
export function renderChart(spec: VegaLiteSpec): RenderedChart {
  const key = JSON.stringify(safeSpec(spec));
  const hit = cache.get(key);
  if (hit) return hit;
  warmUpRenderer();
  const r = renderer!;
  const id = ++r.seq;
  Atomics.store(r.signal, 0, 0);
  r.worker.postMessage({ id, spec: key });
  let reply: { id: number; svg?: string; png?: Uint8Array; width?: number; height?: number; error?: string; warnings: string[] } | undefined;
  const deadline = Date.now() + TIMEOUT_MS;
  while (!reply) {
    const m = receiveMessageOnPort(r.port);
    if (m) {
      if (m.message.id === id) reply = m.message;
      continue;
    }
    if (Date.now() > deadline) throw new Error('drawing a chart took longer than 120 s');
    Atomics.wait(r.signal, 0, 0, 50);
    Atomics.store(r.signal, 0, 0);
  }
  if (reply.error !== undefined) throw new Error(`cannot draw the chart: ${reply.error}`);
  const chart: RenderedChart = { svg: reply.svg!, png: Buffer.from(reply.png!), width: reply.width!, height: reply.height!, warnings: reply.warnings };
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(key, chart);
  return chart;
}

/** Vega-Lite → SVG (kept for callers that want a promise). */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  return renderChart(spec).svg;
}

/**
 * Vega writes text with entity escaping; as a second line of defence drop anything in the SVG
 * that could run or load: script and foreignObject elements, event-handler attributes, and every
 * href that is not a local fragment (the report loads nothing).
 */
export function sanitizeSvg(svg: string): string {
  return svg
    .replace(/<script[\s\S]*?<\/script>/gi, '')
    .replace(/<foreignObject[\s\S]*?<\/foreignObject>/gi, '')
    .replace(/\son[a-z]+\s*=\s*("[^"]*"|'[^']*')/gi, '')
    .replace(/((?:xlink:)?href\s*=\s*["'])\s*(?!#)[^"']*/gi, '$1#');
}

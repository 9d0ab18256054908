/**
 * The drawing thread behind `renderChart` (render.ts): Vega-Lite → Vega → SVG → PNG, one request
 * at a time. Each reply goes to the MessagePort the caller polls, then the shared signal wakes it.
 */
import { MessagePort, parentPort, workerData } from 'worker_threads';
import { sanitizeSvg } from './render';
import { renderSvg } from '../charts/render';

const { port, signal, scale } = workerData as { port: MessagePort; signal: Int32Array; scale: number };

// Vega-Lite's warnings about a spec would reach the caller's stderr at a random later moment (a
// worker's output is forwarded asynchronously): in a notebook, as a stray stderr output of some
// later cell. They go back with the chart instead.
let warnings: string[] = [];
for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) console[level] = (...a: unknown[]) => void warnings.push(a.map(String).join(' '));

// eslint-disable-next-line @typescript-eslint/no-var-requires
const sharp = require('sharp');

async function draw(specJson: string) {
  // renderSvg replaces Vega's text-width estimate with one that knows CJK ideographs are 1 em.
  const svg = sanitizeSvg(await renderSvg(JSON.parse(specJson)));
  const { data, info } = await sharp(Buffer.from(svg), { density: 72 * scale }).png().toBuffer({ resolveWithObject: true });
  return { svg, png: new Uint8Array(data.buffer, data.byteOffset, data.length), width: Math.round(info.width / scale), height: Math.round(info.height / scale) };
}

parentPort!.on('message', async ({ id, spec }: { id: number; spec: string }) => {
  warnings = [];
  try {
    port.postMessage({ id, ...(await draw(spec)), warnings });
  } catch (e) {
    port.postMessage({ id, error: e instanceof Error ? e.message : String(e), warnings });
  }
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
});

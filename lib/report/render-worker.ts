/**
 * The drawing thread behind `renderChart` (render.ts): Vega-Lite → Vega → SVG → PNG, one request
 * at a time. Each reply goes to the MessagePort the caller polls, then the shared signal wakes it.
 */
import { MessagePort, parentPort, workerData } from 'worker_threads';
import { sanitizeSvg } from './render';
import { renderSvg } from '../charts/render';

const { port, signal, scale } = workerData as { port: MessagePort; signal: Int32Array; scale: number };

// eslint-disable-next-line @typescript-eslint/no-var-requires
const sharp = require('sharp');

async function draw(specJson: string) {
  // renderSvg replaces Vega's text-width estimate with one that knows CJK ideographs are 1 em.
  const svg = sanitizeSvg(await renderSvg(JSON.parse(specJson)));
  const { data, info } = await sharp(Buffer.from(svg), { density: 72 * scale }).png().toBuffer({ resolveWithObject: true });
  return { svg, png: new Uint8Array(data.buffer, data.byteOffset, data.length), width: Math.round(info.width / scale), height: Math.round(info.height / scale) };
}

parentPort!.on('message', async ({ id, spec }: { id: number; spec: string }) => {
  try {
    port.postMessage({ id, ...(await draw(spec)) });
  } catch (e) {
    port.postMessage({ id, error: e instanceof Error ? e.message : String(e) });
  }
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
});

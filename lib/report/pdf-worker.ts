/**
 * The printing thread behind `PdfPrinter` (pdf.ts): start Chromium and open a page, say "ready",
 * print the HTML it is sent, close on request.
 */
import { parentPort, workerData } from 'worker_threads';
import { printPdf, PrintPage } from './print';

const { executablePath, args } = workerData as { executablePath: string; args: string[] };

interface Browser {
  newPage(): Promise<PrintPage>;
  close(): Promise<void>;
}

async function main(): Promise<void> {
  let browser: Browser | undefined;
  let page: PrintPage | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { chromium } = require('playwright-core');
    browser = (await chromium.launch({ executablePath, args })) as Browser;
    page = await browser.newPage();
    parentPort!.postMessage({ type: 'ready' });
  } catch (e) {
    parentPort!.postMessage({ type: 'error', message: e instanceof Error ? e.message.split('\n')[0] : String(e) });
  }
  parentPort!.on('message', async (m: { type: 'print'; html: string; options: Parameters<typeof printPdf>[2] } | { type: 'close' }) => {
    if (m.type === 'close') {
      await browser?.close().catch(() => undefined);
      parentPort!.close();
      return;
    }
    try {
      const r = await printPdf(page!, m.html, m.options);
      parentPort!.postMessage({ type: 'done', pages: r.pages });
    } catch (e) {
      parentPort!.postMessage({ type: 'error', message: e instanceof Error ? e.message.split('\n')[0] : String(e) });
    }
  });
}

void main();

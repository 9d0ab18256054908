/**
 * The interactive path for real: `wirenote notebook` (what `npm run notebook` runs) registers the
 * kernel and starts Debian's Jupyter Notebook 6; Chromium (playwright-core) opens every notebook,
 * runs all cells with the real tslab kernel, and the page must show no error output, every chart
 * as a drawn image of non-zero size (Notebook 6 has no Vega-Lite renderer: the PNG of the bundle),
 * Chinese text, and cross-references whose anchors exist in the page.
 * The notebooks run from copies with their outputs cleared (in the project, so they import wirenote).
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { Notebook, readNotebook, writeNotebook } from '../lib';
import { ROOT } from './support/tshark';
import { miniChart } from './support/mini-chart';

const BIN = path.join(ROOT, 'lib', 'bin', 'wirenote.js');
const NOTEBOOKS = path.join(ROOT, 'notebooks');
const files = fs.readdirSync(NOTEBOOKS).filter((f) => f.endsWith('.ipynb')).sort();
/** Our own notebook besides the committed ones: a cross-reference shown before its chart (a display update). */
const OWN = '90-refs.ipynb';
const MINI = miniChart();
const ownNotebook: Notebook = {
  cells: [
    { cell_type: 'markdown', id: 't', metadata: {}, source: '# 第 90 章 引用' },
    { cell_type: 'code', id: 'a', metadata: {}, execution_count: null, outputs: [], source: `import { show, md, figure, startChapter } from 'wirenote';\nstartChapter(90);\nshow(md('先看[图](#fig-mini)，它在后面。'));` },
    { cell_type: 'code', id: 'b', metadata: {}, execution_count: null, outputs: [], source: `show(figure(${MINI}));` },
  ],
  metadata: { kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' } },
  nbformat: 4,
  nbformat_minor: 5,
};

function reasonToSkip(): string | undefined {
  if (spawnSync('sh', ['-c', 'command -v jupyter-notebook']).status !== 0) return 'jupyter-notebook is not installed';
  if (!fs.existsSync('/usr/bin/chromium')) return 'chromium is not installed';
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

(reasonToSkip() ? describe.skip : describe)('npm run notebook: every notebook runs in Jupyter Notebook in Chromium', () => {
  const copy = path.join(ROOT, '.jupyter', `browser-test-${process.pid}`);
  let server: ChildProcess;
  let url = '';
  let log = '';
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let browser: any;

  beforeAll(async () => {
    fs.mkdirSync(copy, { recursive: true });
    for (const f of files) {
      const nb = readNotebook(path.join(NOTEBOOKS, f));
      for (const c of nb.cells)
        if (c.cell_type === 'code') {
          c.outputs = [];
          c.execution_count = null;
        }
      writeNotebook(path.join(copy, f), nb);
    }
    writeNotebook(path.join(copy, OWN), ownNotebook);
    const port = await freePort();
    const env = { ...process.env };
    delete env.WIRENOTE_CAPTURE;
    server = spawn(process.execPath, [BIN, 'notebook', '--no-browser', '--port', String(port), '--dir', copy], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (d) => (log += d));
    server.stderr!.on('data', (d) => (log += d));
    url = await until('the server address', () => /(http:\/\/127\.0\.0\.1:\d+)\/tree\?token=(\w+)/.exec(log)?.[0], 30000);
    const [, base, token] = /(http:\/\/127\.0\.0\.1:\d+)\/tree\?token=(\w+)/.exec(url)!;
    await until('Jupyter to answer', async () => (await fetch(`${base}/api/status?token=${token}`).catch(() => undefined))?.ok, 60000);
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { chromium } = require('playwright-core');
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'] });
  }, 120000);

  afterAll(async () => {
    await browser?.close();
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
    fs.rmSync(copy, { recursive: true, force: true });
  }, 60000);

  test('the server listens on 127.0.0.1 with a token', () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/tree\?token=[0-9a-f]{48}$/);
  });

  test.each([...files, OWN])('%s: run all cells — no error output, every chart drawn, Chinese text, live cross-references', async (f) => {
    const [, base, token] = /(http:\/\/127\.0\.0\.1:\d+)\/tree\?token=(\w+)/.exec(url)!;
    const expectedCharts =
      f === OWN
        ? 1
        : readNotebook(path.join(NOTEBOOKS, f))
            .cells.flatMap((c) => (c.cell_type === 'code' ? c.outputs : []))
            .filter((o) => o.output_type === 'display_data' && o.data['image/png'] !== undefined).length;
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e: Error) => pageErrors.push(String(e)));
    try {
      await page.goto(`${base}/notebooks/${encodeURIComponent(f)}?token=${token}`);
      await page.waitForFunction(() => {
        const J = (window as unknown as { Jupyter?: { notebook?: { kernel?: { is_connected(): boolean }; _fully_loaded?: boolean } } }).Jupyter;
        return J?.notebook?._fully_loaded && J.notebook.kernel?.is_connected();
      }, undefined, { timeout: 60000 });
      await page.evaluate(() => (window as unknown as { Jupyter: { notebook: { execute_all_cells(): void } } }).Jupyter.notebook.execute_all_cells());
      // Done when every code cell has its execution count and the kernel is idle.
      await page.waitForFunction(
        () => {
          const nb = (window as unknown as { Jupyter: { notebook: { kernel_busy: boolean; get_cells(): Array<{ cell_type: string; input_prompt_number: unknown }> } } }).Jupyter.notebook;
          const code = nb.get_cells().filter((c) => c.cell_type === 'code');
          return !nb.kernel_busy && code.every((c) => typeof c.input_prompt_number === 'number');
        },
        undefined,
        { timeout: 120000, polling: 250 },
      );
      await page.waitForFunction(() => [...document.querySelectorAll('.output_area img')].every((i) => (i as HTMLImageElement).complete), undefined, { timeout: 30000 });
      const seen = await page.evaluate(() => ({
        errors: [...document.querySelectorAll('.output_stderr, .output_error')].map((e) => (e.textContent ?? '').slice(0, 300)),
        images: [...document.querySelectorAll('.output_area .output_png img')].map((i) => {
          const r = i.getBoundingClientRect();
          return { natural: (i as HTMLImageElement).naturalWidth * (i as HTMLImageElement).naturalHeight, shown: r.width * r.height };
        }),
        chinese: /[\u4e00-\u9fff]{4}/.test([...document.querySelectorAll('.output_area')].map((e) => e.textContent).join('')),
        links: document.querySelectorAll('.output_area a[href^="#fig-"], .output_area a[href^="#tab-"]').length,
        dead: [...document.querySelectorAll('.output_area a[href^="#"], .text_cell_render a[href^="#"]')].map((a) => decodeURIComponent(a.getAttribute('href')!.slice(1))).filter((id) => !document.getElementById(id)),
      }));
      expect(seen.errors).toEqual([]);
      expect(pageErrors).toEqual([]);
      expect(seen.images).toHaveLength(expectedCharts);
      for (const i of seen.images) {
        expect(i.natural).toBeGreaterThan(10000);
        expect(i.shown).toBeGreaterThan(10000);
      }
      expect(seen.chinese).toBe(true);
      expect(seen.dead).toEqual([]);
      if (f === OWN) expect(seen.links).toBe(1); // "[图 90-1](#fig-mini)", resolved by a display update
      if (process.env.WIRENOTE_SHOTS) await page.screenshot({ path: path.join(process.env.WIRENOTE_SHOTS, `${f}.png`), fullPage: true });
    } finally {
      await page.close();
    }
  }, 200000);
});

#!/usr/bin/env node
/**
 * npm run report [-- --capture FILE] [--out DIR] [--with-code]
 *
 * Executes every notebook in notebooks/ fresh under the tslab kernel (Jupyter's nbconvert /
 * nbclient), on the chosen capture, then writes to report/ (or DIR): 实验报告.md (+ figures/),
 * a self-contained 实验报告.html and 实验报告.pdf (Chromium). Fails loudly if any cell errors.
 */
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.join(__dirname, '..');
const NOTEBOOKS = path.join(ROOT, 'notebooks');
const TITLE = '实验二：分析浏览器与 Web 服务器的交互过程';

function parseArgs(argv) {
  const o = { capture: undefined, out: path.join(ROOT, 'report'), withCode: false, pdf: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--capture') o.capture = path.resolve(argv[++i]);
    else if (a === '--out') o.out = path.resolve(argv[++i]);
    else if (a === '--with-code') o.withCode = true;
    else if (a === '--no-pdf') o.pdf = false;
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

/** A Jupyter kernel spec for tslab inside the project (what `tslab install --prefix` writes). */
function kernelDir() {
  const dir = path.join(ROOT, '.jupyter-kernel');
  const spec = path.join(dir, 'share', 'jupyter', 'kernels', 'tslab');
  fs.mkdirSync(spec, { recursive: true });
  const bin = path.join(ROOT, 'node_modules', '.bin', 'tslab');
  fs.writeFileSync(path.join(spec, 'kernel.json'), JSON.stringify({ argv: [bin, 'kernel', '--config-path', '{connection_file}'], display_name: 'TypeScript', language: 'typescript' }, null, 1));
  return path.join(dir, 'share', 'jupyter');
}

function fail(msg) {
  console.error(`report: ${msg}`);
  process.exit(1);
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const wn = require('wirenote');
  const capture = wn.capturePath(o.capture);
  if (!fs.existsSync(capture)) fail(`capture not found: ${capture}`);
  if (spawnSync('jupyter-nbconvert', ['--version']).status !== 0) fail('jupyter-nbconvert is missing: apt-get install jupyter-nbconvert python3-nbclient');
  const jupyterPath = kernelDir();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'wirenote-report-'));
  const executed = path.join(o.out, 'notebooks');
  fs.mkdirSync(executed, { recursive: true });

  const chapters = [];
  for (const nb of fs.readdirSync(NOTEBOOKS).filter((f) => f.endsWith('.ipynb')).sort()) {
    const name = nb.replace(/\.ipynb$/, '');
    process.stdout.write(`report: running ${nb} … `);
    const r = spawnSync('jupyter-nbconvert', ['--to', 'notebook', '--execute', '--ExecutePreprocessor.timeout=600', '--output-dir', executed, path.join(NOTEBOOKS, nb)], {
      cwd: NOTEBOOKS,
      encoding: 'utf8',
      env: { ...process.env, JUPYTER_PATH: jupyterPath, WIRENOTE_CAPTURE: capture, WIRENOTE_REPORT_DIR: work, WIRENOTE_NOTEBOOK: name },
    });
    if (r.status !== 0) {
      console.log('failed');
      fail(`notebook ${nb} failed:\n${(r.stderr || '').split('\n').slice(-25).join('\n')}`);
    }
    // tslab reports TypeScript errors as stderr output of the cell: treat them as failures too.
    const out = JSON.parse(fs.readFileSync(path.join(executed, nb), 'utf8'));
    for (const cell of out.cells) for (const x of cell.outputs || []) if (x.output_type === 'error' || (x.name === 'stderr' && /\d+:\d+ - /.test([].concat(x.text).join('')))) fail(`notebook ${nb}: ${[].concat(x.text || x.evalue).join('')}`);
    const entries = fs.existsSync(path.join(work, `${name}.jsonl`)) ? fs.readFileSync(path.join(work, `${name}.jsonl`), 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : [];
    let ch;
    for (const e of entries) {
      if (e.chapter) chapters.push((ch = { number: e.chapter, title: e.title, blocks: [], code: [] }));
      else if (ch) ch.blocks.push(e.block);
    }
    if (!ch) fail(`notebook ${nb} produced no chapter`);
    ch.code = out.cells.filter((c) => c.cell_type === 'code').map((c) => [].concat(c.source).join(''));
    console.log(`${ch.blocks.length} blocks`);
  }

  const { lab } = await wn.loadLab(capture);
  const report = await wn.assembleReport(chapters, { title: TITLE, identity: lab.identity, captureName: path.basename(capture), withCode: o.withCode });
  fs.mkdirSync(path.join(o.out, 'figures'), { recursive: true });
  for (const f of fs.readdirSync(path.join(o.out, 'figures'))) fs.unlinkSync(path.join(o.out, 'figures', f));
  for (const f of report.figures) fs.writeFileSync(path.join(o.out, f.file), f.svg);
  fs.writeFileSync(path.join(o.out, '实验报告.md'), report.markdown);
  const htmlFile = path.join(o.out, '实验报告.html');
  fs.writeFileSync(htmlFile, report.html);
  console.log(`report: wrote ${path.relative(process.cwd(), path.join(o.out, '实验报告.md'))}, 实验报告.html (${report.figures.length} figures)`);

  if (o.pdf) {
    const { chromium } = require('playwright-core');
    const browser = await chromium.launch({ executablePath: process.env.WIRENOTE_CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'] });
    try {
      const page = await browser.newPage();
      // A4 with running header/footer and the contents' page numbers (two printings: lib/report/print.ts).
      await wn.printPdf(page, report.html, { title: TITLE, identity: lab.identity, path: path.join(o.out, '实验报告.pdf') });
    } finally {
      await browser.close();
    }
    console.log('report: wrote 实验报告.pdf');
  }
  fs.rmSync(work, { recursive: true, force: true });
}

main().catch((e) => fail(e && e.stack ? e.stack : String(e)));

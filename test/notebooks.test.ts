/**
 * The notebooks are the report's source:
 * - the committed notebooks carry the outputs a fresh execution gives (so GitHub shows results);
 * - the in-process executor gives the outputs the real tslab kernel gives under nbclient
 *   (`jupyter-nbconvert --execute`), display updates included;
 * - `jupyter nbconvert --to html` of the executed notebooks shows every chart as an image;
 * - a teacher's edit (a markdown cell, a new code cell that shows a table) is in the next report.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CodeCell, Notebook, parseNotebook, readNotebook, writeNotebook } from '../lib';
import { ROOT } from './support/tshark';

const NOTEBOOKS = path.join(ROOT, 'notebooks');
const files = fs.readdirSync(NOTEBOOKS).filter((f) => f.endsWith('.ipynb')).sort();
const BIN = path.join(ROOT, 'lib', 'bin', 'wirenote.js');
const env = () => {
  const e = { ...process.env };
  delete e.WIRENOTE_CAPTURE;
  return e;
};

/** PNG width × height from its IHDR chunk (the bytes may differ with the fonts' version; the size may not). */
function pngSize(b64: string): string {
  const b = Buffer.from(b64, 'base64');
  expect(b.subarray(1, 4).toString()).toBe('PNG');
  return `${b.readUInt32BE(16)}x${b.readUInt32BE(20)}`;
}

/** What must not change between two executions: every cell and output; not timing metadata, not PNG bytes. */
function normalise(nb: Notebook) {
  return nb.cells.map((c) => {
    const out: Record<string, unknown> = { type: c.cell_type, id: c.id, source: c.source, tags: c.metadata.tags ?? [] };
    if (c.cell_type === 'code') {
      out.count = c.execution_count;
      const outputs: unknown[] = [];
      for (const o of c.outputs) {
        // Consecutive writes to one stream are one output (as Jupyter's front ends save them).
        const last = outputs[outputs.length - 1] as { output_type?: string; name?: string; text?: string } | undefined;
        if (o.output_type === 'stream' && last?.output_type === 'stream' && last.name === o.name) {
          last.text += o.text;
          continue;
        }
        if (o.output_type === 'display_data' || o.output_type === 'execute_result') {
          const data = { ...o.data };
          if (typeof data['image/png'] === 'string') data['image/png'] = pngSize(data['image/png'] as string);
          outputs.push({ output_type: o.output_type, data, metadata: o.metadata });
        } else outputs.push({ ...o });
      }
      out.outputs = outputs;
    }
    return out;
  });
}

function executeInProcess(out: string, notebooks: string[]) {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'test', 'support', 'run-notebooks.js'), out, ...notebooks], { encoding: 'utf8', env: env(), timeout: 180000 });
  if (r.status !== 0) throw new Error(`executing the notebooks failed:\n${r.stdout}\n${r.stderr}`);
}

const haveJupyter = spawnSync('jupyter-nbconvert', ['--version']).status === 0;

describe('committed notebooks', () => {
  const fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'wirenote-nb-fresh-'));
  beforeAll(() => executeInProcess(fresh, files.map((f) => path.join(NOTEBOOKS, f))), 200000);
  afterAll(() => fs.rmSync(fresh, { recursive: true, force: true }));

  test.each(files)('%s carries the outputs of a fresh execution (else: npm run notebooks:refresh)', (f) => {
    const committed = readNotebook(path.join(NOTEBOOKS, f));
    const now = readNotebook(path.join(fresh, f));
    const code = committed.cells.filter((c): c is CodeCell => c.cell_type === 'code');
    expect(code.some((c) => c.outputs.length > 0)).toBe(true);
    expect(normalise(committed)).toEqual(normalise(now));
  });

  test('literate structure: a title, a parameters cell, markdown between the steps; every chart a Vega-Lite + PNG + text bundle', () => {
    let charts = 0;
    for (const f of files) {
      const nb = readNotebook(path.join(NOTEBOOKS, f));
      expect(nb.cells[0].cell_type).toBe('markdown');
      expect(nb.cells[0].source).toMatch(/^# 第 \d+ 章 /);
      expect(nb.cells.filter((c) => c.cell_type === 'code' && c.metadata.tags?.includes('parameters'))).toHaveLength(1);
      for (const c of nb.cells)
        if (c.cell_type === 'code')
          for (const o of c.outputs) {
            if (o.output_type !== 'display_data') continue;
            const types = Object.keys(o.data).sort();
            if (types.includes('application/vnd.vegalite.v5+json')) {
              charts++;
              expect(types).toEqual(['application/vnd.vegalite.v5+json', 'image/png', 'text/plain']);
              expect(String(o.data['text/plain'])).toMatch(/^图 \d+-\d+：/);
            } else expect(types).toContain('text/plain');
          }
    }
    expect(charts).toBeGreaterThanOrEqual(5);
  });
});

(haveJupyter ? describe : describe.skip)('under Jupyter', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'wirenote-nb-jupyter-'));
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  test('the real tslab kernel under nbclient gives the same outputs as the in-process executor', () => {
    const { installKernel, JUPYTER_PATH } = require('../lib/dist/cli/notebook');
    installKernel();
    // 01 has a cross-reference shown before its figure (an update_display_data), 06 a chart.
    const pick = ['01-overview.ipynb', '06-parallel.ipynb'];
    const r = spawnSync('jupyter-nbconvert', ['--to', 'notebook', '--execute', '--ExecutePreprocessor.timeout=300', '--output-dir', work, ...pick.map((f) => path.join(NOTEBOOKS, f))], { encoding: 'utf8', env: { ...env(), JUPYTER_PATH }, timeout: 240000 });
    if (r.status !== 0) throw new Error(`nbconvert failed:\n${r.stderr}`);
    for (const f of pick) {
      const kernel = parseNotebook(fs.readFileSync(path.join(work, f), 'utf8'));
      const ours = readNotebook(path.join(NOTEBOOKS, f));
      expect(normalise(kernel)).toEqual(normalise(ours));
    }
    // The forward reference was resolved by the kernel's display update, as in the report.
    expect(fs.readFileSync(path.join(work, '01-overview.ipynb'), 'utf8')).toContain('[图 1-1](#fig-flow)');
  }, 250000);

  test('jupyter nbconvert --to html shows every chart of the executed notebooks as an image', () => {
    const r = spawnSync('jupyter-nbconvert', ['--to', 'html', '--output-dir', work, ...files.map((f) => path.join(NOTEBOOKS, f))], { encoding: 'utf8', timeout: 120000 });
    if (r.status !== 0) throw new Error(`nbconvert failed:\n${r.stderr}`);
    let total = 0;
    for (const f of files) {
      const nb = readNotebook(path.join(NOTEBOOKS, f));
      const pngs = nb.cells.flatMap((c) => (c.cell_type === 'code' ? c.outputs : [])).filter((o) => o.output_type === 'display_data' && typeof o.data['image/png'] === 'string');
      const html = fs.readFileSync(path.join(work, f.replace(/\.ipynb$/, '.html')), 'utf8');
      const imgs = html.match(/<img src="data:image\/png;base64,[A-Za-z0-9+/=\s]{1000,}"/g) ?? [];
      expect(imgs.length).toBe(pngs.length);
      expect(html).toMatch(/[\u4e00-\u9fff]/);
      total += imgs.length;
    }
    expect(total).toBeGreaterThanOrEqual(5);
  }, 150000);
});

describe('a teacher edits a notebook', () => {
  test('an edited markdown cell and a new code cell that shows a table appear in the next report (Markdown and HTML)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirenote-nb-edit-'));
    try {
      const nbs = path.join(dir, 'notebooks');
      fs.mkdirSync(nbs);
      for (const f of files) fs.copyFileSync(path.join(NOTEBOOKS, f), path.join(nbs, f));
      const marker = `教师批注-${process.pid}-${Date.now()}`;
      const file = path.join(nbs, '03-handshake.ipynb');
      const nb = readNotebook(file);
      const at = nb.cells.findIndex((c) => c.cell_type === 'markdown' && c.id === 'rules-intro');
      expect(at).toBeGreaterThan(0);
      nb.cells[at].source += `\n\n${marker}：先看[表](#tab-teacher)，再看下面的检查。`;
      nb.cells.splice(at + 1, 0, {
        cell_type: 'code',
        id: 'teacher-table',
        metadata: {},
        execution_count: null,
        outputs: [],
        source: `import { table } from 'wirenote';\nshow(table('teacher', '教师加的表', ['项目', '值'], [['握手报文段', 3], ['标记', '${marker}-cell']]));`,
      });
      writeNotebook(file, nb);
      const r = spawnSync(process.execPath, [BIN, 'report', '--notebooks', nbs, '--out', path.join(dir, 'out'), '--no-pdf'], { encoding: 'utf8', env: env(), timeout: 180000 });
      if (r.status !== 0) throw new Error(`report failed:\n${r.stdout}\n${r.stderr}`);
      const md = fs.readFileSync(path.join(dir, 'out', '实验报告.md'), 'utf8');
      const html = fs.readFileSync(path.join(dir, 'out', '实验报告.html'), 'utf8');
      // The table is the chapter's second (after the handshake table), numbered as in the notebook.
      expect(md).toContain(`${marker}：先看[表 3-2](#tab-teacher)，再看下面的检查。`);
      expect(md).toContain('**表 3-2：教师加的表**');
      expect(md).toContain(`| 标记 | ${marker}-cell |`);
      expect(html).toContain(`${marker}：先看<a href="#tab-teacher">表 3-2</a>，再看下面的检查。`);
      expect(html).toMatch(new RegExp(`<figure class="table" id="tab-teacher"><figcaption>表 3-2：教师加的表</figcaption>[\\s\\S]*<td>${marker}-cell</td>`));
      // And in order: after the markdown cell, before the checks it announces.
      expect(html.indexOf(marker)).toBeLessThan(html.indexOf('id="tab-teacher"'));
      expect(html.indexOf('id="tab-teacher"')).toBeLessThan(html.indexOf('SYN-ACK 的确认号'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 200000);
});

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
import { CodeCell, Notebook, parseNotebook, readNotebook, serializeNotebook, writeNotebook } from '../lib';
import { ROOT } from './support/tshark';
import { miniChart } from './support/mini-chart';

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

/** A chart of our own (a Vega-Lite spec with the figure's id and caption), independent of the narrative. */
const MINI = miniChart();

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
    // Two committed notebooks, and one of our own with a reference shown before its figure (a
    // display update) — in the project, so that its cells import wirenote.
    const own = path.join(ROOT, '.jupyter', `fidelity-${process.pid}`);
    fs.mkdirSync(own, { recursive: true });
    try {
      writeNotebook(path.join(own, '09-refs.ipynb'), {
        cells: [
          { cell_type: 'markdown', id: 't', metadata: {}, source: '# 第 9 章 引用' },
          { cell_type: 'code', id: 'a', metadata: {}, execution_count: null, outputs: [], source: `import { show, md, figure, startChapter } from 'wirenote';\nstartChapter(9);\nshow(md('先看[图](#fig-mini)，它在后面。'));\nconsole.log('一行输出');` },
          { cell_type: 'code', id: 'b', metadata: {}, execution_count: null, outputs: [], source: `show(figure(${MINI}));` },
        ],
        metadata: { kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' } },
        nbformat: 4,
        nbformat_minor: 5,
      });
      const inProcess = path.join(work, 'in-process');
      fs.mkdirSync(inProcess);
      executeInProcess(inProcess, [path.join(own, '09-refs.ipynb')]);
      const pick = [path.join(NOTEBOOKS, '01-overview.ipynb'), path.join(NOTEBOOKS, '06-parallel.ipynb'), path.join(own, '09-refs.ipynb')];
      const r = spawnSync('jupyter-nbconvert', ['--to', 'notebook', '--execute', '--ExecutePreprocessor.timeout=300', '--output-dir', work, ...pick], { encoding: 'utf8', env: { ...env(), JUPYTER_PATH }, timeout: 240000 });
      if (r.status !== 0) throw new Error(`nbconvert failed:\n${r.stderr}`);
      // Execution counts aside: nbconvert's ExecutePreprocessor takes them only from execute_input
      // messages, which tslab does not send (it keeps what the file had); the front ends and
      // nbclient's NotebookClient number the cells from the replies, 1, 2, …, as the executor does.
      const noCounts = (nb: Notebook) => normalise(nb).map(({ count, ...c }) => (void count, c));
      const kernel = (f: string) => parseNotebook(fs.readFileSync(path.join(work, f), 'utf8'));
      for (const f of ['01-overview.ipynb', '06-parallel.ipynb']) expect(noCounts(kernel(f))).toEqual(noCounts(readNotebook(path.join(NOTEBOOKS, f))));
      expect(noCounts(kernel('09-refs.ipynb'))).toEqual(noCounts(readNotebook(path.join(inProcess, '09-refs.ipynb'))));
      // The forward reference was resolved by the kernel's display update, as by the executor.
      expect(fs.readFileSync(path.join(work, '09-refs.ipynb'), 'utf8')).toContain('先看[图 9-1](#fig-mini)，它在后面。');
    } finally {
      fs.rmSync(own, { recursive: true, force: true });
    }
  }, 250000);

  test("the notebooks are valid nbformat 4 and written byte for byte as Python's nbformat writes them", () => {
    const script = 'import nbformat, sys\nfor f in sys.argv[1:]:\n    nb = nbformat.read(f, 4)\n    nbformat.validate(nb)\n    sys.stdout.write(nbformat.writes(nb) + "\\n\\0")';
    const r = spawnSync('/usr/bin/python3', ['-c', script, ...files.map((f) => path.join(NOTEBOOKS, f))], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(r.stderr).toBe('');
    const python = r.stdout.split('\0').slice(0, -1);
    expect(python).toHaveLength(files.length);
    files.forEach((f, i) => expect(python[i] === fs.readFileSync(path.join(NOTEBOOKS, f), 'utf8')).toBe(true));
    // Numbers as Python prints them (a Vega-Lite spec is full of small floats).
    const nb = { cells: [], metadata: { x: [0.000028743, 1.5e-7, 123.456, 0.0001, 1e21, -0.5, 2.5e-5, 12345678.9, 0.1, 3] }, nbformat: 4, nbformat_minor: 5 };
    const mine = serializeNotebook(nb as unknown as Notebook);
    const theirs = spawnSync('/usr/bin/python3', ['-c', 'import json, sys; print(json.dumps(json.loads(sys.stdin.read()), sort_keys=True, indent=1, separators=(",", ": "), ensure_ascii=False))'], { input: JSON.stringify(nb), encoding: 'utf8' }).stdout;
    expect(mine).toBe(theirs);
  });

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
      // The first markdown cell after the first code cell (whatever the chapter's prose says).
      const firstCode = nb.cells.findIndex((c) => c.cell_type === 'code');
      const at = nb.cells.findIndex((c, i) => i > firstCode && c.cell_type === 'markdown' && !c.metadata.tags?.includes('remove-cell'));
      expect(at).toBeGreaterThan(0);
      type Meta = { wirenote?: { kind?: string; id?: string } };
      const shownBefore = nb.cells.slice(0, at).flatMap((c) => (c.cell_type === 'code' ? c.outputs : []));
      const n = shownBefore.filter((o) => o.output_type === 'display_data' && (o.metadata as Meta).wirenote?.kind === 'table').length + 1;
      const next = nb.cells.slice(at + 1).flatMap((c) => (c.cell_type === 'code' ? c.outputs : [])).map((o) => (o.output_type === 'display_data' ? (o.metadata as Meta).wirenote : undefined)).find((w) => w?.kind === 'table' || w?.kind === 'figure');
      nb.cells[at].source += `\n\n${marker}：先看[表](#tab-teacher)。`;
      nb.cells.splice(at + 1, 0, {
        cell_type: 'code',
        id: 'teacher-table',
        metadata: {},
        execution_count: null,
        outputs: [],
        source: `import { show, table } from 'wirenote';\nshow(table('teacher', '教师加的表', ['项目', '值'], [['握手报文段', 3], ['标记', '${marker}-cell']]));`,
      });
      writeNotebook(file, nb);
      const r = spawnSync(process.execPath, [BIN, 'report', '--notebooks', nbs, '--out', path.join(dir, 'out'), '--no-pdf'], { encoding: 'utf8', env: env(), timeout: 180000 });
      if (r.status !== 0) throw new Error(`report failed:\n${r.stdout}\n${r.stderr}`);
      const md = fs.readFileSync(path.join(dir, 'out', '实验报告.md'), 'utf8');
      const html = fs.readFileSync(path.join(dir, 'out', '实验报告.html'), 'utf8');
      // Numbered as the notebook numbers it: after the chapter's tables shown before it.
      expect(md).toContain(`${marker}：先看[表 3-${n}](#tab-teacher)。`);
      expect(md).toContain(`**表 3-${n}：教师加的表**`);
      expect(md).toContain(`| 标记 | ${marker}-cell |`);
      expect(html).toContain(`${marker}：先看<a href="#tab-teacher">表 3-${n}</a>。`);
      expect(html).toMatch(new RegExp(`<figure class="table" id="tab-teacher"><figcaption>表 3-${n}：教师加的表</figcaption>[\\s\\S]*<td>${marker}-cell</td>`));
      // And in order: after the markdown cell, before what the notebook showed next.
      expect(html.indexOf(marker)).toBeLessThan(html.indexOf('id="tab-teacher"'));
      if (next) expect(html.indexOf('id="tab-teacher"')).toBeLessThan(html.indexOf(`id="${next.kind === 'table' ? 'tab' : 'fig'}-${next.id}"`));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 200000);
});

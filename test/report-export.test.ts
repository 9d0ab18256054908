/**
 * What the export does with notebooks a teacher writes: cell tags (remove-cell, remove-output,
 * remove-input, hide-input), --with-code, program output, a long table summarised with its kept rows
 * (and the whole table as CSV beside the report), cross-references inside a notebook (shown before
 * the figure) and across notebooks, and one analysis per report for all notebooks.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Notebook, writeNotebook } from '../lib';
import { ROOT } from './support/tshark';
import { miniChart } from './support/mini-chart';

const BIN = path.join(ROOT, 'lib', 'bin', 'wirenote.js');

function notebook(cells: Array<[string, string, string[]?]>): Notebook {
  return {
    cells: cells.map(([type, source, tags], i) =>
      type === 'code' ? { cell_type: 'code', id: `c${i}`, metadata: tags ? { tags } : {}, source, outputs: [], execution_count: null } : { cell_type: 'markdown', id: `c${i}`, metadata: tags ? { tags } : {}, source },
    ),
    metadata: { kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' } },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

const LOAD = "import { loadLab, show, md, table, figure, startChapter } from 'wirenote';";
/** A chart of the teacher's own (a Vega-Lite spec with the figure's id and caption). */
const MINI = miniChart('教师的小图');

describe('exporting notebooks a teacher wrote', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirenote-export-'));
  const nbs = path.join(dir, 'notebooks');
  const build = (extra: string[]) => {
    const out = path.join(dir, `out${extra.join('')}`);
    const env = { ...process.env };
    delete env.WIRENOTE_CAPTURE;
    const r = spawnSync(process.execPath, [BIN, 'report', '--notebooks', nbs, '--out', out, '--no-pdf', ...extra], { encoding: 'utf8', env, timeout: 180000 });
    if (r.status !== 0) throw new Error(`report failed:\n${r.stdout}\n${r.stderr}`);
    return { out, md: fs.readFileSync(path.join(out, '实验报告.md'), 'utf8'), html: fs.readFileSync(path.join(out, '实验报告.html'), 'utf8') };
  };
  let plain: ReturnType<typeof build>;
  let withCode: ReturnType<typeof build>;

  beforeAll(() => {
    fs.mkdirSync(nbs);
    const rows = Array.from({ length: 100 }, (_, i) => `['${i}', 'v${i}']`).join(', ');
    writeNotebook(
      path.join(nbs, '01-tags.ipynb'),
      notebook([
        ['markdown', '# 第 1 章 标签\n\n开头的话。后面的[图](#fig-mini)在本章末尾。'],
        ['markdown', 'REMOVED-MARKDOWN-CELL', ['remove-cell']],
        ['code', "const CAPTURE: string = '';", ['parameters']],
        ['code', `${LOAD}\nconst { lab } = await loadLab(CAPTURE);\n(globalThis as any).__labs = [lab];`, ['remove-output']],
        ['code', "show(md('REMOVED' + '-CELL-OUTPUT')); // REMOVED-CELL-CODE", ['remove-cell']],
        ['code', "const KEPT_CODE = 1;\nshow(md('REMOVED' + '-OUTPUT'));", ['remove-output']],
        ['code', "show(md('SHOWN-OUTPUT-C')); // REMOVED-INPUT", ['remove-input']],
        ['code', "show(md('SHOWN-OUTPUT-D')); // FOLDED-INPUT", ['hide-input']],
        ['code', "console.log('STDOUT-LINE <b>x</b>');"],
        ['code', `show(table('long', '一张长表', ['序号', '值'], [${rows}], [50, 77]));`],
        ['code', `show(figure(${MINI}));`],
      ]),
    );
    writeNotebook(
      path.join(nbs, '02-refs.ipynb'),
      notebook([
        ['markdown', '# 第 2 章 引用\n\n第 1 章的[图](#fig-mini)与[表](#tab-long)；不存在的[图](#fig-nothing)。'],
        ['code', "const CAPTURE: string = '';", ['parameters']],
        ['code', `${LOAD}\nconst { lab } = await loadLab(CAPTURE);\nshow(md(\`同一个 lab 模型：\${(globalThis as any).__labs[0] === lab}\`));`],
      ]),
    );
    plain = build([]);
    withCode = build(['--with-code']);
  }, 300000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('remove-cell drops a cell, remove-output its outputs, remove-input / hide-input its code', () => {
    for (const r of [plain, withCode])
      for (const text of [r.md, r.html]) {
        for (const gone of ['REMOVED-MARKDOWN-CELL', 'REMOVED-CELL-OUTPUT', 'REMOVED-CELL-CODE', 'REMOVED-OUTPUT', 'REMOVED-INPUT']) expect(text).not.toContain(gone);
        for (const kept of ['SHOWN-OUTPUT-C', 'SHOWN-OUTPUT-D', '开头的话。']) expect(text).toContain(kept);
      }
  });

  test('code only with --with-code; hide-input code folded', () => {
    expect(plain.md).not.toContain('KEPT_CODE');
    expect(plain.html).not.toContain('<pre class="code">');
    expect(withCode.md).toMatch(/```ts\nconst KEPT_CODE = 1;/);
    expect(withCode.html).toContain('const KEPT_CODE = 1;');
    expect(withCode.html).toMatch(/<details class="code"><summary>代码<\/summary><pre class="code"><code>show\(md\(&#39;SHOWN-OUTPUT-D&#39;\)\); \/\/ FOLDED-INPUT/);
  });

  test('program output is a plain-text block, escaped', () => {
    expect(plain.md).toContain('```text\nSTDOUT-LINE <b>x</b>\n```');
    expect(plain.html).toContain('<pre class="output">STDOUT-LINE &lt;b&gt;x&lt;/b&gt;</pre>');
  });

  test('a long table: first and last rows, kept rows, the gaps counted; the whole table as CSV beside the report', () => {
    const lines = plain.md.split('\n').filter((l) => /^\| (\d+|…)/.test(l));
    const shown = lines.filter((l) => /^\| \d+ \|/.test(l)).map((l) => Number(/^\| (\d+) \|/.exec(l)![1]));
    expect(shown).toEqual([...Array(15).keys(), 50, 77, 95, 96, 97, 98, 99]);
    expect(lines.filter((l) => l.includes('省略')).map((l) => /省略 (\d+) 行/.exec(l)![1])).toEqual(['35', '26', '17']);
    expect(plain.md).toContain('共 100 行，上表省略了 78 行；完整表格见 `tables/tab-long.csv`。');
    expect(plain.html).toContain('<p class="table-note">共 100 行，上表省略了 78 行；完整表格见 tables/tab-long.csv。</p>');
    const csv = fs.readFileSync(path.join(plain.out, 'tables', 'tab-long.csv'), 'utf8').split('\r\n');
    expect(csv[0]).toBe('序号,值');
    expect(csv.slice(1, -1)).toEqual(Array.from({ length: 100 }, (_, i) => `${i},v${i}`));
  });

  test('cross-references: shown before the figure, across notebooks, and to nothing', () => {
    expect(plain.md).toContain('后面的[图 1-1](#fig-mini)在本章末尾。');
    expect(plain.md).toContain('第 1 章的[图 1-1](#fig-mini)与[表 1-1](#tab-long)；不存在的图。');
    expect(plain.html).toContain('第 1 章的<a href="#fig-mini">图 1-1</a>与<a href="#tab-long">表 1-1</a>；不存在的图。');
    expect(plain.html).toContain('<figure id="fig-mini">');
  });

  test('one analysis per report: every notebook gets the same lab model', () => {
    expect(plain.md).toContain('同一个 lab 模型：true');
  });
});

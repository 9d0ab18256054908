/**
 * wirenote report: execute the notebooks on a capture (one process, one TypeScript converter, one
 * analysis), export their outputs as the report — Markdown, one self-contained HTML file, and a PDF
 * printed by Chromium — and keep the executed notebooks beside it.
 *
 * Exit status: 0 written; 1 a notebook cell failed, or Chromium could not print; 2 usage (unknown
 * option, missing value, no such capture, unknown parameter); 3 written, but the capture has no
 * usable lab traffic (not a capture, no TCP, no HTTP, HTTPS only) — the first page says why.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { DEFAULT_CAPTURE, loadLabModel, PROJECT_ROOT } from '../notebook';
import { identityMissing } from '../narrative/page';
import { assembleReport } from '../report/assemble';
import { chapterFromFile, inCompileCache, listNotebooks, NotebookSession } from '../report/execute';
import { exportNotebook, ReportChapter } from '../report/export';
import { injectParameters, Notebook, NotebookFormatError, ParameterError, parameterDecls, readNotebook, writeNotebook, hasTag } from '../report/ipynb';
import { whyUnusable } from '../report/usable';
import { PdfPrinter } from '../report/pdf';
import { forUser, fromUser, last, parseOptions, UsageError } from './args';
import { say } from './locale';

export const REPORT_TITLE = '实验二：分析浏览器与 Web 服务器的交互过程';
export const EXIT_UNUSABLE = 3;

export const REPORT_USAGE = `usage: wirenote report [--capture FILE] [--out DIR] [--with-code] [--no-pdf] [-p NAME=VALUE ...] [--notebooks DIR]

  Runs the notebooks on a capture and writes the lab report from their outputs:
  DIR/实验报告.md (+ figures/, tables/), DIR/实验报告.html, DIR/实验报告.pdf, DIR/notebooks/*.ipynb.

  --capture FILE     the capture to analyse (default: captures/first-visit-server-close.pcapng)
  --out DIR          where to write (default: ./report)
  --with-code        show the notebooks' code in the report
  --no-pdf           skip the PDF (no Chromium needed)
  -p NAME=VALUE      set a notebook parameter (a variable of the cell tagged "parameters");
                     --capture FILE is -p CAPTURE=FILE
  --notebooks DIR    run the notebooks of DIR instead of the project's notebooks/
  -h, --help         this text

  Paths are taken from the folder you run the command in (also under npm run report).
  Exit status: 0 written; 1 a notebook failed or the PDF could not be printed; 2 usage;
  3 written, but the capture has no usable lab traffic (the report's first page says why).`;


export interface ReportOptions {
  capture: string;
  out: string;
  withCode: boolean;
  pdf: boolean;
  params: Record<string, string>;
  notebooks: string;
}

export function parseReportArgs(args: string[]): ReportOptions | 'help' {
  const { values, flags } = parseOptions('report', args, { values: ['--capture', '--out', '-p', '--notebooks'], flags: ['--with-code', '--no-pdf', '-h', '--help'] });
  if (flags.has('-h') || flags.has('--help')) return 'help';
  const params: Record<string, string> = {};
  for (const p of values.get('-p') ?? []) {
    const eq = p.indexOf('=');
    if (eq <= 0 || !/^[A-Za-z_$][\w$]*$/.test(p.slice(0, eq))) throw new UsageError(say(`wirenote report: -p wants NAME=VALUE, not "${p}"`, `wirenote report：-p 的格式是 NAME=VALUE，不是"${p}"`));
    params[p.slice(0, eq)] = p.slice(eq + 1);
  }
  const capture = last(values, '--capture') ?? params.CAPTURE;
  const o: ReportOptions = {
    capture: capture ? fromUser(capture) : DEFAULT_CAPTURE,
    out: fromUser(last(values, '--out') ?? 'report'),
    withCode: flags.has('--with-code'),
    pdf: !flags.has('--no-pdf'),
    params,
    notebooks: last(values, '--notebooks') ? fromUser(last(values, '--notebooks')!) : path.join(PROJECT_ROOT, 'notebooks'),
  };
  o.params.CAPTURE = o.capture;
  return o;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** WIRENOTE_TIMING=1: where the time goes, on stderr (npm run bench:report reads it). */
function phase(name: string, since: number): number {
  if (process.env.WIRENOTE_TIMING) process.stderr.write(`timing ${name} ${Date.now() - since}\n`);
  return Date.now();
}

export async function reportCommand(args: string[]): Promise<number> {
  let o: ReportOptions | 'help';
  try {
    o = parseReportArgs(args);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n${say('Try: wirenote report --help', '用法见：wirenote report --help')}\n`);
      return 2;
    }
    throw e;
  }
  if (o === 'help') {
    process.stdout.write(`${REPORT_USAGE}\n`);
    return 0;
  }
  const usage = (en: string, zh: string) => {
    process.stderr.write(`wirenote report: ${say(en, zh)}\n`);
    return 2;
  };
  if (!fs.existsSync(o.capture)) return usage(`no such capture: ${forUser(o.capture)}`, `找不到抓包文件：${forUser(o.capture)}`);
  if (!fs.statSync(o.capture).isFile()) return usage(`not a file: ${forUser(o.capture)}`, `不是文件：${forUser(o.capture)}`);
  if (!fs.existsSync(o.notebooks) || !fs.statSync(o.notebooks).isDirectory()) return usage(`no such folder: ${forUser(o.notebooks)}`, `找不到文件夹：${forUser(o.notebooks)}`);
  const files = listNotebooks(o.notebooks);
  if (!files.length) return usage(`no notebooks (*.ipynb) in ${forUser(o.notebooks)}`, `${forUser(o.notebooks)} 里没有笔记本（*.ipynb）`);
  // The executed notebooks go to DIR/notebooks: never over the notebooks being run.
  if (path.resolve(o.out, 'notebooks') === path.resolve(o.notebooks))
    return usage(`--out ${forUser(o.out)} would write the executed notebooks over ${forUser(o.notebooks)}: choose another folder`, `--out ${forUser(o.out)} 会用执行后的笔记本覆盖 ${forUser(o.notebooks)}：请换一个文件夹`);

  // Parameters: every name must be a parameter of some notebook, and each value must fit its type.
  const notebooks: Array<{ file: string; nb: Notebook }> = [];
  try {
    const declared = new Set<string>();
    for (const file of files) {
      const nb = readNotebook(file);
      const kernel = (nb.metadata.kernelspec as { name?: string } | undefined)?.name;
      if (kernel && kernel !== 'tslab') return usage(`${path.basename(file)}: kernel "${kernel}" — only TypeScript (tslab) notebooks can be run`, `${path.basename(file)}：内核是"${kernel}"，只能运行 TypeScript（tslab）笔记本`);
      const p = nb.cells.find((c) => c.cell_type === 'code' && hasTag(c, 'parameters'));
      if (p) for (const d of parameterDecls(p.source)) declared.add(d.name);
      notebooks.push({ file, nb });
    }
    const unknown = Object.keys(o.params).filter((n) => !declared.has(n) && n !== 'CAPTURE');
    if (unknown.length) return usage(`no notebook has a parameter ${unknown.join(', ')} (parameters: ${[...declared].join(', ') || 'none'})`, `没有笔记本有参数 ${unknown.join('、')}（已有参数：${[...declared].join('、') || '无'}）`);
    for (const n of notebooks) n.nb = injectParameters(n.nb, o.params).nb;
  } catch (e) {
    if (e instanceof ParameterError) return usage(e.message, e.message);
    if (e instanceof NotebookFormatError) return usage(e.message, e.message);
    throw e;
  }

  const chromium = o.pdf ? (process.env.WIRENOTE_CHROMIUM || '/usr/bin/chromium') : undefined;
  if (chromium && !fs.existsSync(chromium)) {
    process.stderr.write(`wirenote report: ${say(`Chromium is missing (${chromium}): install it (scripts/setup.sh) or use --no-pdf`, `缺少 Chromium（${chromium}）：请运行 scripts/setup.sh 安装，或加 --no-pdf`)}\n`);
    return 1;
  }
  const started = Date.now();
  // Chromium (and playwright, on a thread of its own) starts while the notebooks run.
  const printer = chromium ? new PdfPrinter(chromium) : undefined;

  process.stdout.write(`${say('report', '报告')}: ${forUser(o.capture)} → ${forUser(o.out)}\n`);
  const executedDir = path.join(o.out, 'notebooks');
  fs.mkdirSync(executedDir, { recursive: true });
  let t0 = phase('start', Number(process.env.WIRENOTE_T0 ?? started));
  // Cells not in the compile cache (a code cell edited, wirenote rebuilt) are type-checked in a
  // process of its own first, so TypeScript and the capture's analysis never share a heap (a
  // 1 M-packet capture with a cold cache: 25 s and 1.23 GB peak in one process, 11 s and 0.71 GB so).
  if (notebooks.some((n) => !inCompileCache(n.nb))) {
    spawnSync(process.execPath, [path.join(__dirname, '..', 'report', 'precompile-worker.js')], { input: JSON.stringify(notebooks.map((n) => n.nb)), stdio: ['pipe', 'ignore', 'inherit'] });
    t0 = phase('compile', t0);
  }
  const session = new NotebookSession();
  t0 = phase('session', t0);
  const chapters: ReportChapter[] = [];
  try {
    for (let i = 0; i < notebooks.length; i++) {
      const { file, nb } = notebooks[i];
      const name = path.basename(file, '.ipynb');
      process.stdout.write(`[${i + 1}/${notebooks.length}] ${name} … `);
      const t = Date.now();
      const r = await session.run(nb, file, { chapter: chapterFromFile(file) ?? String(i + 1) });
      writeNotebook(path.join(executedDir, path.basename(file)), r.nb);
      if (r.failure) {
        process.stdout.write(`${say('failed', '失败')}\n`);
        process.stderr.write(
          `wirenote report: ${say(`${name}: cell ${r.failure.cell + 1} failed`, `${name}：第 ${r.failure.cell + 1} 个单元格出错`)}:\n${r.failure.message.split('\n').slice(0, 30).join('\n')}\n` +
            say(`(the executed notebook: ${forUser(path.join(executedDir, path.basename(file)))})`, `（执行后的笔记本：${forUser(path.join(executedDir, path.basename(file)))}）`) +
            '\n',
        );
        await printer?.close();
        return 1;
      }
      chapters.push(exportNotebook(r.nb, { withCode: o.withCode, fallbackNumber: chapterFromFile(file) ?? String(i + 1), file: path.basename(file) }));
      process.stdout.write(`${seconds(Date.now() - t)}\n`);
      t0 = phase(`notebook ${name}`, t0);
    }
  } finally {
    session.close();
  }
  if (process.env.WIRENOTE_TIMING) process.stderr.write(`cells compiled ${session.compiled.converted} cached ${session.compiled.cached}\n`);

  // The notebooks analysed this capture already: the model comes from the same, cached, analysis.
  const lab = await loadLabModel(o.capture);
  const unusable = whyUnusable(lab);
  const profile: { major?: string; studentId?: string; name?: string } = lab.page?.profile ?? {};
  const report = assembleReport(chapters, { title: REPORT_TITLE, identity: { major: profile.major, studentId: profile.studentId, name: profile.name }, captureName: path.basename(o.capture), unusable, identityMissing: identityMissing(lab) });
  // Clear what an earlier run wrote there (only the report's own file names: the folder may hold other files).
  for (const d of ['figures', 'tables'])
    for (const f of fs.existsSync(path.join(o.out, d)) ? fs.readdirSync(path.join(o.out, d)) : []) if (/^(fig|tab|chart|table)-[\w-]*\.(svg|png|jpg|csv)$/.test(f)) fs.rmSync(path.join(o.out, d, f));
  for (const f of report.files) {
    fs.mkdirSync(path.dirname(path.join(o.out, f.file)), { recursive: true });
    fs.writeFileSync(path.join(o.out, f.file), f.data);
  }
  const mdFile = path.join(o.out, '实验报告.md');
  const htmlFile = path.join(o.out, '实验报告.html');
  fs.writeFileSync(mdFile, report.markdown);
  fs.writeFileSync(htmlFile, report.html);
  const written = [forUser(mdFile), forUser(htmlFile)];
  t0 = phase('assemble', t0);
  if (printer) {
    const pdfFile = path.join(o.out, '实验报告.pdf');
    try {
      // A4 with running header/footer and the contents' page numbers (two printings: lib/report/print.ts).
      await printer.print(report.html, { title: REPORT_TITLE, identity: { studentId: profile.studentId, name: profile.name }, path: pdfFile });
      written.push(forUser(pdfFile));
      t0 = phase('pdf', t0);
    } catch (e) {
      process.stderr.write(`wirenote report: ${say('Chromium could not print the PDF', 'Chromium 无法生成 PDF')}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}\n`);
      await printer.close();
      return 1;
    }
    await printer.close();
  }
  process.stdout.write(`${say('wrote', '已写出')} ${written.join(', ')} (${report.figures} ${say('figures', '幅图')}, ${seconds(Date.now() - started)})\n`);
  if (unusable) {
    process.stderr.write(`wirenote report: ${say('this capture cannot serve the lab (exit status 3)', '这份抓包不能用来完成本实验（退出码 3）')}: ${unusable}\n`);
    return EXIT_UNUSABLE;
  }
  return 0;
}

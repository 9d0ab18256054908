/**
 * `wirenote batch DIR [--out BASE] [--threads N]`: analyse every capture in a folder (a class's
 * submissions) on all cores, one worker thread per core, and write a summary table as BASE.csv
 * and BASE.md. One bad file never stops the batch: its row says what was wrong.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { CheckStatus, LabChecks } from '../lab/checks';
import { Command, EXIT, UsageError } from './command';
import { say } from './locale';

export interface BatchRow {
  file: string;
  readable: boolean;
  error?: string;
  packets: number;
  connections: number;
  exchanges: number;
  /** The checklist's verdicts (the same checks as the report's 实验要求核对表). */
  checks?: Record<keyof LabChecks, CheckStatus>;
  identity?: { major?: string; studentId?: string; name?: string };
}

const CAPTURE_FILE = /\.(pcap|pcapng|cap|dmp)(\.gz)?$/i;

export function listCaptures(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isFile() && CAPTURE_FILE.test(d.name))
    .map((d) => path.join(dir, d.name))
    .sort();
}

export async function runBatch(files: string[], threads = os.cpus().length, onProgress?: (done: number, total: number, file: string) => void): Promise<BatchRow[]> {
  const rows: BatchRow[] = new Array(files.length);
  let next = 0;
  let done = 0;
  const workerFile = path.join(__dirname, 'batch-worker.js');
  const n = Math.max(1, Math.min(threads, files.length));
  await Promise.all(
    Array.from({ length: n }, () =>
      new Promise<void>((resolve, reject) => {
        const w = new Worker(workerFile);
        let current = -1;
        const feed = () => {
          if (next >= files.length) {
            w.terminate().then(() => resolve(), reject);
            return;
          }
          current = next++;
          w.postMessage(files[current]);
        };
        w.on('message', (row: BatchRow) => {
          rows[current] = row;
          done++;
          onProgress?.(done, files.length, files[current]);
          feed();
        });
        w.on('error', (e) => {
          // A crash in one file must not stop the batch: record it and carry on in a new worker.
          rows[current] = { file: files[current], readable: false, error: `worker crashed: ${e.message}`, packets: 0, connections: 0, exchanges: 0 };
          done++;
          runBatch(files.slice(next), 1).then(() => resolve(), reject);
        });
        feed();
      }),
    ),
  );
  return rows;
}

const CHECK_TITLES: Array<[keyof LabChecks, string]> = [
  ['identity', '专业/学号/姓名'],
  ['logo', 'JPEG LOGO'],
  ['audio', 'MP3 音频'],
  ['http', 'HTTP 非 HTTPS'],
  ['handshake', '三次握手'],
  ['teardown', '挥手'],
];

function cells(r: BatchRow): string[] {
  const mark = (k: keyof LabChecks) => (r.checks ? { pass: '✓', fail: '✗', unknown: '？' }[r.checks[k]] : '');
  return [path.basename(r.file), r.readable ? '是' : '否', r.error ?? '', String(r.packets), String(r.connections), String(r.exchanges), r.identity?.studentId ?? '', r.identity?.name ?? '', ...CHECK_TITLES.map(([k]) => mark(k))];
}

const HEADER = ['文件', '可读', '错误', '数据包', 'TCP 连接', 'HTTP 请求', '学号', '姓名', ...CHECK_TITLES.map(([, t]) => t)];

export function toCsv(rows: BatchRow[]): string {
  const q = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  // A formula-looking cell would run in a spreadsheet: prefix it.
  const safe = (s: string) => q(/^[=+\-@]/.test(s) ? `'${s}` : s);
  return [HEADER, ...rows.map(cells)].map((r) => r.map(safe).join(',')).join('\n') + '\n';
}

export function toMarkdown(rows: BatchRow[]): string {
  const esc = (s: string) => s.replace(/[|\\`*_<>[\]]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
  return [`| ${HEADER.join(' | ')} |`, `| ${HEADER.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${cells(r).map(esc).join(' | ')} |`)].join('\n') + '\n';
}

// ---------------------------------------------------------------- the command

interface BatchArgs {
  dir?: string;
  out: string;
  threads: number;
  help: boolean;
}

function parseBatchArgs(args: string[]): BatchArgs {
  const a: BatchArgs = { out: 'batch-summary', threads: os.cpus().length, help: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const opt = eq > 0 ? arg.slice(0, eq) : arg;
    const value = () => {
      if (eq > 0) return arg.slice(eq + 1);
      if (i + 1 >= args.length) throw new UsageError(say(`option ${opt} needs a value`, `选项 ${opt} 需要一个值`));
      return args[++i];
    };
    if (opt === '-h' || opt === '--help') a.help = true;
    else if (opt === '--out' || opt === '-o') a.out = value();
    else if (opt === '--threads' || opt === '-j') {
      const v = value();
      if (!/^[1-9]\d*$/.test(v)) throw new UsageError(say(`--threads "${v}": give a whole number of worker threads, at least 1`, `--threads "${v}"：请给出工作线程数（不小于 1 的整数）`));
      a.threads = Number(v);
    } else if (opt.startsWith('-') && opt !== '-') throw new UsageError(say(`unknown option ${opt}`, `未知选项 ${opt}`), say('see wirenote batch --help', '见 wirenote batch --help'));
    else if (a.dir === undefined) a.dir = arg;
    else throw new UsageError(say(`unexpected argument "${arg}" (one folder only)`, `多余的参数 "${arg}"（只能给一个文件夹）`));
  }
  return a;
}

function batchHelp(): string {
  return say(
    `usage: wirenote batch DIR [--out BASE] [--threads N]

Analyses every capture in DIR (.pcap, .pcapng, .cap, .dmp, optionally .gz) on all cores and writes
a summary table to BASE.csv and BASE.md (and the Markdown to standard output): per capture whether
it was readable (or what was wrong, with the byte offset), packets, TCP connections, HTTP requests,
student number and name from the page, and the lab checklist.

  --out BASE, -o BASE     where to write (default batch-summary → batch-summary.csv, .md)
  --threads N, -j N       worker threads (default: one per core)

Exit status: 0 the table was written (a damaged or unreadable capture is a row saying why, not a
failure of the batch); 2 usage error, DIR is missing or not a folder, or the table cannot be written.
`,
    `用法：wirenote batch 文件夹 [--out 名称] [--threads N]

在所有 CPU 核上分析文件夹中的每个抓包文件（.pcap、.pcapng、.cap、.dmp，可带 .gz），把汇总表写入
名称.csv 和 名称.md（Markdown 同时输出到标准输出）：每个文件是否可读（不可读时说明原因和字节偏移）、
数据包数、TCP 连接数、HTTP 请求数、页面上的学号和姓名，以及实验检查项。

  --out 名称, -o 名称     输出位置（默认 batch-summary → batch-summary.csv、.md）
  --threads N, -j N       工作线程数（默认每个核一个）

退出码：0 汇总表已写出（损坏或无法读取的文件只是表中说明原因的一行，不算批处理失败）；2 用法错误，
文件夹不存在、不是文件夹，或汇总表无法写入。
`,
  );
}

async function runBatchCommand(args: string[]): Promise<number> {
  const a = parseBatchArgs(args);
  if (a.help) {
    process.stdout.write(batchHelp());
    return EXIT.OK;
  }
  if (a.dir === undefined) throw new UsageError(say('give the folder of captures: wirenote batch DIR', '请给出抓包文件所在的文件夹：wirenote batch 文件夹'), say('see wirenote batch --help', '见 wirenote batch --help'));
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(a.dir);
  } catch {
    st = undefined;
  }
  if (!st) throw new UsageError(say(`the folder "${a.dir}" does not exist`, `文件夹 "${a.dir}" 不存在`));
  if (!st.isDirectory()) throw new UsageError(say(`"${a.dir}" is a file, not a folder of captures (for one capture: wirenote fields -r FILE …)`, `"${a.dir}" 是文件，不是抓包文件夹（单个文件请用 wirenote fields -r 文件 …）`));
  const files = listCaptures(a.dir);
  if (files.length === 0) process.stderr.write(say(`wirenote batch: no capture files (.pcap, .pcapng, .cap, .dmp, .gz) in "${a.dir}"\n`, `wirenote batch："${a.dir}" 中没有抓包文件（.pcap、.pcapng、.cap、.dmp、.gz）\n`));
  const tty = process.stderr.isTTY;
  const started = Date.now();
  const rows = await runBatch(files, a.threads, (done, total, file) => {
    if (!tty) return;
    const w = 30;
    const k = Math.round((done / total) * w);
    process.stderr.write(`\r[${'#'.repeat(k)}${' '.repeat(w - k)}] ${done}/${total} ${path.basename(file).slice(0, 40).padEnd(40)}`);
  });
  if (tty && files.length) process.stderr.write('\n');
  try {
    fs.writeFileSync(`${a.out}.csv`, toCsv(rows));
    fs.writeFileSync(`${a.out}.md`, toMarkdown(rows));
  } catch (e) {
    process.stderr.write(say(`wirenote batch: cannot write "${a.out}.csv" / "${a.out}.md": ${(e as Error).message}\n`, `wirenote batch：无法写入 "${a.out}.csv" / "${a.out}.md"：${(e as Error).message}\n`));
    return EXIT.USAGE;
  }
  process.stdout.write(toMarkdown(rows));
  const bad = rows.filter((r) => !r.readable).length;
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  process.stderr.write(say(`wirenote batch: ${rows.length} captures (${bad} unreadable or damaged) in ${secs} s → ${a.out}.csv, ${a.out}.md\n`, `wirenote batch：${rows.length} 个抓包文件（其中 ${bad} 个无法读取或已损坏），用时 ${secs} 秒 → ${a.out}.csv、${a.out}.md\n`));
  return EXIT.OK;
}

export const command: Command = {
  summary: () => say('summarise every capture in a folder (a class\'s submissions) → CSV and Markdown', '汇总文件夹中的每个抓包文件（全班提交）→ CSV 和 Markdown'),
  help: batchHelp,
  run: runBatchCommand,
};

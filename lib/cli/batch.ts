/**
 * `wirenote batch DIR [--out BASE]`: analyse every capture in a folder (a class's submissions)
 * on all cores, one worker thread per core, and write a summary table as BASE.csv and BASE.md.
 * One bad file never stops the batch: its row says what was wrong.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { CheckStatus, LabChecks } from '../lab/checks';

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

#!/usr/bin/env node
/**
 * wirenote command line.
 *   wirenote fields -r FILE -e FIELD [-e FIELD …]   tshark-compatible field output
 *   wirenote fields --list                           the supported fields
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readCaptureFile } from '../capture/file';
import { listCaptures, runBatch, toCsv, toMarkdown } from './batch';
import { FIELD_NAMES } from '../fields/registry';
import { runFields, UnknownFieldError } from '../fields/run';
import { FieldsLimitError } from '../fields/limits';

/** Exit status: 0 ok, 1 damaged capture (read stopped early), 2 usage, 3 link type not decoded. */
const USAGE = `usage:
  wirenote fields -r FILE -e FIELD [-e FIELD ...] [--http-ports-by-content]
  wirenote fields --list
  wirenote batch DIR [--out BASE] [--threads N]     summary of every capture in DIR → BASE.csv, BASE.md
  wirenote report [--capture FILE] [--out DIR] [--with-code] [--no-pdf] [-p NAME=VALUE]   the lab report (--help)
  wirenote notebook [--port N] [--no-browser] [--lab] [--capture FILE]   Jupyter on notebooks/ (--help)`;

async function batchCommand(args: string[]): Promise<number> {
  let dir: string | undefined;
  let out = 'batch-summary';
  let threads = os.cpus().length;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--out') out = args[++i];
    else if (args[i] === '--threads') threads = Number(args[++i]);
    else if (!dir) dir = args[i];
    else {
      process.stderr.write(`wirenote batch: unexpected argument "${args[i]}"\n${USAGE}\n`);
      return 2;
    }
  }
  if (!dir || !fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    process.stderr.write(`wirenote batch: give a folder of captures\n${USAGE}\n`);
    return 2;
  }
  const files = listCaptures(dir);
  const tty = process.stderr.isTTY;
  const started = Date.now();
  const rows = await runBatch(files, threads, (done, total, file) => {
    if (!tty) return;
    const w = 30;
    const k = Math.round((done / total) * w);
    process.stderr.write(`\r[${'#'.repeat(k)}${' '.repeat(w - k)}] ${done}/${total} ${path.basename(file).slice(0, 40).padEnd(40)}`);
  });
  if (tty) process.stderr.write('\n');
  fs.writeFileSync(`${out}.csv`, toCsv(rows));
  const md = toMarkdown(rows);
  fs.writeFileSync(`${out}.md`, md);
  process.stdout.write(md);
  const bad = rows.filter((r) => !r.readable).length;
  process.stderr.write(`wirenote batch: ${rows.length} captures (${bad} unreadable) in ${((Date.now() - started) / 1000).toFixed(1)} s → ${out}.csv, ${out}.md\n`);
  return 0;
}

async function fieldsCommand(args: string[]): Promise<number> {
  let file: string | undefined;
  const fields: string[] = [];
  let reportPorts = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-r') file = args[++i];
    else if (a === '-e') fields.push(args[++i]);
    else if (a === '--list') {
      process.stdout.write(FIELD_NAMES.join('\n') + '\n');
      return 0;
    } else if (a === '--http-ports-by-content') reportPorts = true;
    else if (a === '-T' || a === '-E') i++; // accepted for tshark compatibility (always fields, header, tab)
    else if (a === '-2') continue;
    else {
      process.stderr.write(`wirenote fields: unexpected argument "${a}"\n${USAGE}\n`);
      return 2;
    }
  }
  if (!file || fields.length === 0) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  try {
    const res = await runFields((cb) => readCaptureFile(file!, cb), fields, (chunk) => writeAll(1, chunk));
    for (const w of res.read.warnings) process.stderr.write(`wirenote: warning: ${w.message}\n`);
    for (const w of res.undecoded) process.stderr.write(`wirenote: ${file}: ${w.message}\n`);
    for (const l of res.httpLimits) process.stderr.write(`wirenote: warning: ${file}: frame ${l.frame}: ${LIMIT_TEXT[l.what]}\n`);
    if (reportPorts) process.stderr.write(`http-ports-by-content: ${res.httpPortsByContent.join(',')}\n`);
    if (res.read.error) {
      process.stderr.write(`wirenote: ${file}: ${res.read.error.message}\nwirenote: ${res.read.packets} packets were read before the error.\n`);
      return 1;
    }
    return res.undecoded.length ? 3 : 0;
  } catch (e) {
    if (e instanceof UnknownFieldError) {
      process.stderr.write(`wirenote fields: ${e.message}\n`);
      return 2;
    }
    if (e instanceof FieldsLimitError) {
      process.stderr.write(`wirenote fields: ${file}: ${e.message}\n`);
      return 4;
    }
    throw e;
  }
}

/** What a size limit of the HTTP analyzer did (HttpEvents.onLimit). */
const LIMIT_TEXT = {
  head: 'an HTTP message still without the end of its head after 16 MiB was read as data from there on (tshark would keep collecting it)',
  body: 'an HTTP message still waiting for its chunks after 16 MiB was shown as it was (tshark would keep collecting it)',
  kept: 'an HTTP body over 64 MiB was counted, not kept',
};

/**
 * Write a whole chunk synchronously (the fields writer reuses its buffer). A non-blocking pipe
 * that is full is waited for; a reader that went away (`| head`) ends the output quietly.
 */
function writeAll(fd: number, chunk: Buffer): void {
  let off = 0;
  while (off < chunk.length) {
    try {
      off += fs.writeSync(fd, chunk, off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') Atomics.wait(PAUSE, 0, 0, 1);
      else if (code === 'EPIPE') process.exit(0);
      else throw e;
    }
  }
}
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'fields':
      return fieldsCommand(rest);
    case 'batch':
      return batchCommand(rest);
    case 'report':
      return (await import('./report')).reportCommand(rest);
    case 'notebook':
      return (await import('./notebook')).notebookCommand(rest);
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(`${USAGE}\n`);
      return cmd ? 0 : 2;
    default:
      process.stderr.write(`wirenote: unknown command "${cmd}"\n${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`wirenote: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exitCode = 70;
  },
);

#!/usr/bin/env node
/**
 * npm run bench:report [-- --runs N]
 *
 * The report's speed target (issue 12): the whole report — every notebook executed, Markdown, HTML
 * and PDF — in at most 2 × the time Jupyter takes to execute a single 1-cell tslab notebook on the
 * same machine (`jupyter-nbconvert --to notebook --execute`, the kernel registered as
 * `wirenote notebook` registers it). Both are timed as whole processes, N runs each, alternating;
 * the medians are compared. The report is timed twice: as usual (cells whose code did not change
 * come from the compile cache) and cold (WIRENOTE_COMPILE_CACHE=0: tslab's converter created and
 * every cell type-checked, as on a fresh clone). Then one run with WIRENOTE_TIMING=1 says where
 * the time goes. Exit status 1 if the usual report misses the target.
 */
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.join(__dirname, '..');
const BIN = path.join(ROOT, 'lib', 'bin', 'wirenote.js');

function parse(argv) {
  const o = { runs: 5 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') o.runs = Number(argv[++i]);
    else {
      console.error(`bench:report: unknown option ${argv[i]} (--runs N)`);
      process.exit(2);
    }
  }
  if (!(o.runs >= 1)) {
    console.error('bench:report: --runs wants a number ≥ 1');
    process.exit(2);
  }
  return o;
}

function timed(cmd, args, opts) {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return { s, r };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

function main() {
  const o = parse(process.argv.slice(2));
  const { installKernel, JUPYTER_PATH } = require('../lib/dist/cli/notebook');
  installKernel();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'wirenote-bench-report-'));
  const one = path.join(work, 'one-cell.ipynb');
  fs.writeFileSync(
    one,
    JSON.stringify({
      cells: [{ cell_type: 'code', id: 'one', metadata: {}, execution_count: null, outputs: [], source: ['console.log(1 + 1);'] }],
      metadata: { kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' } },
      nbformat: 4,
      nbformat_minor: 5,
    }),
  );
  const env = { ...process.env, JUPYTER_PATH };
  delete env.WIRENOTE_TIMING;
  const oneCell = [];
  const report = [];
  const cold = [];
  // Warm the page cache for both (first runs read node_modules from disk).
  timed('jupyter-nbconvert', ['--to', 'notebook', '--execute', '--output', path.join(work, 'out.ipynb'), one], { env, cwd: work });
  timed(process.execPath, [BIN, 'report', '--out', path.join(work, 'report')], { env, cwd: ROOT });
  for (let i = 0; i < o.runs; i++) {
    oneCell.push(timed('jupyter-nbconvert', ['--to', 'notebook', '--execute', '--output', path.join(work, 'out.ipynb'), one], { env, cwd: work }).s);
    report.push(timed(process.execPath, [BIN, 'report', '--out', path.join(work, 'report')], { env, cwd: ROOT }).s);
    cold.push(timed(process.execPath, [BIN, 'report', '--out', path.join(work, 'report')], { env: { ...env, WIRENOTE_COMPILE_CACHE: '0' }, cwd: ROOT }).s);
  }
  const t0 = Date.now();
  const last = timed(process.execPath, [BIN, 'report', '--out', path.join(work, 'report')], { env: { ...env, WIRENOTE_TIMING: '1', WIRENOTE_T0: String(t0) }, cwd: ROOT });
  const cells = /cells compiled (\d+) cached (\d+)/.exec(last.r.stderr);
  const phases = last.r.stderr
    .split('\n')
    .filter((l) => l.startsWith('timing '))
    .map((l) => {
      const m = /^timing (.*) (\d+)$/.exec(l);
      return [m[1], Number(m[2]) / 1000];
    });

  const fmt = (xs) => `${median(xs).toFixed(2)} s (runs: ${xs.map((x) => x.toFixed(2)).join(', ')})`;
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0].model}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`1-cell tslab notebook, jupyter-nbconvert --execute: ${fmt(oneCell)}`);
  console.log(`wirenote report (8 notebooks, Markdown + HTML + PDF): ${fmt(report)}`);
  console.log(`wirenote report, cold compile cache: ${fmt(cold)}`);
  const ratio = median(report) / median(oneCell);
  console.log(`ratio report / 1-cell notebook: ${ratio.toFixed(2)} (target ≤ 2); cold: ${(median(cold) / median(oneCell)).toFixed(2)}`);
  console.log(`where one report run goes (s, WIRENOTE_TIMING=1; cells type-checked ${cells?.[1]}, from the cache ${cells?.[2]}):`);
  const labels = { start: 'Node start, loading the library, reading and parsing the notebooks', session: "tslab's executor (its TypeScript converter is created at the first cell not in the compile cache)", assemble: 'export + Markdown/HTML', pdf: 'PDF (Chromium printing; the browser started at the beginning, in parallel)' };
  for (const [name, s] of phases) console.log(`  ${s.toFixed(2).padStart(6)}  ${labels[name] ?? name}`);
  console.log(`  ${(last.s).toFixed(2).padStart(6)}  total, whole process`);
  fs.rmSync(work, { recursive: true, force: true });
  if (ratio > 2) process.exitCode = 1;
}

main();

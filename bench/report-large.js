#!/usr/bin/env node
/**
 * The report on a large capture, end to end: `wirenote report --no-pdf` (all notebooks executed in
 * one process, Markdown + HTML) on generated captures of 1 M packets — ~100 k short connections, and
 * ~19 k keep-alive connections with large bodies — timing the run and its peak RSS (GNU time).
 *
 *   npm run bench:report-large [-- --packets N]
 * Targets (issue 16): under a minute, peak RSS under 1 GB.
 */
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const args = process.argv.slice(2);
const packets = Number(args[args.indexOf('--packets') + 1] || 1000000) || 1000000;
const out = path.join(__dirname, 'out');
fs.mkdirSync(out, { recursive: true });
const shapes = [
  { name: `short-${packets}`, extra: ['--body-max', '300', '--requests-max', '1'] },
  { name: `http-${packets}`, extra: [] },
];
const cli = path.join(__dirname, '..', 'lib', 'bin', 'wirenote.js');
const rows = [];
for (const s of shapes) {
  const file = path.join(out, `${s.name}.pcap`);
  if (!fs.existsSync(file)) {
    const g = spawnSync(process.execPath, [path.join(__dirname, 'generate.js'), '--packets', String(packets), '--out', file, ...s.extra], { encoding: 'utf8' });
    if (g.status !== 0) throw new Error(g.stderr);
    process.stdout.write(g.stdout);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirenote-bench-report-'));
  const t0 = Date.now();
  const r = spawnSync('/usr/bin/time', ['-v', process.execPath, cli, 'report', '--no-pdf', '--capture', file, '--out', dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const wall = (Date.now() - t0) / 1000;
  const rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? 0) / 1024;
  const md = fs.existsSync(path.join(dir, '实验报告.md')) ? fs.statSync(path.join(dir, '实验报告.md')).size : 0;
  rows.push({ capture: s.name, MB: (fs.statSync(file).size / 1e6).toFixed(0), status: r.status, 'wall s': wall.toFixed(1), 'peak RSS MB': rss.toFixed(0), 'report.md KB': (md / 1024).toFixed(0) });
  if (r.status !== 0 && r.status !== 3) process.stderr.write(r.stderr.slice(-3000));
  fs.rmSync(dir, { recursive: true, force: true });
}
console.table(rows);
const bad = rows.filter((r) => Number(r['wall s']) > 60 || Number(r['peak RSS MB']) > 1024 || (r.status !== 0 && r.status !== 3));
if (bad.length) console.log(`over target: ${bad.map((r) => r.capture).join(', ')}`);

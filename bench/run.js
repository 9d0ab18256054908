#!/usr/bin/env node
/**
 * npm run bench [-- --packets 100000[,1000000,…]] [--keep]
 *
 * On the same generated capture: `wirenote fields` and `tshark -2 -T fields` for the same fields
 * (their outputs must be identical), pcap-parser's bare iteration, and wirenote's in-process
 * analysis (its connection and message counts must be tshark's). Prints wall time, packets/s, MB/s,
 * peak RSS (GNU time) and ratios against tshark; the in-process analysis also timed inside the
 * process, for the first capture and for later ones.
 */
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.join(__dirname, '..');
const FIELDS = ['frame.number', 'tcp.stream', 'tcp.seq', 'tcp.ack', 'tcp.analysis.bytes_in_flight', 'http.request.uri', 'http.response.code'];
const OUT = path.join(__dirname, 'out');

function args() {
  const o = { sizes: [100000], keep: false };
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--packets') o.sizes = a[++i].split(',').map(Number);
    else if (a[i] === '--keep') o.keep = true;
  }
  return o;
}

/** Run a command under GNU time; stdout to a file. Returns wall seconds and peak RSS in MB. */
function measure(cmd, argv, stdoutFile) {
  const fd = fs.openSync(stdoutFile, 'w');
  const timeFile = path.join(os.tmpdir(), `wirenote-time-${process.pid}`);
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', '-o', timeFile, cmd, ...argv], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', maxBuffer: 1 << 26 });
  fs.closeSync(fd);
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr}`);
  const [wall, kb] = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  return { wall, rssMb: kb / 1024 };
}

/** Connections (distinct tcp.stream) and HTTP messages (request URIs + response codes) in tshark's output. */
function tsharkCounts(file) {
  const streams = new Set();
  let messages = 0;
  const lines = fs.readFileSync(file, 'latin1').split('\n').slice(1);
  for (const line of lines) {
    if (!line) continue;
    const f = line.split('\t');
    if (f[1] !== '') streams.add(f[1]);
    for (const i of [5, 6]) if (f[i]) messages += f[i].split(',').length;
  }
  return { streams: streams.size, messages };
}

function sameFile(a, b) {
  return spawnSync('cmp', ['-s', a, b]).status === 0;
}

function main() {
  const o = args();
  fs.mkdirSync(OUT, { recursive: true });
  const cpu = (os.cpus()[0] || { model: '?' }).model;
  console.log(`machine: ${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${spawnSync('tshark', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]}`);
  let allAgree = true;
  const rows = [];
  for (const n of o.sizes) {
    const file = path.join(OUT, `http-${n}.pcap`);
    if (!fs.existsSync(file)) spawnSync(process.execPath, [path.join(__dirname, 'generate.js'), '--packets', String(n), '--out', file], { stdio: 'inherit' });
    const mb = fs.statSync(file).size / 2 ** 20;
    const fieldArgs = FIELDS.flatMap((f) => ['-e', f]);
    const wOut = path.join(OUT, `wirenote-${n}.txt`);
    const tOut = path.join(OUT, `tshark-${n}.txt`);
    const res = {
      tshark: measure('tshark', ['-2', '-n', '-r', file, '-T', 'fields', '-E', 'header=y', '-E', 'separator=/t', ...fieldArgs], tOut),
      fields: measure(process.execPath, [path.join(ROOT, 'lib', 'bin', 'wirenote.js'), 'fields', '-r', file, ...fieldArgs], wOut),
      pcapParser: measure(process.execPath, [path.join(__dirname, 'iterate-pcap-parser.js'), file], path.join(OUT, 'pp.txt')),
      analysis: measure(process.execPath, [path.join(__dirname, 'analyze.js'), file], path.join(OUT, 'an.txt')),
    };
    const agree = sameFile(wOut, tOut);
    allAgree = allAgree && agree;
    for (const [name, m] of Object.entries(res)) {
      rows.push({ packets: n, mb, name, ...m, ratio: res.tshark.wall / m.wall });
    }
    console.log(`${n} packets: wirenote fields output ${agree ? 'is identical to' : 'DIFFERS from'} tshark's`);
    // The in-process analysis prints no fields, but what it found must be what tshark found.
    const [counts, cold] = fs.readFileSync(path.join(OUT, 'an.txt'), 'utf8').trim().split('\n');
    const want = tsharkCounts(tOut);
    const countsAgree = counts === `${n} ${want.streams} ${want.messages}`;
    allAgree = allAgree && countsAgree;
    console.log(`${n} packets: in-process analysis found ${counts.split(' ').slice(1).join(' connections, ')} HTTP messages — ${countsAgree ? 'as' : 'NOT as'} tshark (${want.streams}, ${want.messages})`);
    // Timed inside the process: the first pass (as above), and the steady state of later ones.
    const passes = spawnSync(process.execPath, [path.join(__dirname, 'analyze.js'), file, '--passes', '3'], { encoding: 'utf8' }).stdout.trim().split('\n')[1].split(' ').map(Number);
    rows.push({ packets: n, mb, name: 'inside', wall: Number(cold), rssMb: NaN, ratio: NaN });
    rows.push({ packets: n, mb, name: 'insideWarm', wall: Math.min(...passes.slice(1)), rssMb: NaN, ratio: NaN });
    if (!o.keep) for (const f of [wOut, tOut]) fs.unlinkSync(f);
  }
  const label = {
    tshark: 'tshark -2 -T fields',
    fields: 'wirenote fields',
    pcapParser: 'pcap-parser iteration',
    analysis: 'wirenote in-process analysis',
    inside: '… timed inside the process: first capture',
    insideWarm: '… timed inside the process: later captures',
  };
  console.log('\n| packets | file MB | what | wall s | packets/s | MB/s | peak RSS MB | × faster than tshark |');
  console.log('| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    const dash = (x, digits) => (Number.isNaN(x) ? '—' : x.toFixed(digits));
    console.log(`| ${r.packets} | ${r.mb.toFixed(0)} | ${label[r.name]} | ${r.wall.toFixed(2)} | ${Math.round(r.packets / r.wall)} | ${(r.mb / r.wall).toFixed(0)} | ${dash(r.rssMb, 0)} | ${dash(r.ratio, 1)} |`);
  }
  if (!allAgree) {
    console.error('\nbench: wirenote and tshark disagree');
    process.exit(1);
  }
}

main();

#!/usr/bin/env node
/**
 * npm run bench:hostile [-- --shapes NAME,… --keep --no-tshark --bin OTHER/lib/bin/wirenote.js]
 *
 * The adversarial shapes of issue 15, each written once (deterministically) into bench/out/, then
 * `tshark -2 -T fields` and `wirenote fields` on the same file for the same fields: wall time,
 * peak RSS (GNU time), the ratio wirenote / tshark (target ≤ 3; most far below 1), and whether
 * the two outputs are byte-identical. A shape tshark cannot finish in reasonable time (it reads a
 * growing line again for every segment) is run by wirenote alone and says so.
 */
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.join(__dirname, '..');
const OUT = path.join(__dirname, 'out');
const HTTP = ['frame.number', 'tcp.stream', 'tcp.len', 'tcp.reassembled_in', 'tcp.segment.count', 'http.request.method', 'http.request.uri', 'http.host',
  'http.response.code', 'http.content_length_header', 'http.request_in', 'http.response_in'];

/** A streaming pcap writer: Ethernet, IPv4, TCP without options; 100 µs per frame. */
class Writer {
  constructor(file) {
    this.fd = fs.openSync(file, 'w');
    this.buf = Buffer.alloc(8 << 20);
    this.pos = 0;
    this.us = 0;
    const h = Buffer.alloc(24);
    h.writeUInt32LE(0xa1b2c3d4, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeUInt32LE(262144, 16);
    h.writeUInt32LE(1, 20);
    fs.writeSync(this.fd, h);
  }
  packet(src, dst, sport, dport, seq, ack, flags, payload) {
    const plen = payload ? payload.length : 0;
    const frameLen = 14 + 20 + 20 + plen;
    if (this.pos + 16 + frameLen > this.buf.length) this.flush();
    const b = this.buf;
    let p = this.pos;
    this.us += 100;
    b.writeUInt32LE(1700000000 + Math.floor(this.us / 1e6), p);
    b.writeUInt32LE(this.us % 1e6, p + 4);
    b.writeUInt32LE(frameLen, p + 8);
    b.writeUInt32LE(frameLen, p + 12);
    p += 16;
    b.fill(0, p, p + 54);
    b[p + 5] = 1;
    b[p + 11] = 2;
    b.writeUInt16BE(0x0800, p + 12);
    p += 14;
    b[p] = 0x45;
    b.writeUInt16BE(40 + plen, p + 2);
    b.writeUInt16BE(0x4000, p + 6);
    b[p + 8] = 64;
    b[p + 9] = 6;
    b.writeUInt32BE(src, p + 12);
    b.writeUInt32BE(dst, p + 16);
    p += 20;
    b.writeUInt16BE(sport, p);
    b.writeUInt16BE(dport, p + 2);
    b.writeUInt32BE(seq >>> 0, p + 4);
    b.writeUInt32BE(ack >>> 0, p + 8);
    b.writeUInt16BE((5 << 12) | flags, p + 12);
    b.writeUInt16BE(65535, p + 14);
    p += 20;
    if (plen) payload.copy(b, p);
    this.pos = p + plen;
  }
  flush() {
    fs.writeSync(this.fd, this.buf, 0, this.pos);
    this.pos = 0;
  }
  close() {
    this.flush();
    fs.closeSync(this.fd);
  }
}

const FIN = 0x01, SYN = 0x02, PSH = 0x08, ACK = 0x10;
const CLIENT = 0x0a000001, SERVER = 0x0a000101;

/** One connection; `send(dir, bytes)` cuts into MSS segments, the peer ACKs every second one. */
class Conn {
  constructor(w, cport, o = {}) {
    this.w = w;
    this.cport = cport;
    this.seq = [1000, 500000];
    this.mss = o.mss || 1448;
    this.w.packet(CLIENT, SERVER, cport, 80, this.seq[0]++, 0, SYN);
    this.w.packet(SERVER, CLIENT, 80, cport, this.seq[1]++, this.seq[0], SYN | ACK);
    this.w.packet(CLIENT, SERVER, cport, 80, this.seq[0], this.seq[1], ACK);
  }
  seg(dir, data, seq) {
    const [s, d, sp, dp] = dir === 0 ? [CLIENT, SERVER, this.cport, 80] : [SERVER, CLIENT, 80, this.cport];
    this.w.packet(s, d, sp, dp, seq ?? this.seq[dir], this.seq[1 - dir], ACK | PSH, data);
    if (seq === undefined) this.seq[dir] += data.length;
  }
  ack(dir) {
    const [s, d, sp, dp] = dir === 0 ? [CLIENT, SERVER, this.cport, 80] : [SERVER, CLIENT, 80, this.cport];
    this.w.packet(s, d, sp, dp, this.seq[dir], this.seq[1 - dir], ACK);
  }
  /** `chunks` yields Buffers of stream bytes; they are cut into MSS-sized segments. */
  send(dir, chunks) {
    let pending = Buffer.alloc(0);
    let n = 0;
    const emit = (b) => {
      this.seg(dir, b);
      if (++n % 2 === 0) this.ack(1 - dir);
    };
    for (const c of chunks) {
      pending = pending.length ? Buffer.concat([pending, c]) : c;
      while (pending.length >= this.mss) {
        emit(pending.subarray(0, this.mss));
        pending = pending.subarray(this.mss);
      }
    }
    if (pending.length) emit(pending);
    this.ack(1 - dir);
  }
  close() {
    const [c, s] = this.seq;
    this.w.packet(CLIENT, SERVER, this.cport, 80, c, s, FIN | ACK);
    this.w.packet(SERVER, CLIENT, 80, this.cport, s, c + 1, FIN | ACK);
    this.w.packet(CLIENT, SERVER, this.cport, 80, c + 1, s + 1, ACK);
  }
}

function* repeat(unit, count, batch = 4096) {
  const block = Buffer.from(unit.repeat(batch), 'latin1');
  for (let i = 0; i < count; i += batch) yield i + batch <= count ? block : Buffer.from(unit.repeat(count - i), 'latin1');
}

const GET = Buffer.from('GET / HTTP/1.1\r\nHost: lab\r\n\r\n');

/** The shapes: name → [what, fields, write(file), whether tshark is run]. */
const SHAPES = {
  'chunked-1byte': ['a chunked body of 200,000 one-byte chunks', HTTP, (w) => {
    const c = new Conn(w, 40000);
    c.send(0, [GET]);
    c.send(1, [Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'), ...repeat('1\r\nx\r\n', 200000), Buffer.from('0\r\n\r\n')]);
    c.close();
  }],
  'head-no-blank-8mb': ['a request head of 8 MB that never ends (no blank line)', HTTP, (w) => {
    const c = new Conn(w, 40000);
    c.send(0, [Buffer.from('GET / HTTP/1.1\r\n'), ...repeat('X-Filler: abcdefghij\r\n', (8 << 20) / 22)]);
    c.close();
  }],
  'head-1m-lines': ['a request head of 10^6 header lines, then its response', HTTP, (w) => {
    const c = new Conn(w, 40000);
    c.send(0, [Buffer.from('GET / HTTP/1.1\r\nHost: lab\r\n'), ...repeat('a: b\r\n', 1000000), Buffer.from('\r\n')]);
    c.send(1, [Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')]);
    c.close();
  }],
  'lf-free-8mb': ['a request line of 8 MB without LF', HTTP, (w) => {
    const c = new Conn(w, 40000);
    c.send(0, [Buffer.from('GET /'), ...repeat('a', 8 << 20, 65536)]);
    c.send(0, [Buffer.from(' HTTP/1.1\r\nHost: lab\r\n\r\n')]);
    c.send(1, [Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')]);
    c.close();
  }],
  'lf-free-64mb': ['a request line of 64 MB without LF (tshark: not run, hours)', HTTP, (w) => {
    const c = new Conn(w, 40000);
    c.send(0, [Buffer.from('GET /'), ...repeat('a', 64 << 20, 65536)]);
    c.send(0, [Buffer.from(' HTTP/1.1\r\nHost: lab\r\n\r\n')]);
    c.close();
  }, false],
  'overlap-lf-free': ['a body segment overlapping the head by a byte, then 8 MB without LF', HTTP, (w) => {
    const c = new Conn(w, 40000);
    c.send(0, [GET]);
    const head = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 8388608\r\n\r\n');
    c.seg(1, head);
    // Re-sends the head's last byte with the first body bytes (a retransmission to Wireshark).
    c.seg(1, Buffer.concat([head.subarray(head.length - 1), Buffer.alloc(1447, 0x61)]), c.seq[1] - 1);
    c.seq[1] += 1447;
    c.send(1, repeat('a', (8 << 20) - 1447, 65536));
    c.close();
  }],
};
for (const [mb, withTshark] of [[8, true], [128, false]]) {
  const note = withTshark ? '' : ' (tshark: not run, hours)';
  SHAPES[`chunk-ffff-${mb}mb`] = [`a chunk size of ffffffffffffffff, then ${mb} MB${note}`, HTTP, (w) => {
    const c = new Conn(w, 40000);
    c.send(0, [GET]);
    c.send(1, [Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n'), ...repeat('b', mb << 20, 65536)]);
    c.close();
  }, withTshark];
  SHAPES[`chunk-7fffffff-${mb}mb`] = [`a chunk size of 7fffffff (2 GB announced), then ${mb} MB${note}`, HTTP, (w) => {
    const c = new Conn(w, 40000);
    c.send(0, [GET]);
    c.send(1, [Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7fffffff\r\n'), ...repeat('b', mb << 20, 65536)]);
    c.close();
  }, withTshark];
}
// Memory: state the two-pass fields keep per message and per connection.
SHAPES['pipelined-5m'] = ['5,000,000 pipelined requests on one connection (fields that pair them)', ['frame.number', 'http.request.method', 'http.request.uri', 'http.response_in', 'http.next_request_in'], (w) => {
  const c = new Conn(w, 40000);
  c.send(0, repeat('GET /a HTTP/1.1\r\nHost: h\r\n\r\n', 5000000, 8192));
  c.close();
}];
SHAPES['syn-2m'] = ['2,000,000 SYN-only connections (tcp.completeness)', ['frame.number', 'tcp.stream', 'tcp.completeness'], (w) => {
  for (let i = 0; i < 2000000; i++) w.packet(0x0a000000 + (i >>> 14), SERVER, 1024 + (i & 0x3fff), 80, i * 7919, 0, SYN);
}];

function measure(cmd, argv, stdoutFile, timeoutS) {
  const fd = fs.openSync(stdoutFile, 'w');
  const timeFile = path.join(os.tmpdir(), `wirenote-time-${process.pid}`);
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', '-o', timeFile, cmd, ...argv], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', timeout: timeoutS * 1000, maxBuffer: 1 << 26 });
  fs.closeSync(fd);
  if (r.error) return { wall: NaN, rssMb: NaN, cpu: NaN, status: 'timeout' };
  const [wall, kb, user, sys] = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  return { wall, rssMb: kb / 1024, cpu: user + sys, status: r.status };
}

function main() {
  const a = process.argv.slice(2);
  let names = Object.keys(SHAPES);
  let keep = false;
  let tshark = true;
  let bin = path.join(ROOT, 'lib', 'bin', 'wirenote.js');
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--shapes') names = a[++i].split(',');
    else if (a[i] === '--bin') bin = path.resolve(a[++i]); // another build, e.g. before a change
    else if (a[i] === '--keep') keep = true;
    else if (a[i] === '--no-tshark') tshark = false;
    else {
      console.error(`bench:hostile: unknown option ${a[i]} (--shapes A,B --keep --no-tshark --bin FILE)`);
      process.exit(2);
    }
  }
  for (const n of names) {
    if (!SHAPES[n]) {
      console.error(`bench:hostile: unknown shape ${n} (${Object.keys(SHAPES).join(', ')})`);
      process.exit(2);
    }
  }
  fs.mkdirSync(OUT, { recursive: true });
  const rows = [];
  let ok = true;
  for (const n of names) {
    const [what, fields, write, withTshark = true] = SHAPES[n];
    const file = path.join(OUT, `hostile-${n}.pcap`);
    if (!fs.existsSync(file)) {
      const w = new Writer(file);
      write(w);
      w.close();
    }
    const mb = fs.statSync(file).size / 2 ** 20;
    const e = fields.flatMap((f) => ['-e', f]);
    const wOut = path.join(OUT, `hostile-${n}.wirenote.txt`);
    const tOut = path.join(OUT, `hostile-${n}.tshark.txt`);
    const wr = measure(process.execPath, [bin, 'fields', '-r', file, ...e], wOut, 1800);
    const tr = tshark && withTshark ? measure('tshark', ['-2', '-n', '-r', file, '-T', 'fields', '-E', 'header=y', '-E', 'separator=/t', ...e], tOut, 1800) : undefined;
    const same = tr ? spawnSync('cmp', ['-s', wOut, tOut]).status === 0 : undefined;
    if (same === false) ok = false;
    rows.push({ n, what, mb, wr, tr, same });
    console.log(`${n}: wirenote ${wr.wall} s (CPU ${wr.cpu.toFixed(2)} s) ${wr.rssMb.toFixed(0)} MB${tr ? `, tshark ${tr.wall} s (CPU ${tr.cpu.toFixed(2)} s) ${tr.rssMb.toFixed(0)} MB, outputs ${same ? 'identical' : 'DIFFER'}` : ''}`);
    if (!keep) for (const f of [wOut, tOut]) if (fs.existsSync(f)) fs.unlinkSync(f);
  }
  // CPU seconds (user + system) as well as wall: on a shared machine wall time varies with the load.
  console.log('\n| shape | file MB | wirenote wall s (CPU s) | wirenote RSS MB | tshark wall s (CPU s) | tshark RSS MB | wirenote / tshark (CPU) | output |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const r of rows) {
    const t = r.tr;
    const f = (x, d) => (x === undefined || Number.isNaN(x) ? '—' : x.toFixed(d));
    console.log(`| ${r.what} | ${r.mb.toFixed(0)} | ${f(r.wr.wall, 2)} (${f(r.wr.cpu, 2)}) | ${f(r.wr.rssMb, 0)} | ${t ? `${f(t.wall, 2)} (${f(t.cpu, 2)})` : '—'} | ${f(t?.rssMb, 0)} | ${t ? `${f(r.wr.wall / t.wall, 3)} (${f(r.wr.cpu / t.cpu, 3)})` : '—'} | ${r.same === undefined ? 'tshark not run' : r.same ? 'identical' : 'DIFFERS'} |`);
  }
  if (!ok) process.exit(1);
}

if (require.main === module) main();
module.exports = { Writer, Conn, SHAPES };

#!/usr/bin/env node
/**
 * Deterministic generator of large, realistic HTTP/1.1 captures (pcap, Ethernet, IPv4):
 * many overlapping connections, each with a handshake (MSS / window scale / SACK_PERM), one or
 * more keep-alive GET → 200 exchanges with MSS-sized response segments, delayed ACKs (one ACK per
 * two segments), occasional loss repaired by a fast retransmission after duplicate ACKs, and a
 * four-way teardown. Same seed and size → byte-identical file.
 *
 *   node bench/generate.js --packets 1000000 --out bench/out/http-1m.pcap [--seed 1]
 *   node bench/generate.js --packets 1000000 --body-max 300 --requests-max 1   (≈ 100 k short connections)
 */
'use strict';
const fs = require('fs');
const path = require('path');
const { prng } = require('wirenote');

function parse(argv) {
  const o = { packets: 100000, out: undefined, seed: 1, bodyMax: Infinity, requestsMax: 3 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--packets') o.packets = Number(argv[++i]);
    else if (argv[i] === '--out') o.out = argv[++i];
    else if (argv[i] === '--seed') o.seed = Number(argv[++i]);
    // Short connections (many of them per million packets): --body-max 300 --requests-max 1.
    else if (argv[i] === '--body-max') o.bodyMax = Number(argv[++i]);
    else if (argv[i] === '--requests-max') o.requestsMax = Number(argv[++i]);
    else throw new Error(`unknown option ${argv[i]}`);
  }
  o.out = o.out || path.join(__dirname, 'out', `http-${o.packets}.pcap`);
  return o;
}

const MSS = 1448;
const BODY = Buffer.alloc(64 * 1024, 'abcdefghijklmnopqrstuvwxyz0123456789');
const FIN = 0x01, SYN = 0x02, PSH = 0x08, ACK = 0x10;

class Writer {
  constructor(file) {
    this.fd = fs.openSync(file, 'w');
    this.buf = Buffer.alloc(8 << 20);
    this.pos = 0;
    this.count = 0;
    const h = Buffer.alloc(24);
    h.writeUInt32LE(0xa1b2c3d4, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeUInt32LE(262144, 16);
    h.writeUInt32LE(1, 20);
    fs.writeSync(this.fd, h);
  }
  /** One Ethernet/IPv4/TCP packet. */
  packet(tUs, src, dst, sport, dport, seq, ack, flags, win, opts, payload, plen) {
    const tcpLen = 20 + opts.length;
    const ipLen = 20 + tcpLen + plen;
    const frameLen = 14 + ipLen;
    if (this.pos + 16 + frameLen > this.buf.length) this.flush();
    const b = this.buf;
    let p = this.pos;
    b.writeUInt32LE(Math.floor(tUs / 1e6), p);
    b.writeUInt32LE(tUs % 1e6, p + 4);
    b.writeUInt32LE(frameLen, p + 8);
    b.writeUInt32LE(frameLen, p + 12);
    p += 16;
    b.fill(0, p, p + 12);
    b[p + 5] = 1;
    b[p + 11] = 2;
    b.writeUInt16BE(0x0800, p + 12);
    p += 14;
    b[p] = 0x45;
    b[p + 1] = 0;
    b.writeUInt16BE(ipLen, p + 2);
    b.writeUInt32BE(0x40000000, p + 4);
    b[p + 8] = 64;
    b[p + 9] = 6;
    b.writeUInt16BE(0, p + 10);
    b.writeUInt32BE(src, p + 12);
    b.writeUInt32BE(dst, p + 16);
    p += 20;
    b.writeUInt16BE(sport, p);
    b.writeUInt16BE(dport, p + 2);
    b.writeUInt32BE(seq >>> 0, p + 4);
    b.writeUInt32BE(ack >>> 0, p + 8);
    b.writeUInt16BE(((tcpLen / 4) << 12) | flags, p + 12);
    b.writeUInt16BE(win, p + 14);
    b.writeUInt32BE(0, p + 16);
    p += 20;
    for (let i = 0; i < opts.length; i++) b[p + i] = opts[i];
    p += opts.length;
    if (plen) payload.copy(b, p, 0, plen);
    p += plen;
    this.pos = p;
    this.count++;
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

const SYN_OPTS = [2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2, 0, 0]; // MSS 1460, NOP, WS 7, SACK_PERM, EOL pad
const SYNACK_OPTS = [2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2, 0, 0];

/** One connection as a generator of packets (yielded one at a time so connections interleave). */
function* connection(id, rnd, w, clock, o) {
  const client = 0x0a000000 + (id % 250) + 1; // 10.0.0.x
  const server = 0x0a010001; // 10.1.0.1
  const sport = 10000 + (id % 50000);
  const dport = 80;
  let cs = Math.floor(rnd() * 2 ** 32);
  let ss = Math.floor(rnd() * 2 ** 32);
  const rtt = 200 + Math.floor(rnd() * 2000); // µs
  const C = (flags, opts, payload, plen, win = 502) => w.packet(clock.t, client, server, sport, dport, cs, flags & ACK ? ss : 0, flags, win, opts, payload, plen);
  const S = (flags, opts, payload, plen) => w.packet(clock.t, server, client, dport, sport, ss, cs, flags, 509, opts, payload, plen);
  C(SYN, SYN_OPTS, null, 0, 64240);
  cs++;
  yield rtt;
  S(SYN | ACK, SYNACK_OPTS, null, 0);
  ss++;
  yield rtt;
  C(ACK, [], null, 0);
  yield 50;
  const requests = 1 + Math.floor(rnd() * o.requestsMax);
  for (let r = 0; r < requests; r++) {
    const req = Buffer.from(`GET /asset/${id}/${r}.bin HTTP/1.1\r\nHost: bench.example\r\nUser-Agent: wirenote-bench\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n`);
    C(PSH | ACK, [], req, req.length);
    cs += req.length;
    yield rtt;
    const size = Math.min(o.bodyMax, 200 + Math.floor(rnd() ** 2 * 60000));
    const head = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${size}\r\nConnection: keep-alive\r\n\r\n`);
    const msg = Buffer.concat([head, BODY.subarray(0, size)]);
    let off = 0;
    let sinceAck = 0;
    while (off < msg.length) {
      const n = Math.min(MSS, msg.length - off);
      const last = off + n >= msg.length;
      const seg = msg.subarray(off, off + n);
      if (rnd() < 0.004 && !last) {
        // Lost on the wire (never captured): the next segments trigger duplicate ACKs, then a fast retransmission.
        const lostSeq = ss;
        ss += n;
        off += n;
        for (let d = 0; d < 3 && off < msg.length; d++) {
          const m = Math.min(MSS, msg.length - off);
          S(ACK, [], msg.subarray(off), m);
          ss += m;
          off += m;
          yield 20;
          const save = cs;
          w.packet(clock.t, client, server, sport, dport, cs, lostSeq, ACK, 502, [], null, 0); // duplicate ACK
          cs = save;
          yield 20;
        }
        const saved = ss;
        ss = lostSeq;
        S(ACK, [], seg, n); // fast retransmission
        ss = saved;
        yield rtt;
        w.packet(clock.t, client, server, sport, dport, cs, ss, ACK, 502, [], null, 0);
        sinceAck = 0;
        yield 20;
        continue;
      }
      S(last ? PSH | ACK : ACK, [], seg, n);
      ss += n;
      off += n;
      sinceAck++;
      yield 15;
      if (sinceAck === 2 || last) {
        C(ACK, [], null, 0); // delayed ACK: every second segment
        sinceAck = 0;
        yield 15;
      }
    }
    yield 1000 + Math.floor(rnd() * 20000);
  }
  // Teardown: the client closes first (four segments).
  C(FIN | ACK, [], null, 0);
  cs++;
  yield rtt;
  S(ACK, [], null, 0);
  yield 100;
  S(FIN | ACK, [], null, 0);
  ss++;
  yield rtt;
  C(ACK, [], null, 0);
}

function main() {
  const o = parse(process.argv.slice(2));
  fs.mkdirSync(path.dirname(o.out), { recursive: true });
  const rnd = prng(o.seed);
  const w = new Writer(o.out);
  const clock = { t: 1700000000 * 1e6 };
  const active = [];
  let next = 0;
  const CONCURRENT = 16;
  while (w.count < o.packets) {
    while (active.length < CONCURRENT) active.push(connection(next++, rnd, w, clock, o));
    const k = Math.floor(rnd() * active.length);
    const r = active[k].next();
    if (r.done) active.splice(k, 1);
    else clock.t += Math.max(1, Math.floor(r.value / CONCURRENT));
  }
  w.close();
  console.log(`${o.out}: ${w.count} packets, ${next} connections, ${fs.statSync(o.out).size} bytes`);
}

main();

#!/usr/bin/env node
/**
 * Pipelining by hand: three HTTP/1.1 requests (GET, HEAD, GET with Connection: close) written with one write() on a
 * fresh connection, so they leave in one TCP segment; read until the server closes. Prints what it did as JSON.
 *   node pipeline.js --host ::1 --port 8080
 */
'use strict';
const net = require('net');

const i = (n) => process.argv[process.argv.indexOf(`--${n}`) + 1];
const host = i('host');
const port = Number(i('port'));
const hostHeader = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
const lines = ['GET / HTTP/1.1', 'HEAD /logo.jpg HTTP/1.1', 'GET /icon.jpg HTTP/1.1'];
const text = lines
  .map((l, k) => `${l}\r\nHost: ${hostHeader}\r\nAccept: */*\r\n${k === lines.length - 1 ? 'Connection: close\r\n' : ''}\r\n`)
  .join('');
let localPort = 0;
const sock = net.connect({ host, port }, () => {
  localPort = sock.localPort;
  sock.setNoDelay(true);
  sock.write(text);
});
let read = 0;
sock.on('data', (d) => (read += d.length));
sock.on('close', () => {
  process.stdout.write(JSON.stringify({ localPort, requests: lines, bytesWritten: Buffer.byteLength(text), bytesRead: read }) + '\n');
});
sock.on('error', (e) => {
  console.error(e.message);
  process.exit(1);
});

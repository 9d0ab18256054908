#!/usr/bin/env node
/**
 * A small hand-written Node server (node:http, no framework) of the kind a student writes: serves a folder,
 * no Server header, no Range support, Connection keep-alive with Node's defaults.
 *   node node-site.js --root DIR --host ADDR --port N [--gzip-page] [--hold-page] [--keepalive S]
 * --gzip-page: the page (/ and *.html) is sent with Content-Encoding: gzip and no Content-Length (→ chunked),
 *   written in several pieces; other files are sent plain with Content-Length.
 * --hold-page: the response to / waits until a line "go" arrives on stdin (the builder starts the capture
 *   meanwhile), then is sent slowly in pieces.
 */
'use strict';
const http = require('http');
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const readline = require('readline');
const { instrument, emit, arg } = require('./instrument');

const root = arg('root');
const host = arg('host', '127.0.0.1');
const port = Number(arg('port', '3000'));
const keepalive = Number(arg('keepalive', '5'));
const gzipPage = process.argv.includes('--gzip-page');
const holdPage = process.argv.includes('--hold-page');
const TYPES = { '.html': 'text/html; charset=utf-8', '.jpg': 'image/jpeg', '.mp3': 'audio/mpeg', '.png': 'image/png', '.ico': 'image/x-icon' };

let go = Promise.resolve();
if (holdPage) {
  let release;
  go = new Promise((r) => (release = r));
  readline.createInterface({ input: process.stdin }).on('line', (l) => l.trim() === 'go' && release());
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function sendInPieces(res, buf, pieces, gapMs) {
  const n = Math.ceil(buf.length / pieces);
  for (let i = 0; i < buf.length; i += n) {
    res.write(buf.subarray(i, i + n));
    await sleep(gapMs);
  }
  res.end();
}

const server = http.createServer(async (req, res) => {
  const u = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  const rel = u === '/' ? 'index.html' : u.slice(1);
  const file = path.join(root, rel);
  if (!file.startsWith(root) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('Not Found\n');
    return;
  }
  const body = fs.readFileSync(file);
  const type = TYPES[path.extname(file)] || 'application/octet-stream';
  const isPage = path.extname(file) === '.html';
  if (isPage && holdPage) {
    emit({ ev: 'holding', url: req.url });
    await go;
    emit({ ev: 'released', url: req.url });
    res.writeHead(200, { 'Content-Type': type, 'Content-Length': body.length, 'Cache-Control': 'no-cache' });
    await sendInPieces(res, body, 4, 150);
    return;
  }
  if (isPage && gzipPage && req.method !== 'HEAD') {
    // No Content-Length: Node sends Transfer-Encoding: chunked, one chunk per write.
    res.writeHead(200, { 'Content-Type': type, 'Content-Encoding': 'gzip', 'Cache-Control': 'no-cache', Vary: 'Accept-Encoding' });
    await sendInPieces(res, zlib.gzipSync(body, { level: 9 }), 3, 20);
    return;
  }
  res.writeHead(200, { 'Content-Type': type, 'Content-Length': body.length, 'Cache-Control': 'no-cache' });
  res.end(req.method === 'HEAD' ? undefined : body);
});
server.keepAliveTimeout = keepalive * 1000;
instrument(server);
server.listen(port, host, () => emit({ ev: 'listening', host, port: server.address().port, node: process.version }));

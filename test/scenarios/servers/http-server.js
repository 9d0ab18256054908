#!/usr/bin/env node
/**
 * http-server (the seed's server, npm) serving a folder, on any address, with its connections logged.
 *   node http-server.js --root DIR --host ADDR --port N [--keepalive S] [--cache S]
 */
'use strict';
process.noDeprecation = true;
const httpServer = require('http-server');
const { instrument, emit, arg } = require('./instrument');

const host = arg('host', '127.0.0.1');
const port = Number(arg('port', '8080'));
const keepalive = Number(arg('keepalive', '5'));
const cache = Number(arg('cache', '-1'));
const s = httpServer.createServer({ root: arg('root'), cache, showDir: false, autoIndex: false, gzip: false, brotli: false, cors: false });
s.server.keepAliveTimeout = keepalive * 1000;
s.server.headersTimeout = Math.max(s.server.headersTimeout, keepalive * 1000 + 1000);
// As scripts/lab/server.js: a connection that never sends a request (a preconnect) is closed after the same idle time.
s.server.setTimeout(keepalive * 1000 + 500);
instrument(s.server);
s.listen(port, host, () => emit({ ev: 'listening', host, port: s.server.address().port, version: require('http-server/package.json').version, node: process.version }));

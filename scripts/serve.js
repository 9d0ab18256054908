#!/usr/bin/env node
/**
 * npm run serve [-- --port 8080 --host 127.0.0.1 --cache-seconds 0]
 * Serves site/ over plain HTTP on loopback only. Ctrl-C stops it.
 */
'use strict';
const { startServer, LabError } = require('./lab/server');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : process.env[name.toUpperCase().replace(/-/g, '_')] || fallback;
}

// startServer refuses a non-loopback address at once (a LabError thrown, not a rejected promise).
Promise.resolve()
  .then(() =>
    startServer({
      host: arg('host', '127.0.0.1'),
      port: Number(arg('port', 8080)),
      cacheSeconds: Number(arg('cache-seconds', 0)),
      log: true,
    }),
  )
  .then(
  (s) => {
    console.log(`serving site/ at ${s.url}  (http-server ${s.version}, HTTP only, loopback only; Ctrl-C stops)`);
    const stop = () => s.close().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  },
  (e) => {
    console.error(e instanceof LabError ? `serve: ${e.message}` : e);
    process.exit(1);
  },
);

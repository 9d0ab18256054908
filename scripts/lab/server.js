/**
 * The lab's web server: http-server (the seed's server) serving site/, HTTP only, on a loopback
 * address. Caching defaults to the seed's headers (cache-control: no-cache, no-store,
 * must-revalidate); a positive cacheSeconds lets a reload show conditional requests and 304s.
 */
'use strict';
const path = require('path');
const httpServer = require('http-server');

// http-server 14 touches a deprecated Node API on every response; the warning is noise here.
process.noDeprecation = true;

const SITE = path.join(__dirname, '..', '..', 'site');

class LabError extends Error {}

/** Only loopback addresses: the lab page is never served to the network. */
function isLoopback(host) {
  return /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1' || host === 'localhost';
}

/**
 * @param {{host?: string, port?: number, cacheSeconds?: number, keepAliveSeconds?: number, root?: string, log?: boolean}} opts
 * @returns {Promise<{url: string, host: string, port: number, version: string, keepAliveSeconds: number,
 *   openConnections: () => Promise<number>, close: () => Promise<void>}>}
 */
function startServer(opts = {}) {
  const host = opts.host || '127.0.0.1';
  const port = opts.port === undefined ? 8080 : opts.port;
  if (!isLoopback(host)) throw new LabError(`refusing to serve on ${host}: use a loopback address such as 127.0.0.1`);
  const server = httpServer.createServer({
    root: opts.root || SITE,
    cache: opts.cacheSeconds > 0 ? opts.cacheSeconds : -1,
    showDir: false,
    autoIndex: false,
    gzip: false,
    brotli: false,
    cors: false,
    logFn: opts.log
      ? (req, res) => res.on('finish', () => console.log(`${new Date().toISOString()} ${req.method} ${req.url} ${res.statusCode}`))
      : undefined,
  });
  return new Promise((resolve, reject) => {
    const onError = (e) => {
      if (e.code === 'EADDRINUSE') reject(new LabError(`port ${port} on ${host} is already in use: stop the other server or choose another port (--port N)`));
      else if (e.code === 'EACCES') reject(new LabError(`no permission to listen on port ${port}: choose a port above 1023`));
      else reject(e);
    };
    // Node's default idle keep-alive timeout is 5 s (the seed's "Keep-Alive: timeout=5").
    const keepAliveSeconds = opts.keepAliveSeconds > 0 ? opts.keepAliveSeconds : 5;
    server.server.keepAliveTimeout = keepAliveSeconds * 1000;
    // A connection the browser opened but never used (a preconnect) is closed after the same idle time.
    server.server.setTimeout(keepAliveSeconds * 1000 + 500);
    server.server.once('error', onError);
    server.listen(port, host, () => {
      server.server.off('error', onError);
      const actual = server.server.address().port;
      const shown = host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `http://${shown}:${actual}/`,
        host,
        port: actual,
        version: require('http-server/package.json').version,
        keepAliveSeconds,
        openConnections: () => new Promise((r) => server.server.getConnections((e, n) => r(e ? 0 : n))),
        close: () =>
          new Promise((r) => {
            // http-server's close() drops the callback: close the Node server directly.
            server.server.close(() => r());
            server.server.closeAllConnections?.();
          }),
      });
    });
  });
}

module.exports = { startServer, LabError, SITE };

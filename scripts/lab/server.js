/**
 * The lab's web server: http-server (the seed's server) serving site/, HTTP only, on a loopback
 * address. Caching defaults to the seed's headers (cache-control: no-cache, no-store,
 * must-revalidate); a positive cacheSeconds lets a reload show conditional requests and 304s.
 *
 * Its rules, checked before http-server sees a request: only Host names that mean this machine
 * (localhost, 127.x.x.x, [::1]: a page of another site that a DNS rebinding points here is
 * refused with 421); no dotfiles, NUL bytes or paths longer than 1,024 bytes; nothing outside
 * site/, also not through a symbolic link inside it; no directory listings; error pages that name
 * no file of this machine; a request whose head takes more than 10 s (headersTimeout) or whose
 * whole takes more than 30 s (requestTimeout) is dropped.
 */
'use strict';
const fs = require('fs');
const path = require('path');
const httpServer = require('http-server');
const statusHandlers = require('http-server/lib/core/status-handlers');

// http-server 14 touches a deprecated Node API on every response; the warning is noise here.
process.noDeprecation = true;

const SITE = path.join(__dirname, '..', '..', 'site');

class LabError extends Error {}

/** Only loopback addresses: the lab page is never served to the network. */
function isLoopback(host) {
  return /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1' || host === 'localhost';
}

/** A Host header that names this machine (RFC 9110 §7.2): localhost, 127.x.x.x or [::1], with an optional port. */
function isLoopbackHost(value) {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(value);
  if (!m) return false;
  const name = (m[1] ?? m[2]).toLowerCase().replace(/\.$/, '');
  return m[1] !== undefined ? name === '::1' : name === 'localhost' || /^127(\.\d{1,3}){3}$/.test(name);
}

const MAX_PATH = 1024;

/** A plain-text answer that ends the request. */
function refuse(res, code, text) {
  res.statusCode = code;
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.setHeader('cache-control', 'no-store');
  res.end(`${text}\n`);
}

/**
 * The rules above, as an http-server `before` handler. `root` is site/'s real path: a file is
 * served only if its real path (symbolic links followed) is inside it.
 */
function guard(root) {
  return (req, res) => {
    const host = req.headers.host;
    // HTTP/1.1 requires a Host (RFC 9112 §3.2); a browser always sends one.
    if (host === undefined ? req.httpVersion !== '1.0' : !isLoopbackHost(host)) {
      return refuse(res, 421, 'This lab server answers only requests for localhost, 127.0.0.1 or [::1] (wrong or missing Host header).');
    }
    const raw = (req.url || '/').split('?')[0];
    if (raw.length > MAX_PATH) return refuse(res, 414, 'URI too long.');
    let rel;
    try {
      rel = decodeURIComponent(raw);
    } catch {
      return refuse(res, 400, 'Malformed URL.');
    }
    if (rel.includes('\0')) return refuse(res, 400, 'Malformed URL.');
    const parts = rel.replace(/\\/g, '/').split('/').filter((x) => x !== '');
    // No dotfiles or dot-directories, and no ".." (http-server would resolve it inside site/, but nothing needs it).
    if (parts.some((x) => x.startsWith('.'))) return refuse(res, 404, 'Not found.');
    let real;
    try {
      real = fs.realpathSync(path.join(root, ...parts));
    } catch {
      return res.emit('next'); // does not exist: http-server answers 404 (or index.html for "/")
    }
    if (real !== root && !real.startsWith(root + path.sep)) return refuse(res, 404, 'Not found.');
    return res.emit('next');
  };
}

// http-server's 500 page prints the error's stack, which names paths on this machine: the
// detail goes to the server's own log instead.
statusHandlers['500'] = (res, next, opts) => {
  const e = opts && opts.error;
  console.error(`lab server: 500: ${e && e.message ? e.message : String(e)}`);
  refuse(res, 500, 'Internal server error.');
};

/**
 * @param {{host?: string, port?: number, cacheSeconds?: number, keepAliveSeconds?: number, root?: string, log?: boolean,
 *   headersTimeoutMs?: number, requestTimeoutMs?: number}} opts
 * @returns {Promise<{url: string, host: string, port: number, version: string, keepAliveSeconds: number,
 *   openConnections: () => Promise<number>, close: () => Promise<void>}>}
 */
function startServer(opts = {}) {
  const host = opts.host || '127.0.0.1';
  const port = opts.port === undefined ? 8080 : opts.port;
  if (!isLoopback(host)) throw new LabError(`refusing to serve on ${host}: use a loopback address such as 127.0.0.1`);
  const root = fs.realpathSync(opts.root || SITE);
  const server = httpServer.createServer({
    root,
    before: [guard(root)],
    cache: opts.cacheSeconds > 0 ? opts.cacheSeconds : -1,
    // http-server compares these with the string 'false' (a boolean false would turn them on).
    showDir: 'false',
    showDotfiles: false,
    autoIndex: true, // index.html for "/"
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
    // A head trickling in a line at a time is cut off (Node answers 408), checked every second.
    server.server.headersTimeout = opts.headersTimeoutMs > 0 ? opts.headersTimeoutMs : 10000;
    server.server.requestTimeout = opts.requestTimeoutMs > 0 ? opts.requestTimeoutMs : 30000;
    server.server.connectionsCheckingInterval = 1000;
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

module.exports = { startServer, LabError, SITE, isLoopbackHost };

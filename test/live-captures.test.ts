/**
 * Captures this suite makes itself (tcpdump on loopback) and compares with tshark: keep-alive,
 * large multi-segment responses, chunked, gzip, Range → 206, HEAD, 304, close-delimited bodies,
 * pipelining, IPv6, a server on a port tshark does not know, and packet loss (nft drops).
 */
import * as http from 'http';
import * as net from 'net';
import * as zlib from 'zlib';
import { spawnSync } from 'child_process';
import { canCapture, captureWhile } from './support/livecapture';
import { compareCapture, REQUIRED_FIELDS, runTshark, tsharkAvailable } from './support/tshark';

const BIG = Buffer.alloc(600 * 1024, 'wirenote-');

function server(): http.Server {
  return http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/big') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BIG.length });
      res.end(BIG);
    } else if (url === '/chunked') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first chunk\n');
      setTimeout(() => res.end('second chunk\n'), 20);
    } else if (url === '/gzip') {
      const z = zlib.gzipSync(Buffer.from('<p>专业：物联网工程</p>'.repeat(50)));
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-encoding': 'gzip', 'content-length': z.length });
      res.end(z);
    } else if (url === '/range') {
      const range = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
      const start = range ? Number(range[1]) : 0;
      const end = range && range[2] ? Number(range[2]) : BIG.length - 1;
      res.writeHead(206, { 'content-type': 'audio/mpeg', 'content-range': `bytes ${start}-${end}/${BIG.length}`, 'content-length': end - start + 1, 'accept-ranges': 'bytes' });
      res.end(BIG.subarray(start, end + 1));
    } else if (url === '/304') {
      res.writeHead(304, { etag: 'W/"1"' });
      res.end();
    } else if (url === '/close') {
      // HTTP/1.0-style close-delimited body: no Content-Length, no chunking.
      res.socket?.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nbody until FIN\n');
      res.socket?.end();
    } else {
      res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-cache, no-store, must-revalidate' });
      res.end('<h1>hello</h1>');
    }
  });
}

function listen(s: http.Server, port: number, host: string): Promise<void> {
  return new Promise((r) => s.listen(port, host, () => r()));
}

function get(host: string, port: number, p: string, agent: http.Agent, headers: Record<string, string> = {}, method = 'GET'): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, path: p, agent, headers, method }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end();
  });
}

async function browse(host: string, port: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  await get(host, port, '/', agent);
  await Promise.all([get(host, port, '/big', agent), get(host, port, '/range', agent, { range: 'bytes=0-' })]);
  await get(host, port, '/chunked', agent);
  await get(host, port, '/gzip', agent, { 'accept-encoding': 'gzip' });
  await get(host, port, '/', agent, {}, 'HEAD');
  await get(host, port, '/304', agent, { 'if-none-match': 'W/"1"' });
  await get(host, port, '/close', new http.Agent({ keepAlive: false }));
  // Pipelining: two requests in one segment.
  await new Promise<void>((resolve) => {
    const s: net.Socket = net.connect(port, host, () => s.end(`GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    s.on('data', () => undefined);
    s.on('close', () => resolve());
  });
  agent.destroy();
}

const skip = canCapture() ?? (tsharkAvailable() ? undefined : 'tshark is not installed');
(skip ? describe.skip : describe)('captures made by the tests agree with tshark', () => {
  const cases: Array<[string, string, number]> = [
    ['ipv4-8080', '127.0.0.1', 8080],
    ['ipv6-8080', '::1', 8080],
    ['ipv4-odd-port', '127.0.0.1', 18080],
  ];
  for (const [name, host, port] of cases) {
    test(name, async () => {
      const s = server();
      await listen(s, port, host);
      try {
        const file = await captureWhile(name, `tcp port ${port}`, () => browse(host, port));
        const c = compareCapture(file, REQUIRED_FIELDS);
        expect(c.rowsTshark).toBeGreaterThan(20);
        expect(c.diffs.slice(0, 20)).toEqual([]);
      } finally {
        s.close();
      }
    });
  }

  const haveNft = spawnSync('nft', ['--version']).status === 0;
  (haveNft ? test : test.skip)('loss: nft drops some server segments after the capture point (input hook), TCP retransmits', async () => {
    const port = 18081;
    const table = 'wirenote_test';
    spawnSync('nft', ['delete', 'table', 'inet', table]);
    const rules = `table inet ${table} {\n chain out {\n  type filter hook input priority 0;\n  tcp sport ${port} tcp flags & (syn|fin|rst) == 0 meta length > 1000 numgen inc mod 3 == 1 drop\n }\n}\n`;
    const r = spawnSync('nft', ['-f', '-'], { input: rules });
    expect(r.status).toBe(0);
    const s = server();
    await listen(s, port, '127.0.0.1');
    try {
      const file = await captureWhile('loss', `tcp port ${port}`, async () => {
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        await get('127.0.0.1', port, '/big', agent);
        await get('127.0.0.1', port, '/range', agent, { range: 'bytes=1000-90000' });
        agent.destroy();
      });
      const c = compareCapture(file, [...REQUIRED_FIELDS]);
      expect(c.rowsTshark).toBeGreaterThan(10);
      // Loss must have happened for this test to mean anything: tshark itself sees retransmissions.
      const retrans = runTshark(file, ['tcp.analysis.retransmission']).stdout.split('\n').filter((l) => l === '1');
      expect(retrans.length).toBeGreaterThan(0);
      expect(c.diffs.slice(0, 20)).toEqual([]);
    } finally {
      s.close();
      spawnSync('nft', ['delete', 'table', 'inet', table]);
    }
  });
});
